//! Both services in-process, with the built-in configurations and fresh
//! in-memory keys: one command, no set-up. The orchestrator still talks to
//! them over real gRPC (HTTP/2 frames, protobuf): [`InProcess`] over
//! in-memory pipes, the cheapest way (what `run` and `bench` use), or
//! [`Embedded`] on 127.0.0.1 ephemeral ports, for whatever needs an
//! address (tests that dial the services, other processes).
use std::net::SocketAddr;
use std::sync::Arc;

use as_service::AuthServer;
use oauth_core::clock::AdvancingClock;
use oauth_core::jose::KeySet;
use oidc_story_serve::memory;
use oidc_story_serve::shards::Shards;
use rp_service::RelyingParty;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::codegen::tokio_stream::Stream;
use tonic::transport::server::Connected;

use crate::fault::ConnectError;
use crate::services::Services;

/// Running embedded services; dropping this stops them.
pub struct Embedded {
    pub as_addr: SocketAddr,
    pub rp_addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An AS and an RP with the built-in configurations and fresh keys, both
/// reading `clock`.
fn built_in(clock: &AdvancingClock) -> Result<(Arc<AuthServer>, Arc<RelyingParty>), BoxError> {
    let as_config = as_service::config::Config::default_config()?;
    let rp_config = rp_service::config::Config::default_config()?;
    pair(as_config, rp_config, clock)
}

/// The same for a load test, but with no per-caller registration limit on
/// the AS (all the load comes from one caller on purpose).
fn for_load(clock: &AdvancingClock) -> Result<(Arc<AuthServer>, Arc<RelyingParty>), BoxError> {
    let mut as_config = as_service::config::Config::default_config()?;
    as_config.registration.max_per_caller_per_minute = 0;
    // Nor is the throttle on guessed user codes: every run's guesses
    // come from this one caller.
    as_config.device.max_user_code_failures = u64::MAX;
    as_config.device.max_global_user_code_failures = u64::MAX;
    let rp_config = rp_service::config::Config::default_config()?;
    pair(as_config, rp_config, clock)
}

/// An AS (fresh keys, in-memory store) and an RP on one clock.
fn pair(
    as_config: as_service::config::Config,
    rp_config: rp_service::config::Config,
    clock: &AdvancingClock,
) -> Result<(Arc<AuthServer>, Arc<RelyingParty>), BoxError> {
    let shared: oauth_core::clock::SharedClock = Arc::new(clock.clone());
    let server = AuthServer::build(
        as_config,
        KeySet::generate()?,
        Arc::new(as_service::store::MemoryStore::new()),
        shared.clone(),
    )?;
    Ok((server, RelyingParty::with_clock(rp_config, shared)))
}

/// Serves both on the connections given until the returned sender says
/// stop.
fn spawn_both<A, AE, R, RE>(
    as_incoming: impl Stream<Item = Result<A, AE>> + Send + 'static,
    server: Arc<AuthServer>,
    rp_incoming: impl Stream<Item = Result<R, RE>> + Send + 'static,
    rp: Arc<RelyingParty>,
) -> (watch::Sender<bool>, Vec<JoinHandle<()>>)
where
    A: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    AE: Into<BoxError> + 'static,
    R: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    RE: Into<BoxError> + 'static,
{
    let (stop, watcher) = watch::channel(false);
    let as_task = tokio::spawn({
        let shutdown = oidc_story_serve::stopped(watcher.clone());
        async move {
            if let Err(e) = as_service::serve(as_incoming, server, shutdown).await {
                eprintln!("embedded AS stopped: {e}");
            }
        }
    });
    let rp_task = tokio::spawn({
        let shutdown = oidc_story_serve::stopped(watcher);
        async move {
            if let Err(e) = rp_service::serve(rp_incoming, rp, shutdown).await {
                eprintln!("embedded RP stopped: {e}");
            }
        }
    });
    (stop, vec![as_task, rp_task])
}

/// Both services in this process, reached over in-memory pipes: no
/// address, no socket, the same gRPC messages; dropping this stops them.
pub struct InProcess {
    links: Links,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// The way to both in-process services; cheap to clone, so that a task on
/// any runtime can open connections of its own.
#[derive(Clone)]
pub struct Links {
    as_link: memory::Connector,
    rp_link: memory::Connector,
    /// The clock both services read, when they were built on one: a
    /// story's wait moves it on.
    clock: Option<AdvancingClock>,
}

impl InProcess {
    /// Both services with the built-in configurations and fresh keys.
    pub async fn start() -> Result<Self, BoxError> {
        let clock = AdvancingClock::new();
        let (server, rp) = built_in(&clock)?;
        Ok(Self::start_on(server, rp, clock))
    }

    /// One AS and one RP for a load test ([`for_load`]) served on every
    /// shard: the same keys, store and sessions, but each shard serves its
    /// own connections with its own tasks, so that a call made on a shard
    /// is answered on it. The `i`-th is served on shard `i`.
    pub async fn start_for_load_on(shards: &Shards) -> Result<Vec<Self>, BoxError> {
        let clock = AdvancingClock::new();
        let (server, rp) = for_load(&clock)?;
        let mut all = Vec::new();
        for i in 0..shards.len() {
            let (server, rp, clock) = (server.clone(), rp.clone(), clock.clone());
            all.push(
                shards
                    .run(i, async move { Self::start_on(server, rp, clock) })
                    .await?,
            );
        }
        Ok(all)
    }

    /// Serves an AS and an RP built by the caller, on their own clocks:
    /// a story's waits are slept through.
    pub fn start_with(server: Arc<AuthServer>, rp: Arc<RelyingParty>) -> Self {
        let (as_link, as_incoming) = memory::link();
        let (rp_link, rp_incoming) = memory::link();
        let (stop, tasks) = spawn_both(as_incoming, server, rp_incoming, rp);
        Self {
            links: Links {
                as_link,
                rp_link,
                clock: None,
            },
            stop,
            tasks,
        }
    }

    /// Serves an AS and an RP that both read `clock`: a story's waits move
    /// it on instead of sleeping.
    fn start_on(server: Arc<AuthServer>, rp: Arc<RelyingParty>, clock: AdvancingClock) -> Self {
        let mut started = Self::start_with(server, rp);
        started.links.clock = Some(clock);
        started
    }

    pub fn links(&self) -> Links {
        self.links.clone()
    }

    /// The clock both services read, when they were built on one (`start`,
    /// `start_for_load_on`): how far stories' waits have moved it on.
    pub fn clock(&self) -> Option<&AdvancingClock> {
        self.links.clock.as_ref()
    }

    /// Clients of both, one connection each ([`Links::services`]).
    pub async fn services(&self) -> Result<Services, ConnectError> {
        self.links.services().await
    }

    /// Stops both services and waits for them.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Links {
    /// A new connection to the AS (the token endpoint benchmark opens
    /// several).
    pub async fn as_channel(&self) -> Result<tonic::transport::Channel, ConnectError> {
        self.as_link
            .channel()
            .await
            .map_err(|e| unreachable("AS", &e))
    }

    /// Clients of both, one connection each, as `Services::connect` makes
    /// them over TCP (no health check: both are known to be ours).
    pub async fn services(&self) -> Result<Services, ConnectError> {
        use oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient;
        use oidc_story_proto::v1::relying_party_client::RelyingPartyClient;
        let rp = self
            .rp_link
            .channel()
            .await
            .map_err(|e| unreachable("RP", &e))?;
        let services = Services::from_clients(
            vec![AuthorizationServerClient::new(self.as_channel().await?)],
            RelyingPartyClient::new(rp),
        );
        Ok(match &self.clock {
            Some(clock) => services.with_clock(clock.clone()),
            None => services,
        })
    }
}

fn unreachable(what: &'static str, e: &tonic::transport::Error) -> ConnectError {
    ConnectError::Unreachable {
        what,
        url: "in-process".to_owned(),
        cause: e.to_string(),
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Embedded {
    /// Both services with the built-in configurations and fresh keys.
    pub async fn start() -> Result<Self, BoxError> {
        let (server, rp) = built_in(&AdvancingClock::new())?;
        Self::start_with(server, rp).await
    }

    /// Both services for a load test ([`for_load`]).
    pub async fn start_for_load() -> Result<Self, BoxError> {
        let (server, rp) = for_load(&AdvancingClock::new())?;
        Self::start_with(server, rp).await
    }

    /// Serves an AS and an RP built by the caller (other configuration, a
    /// manual clock, another store).
    pub async fn start_with(
        server: Arc<AuthServer>,
        rp: Arc<RelyingParty>,
    ) -> Result<Self, BoxError> {
        let as_listener = TcpListener::bind("127.0.0.1:0").await?;
        let rp_listener = TcpListener::bind("127.0.0.1:0").await?;
        let as_addr = as_listener.local_addr()?;
        let rp_addr = rp_listener.local_addr()?;
        let (stop, tasks) = spawn_both(
            oidc_story_serve::incoming(as_listener),
            server,
            oidc_story_serve::incoming(rp_listener),
            rp,
        );
        Ok(Self {
            as_addr,
            rp_addr,
            stop,
            tasks,
        })
    }

    /// Stops both services and waits for them.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

/// The RP alone, in-process on loopback, for a run against a server over
/// HTTP (`--issuer`); dropping this stops it.
pub struct EmbeddedRp {
    pub rp_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl EmbeddedRp {
    pub async fn start(config: rp_service::config::Config) -> Result<Self, BoxError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let rp_addr = listener.local_addr()?;
        let (stop, watcher) = watch::channel(false);
        let rp = RelyingParty::new(config);
        let task = tokio::spawn(async move {
            let shutdown = oidc_story_serve::stopped(watcher);
            if let Err(e) = rp_service::run(listener, rp, shutdown).await {
                eprintln!("embedded RP stopped: {e}");
            }
        });
        Ok(Self {
            rp_addr,
            stop,
            task: Some(task),
        })
    }

    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmbeddedRp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
