//! The token endpoint under load over HTTP (`bench --token-endpoint --http
//! URL`): client_credentials requests on hyper's client connections — over
//! HTTP/1.1 one keep-alive connection per worker, over HTTP/2 a few
//! connections the workers share (h2c with prior knowledge on `http://`, h2
//! by ALPN on `https://`).
//!
//! hyper's connection API rather than reqwest: the load generator shares
//! the machine with the server it measures, so a request should cost it as
//! little as possible (no pool to search, no redirect or cookie policy, no
//! URL parsed per request: the request is assembled from parts made once),
//! and which connection carries which request is the benchmark's to say,
//! so a run puts exactly the connections it reports on the server.
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use oidc_story_serve::shards::Shards;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::{Caller, ClientCredentials};
use crate::carrier;

/// The largest token response read.
const MAX_ANSWER: usize = 64 * 1024;
/// How long connecting (and the TLS handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The pause after a failed connection, so a server that is gone does not
/// make the workers spin.
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);
const BODY: &[u8] = b"grant_type=client_credentials";

/// The HTTP version a load speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http1,
    Http2,
}

/// Where the load goes and how, settled once and shared by every worker.
pub struct Target {
    /// The token endpoint, absolute (HTTP/2's `:scheme`, `:authority`,
    /// `:path`).
    absolute: Uri,
    /// Its path and query (HTTP/1.1's request target) and `Host`.
    origin: Uri,
    host: HeaderValue,
    address: SocketAddr,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    version: Version,
    authorization: HeaderValue,
    opened: AtomicU64,
    /// What went wrong first, for the report's reader.
    first_failure: OnceLock<String>,
}

impl Target {
    /// The token endpoint at `url` (https, or http on loopback), spoken to
    /// in `version` as `client`; over TLS the system's roots and `ca` are
    /// trusted.
    pub async fn new(
        url: &str,
        version: Version,
        ca: Option<&Path>,
        client: &ClientCredentials,
    ) -> Result<Arc<Self>, String> {
        let parsed = carrier::check_url(url).map_err(|e| e.to_string())?;
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| format!("{url}: no port"))?;
        let (address, name) = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => (SocketAddr::from((ip, port)), ServerName::from(ip)),
            Some(url::Host::Ipv6(ip)) => (SocketAddr::from((ip, port)), ServerName::from(ip)),
            Some(url::Host::Domain(domain)) => {
                let address = tokio::net::lookup_host((domain, port))
                    .await
                    .map_err(|e| format!("{url}: {e}"))?
                    .next()
                    .ok_or_else(|| format!("{url}: {domain} has no address"))?;
                let name =
                    ServerName::try_from(domain.to_owned()).map_err(|e| format!("{url}: {e}"))?;
                (address, name)
            }
            None => return Err(format!("{url}: no host")),
        };
        let tls = match parsed.scheme() {
            "https" => {
                let mut config = carrier::client_tls(ca).map_err(|e| e.to_string())?;
                config.alpn_protocols = match version {
                    Version::Http1 => vec![b"http/1.1".to_vec()],
                    Version::Http2 => vec![b"h2".to_vec()],
                };
                let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
                Some((connector, name))
            }
            _ => None,
        };
        let part = |p: &str| Uri::try_from(p).map_err(|e| format!("{url}: {e}"));
        let absolute = part(&parsed[..url::Position::AfterQuery])?;
        let origin = part(&parsed[url::Position::BeforePath..url::Position::AfterQuery])?;
        let host =
            HeaderValue::try_from(&parsed[url::Position::BeforeHost..url::Position::AfterPort])
                .map_err(|e| format!("{url}: {e}"))?;
        let mut authorization = HeaderValue::try_from(client.basic())
            .map_err(|_| "--client-id and --client-secret make no HTTP header".to_owned())?;
        authorization.set_sensitive(true);
        Ok(Arc::new(Self {
            absolute,
            origin,
            host,
            address,
            tls,
            version,
            authorization,
            opened: AtomicU64::new(0),
            first_failure: OnceLock::new(),
        }))
    }

    /// The transport, as the report names it.
    pub fn transport(&self) -> &'static str {
        match (self.version, self.tls.is_some()) {
            (Version::Http1, false) => "http/1.1",
            (Version::Http1, true) => "https/1.1",
            (Version::Http2, false) => "h2c",
            (Version::Http2, true) => "h2",
        }
    }

    /// The connections a load at `concurrency` keeps open: one per worker
    /// over HTTP/1.1, `connections` (no more than the workers) over HTTP/2.
    pub fn connections_for(&self, concurrency: usize, connections: usize) -> usize {
        match self.version {
            Version::Http1 => concurrency.max(1),
            Version::Http2 => connections.clamp(1, concurrency.max(1)),
        }
    }

    /// Connections opened so far.
    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// The first failure seen, if any.
    pub fn first_failure(&self) -> Option<&str> {
        self.first_failure.get().map(String::as_str)
    }

    fn failed(&self, why: impl FnOnce() -> String) {
        if self.first_failure.get().is_none() {
            let _ = self.first_failure.set(why());
        }
    }

    /// A new connection, ready for requests; its connection task runs on
    /// the runtime this is called on.
    async fn connect(&self) -> Result<Sender, String> {
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(self.address))
            .await
            .map_err(|_| format!("{}: connecting timed out", self.address))?
            .map_err(|e| format!("{}: {e}", self.address))?;
        // Requests are small writes: no waiting for a delayed ACK.
        let _ = tcp.set_nodelay(true);
        self.opened.fetch_add(1, Ordering::Relaxed);
        let Some((connector, name)) = &self.tls else {
            return handshake(self.version, tcp).await;
        };
        let tls = tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name.clone(), tcp))
            .await
            .map_err(|_| format!("{}: the TLS handshake timed out", self.address))?
            .map_err(|e| format!("{}: TLS: {e}", self.address))?;
        if self.version == Version::Http2 && tls.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(format!(
                "{}: the server did not choose h2 by ALPN",
                self.address
            ));
        }
        handshake(self.version, tls).await
    }

    /// The token request, from the parts made once.
    fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(Bytes::from_static(BODY)));
        *request.method_mut() = Method::POST;
        let headers = request.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(AUTHORIZATION, self.authorization.clone());
        match self.version {
            Version::Http1 => {
                *request.uri_mut() = self.origin.clone();
                request.headers_mut().insert(HOST, self.host.clone());
            }
            Version::Http2 => *request.uri_mut() = self.absolute.clone(),
        }
        request
    }

    /// Whether an answer is a token response: a 200 whose JSON body has a
    /// non-empty `access_token` (a JWT or not: any server's token).
    async fn is_token(&self, response: Response<hyper::body::Incoming>) -> bool {
        #[derive(serde::Deserialize)]
        struct Answer {
            access_token: String,
        }
        let status = response.status();
        let body = match Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
        {
            Ok(body) => body.to_bytes(),
            Err(e) => {
                self.failed(|| format!("reading an answer: {e}"));
                return false;
            }
        };
        let shown = || String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        if status != hyper::StatusCode::OK {
            self.failed(|| format!("status {status}: {}", shown()));
            return false;
        }
        match serde_json::from_slice::<Answer>(&body) {
            Ok(answer) if !answer.access_token.is_empty() => true,
            _ => {
                self.failed(|| format!("a 200 that is no token response: {}", shown()));
                false
            }
        }
    }
}

/// The HTTP/1.1 or HTTP/2 handshake over `io`; the connection is driven by
/// a task of its own.
async fn handshake<I>(version: Version, io: I) -> Result<Sender, String>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    match version {
        Version::Http1 => {
            let (sender, conn) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|e| format!("HTTP/1.1 handshake: {e}"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok(Sender::Http1(sender))
        }
        Version::Http2 => {
            let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|e| format!("HTTP/2 handshake: {e}"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok(Sender::Http2(sender))
        }
    }
}

/// One connection's request sender.
enum Sender {
    Http1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    /// Another handle on the same connection: HTTP/2's streams share one,
    /// HTTP/1.1 has a request at a time.
    fn shared(&self) -> Option<Self> {
        match self {
            Self::Http1(_) => None,
            Self::Http2(sender) => Some(Self::Http2(sender.clone())),
        }
    }

    /// Waits until the connection takes a request; an error once it is
    /// closed (the server's idle timeout, `Connection: close`).
    async fn ready(&mut self) -> Result<(), hyper::Error> {
        match self {
            Self::Http1(sender) => sender.ready().await,
            Self::Http2(sender) => sender.ready().await,
        }
    }

    async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<hyper::body::Incoming>, hyper::Error> {
        match self {
            Self::Http1(sender) => sender.send_request(request).await,
            Self::Http2(sender) => sender.send_request(request).await,
        }
    }
}

/// One worker: its connection (opened again when the server closes it) and
/// the token request.
pub struct HttpCall {
    target: Arc<Target>,
    sender: Option<Sender>,
}

impl HttpCall {
    /// A connection ready for the next request, opened anew if the last
    /// one closed.
    async fn connection(&mut self) -> Option<Sender> {
        if let Some(mut sender) = self.sender.take()
            && sender.ready().await.is_ok()
        {
            return Some(sender);
        }
        match self.target.connect().await {
            Ok(sender) => Some(sender),
            Err(e) => {
                self.target.failed(|| e);
                tokio::time::sleep(RECONNECT_PAUSE).await;
                None
            }
        }
    }
}

impl Caller for HttpCall {
    async fn call(&mut self) -> bool {
        let Some(mut sender) = self.connection().await else {
            return false;
        };
        match sender.send(self.target.request()).await {
            Ok(response) => {
                self.sender = Some(sender);
                self.target.is_token(response).await
            }
            Err(e) => {
                self.target.failed(|| format!("sending a request: {e}"));
                false
            }
        }
    }
}

/// Opens the load's connections, dealt round the shards — one per worker
/// over HTTP/1.1, `connections` over HTTP/2 — and gives each of the
/// `concurrency` workers its runtime and its caller.
pub async fn callers(
    target: &Arc<Target>,
    shards: &Shards,
    concurrency: usize,
    connections: usize,
) -> Result<Vec<(tokio::runtime::Handle, HttpCall)>, String> {
    let concurrency = concurrency.max(1);
    let count = target.connections_for(concurrency, connections);
    let mut handles = Vec::with_capacity(count);
    let mut opened = Vec::with_capacity(count);
    for i in 0..count {
        let connecting = target.clone();
        let sender = shards
            .run(i, async move { connecting.connect().await })
            .await
            .map_err(|e| format!("a load thread failed: {e}"))??;
        handles.push(shards.handle(i).clone());
        opened.push(sender);
    }
    // Workers past the connections share them (HTTP/2 only).
    let shared: Vec<Option<Sender>> = (count..concurrency)
        .map(|worker| opened[worker % count].shared())
        .collect();
    let senders = opened.into_iter().map(Some).chain(shared);
    Ok(senders
        .enumerate()
        .map(|(worker, sender)| {
            let call = HttpCall {
                target: target.clone(),
                sender,
            };
            (handles[worker % count].clone(), call)
        })
        .collect())
}
