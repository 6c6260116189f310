//! Both services in-process on 127.0.0.1 ephemeral ports, with the built-in
//! configurations and fresh in-memory keys: one command, no set-up. The
//! orchestrator still talks to them over real gRPC.
use std::net::SocketAddr;
use std::sync::Arc;

use as_service::AuthServer;
use oauth_core::jose::KeySet;
use rp_service::RelyingParty;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Running embedded services; dropping this stops them.
pub struct Embedded {
    pub as_addr: SocketAddr,
    pub rp_addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Embedded {
    /// Both services with the built-in configurations and fresh keys.
    pub async fn start() -> Result<Self, BoxError> {
        let as_config = as_service::config::Config::default_config()?;
        let rp_config = rp_service::config::Config::default_config()?;
        let server = AuthServer::new(as_config, KeySet::generate()?)?;
        Self::start_with(server, RelyingParty::new(rp_config)).await
    }

    /// Both services for a load test: the built-in configurations, but no
    /// per-caller registration limit on the AS (all the load comes from
    /// one caller on purpose).
    pub async fn start_for_load() -> Result<Self, BoxError> {
        let mut as_config = as_service::config::Config::default_config()?;
        as_config.registration.max_per_caller_per_minute = 0;
        // Nor is the throttle on guessed user codes: every run's guesses
        // come from this one caller.
        as_config.device.max_user_code_failures = u64::MAX;
        let rp_config = rp_service::config::Config::default_config()?;
        let server = AuthServer::new(as_config, KeySet::generate()?)?;
        Self::start_with(server, RelyingParty::new(rp_config)).await
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
        let (stop, watcher) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let as_task = tokio::spawn({
            let shutdown = stopped(watcher.clone());
            async move {
                if let Err(e) = as_service::run(as_listener, server, shutdown).await {
                    eprintln!("embedded AS stopped: {e}");
                }
            }
        });
        let rp_task = tokio::spawn({
            let shutdown = stopped(watcher);
            async move {
                if let Err(e) = rp_service::run(rp_listener, rp, shutdown).await {
                    eprintln!("embedded RP stopped: {e}");
                }
            }
        });
        Ok(Self {
            as_addr,
            rp_addr,
            stop,
            tasks: vec![as_task, rp_task],
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
        let (stop, mut watcher) = watch::channel(false);
        let rp = RelyingParty::new(config);
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = watcher.wait_for(|s| *s).await;
            };
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
