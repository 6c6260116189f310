//! The server plumbing both services share, apart from the contract
//! (`oidc-story-proto`): the routes every server offers (the service, with
//! grpc.health.v1 and reflection beside it), log set-up, the shutdown
//! signal, the `health` subcommand, the accepted connections ([`incoming`],
//! [`coalesce`]), the in-memory transport ([`memory`]) and the threads the
//! servers deal their connections over ([`shards`]).

pub mod coalesce;
pub mod memory;
pub mod shards;

/// What every server returns when it stops with an error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a server of one service offers: `service`, with grpc.health.v1
/// saying it serves and reflection (v1 and v1alpha) describing it. Built
/// once; every server of the service (one per shard) serves a clone.
pub async fn routes<S>(service: S) -> Result<tonic::service::Routes, BoxError>
where
    S: tonic::codegen::Service<
            tonic::codegen::http::Request<tonic::body::Body>,
            Response = tonic::codegen::http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter.set_serving::<S>().await;
    let (reflection_v1, reflection_v1alpha) = reflection_services(S::NAME)?;
    Ok(tonic::service::Routes::new(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service))
}

/// Serves `routes` on an already bound listener until `stop` reads true,
/// each accepted connection on one of `shards` (one thread each, see
/// [`shards`]): its calls are answered on that thread.
pub async fn run_sharded(
    listener: tokio::net::TcpListener,
    routes: tonic::service::Routes,
    shards: &shards::Shards,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(), BoxError> {
    shards::serve_dealt(listener, shards, |incoming| {
        serve_routes(incoming, routes.clone(), stopped(stop.clone()))
    })
    .await
}

/// The server reflection services, v1 and v1alpha (older clients still ask
/// for the latter), advertising `service` and the health service — what
/// this server really serves — with the whole contract to describe them.
pub fn reflection_services(
    service: &str,
) -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<
            impl tonic_reflection::server::v1::ServerReflection,
        >,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    tonic_reflection::server::Error,
> {
    let builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(oidc_story_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name(service)
            .with_service_name("grpc.health.v1.Health")
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

/// Logs to stderr through tracing-subscriber, filtered by `RUST_LOG`
/// (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only on a terminal, and never when NO_COLOR is set.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}

/// Completes on SIGINT or SIGTERM, for graceful shutdown.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `health` subcommand of both servers: asks a running server's
/// grpc.health.v1 service whether `service` ("" for the server as a whole)
/// is SERVING. For container health checks, where no other tool exists.
#[derive(Debug, Clone, clap::Args)]
pub struct HealthArgs {
    /// The server to ask.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub addr: String,
    /// The service name; empty for the whole server.
    #[arg(long, default_value = "")]
    pub service: String,
}

/// The `health` subcommand of `program`: exit 0 when SERVING, else the
/// reason on stderr and exit 1.
pub async fn health_command(program: &str, args: &HealthArgs) -> std::process::ExitCode {
    match health_check(args).await {
        Ok(()) => {
            println!("SERVING");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{program} health: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the check; `Ok(())` when SERVING.
pub async fn health_check(args: &HealthArgs) -> Result<(), String> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let url = if args.addr.contains("://") {
        args.addr.clone()
    } else {
        format!("http://{}", args.addr)
    };
    let channel = tonic::transport::Endpoint::from_shared(url.clone())
        .map_err(|e| format!("{url}: {e}"))?
        .connect_timeout(std::time::Duration::from_secs(2))
        .timeout(std::time::Duration::from_secs(2))
        .connect()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: args.service.clone(),
        })
        .await
        .map_err(|e| format!("health check: {}", e.message()))?
        .into_inner()
        .status;
    if status == ServingStatus::Serving as i32 {
        Ok(())
    } else {
        Err(format!("not serving (status {status})"))
    }
}

/// Completes when `stop` reads true (or its sender is gone): the shutdown
/// of one of several servers stopped by one signal.
pub async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Serves the connections `incoming` yields (accepted TCP sockets, or
/// in-memory pipes from [`memory`]) with `routes` until `shutdown`
/// completes: one of the servers a service runs, one per shard, each with
/// a clone of the same routes.
pub async fn serve_routes<IO, IE>(
    incoming: impl tokio_stream::Stream<Item = Result<IO, IE>>,
    routes: tonic::service::Routes,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    IO: tokio::io::AsyncRead
        + tokio::io::AsyncWrite
        + tonic::transport::server::Connected
        + Unpin
        + Send
        + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tonic::transport::Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}

/// The connections a server accepts on an already bound listener, with
/// Nagle's algorithm off: gRPC answers are small writes, and waiting for the
/// peer's delayed ACK would add tens of milliseconds to every call.
/// Each is [`coalesce::Coalesced`], so answers ready together share a write.
pub fn incoming(
    listener: tokio::net::TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<coalesce::Coalesced<tokio::net::TcpStream>>> {
    use tokio_stream::StreamExt;
    tokio_stream::wrappers::TcpListenerStream::new(listener).map(|accepted| {
        let stream = accepted?;
        stream.set_nodelay(true)?;
        Ok(coalesce::Coalesced(stream))
    })
}
