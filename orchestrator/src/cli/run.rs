//! `orchestrator run`: the selected stories through both services, each
//! transcript printed (or written) as it completes, then the summary.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::{Error, Format, RunArgs, select};
use crate::catalog::Story;
use crate::embedded::Embedded;
use crate::render::{self, Style};
use crate::runner::{self, Services, StepRecord, StoryRecord};
use crate::summary::Summary;

/// Runs the selected stories and closes with the summary; `Ok(false)` when
/// any failed (or, with `--strict`, warned).
pub(super) async fn run(args: RunArgs) -> Result<bool, Error> {
    let stories = select(&args.stories, args.all, args.attacks)?;
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let step_mode = args.step && interactive;
    if args.step && !interactive {
        eprintln!("orchestrator: --step ignored: it needs a terminal on stdin and stdout");
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
    }
    // Text to a terminal is written as each step completes; everything else
    // once the story is done (redaction needs the whole record).
    let style = if args.out.is_some() {
        Style::default()
    } else {
        Style::for_stdout()
    };
    let stream = args.format == Format::Text && args.out.is_none() && !args.redact;
    let (services, embedded) = connect(&args).await?;
    let mut records = Vec::new();
    let mut index = Vec::new();
    for story in stories {
        if stream {
            print_or_stop(&render::text::story_header(story, style))?;
        }
        let mut stdout = std::io::stdout();
        let mut observer = |step: &StepRecord| {
            if stream {
                let _ = stdout.write_all(render::text::step(step, style).as_bytes());
                let _ = stdout.flush();
            }
            if step_mode {
                eprint!("-- {} done; Enter for the next step --", step.service);
                let _ = std::io::stdin().lock().read_line(&mut String::new());
            }
        };
        let mut record = runner::run_story_observed(&services, story, &mut observer).await;
        if args.redact {
            render::redact::redact(&mut record);
        }
        match &args.out {
            Some(dir) => {
                let file = format!("{}.{}", story.name, args.format.extension());
                write_file(
                    &dir.join(&file),
                    &render_story(args.format, story, &record, style),
                )?;
                index.push((story.name.to_owned(), file, record.ok));
            }
            None if stream => print_or_stop(&render::text::story_footer(&record, style))?,
            None => print_or_stop(&render_story(args.format, story, &record, style))?,
        }
        records.push(record);
    }
    let summary = Summary::new(&records, args.strict);
    if let Some(dir) = &args.out {
        write_index(dir, args.format, &index, &summary)?;
        eprintln!(
            "orchestrator: wrote {} transcripts and an index to {}",
            index.len(),
            dir.display()
        );
    }
    // The summary closes every run: on stdout, or in the index (and on
    // stderr as text, so a run writing files still shows it).
    match (&args.out, args.format) {
        (None, Format::Markdown) => print_or_stop(&summary.markdown())?,
        (None, Format::Json) => print_or_stop(&format!("{}\n", summary.json()))?,
        (None, _) => print_or_stop(&summary.text(style))?,
        (Some(_), _) => eprint!("{}", summary.text(Style::default())),
    }
    if let Some(embedded) = embedded {
        embedded.stop().await;
    }
    Ok(summary.ok)
}

/// The external services named on the command line, or both started here.
async fn connect(args: &RunArgs) -> Result<(Services, Option<Embedded>), Error> {
    match (&args.as_address, &args.rp) {
        (Some(as_address), Some(rp)) => Ok((
            Services::connect(as_address, rp)
                .await
                .map_err(Error::Services)?,
            None,
        )),
        _ => {
            let embedded = Embedded::start()
                .await
                .map_err(|e| Error::Services(format!("cannot start the embedded services: {e}")))?;
            let services =
                Services::connect(&embedded.as_addr.to_string(), &embedded.rp_addr.to_string())
                    .await
                    .map_err(Error::Services)?;
            Ok((services, Some(embedded)))
        }
    }
}

/// The whole transcript of a story in a format.
fn render_story(format: Format, story: &Story, record: &StoryRecord, style: Style) -> String {
    match format {
        Format::Text => render::text::story(Some(story), record, style),
        Format::Markdown => render::markdown::story(Some(story), record),
        Format::Json => format!("{}\n", render::json::story(record)),
    }
}

/// Writes to stdout; a reader that went away (`| head`) ends the run quietly.
fn print_or_stop(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Error::Stdout(e)),
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// The index of a run written to a directory: each story's file and
/// outcome, then the summary.
fn write_index(
    dir: &Path,
    format: Format,
    entries: &[(String, String, bool)],
    summary: &Summary,
) -> Result<(), Error> {
    let lines: String = entries
        .iter()
        .map(|(name, file, ok)| format!("{name}\t{}\t{file}\n", if *ok { "ok" } else { "FAILED" }))
        .collect();
    match format {
        Format::Markdown => write_file(
            &dir.join("index.md"),
            &format!("{}{}", render::markdown::index(entries), summary.markdown()),
        ),
        Format::Text => write_file(
            &dir.join("index.txt"),
            &format!("{lines}\n{}", summary.text(Style::default())),
        ),
        Format::Json => {
            write_file(&dir.join("index.txt"), &lines)?;
            write_file(&dir.join("summary.json"), &format!("{}\n", summary.json()))
        }
    }
}
