//! One connection of the HTTP front, HTTP/1.1 or HTTP/2, from its first
//! byte to its close: which version it speaks (the HTTP/2 preface on plain
//! TCP, ALPN over TLS), the limits each version is held to, and when it is
//! closed — idle, stopped, or past its grace.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::Instant;

/// How long a client has to send a request's headers over HTTP/1.1: a
/// client that trickles them holds a connection no longer than this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection with no request in flight is kept: an HTTP/1.1
/// keep-alive connection between requests, an HTTP/2 connection with no
/// stream being answered, and a connection that has not yet shown which
/// version it speaks. It is then closed gracefully (HTTP/2: GOAWAY).
pub const IDLE_TIMEOUT: Duration = HEADER_READ_TIMEOUT;

/// How long a closing connection (idle, or the server stopping) may take to
/// finish what is in flight before it is dropped. A request's body has
/// 10 s to arrive (`BODY_READ_TIMEOUT`), so every honest request is
/// answered within this; a stream whose headers never end is not.
const CLOSING_GRACE: Duration = Duration::from_secs(15);

/// HTTP/2: streams a client may have open at once on one connection
/// (`SETTINGS_MAX_CONCURRENT_STREAMS`). RFC 9113 §6.5.2 advises no fewer
/// than 100; each stream is a task of the server, so this bounds what one
/// connection can make it run at once.
pub const MAX_CONCURRENT_STREAMS: u32 = 128;

/// HTTP/2: the largest header list a request may carry
/// (`SETTINGS_MAX_HEADER_LIST_SIZE`, RFC 9113 §6.5.2: names, values and
/// 32 bytes a field). Above what the endpoints admit (a 16 KiB URL and
/// 16 KiB header values, `oauth_core::http::limits`), so a request a
/// little over those gets the endpoints' own clear refusal; far over them,
/// the connection's.
pub const MAX_HEADER_LIST_SIZE: u32 = 64 * 1024;

/// HTTP/2: a PING every this long on a connection, and how long its
/// answer may take before the peer is taken for gone and the connection
/// closed.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// HTTP/2: streams a client may open and reset at once before the
/// connection is closed (the "rapid reset" attack, CVE-2023-44487); h2's
/// own default, said here so that it stays.
const MAX_PENDING_RESET_STREAMS: usize = 20;

/// Which HTTP version a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// Plain TCP: HTTP/2 if the client opens with its preface (prior
    /// knowledge, RFC 9113 §3.3), HTTP/1.1 otherwise.
    Detect,
    /// TLS without `h2` chosen by ALPN.
    Http1,
    /// TLS with `h2` chosen by ALPN (RFC 9113 §3.2).
    Http2,
}

/// The connection builders, one per [`Version`], made once and shared by
/// every connection.
pub struct Builders {
    detect: auto::Builder<TokioExecutor>,
    http1: auto::Builder<TokioExecutor>,
    http2: auto::Builder<TokioExecutor>,
}

impl Builders {
    pub fn new() -> Self {
        Self {
            detect: configured(),
            http1: configured().http1_only(),
            http2: configured().http2_only(),
        }
    }

    fn of(&self, version: Version) -> &auto::Builder<TokioExecutor> {
        match version {
            Version::Detect => &self.detect,
            Version::Http1 => &self.http1,
            Version::Http2 => &self.http2,
        }
    }
}

/// Both versions' limits.
fn configured() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .max_header_list_size(MAX_HEADER_LIST_SIZE)
        .max_pending_accept_reset_streams(MAX_PENDING_RESET_STREAMS)
        .keep_alive_interval(KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(KEEP_ALIVE_TIMEOUT);
    builder
}

/// Serves one connection until the client closes it, it has been idle for
/// [`IDLE_TIMEOUT`], or `stopping` changes; then it is closed gracefully
/// (requests in flight answered, for at most [`CLOSING_GRACE`]).
pub async fn serve<I>(
    io: I,
    version: Version,
    builders: &Builders,
    app: axum::Router,
    mut stopping: watch::Receiver<()>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let tracked = activity.clone();
    let app = TowerToHyperService::new(app);
    let service = hyper::service::service_fn(move |request| {
        let busy = Busy::begin(&tracked);
        let answer = hyper::service::Service::call(&app, request);
        async move {
            let answer = answer.await;
            drop(busy);
            answer
        }
    });
    let conn = builders
        .of(version)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let ended = tokio::select! {
        served = conn.as_mut() => Some(served),
        () = idle(&activity) => None,
        _ = stopping.changed() => None,
    };
    let served = match ended {
        Some(served) => served,
        None => {
            conn.as_mut().graceful_shutdown();
            match tokio::time::timeout(CLOSING_GRACE, conn).await {
                Ok(served) => served,
                Err(_) => {
                    tracing::debug!("HTTP connection dropped: still busy after its grace");
                    return;
                }
            }
        }
    };
    if let Err(e) = served {
        tracing::debug!(error = %e, "HTTP connection ended with an error");
    }
}

/// Completes once the connection has had no request in flight for
/// [`IDLE_TIMEOUT`].
async fn idle(activity: &Activity) {
    loop {
        match activity.idle_since() {
            Some(since) if since.elapsed() >= IDLE_TIMEOUT => return,
            Some(since) => tokio::time::sleep_until(since + IDLE_TIMEOUT).await,
            None => tokio::time::sleep(IDLE_TIMEOUT).await,
        }
    }
}

/// What a connection is doing: how many of its requests are being
/// answered, and since when it has been quiet.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `opened` that the last answer was made.
    quiet_since_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            quiet_since_ms: AtomicU64::new(0),
        }
    }

    /// Since when nothing has been in flight; `None` while something is.
    fn idle_since(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let quiet = self.quiet_since_ms.load(Ordering::Acquire);
        Some(self.opened + Duration::from_millis(quiet))
    }
}

/// One request being answered.
struct Busy(Arc<Activity>);

impl Busy {
    fn begin(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let now = u64::try_from(self.0.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.quiet_since_ms.store(now, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_connection_is_idle_only_with_nothing_in_flight() {
        let activity = Arc::new(Activity::new());
        assert!(activity.idle_since().is_some());
        let first = Busy::begin(&activity);
        let second = Busy::begin(&activity);
        assert!(activity.idle_since().is_none());
        tokio::time::advance(Duration::from_secs(3)).await;
        drop(first);
        assert!(activity.idle_since().is_none());
        drop(second);
        let since = activity.idle_since().unwrap();
        assert!(since >= activity.opened + Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn idleness_is_counted_from_the_last_answer() {
        let activity = Arc::new(Activity::new());
        tokio::time::advance(IDLE_TIMEOUT / 2).await;
        drop(Busy::begin(&activity));
        let started = Instant::now();
        idle(&activity).await;
        assert!(started.elapsed() >= IDLE_TIMEOUT);
    }
}
