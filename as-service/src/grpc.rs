//! The gRPC face of the server: the `AuthorizationServer` service, server
//! reflection and health. The only module that knows tonic; conversion
//! between the protobuf envelope and the HTTP message lives here alone.
use std::future::Future;
use std::sync::Arc;

use oauth_core::http::{HttpRequest, HttpResponse};
use oidc_story_proto::v1::authorization_server_server::{
    AuthorizationServer as AuthorizationServerRpc, AuthorizationServerServer,
};
use oidc_story_proto::v1::{OAuthRequest, OAuthResponse};
use oidc_story_serve::shards::Shards;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tonic::codegen::tokio_stream::Stream;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

use crate::AuthServer;
use crate::config::Endpoint;
use crate::endpoint;

/// Largest envelope accepted: OAuth messages are small; this bounds what a
/// hostile client can make the server allocate.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The tonic service over an [`AuthServer`].
#[derive(Clone)]
pub struct AuthorizationServerService {
    server: Arc<AuthServer>,
}

impl AuthorizationServerService {
    pub fn new(server: Arc<AuthServer>) -> Self {
        Self { server }
    }
}

/// A malformed envelope is a transport error, not an OAuth one.
fn to_http(request: OAuthRequest) -> Result<HttpRequest, Status> {
    HttpRequest::with_owned_headers(&request.method, &request.url, request.headers, request.body)
        .map_err(|e| Status::invalid_argument(e.to_string()))
}

fn to_proto(response: HttpResponse) -> OAuthResponse {
    OAuthResponse {
        status: u32::from(response.status),
        headers: response.headers,
        body: response.body,
        location: response.location.unwrap_or_default(),
        outbound: Vec::new(),
    }
}

/// What a handler answers, as the envelope an RPC returns.
trait Envelope {
    fn envelope(self) -> OAuthResponse;
}

impl Envelope for HttpResponse {
    fn envelope(self) -> OAuthResponse {
        to_proto(self)
    }
}

/// The answer, with the back-channel logout requests it makes the server
/// send, for the caller to deliver.
impl Envelope for endpoint::end_session::Ended {
    fn envelope(self) -> OAuthResponse {
        let mut response = to_proto(self.response);
        response.outbound = self
            .outbound
            .into_iter()
            .map(|r| OAuthRequest {
                method: r.method.clone(),
                url: r.url.to_string(),
                headers: r.headers().clone(),
                body: r.body,
            })
            .collect();
        response
    }
}

/// The envelope must be addressed to the RPC's own endpoint, at the URL the
/// metadata publishes: everything that binds a message to its recipient
/// (a DPoP proof's `htu`, a client assertion's `aud`) is checked against
/// that URL, so a caller may not name another (RFC 9449 §4.3 item 9,
/// RFC 7523 §3 item 3).
fn check_addressed(
    server: &AuthServer,
    endpoint: Endpoint,
    http: &HttpRequest,
) -> Result<(), oauth_core::error::OAuthError> {
    if server.config.endpoints.addresses(endpoint, &http.url) {
        return Ok(());
    }
    let mut seen = http.url.clone();
    seen.set_query(None);
    seen.set_fragment(None);
    Err(oauth_core::error::OAuthError::invalid_request(format!(
        "the request is addressed to {seen}, but this endpoint is {}",
        server.config.endpoints.url(endpoint)
    )))
}

/// Each RPC: envelope in, the endpoint, envelope out.
macro_rules! endpoint_rpcs {
    ($($name:ident => $handler:path, $endpoint:expr);* $(;)?) => {
        #[tonic::async_trait]
        impl AuthorizationServerRpc for AuthorizationServerService {
            $(
                async fn $name(
                    &self,
                    request: Request<OAuthRequest>,
                ) -> Result<Response<OAuthResponse>, Status> {
                    // gRPC reserves RESOURCE_EXHAUSTED for a message over the limit.
                    let size = prost::Message::encoded_len(request.get_ref());
                    if size > MAX_MESSAGE_BYTES {
                        return Err(Status::resource_exhausted(format!(
                            "the request envelope is {size} bytes; the limit is {MAX_MESSAGE_BYTES}"
                        )));
                    }
                    let peer = request.remote_addr().map(|a| a.ip());
                    let http = to_http(request.into_inner())?.with_peer(peer);
                    // Oversized requests are an OAuth error, as over HTTP.
                    if let Err(why) = http.check_limits() {
                        let refusal = oauth_core::error::OAuthError::invalid_request(why);
                        return Ok(Response::new(to_proto(refusal.to_response())));
                    }
                    if let Err(refusal) = check_addressed(&self.server, $endpoint, &http) {
                        tracing::info!(endpoint = stringify!($name), url = %http.url, "refused: addressed to another URL");
                        return Ok(Response::new(to_proto(refusal.to_response())));
                    }
                    Ok(Response::new($handler(&self.server, &http).await.envelope()))
                }
            )*
        }
    };
}

endpoint_rpcs! {
    server_metadata => endpoint::metadata::handle, Endpoint::ServerMetadata;
    jwks => endpoint::jwks::handle, Endpoint::Jwks;
    authorization => endpoint::authorization::handle, Endpoint::Authorization;
    token => endpoint::token::handle, Endpoint::Token;
    introspection => endpoint::introspection::handle, Endpoint::Introspection;
    revocation => endpoint::revocation::handle, Endpoint::Revocation;
    provider_configuration => endpoint::metadata::provider_configuration, Endpoint::ProviderConfiguration;
    userinfo => endpoint::userinfo::handle, Endpoint::Userinfo;
    registration => endpoint::registration::handle, Endpoint::Registration;
    pushed_authorization => endpoint::par::handle, Endpoint::PushedAuthorization;
    device_authorization => endpoint::device_authorization::handle, Endpoint::DeviceAuthorization;
    device_verification => endpoint::device_verification::handle, Endpoint::DeviceVerification;
    end_session => endpoint::end_session::handle, Endpoint::EndSession;
}

/// How often expired codes, tokens and revocations are forgotten.
const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// How often the key file is reread (key rotation reaches every replica
/// within this).
const KEY_FILE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Swaps in the key file's keys if it changed; a bad file is logged and the
/// current keys stay.
pub fn reload_keys(server: &AuthServer, watch: &mut crate::keys::KeyFileWatch) {
    match watch.changed() {
        Ok(None) => {}
        Ok(Some(keys)) => {
            let kids: Vec<String> = keys.keys().iter().map(|k| k.kid().to_owned()).collect();
            match server.replace_keys(keys) {
                Ok(()) => tracing::info!(?kids, "key file changed: keys reloaded"),
                Err(e) => {
                    tracing::warn!(error = %e, "key file changed but cannot be served; keeping the current keys")
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "key file unreadable; keeping the current keys"),
    }
}

/// Serves the AS on an already bound listener until `shutdown` completes,
/// with reflection (v1 and v1alpha) and grpc.health.v1 beside it.
pub async fn run(
    listener: TcpListener,
    server: Arc<AuthServer>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve(oidc_story_serve::incoming(listener), server, shutdown).await
}

/// Serves the AS on an already bound listener until `stop` reads true,
/// each accepted connection on one of `shards` (one thread each, see
/// `oidc_story_serve::shards`): its requests are answered on that thread.
/// The AS's upkeep runs on the caller's runtime.
pub async fn run_sharded(
    listener: TcpListener,
    server: Arc<AuthServer>,
    shards: &Shards,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let _upkeep = Upkeep::start(&server);
    oidc_story_serve::run_sharded(listener, routes(server).await?, shards, stop).await
}

/// The AS's periodic work beside serving: expired codes, tokens and
/// revocations forgotten, the key file reread. Stops when dropped.
pub struct Upkeep {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Upkeep {
    pub fn start(server: &Arc<AuthServer>) -> Self {
        let purger = tokio::spawn({
            let server = server.clone();
            async move {
                let mut ticks = tokio::time::interval(PURGE_INTERVAL);
                loop {
                    ticks.tick().await;
                    server.store.purge_expired(server.clock.now()).await;
                }
            }
        });
        let key_watch = server.config.keys_file.clone().map(|path| {
            let server = server.clone();
            tokio::spawn(async move {
                let mut watch = crate::keys::KeyFileWatch::new(&path);
                let mut ticks = tokio::time::interval(KEY_FILE_INTERVAL);
                loop {
                    ticks.tick().await;
                    reload_keys(&server, &mut watch);
                }
            })
        });
        Self {
            tasks: std::iter::once(purger).chain(key_watch).collect(),
        }
    }
}

impl Drop for Upkeep {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Serves the connections `incoming` yields (accepted TCP sockets, or
/// in-memory pipes from `oidc_story_serve::memory`) until `shutdown`
/// completes, with the AS's upkeep.
pub async fn serve<IO, IE>(
    incoming: impl Stream<Item = Result<IO, IE>>,
    server: Arc<AuthServer>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let _upkeep = Upkeep::start(&server);
    oidc_story_serve::serve_routes(incoming, routes(server).await?, shutdown).await
}

/// What a server of the AS offers: the AS, with reflection (v1 and
/// v1alpha) and grpc.health.v1 beside it. Built once; every server of the
/// AS (one per shard) serves a clone, without the upkeep ([`Upkeep`]).
pub async fn routes(
    server: Arc<AuthServer>,
) -> Result<tonic::service::Routes, Box<dyn std::error::Error + Send + Sync>> {
    // tonic refuses messages over 4x the limit itself (OUT_OF_RANGE); those
    // between the limit and that are refused by the RPC (RESOURCE_EXHAUSTED).
    let service = AuthorizationServerServer::new(AuthorizationServerService::new(server))
        .max_decoding_message_size(4 * MAX_MESSAGE_BYTES);
    oidc_story_serve::routes(service).await
}

#[cfg(test)]
mod tests {
    use oauth_core::error::OAuthError;

    use super::to_proto;

    /// The gRPC reply carries what the HTTP response carries: an error's
    /// log-only cause is in neither.
    #[test]
    fn an_errors_cause_is_not_in_the_grpc_reply() {
        let e = OAuthError::from(crate::store::StoreError::new(
            "rotate_refresh",
            "READONLY You can't write against a read only replica at 10.0.0.9",
        ));
        let reply = to_proto(e.to_response());
        assert_eq!(reply.status, 503);
        assert!(!reply.body.contains("READONLY"), "{}", reply.body);
        assert!(!reply.body.contains("rotate_refresh"), "{}", reply.body);
        assert!(reply.headers.values().all(|v| !v.contains("10.0.0.9")));
        assert!(!reply.location.contains("10.0.0.9"));
        assert!(format!("{e:?}").contains("READONLY"));
    }
}
