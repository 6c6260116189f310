//! `orchestrator`: list the stories, explain one, or run them and print
//! (or write) their transcripts. The commands live in `orchestrator::cli`.
use std::process::ExitCode;

use clap::Parser;
use orchestrator::cli::{self, Cli};

/// mimalloc: allocation-heavy gRPC work spread over threads contends less
/// than with the system allocator's arenas (measured in docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    cli::dispatch(Cli::parse()).await
}
