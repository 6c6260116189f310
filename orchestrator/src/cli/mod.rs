//! The command line: the arguments (`Cli`), what each command does, and the
//! one error type the commands return. The binary parses and dispatches.

mod bench;
mod run;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::{self, Story};

/// Drives the oidc-story usage stories through the AS and RP services.
#[derive(Debug, Parser)]
#[command(name = "orchestrator", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
pub struct RunArgs {
    /// Story names (see `orchestrator list`).
    pub stories: Vec<String>,
    /// Run every story and every attack.
    #[arg(long)]
    pub all: bool,
    /// Run every attack story (attack_*: the AS or the RP must refuse).
    #[arg(long)]
    pub attacks: bool,
    /// Transcript format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The sequence diagram (Markdown, HTML): the parties of the protocol,
    /// or the hops between the orchestrator and the services.
    #[arg(long, value_enum, default_value_t = Diagram::Protocol)]
    pub diagram: Diagram,
    /// Write one file per story, and an index, into this directory instead
    /// of printing.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: clear a directory that holds something other than an
    /// earlier report (an earlier report is replaced without asking).
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Pause after each step until Enter (on a terminal only).
    #[arg(long)]
    pub step: bool,
    /// Mask secrets and token values (decoded claims stay), to share a transcript.
    #[arg(long)]
    pub redact: bool,
    /// Warnings (failed SHOULD checks) fail the run too (exit status 1).
    #[arg(long)]
    pub strict: bool,
    /// Address of an external AS (e.g. 127.0.0.1:50051); with --rp. Without
    /// both, the services run embedded on loopback.
    #[arg(
        long = "as",
        value_name = "URL",
        requires = "rp",
        env = "ORCHESTRATOR_AS"
    )]
    pub as_address: Option<String>,
    /// Address of an external RP (e.g. 127.0.0.1:50052); with --as.
    #[arg(
        long = "rp",
        value_name = "URL",
        requires = "as_address",
        env = "ORCHESTRATOR_RP"
    )]
    pub rp: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Story names to run round-robin (see `orchestrator list`).
    pub stories: Vec<String>,
    /// Every story.
    #[arg(long)]
    pub all: bool,
    /// Load the AS alone: client_credentials Token RPCs (client_secret_basic).
    #[arg(long, conflicts_with_all = ["stories", "all"])]
    pub token_endpoint: bool,
    /// Requests (stories or tokens) in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// HTTP/2 connections to spread the token endpoint load over.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Run for this many seconds.
    #[arg(long, conflicts_with = "iterations")]
    pub duration: Option<f64>,
    /// Run this many stories (or tokens) in total.
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Address of an external AS; with --rp (for stories). Without, embedded.
    #[arg(long = "as", value_name = "URL", env = "ORCHESTRATOR_AS")]
    pub as_address: Option<String>,
    /// Address of an external RP; with --as.
    #[arg(
        long = "rp",
        value_name = "URL",
        requires = "as_address",
        env = "ORCHESTRATOR_RP"
    )]
    pub rp: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Plain text, step by step: each request, response and check (colour on a terminal).
    Text,
    /// Markdown with a Mermaid sequence diagram.
    Markdown,
    /// JSON Lines, one object per story.
    Json,
    /// A self-contained HTML report (with --out): an index and a page per
    /// story, with SVG sequence diagrams.
    Html,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Text => "txt",
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Html => "html",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Diagram {
    /// User-Agent, Client (RP) and AS/OP, as the standards draw them.
    Protocol,
    /// The orchestrator, the RP service and the AS service, as the
    /// messages travelled (gRPC hops included).
    Wire,
}

impl Diagram {
    fn view(self) -> crate::render::sequence::View {
        match self {
            Self::Protocol => crate::render::sequence::View::Protocol,
            Self::Wire => crate::render::sequence::View::Wire,
        }
    }
}

/// Why a command could not do its job (exit status 2); a story that fails
/// is no error but a result (exit status 1).
#[derive(Debug)]
pub enum Error {
    /// The command line names something that does not exist or conflicts.
    Usage(String),
    /// The services could not be started or reached.
    Services(String),
    /// A file or directory could not be written.
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// stdout could not be written (other than a reader going away).
    Stdout(std::io::Error),
    /// A report could not be encoded.
    Encode(serde_json::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(why) | Self::Services(why) => f.write_str(why),
            Self::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Self::Stdout(e) => write!(f, "cannot write the transcript: {e}"),
            Self::Encode(e) => write!(f, "cannot encode the report: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Write { source, .. } | Self::Stdout(source) => Some(source),
            Self::Encode(e) => Some(e),
            Self::Usage(_) | Self::Services(_) => None,
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
    let s = catalog::find(story).ok_or_else(|| unknown_story(story))?;
    print!("{}", crate::explain::explain(s));
    Ok(true)
}

fn unknown_story(name: &str) -> Error {
    let hint = match closest_story(name) {
        Some(near) => format!("did you mean {near}? "),
        None => String::new(),
    };
    Error::Usage(format!(
        "unknown story {name:?}; {hint}`orchestrator list` shows the stories"
    ))
}

/// The story whose name is nearest a mistyped one (a few letters off).
fn closest_story(name: &str) -> Option<&'static str> {
    catalog::all()
        .map(|s| (edit_distance(name, s.name), s.name))
        .filter(|(d, known)| *d <= (known.len() / 4).clamp(1, 3))
        .min()
        .map(|(_, known)| known)
}

/// Levenshtein distance: insertions, deletions and substitutions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The stories named on the command line, or every story (and attack).
fn select(names: &[String], all: bool, attacks: bool) -> Result<Vec<&'static Story>, Error> {
    if all || attacks {
        if !names.is_empty() {
            return Err(Error::Usage(
                "give story names or --all/--attacks, not both".into(),
            ));
        }
        return Ok(if all {
            catalog::all().collect()
        } else {
            catalog::ATTACKS.iter().collect()
        });
    }
    if names.is_empty() {
        return Err(Error::Usage(
            "name the stories to run, or --all or --attacks (`orchestrator list` shows them)"
                .into(),
        ));
    }
    names
        .iter()
        .map(|name| catalog::find(name).ok_or_else(|| unknown_story(name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_story_name_suggests_the_nearest() {
        assert_eq!(closest_story("oauth2_ccc"), Some("oauth2_cc"));
        assert_eq!(closest_story("oauth2_cod"), Some("oauth2_code"));
        assert_eq!(closest_story("no_such_thing_at_all"), None);
        let message = unknown_story("oauth2_ccc").to_string();
        assert!(message.contains("did you mean oauth2_cc?"), "{message}");
    }

    #[test]
    fn edit_distance_counts_single_letter_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
