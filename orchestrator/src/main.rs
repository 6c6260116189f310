//! `orchestrator`: list the stories, explain one, or run them and print
//! (or write) their transcripts. The commands live in `orchestrator::cli`.
use std::process::ExitCode;

use clap::Parser;
use orchestrator::cli::{self, Cli};

/// mimalloc: allocation-heavy gRPC work spread over threads contends less
/// than with the system allocator's arenas (measured in docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One story at a time runs on one thread (see `Cli::one_at_a_time`;
    // measured in docs/PERFORMANCE.md), anything side by side on all cores.
    let runtime = if cli.one_at_a_time() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build();
    match runtime {
        Ok(runtime) => runtime.block_on(cli::dispatch(cli)),
        Err(e) => {
            eprintln!("orchestrator: cannot start the async runtime: {e}");
            ExitCode::from(2)
        }
    }
}
