//! The command line: the arguments (`args`), what each command does (`run`,
//! `bench`), the one error type the commands return (`error`) and the
//! stories a command names (`select`). The binary parses and dispatches.

mod args;
mod bench;
mod error;
mod run;
mod select;
mod target;

use std::process::ExitCode;

pub use args::{BenchArgs, Cli, ClientArgs, Command, Diagram, Format, ReportFormat, RunArgs};
pub use error::Error;

use crate::catalog;

impl Cli {
    /// Whether the command runs one story at a time (`run`, and `bench`
    /// of stories at concurrency 1): then the orchestrator and the services
    /// it embeds need one thread, on which each hands work to the next with
    /// no wake-up across threads. Side-by-side stories or token loads use
    /// every core.
    pub fn one_at_a_time(&self) -> bool {
        match &self.command {
            Command::Bench(args) => !args.token_endpoint && args.concurrency <= 1,
            Command::List | Command::Explain { .. } | Command::Run(_) => true,
        }
    }
}

/// Runs a parsed command line: 0 when everything passed, 1 when a story (or
/// a benchmark request) failed, 2 when the command itself could not run.
pub async fn dispatch(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::List => {
            list();
            Ok(true)
        }
        Command::Explain { story } => explain(&story),
        Command::Bench(args) => bench::bench(args).await,
        Command::Run(args) => run::run(args).await,
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("orchestrator: {e}");
            ExitCode::from(2)
        }
    }
}

fn list() {
    let width = catalog::all().map(|s| s.name.len()).max().unwrap_or(0);
    for story in catalog::all() {
        println!(
            "{:width$}  {} ({}): {}",
            story.name, story.title, story.standard, story.summary
        );
    }
}

fn explain(story: &str) -> Result<bool, Error> {
    let s = catalog::find(story).ok_or_else(|| select::unknown_story(story))?;
    print!("{}", crate::explain::explain(s));
    Ok(true)
}
