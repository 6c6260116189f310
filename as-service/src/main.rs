//! `as-service`: flags -> tracing -> configuration and keys -> bind -> run.
use std::path::PathBuf;
use std::process::ExitCode;

use as_service::AuthServer;
use as_service::config::Config;
use clap::Parser;
use oauth_core::jose::KeySet;
use oidc_story_serve::shards::Shards;

/// The oidc-story Authorization Server / OpenID Provider (gRPC, and HTTP with --http-listen).
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
    /// Also serve every endpoint over plain HTTP on this address, at the
    /// paths the metadata publishes, e.g. 127.0.0.1:8080 (default: the
    /// file's `http_listen`, else none).
    #[arg(long, env = "AS_HTTP_LISTEN")]
    http_listen: Option<String>,
    /// Serve --http-listen over TLS with this PEM certificate chain (leaf
    /// first); needs --http-tls-key.
    #[arg(long, env = "AS_HTTP_TLS_CERT", requires = "http_tls_key")]
    http_tls_cert: Option<PathBuf>,
    /// The PEM private key of --http-tls-cert.
    #[arg(long, env = "AS_HTTP_TLS_KEY", requires = "http_tls_cert")]
    http_tls_key: Option<PathBuf>,
    /// A proxy sits between the issuer's URLs and --http-listen (TLS
    /// ending there, another port or host): the listener need not match
    /// the issuer, and no warning is logged that it does not.
    #[arg(long, env = "AS_HTTP_BEHIND_PROXY")]
    http_behind_proxy: bool,
    /// Connections the HTTP front serves at once; at the cap, new ones wait
    /// in the listen backlog until one closes (default: the file's
    /// `http_max_connections`, else 256 per core).
    #[arg(long, env = "AS_HTTP_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    http_max_connections: Option<u32>,
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
    /// Lay the lenient profile (deploy/as-lenient.toml: opaque access
    /// tokens, no refresh rotation, urn:uuid request URIs) over the configuration.
    #[arg(long, env = "AS_LENIENT")]
    lenient: bool,
    /// Threads serving gRPC, each accepted connection on one of them
    /// (default: one per core).
    #[arg(long, env = "AS_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Ask a running server whether it is serving (grpc.health.v1), for
    /// container health checks: exit 0 when SERVING.
    Health(oidc_story_serve::HealthArgs),
    /// Manage the key file.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Rotate a signing key: the new key is published at once and signs
    /// after --delay; the old one stays published until every token it
    /// signed has expired. Running servers pick the change up within 5 s.
    Rotate(RotateArgs),
}

#[derive(Debug, clap::Args)]
struct RotateArgs {
    /// The key file (default: --keys / the configuration's keys_file).
    #[arg(long = "file")]
    file: Option<PathBuf>,
    /// The algorithm whose key is rotated.
    #[arg(long, default_value = "ES256", value_parser = ["ES256", "RS256", "EdDSA"])]
    alg: String,
    /// Seconds between publishing the new key and signing with it, so that
    /// every replica and every client's JWKS cache knows it first.
    #[arg(long, default_value_t = 60)]
    delay: i64,
    /// Seconds the old key stays published after the new one starts
    /// signing (default: the longest token lifetime of the configuration).
    #[arg(long)]
    retire_after: Option<i64>,
}

/// mimalloc: allocation-heavy gRPC work spread over threads contends less
/// than with the system allocator's arenas (measured in docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Health(health)) = &args.command {
        return oidc_story_serve::health_command("as-service", health).await;
    }
    if let Some(Command::Keys(KeysCommand::Rotate(rotate))) = &args.command {
        return match rotate_keys(&args, rotate) {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("as-service keys rotate: {e}");
                ExitCode::FAILURE
            }
        };
    }
    oidc_story_serve::init_tracing();
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("as-service: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(args: &Args) -> Result<Config, Box<dyn std::error::Error + Send + Sync>> {
    let text = match &args.config {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => as_service::config::DEFAULT_CONFIG.to_owned(),
    };
    let name = args.config.as_ref().map_or_else(
        || "the built-in configuration".to_owned(),
        |p| p.display().to_string(),
    );
    let mut config = if args.lenient {
        Config::from_toml_with_overlay(&text, as_service::config::LENIENT_OVERLAY)
    } else {
        Config::from_toml(&text)
    }
    .map_err(|e| format!("{name}: {e}"))?;
    if args.keys.is_some() {
        config.keys_file = args.keys.clone();
    }
    Ok(config)
}

fn rotate_keys(
    args: &Args,
    rotate: &RotateArgs,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let config = load_config(args)?;
    let path = rotate
        .file
        .clone()
        .or(config.keys_file.clone())
        .ok_or("no key file: give --file, --keys or a configuration with keys_file")?;
    let alg: jsonwebtoken::Algorithm = rotate.alg.parse().map_err(|_| "unknown --alg")?;
    let retire_after = rotate
        .retire_after
        .unwrap_or_else(|| config.longest_signed_lifetime());
    let now = oauth_core::clock::Clock::now(&oauth_core::clock::SystemClock);
    let done = as_service::keys::rotate_file(&path, alg, now, rotate.delay, retire_after)?;
    Ok(format!(
        "{}: new {} key {} signs from {} (in {} s); the previous one is published until {}; {} retired key(s) removed",
        path.display(),
        rotate.alg,
        done.kid,
        done.activates_at,
        rotate.delay,
        done.retires_at,
        done.pruned
    ))
}

async fn serve(args: Args) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut config = load_config(&args)?;
    if let Some(issuer) = &args.issuer {
        config.set_issuer(issuer)?;
    }
    // Replicas sharing a store must sign with one key set: without a shared
    // key file each would mint its own, and half the tokens would fail.
    let shared_store = args.store.clone().or_else(|| config.store.clone());
    if shared_store.as_deref().is_some_and(|u| u != "memory") && config.keys_file.is_none() {
        return Err(
            "a shared store (--store) needs a shared key file: give --keys FILE (or AS_KEYS, or keys_file in the configuration), the same file on every replica"
                .into(),
        );
    }
    let keys = match &config.keys_file {
        Some(path) => as_service::keys::load_or_generate(path)?,
        None => {
            tracing::warn!("no key file configured: signing keys live in memory only");
            KeySet::generate()?
        }
    };
    let kids: Vec<&str> = keys.keys().iter().map(|k| k.kid()).collect();
    tracing::info!(
        ?kids,
        file = config.keys_file.as_ref().map(|p| p.display().to_string()),
        "signing keys loaded"
    );
    let listen = args
        .listen
        .or_else(|| config.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:50051".to_owned());
    let http_listen = args
        .http_listen
        .clone()
        .or_else(|| config.http_listen.clone());
    let max_connections = args
        .http_max_connections
        .and_then(|n| usize::try_from(n).ok())
        .or_else(|| config.http_max_connections.map(usize::from))
        .unwrap_or_else(as_service::http::default_max_connections);
    let tls = match (&args.http_tls_cert, &args.http_tls_key) {
        (Some(cert), Some(key)) if http_listen.is_some() => {
            Some(as_service::http::tls::server_config(cert, key)?)
        }
        (None, None) => None,
        _ => return Err("--http-tls-cert and --http-tls-key need --http-listen".into()),
    };
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
    let http_listener = match &http_listen {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .map_err(|e| format!("cannot listen for HTTP on {address}: {e}"))?;
            let scheme = if tls.is_some() { "HTTPS" } else { "HTTP" };
            let address = listener.local_addr()?;
            tracing::info!(%address, max_connections, "AS serving {scheme}");
            let front = as_service::http::reach::Listener {
                address,
                tls: tls.is_some(),
                behind_proxy: args.http_behind_proxy,
            };
            let issuer = url::Url::parse(&server.config.issuer)?;
            if let Some(line) = as_service::http::reach::mismatch(&issuer, front) {
                tracing::warn!("{line}");
            }
            Some(listener)
        }
        None => None,
    };
    // One signal stops both servers, each finishing what is in flight.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        oidc_story_serve::shutdown_signal().await;
        let _ = stop.send(true);
    });
    // gRPC connections are dealt over threads of one single-threaded
    // runtime each: a request is answered on its connection's thread.
    let threads = args.threads.map_or_else(Shards::cores, usize::from);
    let shards = Shards::start(threads)
        .map_err(|e| format!("cannot start {threads} serving threads: {e}"))?;
    let grpc = as_service::run_sharded(listener, server.clone(), &shards, stopping.clone());
    match http_listener {
        Some(listener) => {
            // HTTP connections are served on the gRPC shards too: each
            // request answered on its connection's thread.
            let settings = as_service::http::Settings {
                tls,
                max_connections,
                runtimes: (0..shards.len())
                    .map(|i| shards.handle(i).clone())
                    .collect(),
            };
            let http = async {
                as_service::http::serve_with(
                    listener,
                    server,
                    settings,
                    oidc_story_serve::stopped(stopping),
                )
                .await
                .map_err(|e| format!("HTTP server: {e}").into())
            };
            tokio::try_join!(grpc, http)?;
        }
        None => grpc.await?,
    }
    tracing::info!("AS stopped");
    Ok(())
}
