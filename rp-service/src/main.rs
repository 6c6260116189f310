//! `rp-service`: flags -> tracing -> configuration -> bind -> run.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use oidc_story_serve::shards::Shards;
use rp_service::RelyingParty;
use rp_service::config::Config;

/// The oidc-story client / Relying Party (gRPC).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Configuration file (TOML); the built-in default serves every story.
    #[arg(long, env = "RP_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (default: the file's `listen`, else 127.0.0.1:50052).
    #[arg(long, env = "RP_LISTEN")]
    listen: Option<String>,
    /// The AS this RP is a client of, overriding the file's `issuer`; the
    /// file's endpoint URLs under its issuer move under this one.
    #[arg(long, env = "RP_ISSUER")]
    issuer: Option<String>,
    /// Threads serving gRPC, each accepted connection on one of them
    /// (default: one per core).
    #[arg(long, env = "RP_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Ask a running server whether it is serving (grpc.health.v1), for
    /// container health checks: exit 0 when SERVING.
    Health(oidc_story_serve::HealthArgs),
}

/// mimalloc: allocation-heavy gRPC work spread over threads contends less
/// than with the system allocator's arenas (measured in docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Health(health)) = &args.command {
        return oidc_story_serve::health_command("rp-service", health).await;
    }
    oidc_story_serve::init_tracing();
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rp-service: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Config::default_config()?,
    };
    if let Some(issuer) = &args.issuer {
        config.set_issuer(issuer)?;
    }
    let listen = args
        .listen
        .or_else(|| config.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:50052".to_owned());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!(address = %listener.local_addr()?, issuer = %config.issuer, "RP listening");
    // Connections are dealt over threads of one single-threaded runtime
    // each: a call is answered on its connection's thread.
    let threads = args.threads.map_or_else(Shards::cores, usize::from);
    let shards = Shards::start(threads)
        .map_err(|e| format!("cannot start {threads} serving threads: {e}"))?;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        oidc_story_serve::shutdown_signal().await;
        let _ = stop.send(true);
    });
    rp_service::run_sharded(listener, RelyingParty::new(config), &shards, stopping).await?;
    tracing::info!("RP stopped");
    Ok(())
}
