//! The command line: the arguments (`args`), what each command does (`run`,
//! `bench`), the one error type the commands return (`error`) and the
//! stories a command names (`select`). The binary parses and dispatches.

mod args;
mod bench;
mod error;
mod interrupt;
mod output;
mod run;
mod select;
mod target;

use std::process::ExitCode;

pub use args::{BenchArgs, Cli, ClientArgs, Command, Diagram, Format, ReportFormat, RunArgs};
pub use bench::{Report, measure};
pub use error::Error;

use crate::catalog;
use output::print_or_stop;

/// Runs a parsed command line: 0 when everything passed, 1 when a story (or
/// a benchmark request) failed, 2 when the command itself could not run.
pub async fn dispatch(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::List { plans: false } => list().map(|()| true),
        Command::List { plans: true } => list_plans().map(|()| true),
        Command::Explain { story } => explain(&story),
        Command::Bench(args) => bench::bench(*args).await,
        Command::Run(args) => run::run(*args).await,
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Error::Interrupted) => ExitCode::from(130),
        Err(e) => {
            eprintln!("orchestrator: {e}");
            ExitCode::from(2)
        }
    }
}

/// Every story on a line: name, title, standard, for an attack who must
/// refuse it, and what it shows.
fn list() -> Result<(), Error> {
    use std::fmt::Write;
    let width = catalog::every().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for story in catalog::every() {
        let kind = match story.kind() {
            catalog::Kind::Usage => String::new(),
            kind => format!(" [{}]", kind.says()),
        };
        let _ = writeln!(
            out,
            "{:width$}  {} ({}){kind}: {}",
            story.name, story.title, story.standard, story.summary
        );
    }
    print_or_stop(&out)
}

/// Every plan: its name, title and source, then a line per module — its
/// name, its story, its clause (a story the catalog lacks said so).
fn list_plans() -> Result<(), Error> {
    use std::fmt::Write;
    let mut out = String::new();
    for (n, plan) in crate::plan::PLANS.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}  {}\n  {}", plan.name, plan.title, plan.source);
        let width = plan.modules.iter().map(|m| m.name.len()).max().unwrap_or(0);
        let story_width = plan
            .modules
            .iter()
            .map(|m| m.story.len())
            .max()
            .unwrap_or(0);
        for m in plan.modules {
            let missing = if catalog::find(m.story).is_none() {
                "  (not in the catalog)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {:width$}  {:story_width$}  {}{missing}",
                m.name, m.story, m.clause
            );
        }
    }
    print_or_stop(&out)
}

fn explain(story: &str) -> Result<bool, Error> {
    let s = catalog::find(story).ok_or_else(|| select::unknown_story(story))?;
    print_or_stop(&crate::explain::explain(s))?;
    Ok(true)
}
