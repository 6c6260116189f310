//! `orchestrator`: list the stories, explain one, or run them and print
//! (or write) their transcripts.
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use orchestrator::catalog::{self, STORIES, Story};
use orchestrator::embedded::Embedded;
use orchestrator::render::{self, Style};
use orchestrator::runner::{self, Services, StepRecord, StoryRecord};
use orchestrator::summary::Summary;

/// Drives the oidc-story usage stories through the AS and RP services.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the stories, one line each.
    List,
    /// What a story shows, its standards, steps and settings.
    Explain {
        /// The story (see `orchestrator list`).
        story: String,
    },
    /// Run stories and print their transcripts.
    Run(RunArgs),
    /// Load test: whole stories through both services, or the token endpoint alone.
    Bench(BenchArgs),
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// Story names to run round-robin (see `orchestrator list`).
    stories: Vec<String>,
    /// Every story.
    #[arg(long)]
    all: bool,
    /// Load the AS alone: client_credentials Token RPCs (client_secret_basic).
    #[arg(long, conflicts_with_all = ["stories", "all"])]
    token_endpoint: bool,
    /// Requests (stories or tokens) in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// HTTP/2 connections to spread the token endpoint load over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Run for this many seconds.
    #[arg(long, conflicts_with = "iterations")]
    duration: Option<f64>,
    /// Run this many stories (or tokens) in total.
    #[arg(long)]
    iterations: Option<u64>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Address of an external AS; with --rp (for stories). Without, embedded.
    #[arg(long = "as", value_name = "URL", env = "ORCHESTRATOR_AS")]
    as_address: Option<String>,
    /// Address of an external RP; with --as.
    #[arg(
        long = "rp",
        value_name = "URL",
        requires = "as_address",
        env = "ORCHESTRATOR_RP"
    )]
    rp: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Story names (see `orchestrator list`).
    stories: Vec<String>,
    /// Run every story and every attack.
    #[arg(long)]
    all: bool,
    /// Run every attack story (attack_*: the AS or the RP must refuse).
    #[arg(long)]
    attacks: bool,
    /// Transcript format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write one file per story, and an index, into this directory instead
    /// of printing.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Pause after each step until Enter (on a terminal only).
    #[arg(long)]
    step: bool,
    /// Mask secrets and token values (decoded claims stay), to share a transcript.
    #[arg(long)]
    redact: bool,
    /// Warnings (failed SHOULD checks) fail the run too (exit status 1).
    #[arg(long)]
    strict: bool,
    /// Address of an external AS (e.g. 127.0.0.1:50051); with --rp. Without
    /// both, the services run embedded on loopback.
    #[arg(
        long = "as",
        value_name = "URL",
        requires = "rp",
        env = "ORCHESTRATOR_AS"
    )]
    as_address: Option<String>,
    /// Address of an external RP (e.g. 127.0.0.1:50052); with --as.
    #[arg(
        long = "rp",
        value_name = "URL",
        requires = "as_address",
        env = "ORCHESTRATOR_RP"
    )]
    rp: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The seed's transcript shape (colour on a terminal).
    Text,
    /// Markdown with a Mermaid sequence diagram.
    Markdown,
    /// JSON Lines, one object per story.
    Json,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Text => "txt",
            Self::Markdown => "md",
            Self::Json => "json",
        }
    }
}

/// mimalloc: allocation-heavy gRPC work spread over threads contends less
/// than with the system allocator's arenas (measured in docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            let width = catalog::all().map(|s| s.name.len()).max().unwrap_or(0);
            for story in catalog::all() {
                println!(
                    "{:width$}  {} ({}): {}",
                    story.name, story.title, story.standard, story.summary
                );
            }
            ExitCode::SUCCESS
        }
        Command::Explain { story } => match catalog::find(&story) {
            Some(s) => {
                print!("{}", orchestrator::explain::explain(s));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "orchestrator: unknown story {story:?}; `orchestrator list` shows the stories"
                );
                ExitCode::from(2)
            }
        },
        Command::Bench(args) => match bench(args).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("orchestrator: {e}");
                ExitCode::from(2)
            }
        },
        Command::Run(args) => match run(args).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("orchestrator: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn select(args: &RunArgs) -> Result<Vec<&'static Story>, String> {
    if args.all || args.attacks {
        if !args.stories.is_empty() {
            return Err("give story names or --all/--attacks, not both".into());
        }
        return Ok(if args.all {
            catalog::all().collect()
        } else {
            catalog::ATTACKS.iter().collect()
        });
    }
    if args.stories.is_empty() {
        return Err(
            "name the stories to run, or --all or --attacks (`orchestrator list` shows them)"
                .into(),
        );
    }
    args.stories
        .iter()
        .map(|name| {
            catalog::find(name).ok_or_else(|| {
                format!("unknown story {name:?}; `orchestrator list` shows the stories")
            })
        })
        .collect()
}

/// The whole transcript of a story in a format.
fn render_story(format: Format, story: &Story, record: &StoryRecord, style: Style) -> String {
    match format {
        Format::Text => render::text::story(Some(story), record, style),
        Format::Markdown => render::markdown::story(Some(story), record),
        Format::Json => format!("{}\n", render::json::story(record)),
    }
}

/// Runs the selected stories and closes with the summary; `Ok(false)` when
/// any failed (or, with `--strict`, warned).
async fn run(args: RunArgs) -> Result<bool, String> {
    let stories = select(&args)?;
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let step_mode = args.step && interactive;
    if args.step && !interactive {
        eprintln!("orchestrator: --step ignored: it needs a terminal on stdin and stdout");
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
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
        let mut stdout = std::io::stdout();
        if stream {
            print_or_stop(&mut stdout, &render::text::story_header(story, style))?;
        }
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
        let mut stdout = std::io::stdout();
        match &args.out {
            Some(dir) => {
                let file = format!("{}.{}", story.name, args.format.extension());
                write_file(
                    &dir.join(&file),
                    &render_story(args.format, story, &record, style),
                )?;
                index.push((story.name.to_owned(), file, record.ok));
            }
            None if stream => {
                print_or_stop(&mut stdout, &render::text::story_footer(&record, style))?
            }
            None => print_or_stop(
                &mut stdout,
                &render_story(args.format, story, &record, style),
            )?,
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
        (None, Format::Markdown) => print_or_stop(&mut std::io::stdout(), &summary.markdown())?,
        (None, Format::Json) => {
            print_or_stop(&mut std::io::stdout(), &format!("{}\n", summary.json()))?
        }
        (None, _) => print_or_stop(&mut std::io::stdout(), &summary.text(style))?,
        (Some(_), _) => eprint!("{}", summary.text(Style::default())),
    }
    if let Some(embedded) = embedded {
        embedded.stop().await;
    }
    Ok(summary.ok)
}

async fn connect(args: &RunArgs) -> Result<(Services, Option<Embedded>), String> {
    match (&args.as_address, &args.rp) {
        (Some(as_address), Some(rp)) => Ok((Services::connect(as_address, rp).await?, None)),
        _ => {
            let embedded = Embedded::start()
                .await
                .map_err(|e| format!("cannot start the embedded services: {e}"))?;
            let services =
                Services::connect(&embedded.as_addr.to_string(), &embedded.rp_addr.to_string())
                    .await?;
            Ok((services, Some(embedded)))
        }
    }
}

/// Writes to stdout; a reader that went away (`| head`) ends the run quietly.
fn print_or_stop(stdout: &mut std::io::Stdout, text: &str) -> Result<(), String> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(format!("cannot write the transcript: {e}")),
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn write_index(
    dir: &Path,
    format: Format,
    entries: &[(String, String, bool)],
    summary: &Summary,
) -> Result<(), String> {
    match format {
        Format::Markdown => write_file(
            &dir.join("index.md"),
            &format!("{}{}", render::markdown::index(entries), summary.markdown()),
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
        Format::Json => {
            let lines: String = entries
                .iter()
                .map(|(name, file, ok)| {
                    format!("{name}\t{}\t{file}\n", if *ok { "ok" } else { "FAILED" })
                })
                .collect();
            write_file(&dir.join("index.txt"), &lines)?;
            write_file(&dir.join("summary.json"), &format!("{}\n", summary.json()))
        }
    }
}

/// Runs a benchmark; `Ok(false)` when any request failed.
async fn bench(args: BenchArgs) -> Result<bool, String> {
    use orchestrator::bench::{self, Limit};
    let limit = match (args.duration, args.iterations) {
        (Some(s), _) if s > 0.0 => Limit::Duration(std::time::Duration::from_secs_f64(s)),
        (Some(_), _) => return Err("--duration must be positive".into()),
        (None, Some(n)) => Limit::Iterations(n),
        (None, None) => Limit::Duration(std::time::Duration::from_secs(10)),
    };
    let live = std::io::stderr().is_terminal();
    let embedded = if args.as_address.is_none() {
        Some(
            Embedded::start_for_load()
                .await
                .map_err(|e| format!("cannot start the embedded services: {e}"))?,
        )
    } else {
        None
    };
    let as_address = match (&args.as_address, &embedded) {
        (Some(a), _) => a.clone(),
        (None, Some(e)) => e.as_addr.to_string(),
        (None, None) => return Err("no AS".into()),
    };
    let ok = if args.token_endpoint {
        let replicas: Vec<&str> = as_address
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        let mut channels = Vec::new();
        for i in 0..args.connections.max(replicas.len()).max(1) {
            channels.push(runner::channel("AS", replicas[i % replicas.len()]).await?);
        }
        let report = bench::token_endpoint(channels, args.concurrency, limit, live).await;
        match args.format {
            ReportFormat::Text => print!("{}", bench::token_text(&report)),
            ReportFormat::Json => println!(
                "{}",
                serde_json::to_string(&report).map_err(|e| e.to_string())?
            ),
        }
        report.errors == 0
    } else {
        let stories = if args.all {
            STORIES.iter().collect()
        } else {
            select(&RunArgs {
                stories: args.stories.clone(),
                all: false,
                attacks: false,
                format: Format::Text,
                out: None,
                step: false,
                redact: false,
                strict: false,
                as_address: None,
                rp: None,
            })?
        };
        let rp_address = match (&args.rp, &embedded) {
            (Some(r), _) => r.clone(),
            (None, Some(e)) => e.rp_addr.to_string(),
            (None, None) => return Err("--as needs --rp for story benchmarks".into()),
        };
        let services = Services::connect(&as_address, &rp_address).await?;
        let report = bench::stories(&services, &stories, args.concurrency, limit, live).await;
        match args.format {
            ReportFormat::Text => print!("{}", bench::stories_text(&report)),
            ReportFormat::Json => println!(
                "{}",
                serde_json::to_string(&report).map_err(|e| e.to_string())?
            ),
        }
        report.errors == 0
    };
    if let Some(e) = embedded {
        e.stop().await;
    }
    Ok(ok)
}
