//! The HTTP front's accept loop (hyper 1 directly, so its limits can be
//! set): a cap on the connections served at once, accept, one task per
//! connection — dealt round the runtimes given, each then served wholly on
//! its runtime: the TLS handshake, the connection ([`connection`]) and, over
//! HTTP/2, its streams — and a graceful stop — no new connections, idle ones
//! closed, requests in flight answered.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::connection::{self, Builders, Version};

/// The peer of a connection, handed to the handler.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// How long a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections the front serves at once per core, by default
/// ([`default_max_connections`]).
const CONNECTIONS_PER_CORE: usize = 256;

/// The cap on connections served at once when none is configured: 256 per
/// core (512 on 2 cores). A core answers tens of thousands of token
/// requests a second over a few dozen busy connections; beyond a few
/// hundred per core, more connections add memory (tens of KiB each, more
/// for HTTP/2) and queueing, not answers. It also keeps a small machine
/// under the 1,024 file descriptors a process is often started with.
pub fn default_max_connections() -> usize {
    CONNECTIONS_PER_CORE * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for
/// the connections to finish. Each connection is served on one of
/// `runtimes` in turn (the shards of a single-threaded runtime each, as
/// gRPC's: a request is answered without leaving its connection's thread),
/// or on the runtime polling this if there are none. At most
/// `max_connections` are served at once:
/// at the cap nothing more is accepted, so further clients wait in the
/// listen backlog until a connection closes — rather than being closed at
/// once, which a client would take for a failure and retry at once, adding
/// load where there is too much. A client's own connect or request timeout
/// bounds its wait, and the kernel's backlog bounds how many wait. Each
/// request carries its connection's [`Peer`] as an extension.
pub async fn run(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    max_connections: usize,
    runtimes: &[Handle],
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let here = [Handle::current()];
    let runtimes = if runtimes.is_empty() {
        &here[..]
    } else {
        runtimes
    };
    let mut next = 0usize;
    let max_connections = max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max_connections));
    let builders = Arc::new(Builders::new());
    let mut at_cap = CapLog::default();
    let (stop, stopping) = watch::channel(());
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // A slot first: at the cap, the listener is not read.
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if let Some(times) = at_cap.reached(Instant::now()) {
                    tracing::warn!(
                        max_connections,
                        times_reached = times,
                        "HTTP front at its connection cap: new connections wait in the listen backlog"
                    );
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, retry.
                    tracing::warn!(error = %e, "HTTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small writes: no waiting for the peer's delayed ACK.
        // The socket leaves this runtime's reactor for its own runtime's.
        let tcp = match tcp.set_nodelay(true).and_then(|()| tcp.into_std()) {
            Ok(tcp) => tcp,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "accepted connection dropped");
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let app = app.clone().layer(axum::Extension(Peer(peer)));
        let (tls, stopping, builders) = (tls.clone(), stopping.clone(), builders.clone());
        let runtime = &runtimes[next % runtimes.len()];
        next = next.wrapping_add(1);
        connections.spawn_on(
            async move {
                let _slot = slot;
                let tcp = match tokio::net::TcpStream::from_std(tcp) {
                    Ok(tcp) => tcp,
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "accepted connection dropped");
                        return;
                    }
                };
                // Small answers ready together share a write (HTTP/2).
                let tcp = oidc_story_serve::coalesce::Coalesced(tcp);
                let Some(acceptor) = tls else {
                    return connection::serve(tcp, Version::Detect, &builders, app, stopping).await;
                };
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let version = match stream.get_ref().1.alpn_protocol() {
                            Some(b"h2") => Version::Http2,
                            _ => Version::Http1,
                        };
                        // rustls offers vectored writes: hidden, so that
                        // HTTP/2 copies small frames ready together into
                        // one buffer, one TLS record and one send.
                        let stream = oidc_story_serve::coalesce::Coalesced(stream);
                        connection::serve(stream, version, &builders, app, stopping).await;
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            },
            runtime,
        );
    }
    drop(listener);
    stop.send_replace(());
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// How often reaching the cap is logged: once, then at most once a minute
/// while it keeps being reached, with how many times it was.
const CAP_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// When reaching the connection cap is worth a warning.
#[derive(Debug, Default)]
struct CapLog {
    last_warned: Option<Instant>,
    unreported: u64,
}

impl CapLog {
    /// The cap was reached at `now`: the times it was since the last
    /// warning, if one is due.
    fn reached(&mut self, now: Instant) -> Option<u64> {
        self.unreported += 1;
        let due = self
            .last_warned
            .is_none_or(|at| now.duration_since(at) >= CAP_LOG_INTERVAL);
        if !due {
            return None;
        }
        self.last_warned = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaching_the_cap_is_warned_once_then_at_most_once_a_minute() {
        let mut log = CapLog::default();
        let start = Instant::now();
        assert_eq!(log.reached(start), Some(1));
        for s in 1..60 {
            assert_eq!(log.reached(start + Duration::from_secs(s)), None);
        }
        assert_eq!(log.reached(start + Duration::from_secs(60)), Some(60));
        assert_eq!(log.reached(start + Duration::from_secs(61)), None);
    }

    #[test]
    fn the_default_cap_grows_with_the_cores() {
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(default_max_connections(), 256 * cores);
    }
}
