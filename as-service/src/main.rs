//! `as-service`: flags -> tracing -> configuration and keys -> bind -> run.
use std::path::PathBuf;
use std::process::ExitCode;

use as_service::AuthServer;
use as_service::config::Config;
use clap::Parser;
use oauth_core::jose::KeySet;

/// The oidc-story Authorization Server / OpenID Provider (gRPC).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Configuration file (TOML); the built-in default serves every story.
    #[arg(long, env = "AS_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:50051 (default: the file's `listen`, else 127.0.0.1:50051).
    #[arg(long, env = "AS_LISTEN")]
    listen: Option<String>,
    /// The issuer identifier, overriding the file's.
    #[arg(long, env = "AS_ISSUER")]
    issuer: Option<String>,
    /// Private JWK set file: read if present, generated and written if absent.
    #[arg(long, env = "AS_KEYS")]
    keys: Option<PathBuf>,
    /// Where grants live: `memory`, or `redis://HOST:PORT/DB` to share them
    /// between replicas.
    #[arg(long, env = "AS_STORE")]
    store: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Ask a running server whether it is serving (grpc.health.v1), for
    /// container health checks: exit 0 when SERVING.
    Health(oidc_story_proto::HealthArgs),
}

/// mimalloc: allocation-heavy gRPC work spread over threads contends less
/// than with the system allocator's arenas (measured in docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Health(health)) = &args.command {
        return match oidc_story_proto::health_check(health).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("as-service health: {e}");
                ExitCode::FAILURE
            }
        };
    }
    oidc_story_proto::init_tracing();
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("as-service: {e}");
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
    if args.keys.is_some() {
        config.keys_file = args.keys.clone();
    }
    let keys = match &config.keys_file {
        Some(path) => as_service::keys::load_or_generate(path)?,
        None => {
            tracing::warn!("no key file configured: signing keys live in memory only");
            KeySet::generate()?
        }
    };
    let listen = args
        .listen
        .or_else(|| config.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:50051".to_owned());
    let store_url = args.store.clone().or_else(|| config.store.clone());
    let store: std::sync::Arc<dyn as_service::store::Store> = match store_url.as_deref() {
        None | Some("memory") => std::sync::Arc::new(as_service::store::MemoryStore::new()),
        Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
            let store = as_service::store::RedisStore::connect(url).await?;
            tracing::info!(store = %url, "grants live in the shared store");
            std::sync::Arc::new(store)
        }
        Some(other) => {
            return Err(format!("--store {other:?}: use memory or redis://HOST:PORT/DB").into());
        }
    };
    let server = AuthServer::build(
        config,
        keys,
        store,
        std::sync::Arc::new(oauth_core::clock::SystemClock),
    )?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!(address = %listener.local_addr()?, issuer = %server.config.issuer, "AS listening");
    as_service::run(listener, server, oidc_story_proto::shutdown_signal()).await?;
    tracing::info!("AS stopped");
    Ok(())
}
