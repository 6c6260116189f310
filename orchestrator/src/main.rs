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
    // One thread: `run` tells one story at a time, and each party hands its
    // work to the next with no wake-up across threads; `bench` deals its
    // load over threads of its own (`oidc_story_serve::shards`). Measured in
    // docs/PERFORMANCE.md.
    let runtime = tokio::runtime::Builder::new_current_thread()
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
