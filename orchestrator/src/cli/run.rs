//! `orchestrator run`: the selected stories through both services, each
//! transcript printed (or written) as it completes, then the summary.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::args::{Diagram, Format, RunArgs};
use super::error::Error;
use super::select::{plan_gaps, select};
use super::target::{clean_up, connect};
use crate::catalog::Story;
use crate::render::safe::terminal;
use crate::render::{self, Style};
use crate::runner::{self, StepRecord, StoryRecord};
use crate::summary::Summary;

use super::interrupt::{self, Stop};
use super::output::print_or_stop;

/// Runs the selected stories and closes with the summary; `Ok(false)` when
/// any failed (or, with `--strict`, warned).
pub(super) async fn run(args: RunArgs) -> Result<bool, Error> {
    let plan = args.plan.as_deref().map(super::select::plan).transpose()?;
    let stories = match plan {
        Some(plan) => {
            for gap in plan_gaps(plan) {
                eprintln!("orchestrator: {gap}");
            }
            plan.stories()
        }
        None => select(&args.stories, args.all, args.attacks)?,
    };
    // Stories where a malicious provider signs with a key of its own: that
    // RSA key is made while the services start and the first stories run.
    if stories
        .iter()
        .any(|s| s.steps.iter().any(|step| step.tamper.is_some()))
    {
        crate::attacker::make_key_ahead();
    }
    if args.format == Format::Html && args.out.is_none() {
        return Err(Error::Usage(
            "--format html writes a report of several pages: add --out DIR".into(),
        ));
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let step_mode = args.step && interactive;
    if args.step && !interactive {
        eprintln!("orchestrator: --step ignored: it needs a terminal on stdin and stdout");
    }
    // Text to a terminal is written as each step completes; everything else
    // once the story is done (redaction needs the whole record).
    let style = if args.out.is_some() {
        Style::for_files()
    } else {
        Style::for_stdout()
    };
    let stream = args.format == Format::Text && args.out.is_none() && !args.redact;
    let target = connect(&args, &stories).await?;
    let services = &target.services;
    // Only once the services answer: a run that cannot start leaves an
    // earlier report where it is.
    if let Some(dir) = &args.out
        && let Err(e) = prepare_out_dir(dir, args.force)
    {
        if let Some(external) = &target.external {
            let _ = clean_up(external, Vec::new()).await;
        }
        target.stop().await;
        return Err(e);
    }
    if let (Some(external), None) = (&target.external, &args.out) {
        // The transcript says what it ran against, secrets redacted (a
        // registered second client's id is the server's word).
        let what = external.describe();
        match args.format {
            Format::Text => print_or_stop(&format!(
                "{} {}\n\n",
                style.header("AGAINST"),
                terminal(&what)
            ))?,
            Format::Markdown => print_or_stop(&format!(
                "> Run against {}\n\n",
                crate::render::safe::markdown_text(&what)
            ))?,
            Format::Json | Format::Html => {}
        }
    }
    let mut records = Vec::new();
    let mut index = Vec::new();
    let count = stories.len();
    // The clients the stories registered at a server over HTTP, deleted at
    // the end of the run: an error that stops it waits for that.
    let mut registered = Vec::new();
    let mut stopped = None;
    // Ctrl-C, or q at a --step pause: the story under way is abandoned and
    // the run closes with what ran.
    let mut cut_short = None;
    // Listening from here on: a Ctrl-C between two stories waits for the
    // check before the next one.
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| Error::Services(format!("cannot listen for Ctrl-C: {e}")))?;
    for (n, story) in stories.into_iter().enumerate() {
        if std::future::poll_fn(|cx| std::task::Poll::Ready(sigint.poll_recv(cx)))
            .await
            .is_ready()
        {
            cut_short = Some(Stop::CtrlC);
            break;
        }
        if stream && let Err(e) = print_or_stop(&render::text::story_header(story, style)) {
            stopped = Some(e);
            break;
        }
        let mut stdout = std::io::stdout();
        let last_story = n + 1 == count;
        let quit = tokio::sync::Notify::new();
        let mut seen: Vec<StepRecord> = Vec::new();
        let mut observer = |step: &StepRecord| {
            if stream {
                let _ = stdout.write_all(render::text::step(step, style).as_bytes());
                let _ = stdout.flush();
            }
            seen.push(step.clone());
            if step_mode
                && let Some(prompt) =
                    step_prompt(&step.service, seen.len(), story.steps.len(), last_story)
                && interrupt::pause(&prompt)
            {
                quit.notify_one();
            }
        };
        let cannot_run = target
            .external
            .as_ref()
            .and_then(|e| e.issuer.cannot_run(story, &e.client, &e.second))
            .or_else(|| {
                (args.browser && crate::external::needs_fresh_user_agent(story)).then(|| {
                    "it needs a user agent nobody is logged in with, and --browser hands the page to one that may be: run it with --login or by itself".to_owned()
                })
            });
        let outcome = match cannot_run {
            Some(why) => Ok(StoryRecord::skipped(story.name, why)),
            None => {
                // A person may pause between steps: each request is made
                // just before it is sent.
                let calls = if step_mode {
                    runner::RpCalls::Separate
                } else {
                    runner::RpCalls::Advance
                };
                // A person at --step sets the pace: no deadline then.
                let deadline =
                    (!step_mode).then(|| std::time::Duration::from_secs(args.story_timeout));
                let running =
                    runner::run_story_within(services, story, calls, deadline, &mut observer);
                tokio::select! {
                    biased;
                    _ = sigint.recv() => Err(Stop::CtrlC),
                    () = quit.notified() => Err(Stop::Quit),
                    record = running => Ok(record),
                }
            }
        };
        let mut record = match outcome {
            Ok(record) => record,
            Err(stop) => {
                cut_short = Some(stop);
                interrupt::record(story, std::mem::take(&mut seen), stop)
            }
        };
        // Read before anything is redacted.
        if target.external.is_some() {
            registered.extend(crate::external::registered_in(&record));
        }
        if args.redact {
            render::redact::redact(&mut record);
        }
        let shown = match &args.out {
            Some(dir) => {
                let file = format!("{}.{}", story.name, args.format.extension());
                // Not failed, as the summary counts it (a provider's refusal,
                // a person's part and a skip are no failure).
                let ok = crate::summary::StorySummary::of(&record).passed(false);
                write_file(
                    &dir.join(&file),
                    &render_story(args.format, args.diagram, story, &record, style),
                )
                .map(|()| index.push((story.name.to_owned(), file, ok)))
            }
            None if stream => print_or_stop(&render::text::story_footer(&record, style)),
            None => print_or_stop(&render_story(
                args.format,
                args.diagram,
                story,
                &record,
                style,
            )),
        };
        if let Err(e) = shown {
            stopped = Some(e);
            break;
        }
        records.push(record);
        if cut_short.is_some() {
            break;
        }
    }
    let left_registered = match &target.external {
        Some(external) => clean_up(external, registered).await,
        None => Vec::new(),
    };
    if let Some(e) = stopped {
        target.stop().await;
        return Err(e);
    }
    let mut summary = Summary::new(&records, args.strict);
    if let Some(plan) = plan {
        summary = summary.with_plan(plan);
    }
    summary.second_client = target.external.as_ref().and_then(|e| e.second.describe());
    summary.left_registered = left_registered;
    if let Some(stop) = cut_short {
        let last_cut = records
            .last()
            .is_some_and(|r| matches!(r.ending, Some(crate::record::Ending::Interrupted { .. })));
        eprintln!(
            "orchestrator: {}: the summary covers the {} run{}; {} not run",
            stop.says(),
            plural(records.len(), "story"),
            if last_cut { ", the last cut short" } else { "" },
            count - records.len()
        );
    }
    if let Some(dir) = &args.out {
        write_index(dir, args.format, &index, &summary)?;
        eprintln!(
            "orchestrator: wrote {} and an index to {}",
            plural(index.len(), "transcript"),
            dir.display()
        );
    }
    // The summary closes every run: on stdout, or in the index (and on
    // stderr as text, so a run writing files still shows it).
    match (&args.out, args.format) {
        (None, Format::Markdown | Format::Html) => print_or_stop(&summary.markdown())?,
        (None, Format::Json) => print_or_stop(&format!("{}\n", summary.json()))?,
        (None, _) => print_or_stop(&summary.text(style))?,
        (Some(_), _) => eprint!("{}", summary.text(Style::default())),
    }
    target.stop().await;
    match cut_short {
        // Ctrl-C: the shell's convention, 128 + SIGINT.
        Some(Stop::CtrlC) => Err(Error::Interrupted),
        _ => Ok(summary.ok),
    }
}

/// What to say after a step in `--step` mode; `None` after the very last
/// step of the run, where there is nothing left to wait for.
fn step_prompt(service: &str, done: usize, steps: usize, last_story: bool) -> Option<String> {
    match (done >= steps, last_story) {
        (true, true) => None,
        (true, false) => Some("-- story done; a key for the next story, q to quit --".into()),
        (false, _) => Some(format!(
            "-- {service} done; a key for the next step, q to quit --"
        )),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The files an earlier report written with `--out` holds: an index, a
/// summary, one transcript per story.
fn is_report_file(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(ext, "txt" | "md" | "json" | "html")
        && (matches!(stem, "index" | "summary") || crate::catalog::find(stem).is_some())
}

/// Makes `dir` ready for a report: created if missing; an earlier report in
/// it is removed, so no stale transcript stays beside the new index; any
/// other content is refused, unless `force` clears it.
fn prepare_out_dir(dir: &Path, force: bool) -> Result<(), Error> {
    let write_error = |source| Error::Write {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_error)?;
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(write_error)? {
        let entry = entry.map_err(write_error)?;
        let is_file = entry.file_type().map_err(write_error)?.is_file();
        entries.push((entry.path(), is_file));
    }
    let earlier_report = entries.iter().all(|(path, is_file)| {
        *is_file
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_report_file)
    });
    if !earlier_report && !force {
        return Err(Error::Usage(format!(
            "{} holds files that are not an earlier report; choose an empty directory, or add --force to clear it",
            dir.display()
        )));
    }
    for (path, is_file) in entries {
        let removed = if is_file {
            std::fs::remove_file(&path)
        } else {
            std::fs::remove_dir_all(&path)
        };
        removed.map_err(|source| Error::Write { path, source })?;
    }
    Ok(())
}

/// The whole transcript of a story in a format.
fn render_story(
    format: Format,
    diagram: Diagram,
    story: &Story,
    record: &StoryRecord,
    style: Style,
) -> String {
    match format {
        Format::Text => render::text::story(Some(story), record, style),
        Format::Markdown => render::markdown::story_with(Some(story), record, diagram.view()),
        Format::Json => format!("{}\n", render::json::story(record)),
        Format::Html => render::html::story(Some(story), record, diagram.view()),
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
    match format {
        Format::Markdown => write_file(
            &dir.join("index.md"),
            &format!(
                "{}{}",
                render::markdown::index(entries, &summary.markdown_opening()),
                summary.markdown_table()
            ),
        ),
        Format::Text => {
            let lines: String = entries
                .iter()
                .map(|(name, file, ok)| {
                    format!("{name}\t{}\t{file}\n", if *ok { "ok" } else { "FAILED" })
                })
                .collect();
            write_file(
                &dir.join("index.txt"),
                &format!("{lines}\n{}", summary.text(Style::default())),
            )
        }
        Format::Html => write_file(
            &dir.join("index.html"),
            &render::html::index(entries, summary),
        ),
        Format::Json => {
            let stories: Vec<_> = entries
                .iter()
                .map(
                    |(story, file, ok)| serde_json::json!({"story": story, "file": file, "ok": ok}),
                )
                .collect();
            let index = serde_json::json!({"stories": stories, "summary": summary});
            write_file(&dir.join("index.json"), &format!("{index:#}\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("orchestrator-out-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_earlier_report_is_replaced_whole() {
        let dir = scratch("earlier");
        for file in ["index.md", "oauth2_cc.md", "oauth2_code.md"] {
            std::fs::write(dir.join(file), "old").unwrap();
        }
        prepare_out_dir(&dir, false).unwrap();
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "no stale transcript stays"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_with_other_files_is_refused_unless_forced() {
        let dir = scratch("other");
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let refused = prepare_out_dir(&dir, false).unwrap_err().to_string();
        assert!(refused.contains("--force"), "{refused}");
        assert!(
            dir.join("notes.txt").exists(),
            "nothing is removed when refused"
        );
        prepare_out_dir(&dir, true).unwrap();
        assert!(!dir.join("notes.txt").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(plural(1, "transcript"), "1 transcript");
        assert_eq!(plural(3, "transcript"), "3 transcripts");
    }

    #[test]
    fn the_last_step_of_the_run_asks_for_nothing() {
        assert!(step_prompt("Token", 3, 3, true).is_none());
        assert!(
            step_prompt("Token", 3, 3, false)
                .unwrap()
                .contains("next story")
        );
        assert!(
            step_prompt("Token", 1, 3, true)
                .unwrap()
                .contains("next step")
        );
    }
}
