//! `orchestrator`: list the stories, or run them and print the transcripts.
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use orchestrator::catalog::{self, STORIES, Story};
use orchestrator::embedded::Embedded;
use orchestrator::render;
use orchestrator::runner::{self, Services};

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
    /// Run stories and print their transcripts.
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Story names (see `orchestrator list`).
    stories: Vec<String>,
    /// Run every story.
    #[arg(long)]
    all: bool,
    /// Transcript format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
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
    /// The seed's transcript shape.
    Text,
    /// JSON Lines, one object per story.
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            let width = STORIES.iter().map(|s| s.name.len()).max().unwrap_or(0);
            for story in STORIES {
                println!(
                    "{:width$}  {} ({}): {}",
                    story.name, story.title, story.standard, story.summary
                );
            }
            ExitCode::SUCCESS
        }
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
    if args.all {
        if !args.stories.is_empty() {
            return Err("give story names or --all, not both".into());
        }
        return Ok(STORIES.iter().collect());
    }
    if args.stories.is_empty() {
        return Err("name the stories to run, or --all (`orchestrator list` shows them)".into());
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

/// Runs the selected stories; `Ok(false)` when any failed.
async fn run(args: RunArgs) -> Result<bool, String> {
    let stories = select(&args)?;
    let (services, embedded) = match (&args.as_address, &args.rp) {
        (Some(as_address), Some(rp)) => (Services::connect(as_address, rp).await?, None),
        _ => {
            let embedded = Embedded::start()
                .await
                .map_err(|e| format!("cannot start the embedded services: {e}"))?;
            let services =
                Services::connect(&embedded.as_addr.to_string(), &embedded.rp_addr.to_string())
                    .await?;
            (services, Some(embedded))
        }
    };
    let mut all_ok = true;
    let mut stdout = std::io::stdout().lock();
    for story in stories {
        let record = runner::run_story(&services, story).await;
        all_ok &= record.ok;
        let text = match args.format {
            Format::Text => render::text::story(Some(story), &record),
            Format::Json => format!("{}\n", render::json::story(&record)),
        };
        if stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            // The reader went away (e.g. `| head`): stop quietly.
            break;
        }
    }
    drop(stdout);
    if let Some(embedded) = embedded {
        embedded.stop().await;
    }
    Ok(all_ok)
}
