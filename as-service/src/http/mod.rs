//! The AS over plain HTTP (axum's router on hyper 1, the stack tonic
//! already uses; the accept loop is `server`, each connection, HTTP/1.1 or
//! HTTP/2, `connection`):
//! every endpoint at the URL its metadata publishes, answered by the same
//! handlers as the gRPC service.
//!
//! An `http::Request` becomes one [`HttpRequest`]: the method, the headers,
//! the body (bounded), the peer address, and a URL built from the issuer's
//! scheme, host and port and the request's path and query — never from the
//! `Host` header, so a request cannot name another issuer. The endpoint is
//! the one whose canonical URL that is ([`Endpoints::addresses`], the
//! check every RPC makes of its envelope), so the URL an endpoint sees is
//! always the one it publishes. The [`HttpResponse`] goes back as it is.
//! With a certificate and key, [`serve_tls`] serves the same over HTTPS
//! ([`tls`]); [`serve_with`] takes every setting ([`Settings`]). What an answer asks the server to send (the back-channel
//! logout notifications of an ended login) the front sends itself
//! ([`notify`]).
//!
//! [`Endpoints::addresses`]: crate::config::Endpoints::addresses
use std::future::Future;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse, limits};
use tokio::net::TcpListener;

use crate::AuthServer;
use crate::config::Endpoint;
use crate::endpoint;

/// How long a request's body may take to arrive.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

mod connection;
pub mod notify;
pub mod reach;
mod server;
pub mod tls;

pub use connection::{HEADER_READ_TIMEOUT, IDLE_TIMEOUT, MAX_CONCURRENT_STREAMS};
use server::Peer;
pub use server::default_max_connections;

/// How the front serves: over TLS or not, how many connections at once,
/// and on which runtimes.
#[derive(Clone)]
pub struct Settings {
    /// TLS ([`tls::server_config`]); plain TCP without.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Connections served at once; at the cap, new ones wait in the listen
    /// backlog ([`default_max_connections`] by default).
    pub max_connections: usize,
    /// The runtimes the connections are dealt round, one each in turn
    /// (`oidc_story_serve::shards`); none: the runtime serving the front.
    pub runtimes: Vec<tokio::runtime::Handle>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            tls: None,
            max_connections: default_max_connections(),
            runtimes: Vec::new(),
        }
    }
}

/// What every request is answered with: the server, and the sender of
/// the requests its answers make.
#[derive(Clone)]
struct Front {
    server: Arc<AuthServer>,
    sender: notify::Sender,
}

/// One handler for every path: the endpoint is found from the URL.
fn app(server: Arc<AuthServer>) -> std::io::Result<axum::Router> {
    let sender = notify::Sender::new().map_err(|e| {
        std::io::Error::other(format!("the back-channel logout sender cannot start: {e}"))
    })?;
    Ok(axum::Router::new()
        .fallback(answer)
        .with_state(Front { server, sender }))
}

/// Serves the endpoints over HTTP/1.1 and HTTP/2 (h2c, with prior
/// knowledge) on an already bound listener until `shutdown` completes;
/// connections in flight are then finished.
pub async fn serve(
    listener: TcpListener,
    server: Arc<AuthServer>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, server, Settings::default(), shutdown).await
}

/// [`serve`] over TLS ([`tls::server_config`]): HTTP/2 where ALPN chose
/// `h2`, HTTP/1.1 otherwise.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
    server: Arc<AuthServer>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let settings = Settings {
        tls: Some(tls),
        ..Settings::default()
    };
    serve_with(listener, server, settings, shutdown).await
}

/// [`serve`] with the given settings.
pub async fn serve_with(
    listener: TcpListener,
    server: Arc<AuthServer>,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = settings.tls.map(tokio_rustls::TlsAcceptor::from);
    let app = app(server)?;
    let max = settings.max_connections;
    server::run(listener, acceptor, max, &settings.runtimes, app, shutdown).await
}

async fn answer(
    State(front): State<Front>,
    Extension(Peer(peer)): Extension<Peer>,
    request: Request,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = match to_http(&front.server, request, peer).await {
        Ok(http) => {
            let (response, outbound) = respond(&front.server, &http).await;
            front.sender.send_all(outbound);
            response
        }
        Err(refusal) => refusal.to_response(),
    };
    tracing::debug!(%method, %path, status = response.status, %peer, "HTTP request");
    to_axum(response)
}

/// The endpoint a request is addressed to, its answer, and the requests
/// the answer makes the server send.
pub async fn respond(server: &AuthServer, http: &HttpRequest) -> (HttpResponse, Vec<HttpRequest>) {
    if let Err(why) = http.check_limits() {
        return (OAuthError::invalid_request(why).to_response(), Vec::new());
    }
    let endpoint = Endpoint::ALL
        .into_iter()
        .find(|e| server.config.endpoints.addresses(*e, &http.url));
    let Some(endpoint) = endpoint else {
        let missing =
            OAuthError::invalid_request(format!("there is no endpoint at {}", http.url.path()))
                .with_status(404);
        return (missing.to_response(), Vec::new());
    };
    if endpoint == Endpoint::EndSession {
        // Back-Channel Logout §2.5: the notifications the logout makes.
        let ended = endpoint::end_session::handle(server, http).await;
        return (ended.response, ended.outbound);
    }
    (dispatch(server, endpoint, http).await, Vec::new())
}

/// Each endpoint's handler, as each RPC calls it.
async fn dispatch(server: &AuthServer, endpoint: Endpoint, http: &HttpRequest) -> HttpResponse {
    match endpoint {
        Endpoint::ServerMetadata => endpoint::metadata::handle(server, http).await,
        Endpoint::ProviderConfiguration => {
            endpoint::metadata::provider_configuration(server, http).await
        }
        Endpoint::Jwks => endpoint::jwks::handle(server, http).await,
        Endpoint::Authorization => endpoint::authorization::handle(server, http).await,
        Endpoint::Token => endpoint::token::handle(server, http).await,
        Endpoint::Introspection => endpoint::introspection::handle(server, http).await,
        Endpoint::Revocation => endpoint::revocation::handle(server, http).await,
        Endpoint::Userinfo => endpoint::userinfo::handle(server, http).await,
        Endpoint::Registration => endpoint::registration::handle(server, http).await,
        Endpoint::PushedAuthorization => endpoint::par::handle(server, http).await,
        Endpoint::DeviceAuthorization => endpoint::device_authorization::handle(server, http).await,
        Endpoint::DeviceVerification => endpoint::device_verification::handle(server, http).await,
        // With what it makes the server send: `respond`.
        Endpoint::EndSession => endpoint::end_session::handle(server, http).await.response,
    }
}

/// The URL of a request to this server: the issuer's scheme, host and
/// port, the request's path and query.
fn request_url(issuer: &str, uri: &axum::http::Uri) -> Result<url::Url, OAuthError> {
    let mut url = url::Url::parse(issuer)
        .map_err(|e| OAuthError::server_error(format!("the issuer is not a URL: {e}")))?;
    url.set_path(uri.path());
    url.set_query(uri.query());
    url.set_fragment(None);
    Ok(url)
}

/// The one conversion from an HTTP request to the endpoints' message. What
/// cannot be one (a body over the limit or not UTF-8, a header value that
/// is not text, a header sent twice) is refused as an OAuth error.
async fn to_http(
    server: &AuthServer,
    request: Request,
    peer: std::net::SocketAddr,
) -> Result<HttpRequest, OAuthError> {
    let (parts, body) = request.into_parts();
    let url = request_url(&server.config.issuer, &parts.uri)?;
    let too_large = || {
        OAuthError::invalid_request(format!("the body is larger than {} bytes", limits::BODY))
            .with_status(413)
    };
    // A body announced over the limit is refused before any of it is read.
    let announced = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limits::BODY as u64) {
        return Err(too_large());
    }
    let body = tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, limits::BODY))
        .await
        .map_err(|_| {
            OAuthError::invalid_request("the body did not arrive in time").with_status(408)
        })?
        .map_err(|_| too_large())?;
    let body = String::from_utf8(body.to_vec())
        .map_err(|_| OAuthError::invalid_request("the body is not UTF-8"))?;
    let mut headers = Vec::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        let value = value.to_str().map_err(|_| {
            OAuthError::invalid_request(format!("header {name} is not visible ASCII"))
        })?;
        headers.push((name.as_str(), value));
    }
    HttpRequest::new(parts.method.as_str(), url.as_str(), headers, body)
        .map(|http| http.with_peer(Some(peer.ip())))
        .map_err(|e| OAuthError::invalid_request(e.to_string()))
}

/// The one conversion back.
fn to_axum(response: HttpResponse) -> Response {
    let mut out = Response::new(Body::from(response.body));
    *out.status_mut() =
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let location = response
        .location
        .filter(|_| !response.headers.contains_key("location"));
    let headers = response
        .headers
        .into_iter()
        .chain(location.map(|l| ("location".to_owned(), l)));
    for (name, value) in headers {
        match (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value),
        ) {
            (Ok(name), Ok(value)) => {
                out.headers_mut().append(name, value);
            }
            _ => tracing::warn!(header = %name, "response header dropped: not a valid HTTP header"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_comes_from_the_issuer_and_the_request_target() {
        let uri: axum::http::Uri = "/token?a=b%20c".parse().unwrap();
        let url = request_url("http://127.0.0.1:8080", &uri).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/token?a=b%20c");
        let url = request_url(
            "https://example.com/tenant/",
            &"/tenant/token".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(url.as_str(), "https://example.com/tenant/token");
    }

    #[test]
    fn a_response_keeps_status_headers_and_body() {
        let r = to_axum(HttpResponse::redirect(
            "https://example.com/cb?code=x".into(),
        ));
        assert_eq!(r.status(), 302);
        assert_eq!(r.headers()["location"], "https://example.com/cb?code=x");
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
}
