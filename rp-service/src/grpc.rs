//! The gRPC face of the RP: the `RelyingParty` service, reflection and
//! health. The only module that knows tonic; proto <-> HTTP message
//! conversion lives here alone.
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use oauth_core::http::{HttpRequest, HttpResponse};
use oidc_story_proto::v1::relying_party_server::{
    RelyingParty as RelyingPartyRpc, RelyingPartyServer,
};
use oidc_story_proto::v1::{
    self as pb, AdvanceRequest, AdvanceResponse, ClientProfile, EndSessionRequest,
    EndSessionResponse, ListProfilesRequest, ListProfilesResponse, OAuthRequest, OAuthResponse,
    ParseResponseRequest, ParsedResponse, PrepareRequestRequest, PreparedRequest,
    StartSessionRequest, StartSessionResponse,
};
use oidc_story_serve::shards::Shards;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tonic::codegen::tokio_stream::Stream;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

use crate::RelyingParty;
use crate::service::{self, AsEndpoint, ClientService, StepError};
use crate::session::SessionError;

pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct RelyingPartyService {
    rp: Arc<RelyingParty>,
}

impl RelyingPartyService {
    pub fn new(rp: Arc<RelyingParty>) -> Self {
        Self { rp }
    }
}

fn session_status(e: SessionError) -> Status {
    match e {
        SessionError::NotFound(_) => Status::not_found(e.to_string()),
        SessionError::Full(_) => Status::resource_exhausted(e.to_string()),
    }
}

fn step_status(e: StepError) -> Status {
    match e {
        StepError::NothingPending(_) | StepError::MissingState(_) => {
            Status::failed_precondition(e.to_string())
        }
        _ => Status::invalid_argument(e.to_string()),
    }
}

fn client_service(name: &str) -> Result<ClientService, Status> {
    ClientService::parse(name).ok_or_else(|| step_status(StepError::UnknownService(name.into())))
}

fn endpoint_to_proto(endpoint: AsEndpoint) -> pb::Endpoint {
    match endpoint {
        AsEndpoint::ServerMetadata => pb::Endpoint::ServerMetadata,
        AsEndpoint::Jwks => pb::Endpoint::Jwks,
        AsEndpoint::Token => pb::Endpoint::Token,
        AsEndpoint::Authorization => pb::Endpoint::Authorization,
        AsEndpoint::Introspection => pb::Endpoint::Introspection,
        AsEndpoint::Revocation => pb::Endpoint::Revocation,
        AsEndpoint::ProviderConfiguration => pb::Endpoint::ProviderConfiguration,
        AsEndpoint::Userinfo => pb::Endpoint::Userinfo,
        AsEndpoint::Registration => pb::Endpoint::Registration,
        AsEndpoint::PushedAuthorization => pb::Endpoint::PushedAuthorization,
        AsEndpoint::DeviceAuthorization => pb::Endpoint::DeviceAuthorization,
        AsEndpoint::DeviceVerification => pb::Endpoint::DeviceVerification,
        AsEndpoint::EndSession => pb::Endpoint::EndSession,
    }
}

fn request_to_proto(request: &HttpRequest) -> OAuthRequest {
    OAuthRequest {
        method: request.method.clone(),
        url: request.url.to_string(),
        headers: request.headers().clone(),
        body: request.body.clone(),
    }
}

fn response_from_proto(response: OAuthResponse) -> Result<HttpResponse, Status> {
    let status = u16::try_from(response.status)
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| {
            Status::invalid_argument(format!("{} is not an HTTP status", response.status))
        })?;
    Ok(HttpResponse {
        status,
        headers: response
            .headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect::<BTreeMap<_, _>>(),
        body: response.body,
        location: Some(response.location).filter(|l| !l.is_empty()),
    })
}

/// A request sent to the RP, as an HTTP message within the same limits
/// as any (a malformed envelope is the caller's fault).
fn inbound_from_proto(request: OAuthRequest) -> Result<oauth_core::http::HttpRequest, Status> {
    let inbound = oauth_core::http::HttpRequest::with_owned_headers(
        &request.method,
        &request.url,
        request.headers,
        request.body,
    )
    .map_err(|e| Status::invalid_argument(format!("inbound request: {e}")))?;
    inbound
        .check_limits()
        .map_err(|e| Status::invalid_argument(format!("inbound request: {e}")))?;
    Ok(inbound)
}

impl RelyingPartyService {
    /// Opens a session for the profile named.
    fn start(&self, name: &str) -> Result<String, Status> {
        let profile = self.rp.config.profiles.get(name).cloned().ok_or_else(|| {
            Status::not_found(format!(
                "no client profile {name:?}; configured: {}",
                self.rp
                    .config
                    .profiles
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let session_id = self.rp.sessions.start(profile).map_err(session_status)?;
        tracing::debug!(profile = %name, "session started");
        Ok(session_id)
    }

    /// PrepareRequest in session `session_id`.
    fn prepare(
        &self,
        session_id: &str,
        request: PrepareRequestRequest,
    ) -> Result<PreparedRequest, Status> {
        let service = client_service(&request.service)?;
        let args: BTreeMap<String, String> = request.args.into_iter().collect();
        let prepared = self
            .rp
            .sessions
            .with(session_id, |session| {
                service::prepare(&self.rp, session, service, &args)
            })
            .map_err(session_status)?
            .map_err(step_status)?;
        Ok(PreparedRequest {
            endpoint: endpoint_to_proto(prepared.endpoint).into(),
            request: Some(request_to_proto(&prepared.request)),
            send_after_ms: u64::try_from(prepared.send_after.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// ParseResponse in session `session_id`.
    fn parse(
        &self,
        session_id: &str,
        request: ParseResponseRequest,
    ) -> Result<ParsedResponse, Status> {
        let service = client_service(&request.service)?;
        let parsed = match (request.inbound, request.response) {
            // A request the OP sent the RP, carried by the caller.
            (Some(inbound), None) => {
                let inbound = inbound_from_proto(inbound)?;
                self.rp
                    .sessions
                    .with(session_id, |session| {
                        service::receive(&self.rp, session, service, &inbound)
                    })
                    .map_err(session_status)?
                    .map_err(step_status)?
            }
            (None, Some(response)) => {
                let response = response_from_proto(response)?;
                self.rp
                    .sessions
                    .with(session_id, |session| {
                        service::parse(&self.rp, session, service, &response)
                    })
                    .map_err(session_status)?
                    .map_err(step_status)?
            }
            (Some(_), Some(_)) => {
                return Err(Status::invalid_argument(
                    "send a response or an inbound request, not both",
                ));
            }
            (None, None) => return Err(Status::invalid_argument("the response is missing")),
        };
        Ok(parsed_to_proto(parsed))
    }

    /// Advance: open, parse, prepare, forget, in that order; see the
    /// contract. A session this call opened is forgotten again if the call
    /// fails, and one it was told to forget is forgotten whatever happens,
    /// unless the parse asks for its step to be sent once more.
    fn advance(&self, request: AdvanceRequest) -> Result<AdvanceResponse, Status> {
        let AdvanceRequest {
            session_id,
            start_profile,
            parse,
            prepare,
            end_session,
        } = request;
        // Unknown service names are refused before a session is opened.
        for name in parse
            .iter()
            .map(|p| &p.service)
            .chain(prepare.iter().map(|p| &p.service))
        {
            client_service(name)?;
        }
        let session_id = match (session_id.is_empty(), start_profile.is_empty()) {
            (true, false) => self.start(&start_profile)?,
            (false, true) => {
                // An unknown session is the call's error, not the next
                // step's (a parse finds that out itself).
                if parse.is_none() {
                    self.rp
                        .sessions
                        .with(&session_id, |_| ())
                        .map_err(session_status)?;
                }
                session_id
            }
            (true, true) => {
                return Err(Status::invalid_argument(
                    "name a session, or a profile to open one with",
                ));
            }
            (false, false) => {
                return Err(Status::invalid_argument(
                    "name a session or a profile to open one with, not both",
                ));
            }
        };
        let opened = !start_profile.is_empty();
        let result = self.parse_then_prepare(&session_id, parse, prepare);
        // A step to be sent once more needs its session still.
        let again = matches!(&result, Ok((Some(parsed), _)) if parsed.retry);
        if (end_session && !again) || (opened && result.is_err()) {
            // Already gone (e.g. expired) is as good as forgotten.
            let _ = self.rp.sessions.end(&session_id);
        }
        let (parsed, prepared) = result?;
        let (prepared, prepare_error) = match prepared {
            Some(Ok(p)) => (Some(p), String::new()),
            Some(Err(status)) => (None, status.message().to_owned()),
            None => (None, String::new()),
        };
        Ok(AdvanceResponse {
            session_id,
            parsed,
            prepared,
            prepare_error,
        })
    }

    #[allow(clippy::type_complexity)]
    fn parse_then_prepare(
        &self,
        session_id: &str,
        parse: Option<ParseResponseRequest>,
        prepare: Option<PrepareRequestRequest>,
    ) -> Result<
        (
            Option<ParsedResponse>,
            Option<Result<PreparedRequest, Status>>,
        ),
        Status,
    > {
        let parsed = parse.map(|p| self.parse(session_id, p)).transpose()?;
        // A step to send once more comes before the next one.
        let again = parsed.as_ref().is_some_and(|p| p.retry);
        let prepared = prepare
            .filter(|_| !again)
            .map(|p| self.prepare(session_id, p));
        Ok((parsed, prepared))
    }
}

/// A JSON value as compact text, written straight into a buffer (a
/// value's `Display` goes through the formatting machinery, slower).
fn json_text(value: &serde_json::Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
}

/// A parse's outcome as the contract carries it.
fn parsed_to_proto(parsed: service::Parsed) -> ParsedResponse {
    let ok = parsed.ok();
    let retry = parsed.retry;
    let (error, error_description) = parsed
        .error
        .map(|(code, description)| (code.as_str().to_owned(), description))
        .unwrap_or_default();
    ParsedResponse {
        ok,
        parsed_json: match parsed.parsed_text {
            Some(text) if parsed.parsed.is_null() => text,
            _ => json_text(&parsed.parsed),
        },
        checks: parsed
            .checks
            .into_iter()
            .map(|c| pb::Check {
                id: c.id.as_str().to_owned(),
                name: c.name,
                ok: c.ok,
                detail: c.detail,
                reference: c.reference,
                level: match c.level {
                    service::Level::Must => pb::CheckLevel::Must,
                    service::Level::Should => pb::CheckLevel::Should,
                    service::Level::Info => pb::CheckLevel::Info,
                } as i32,
            })
            .collect(),
        jwts: parsed
            .jwts
            .into_iter()
            .map(|j| pb::DecodedJwt {
                name: j.name,
                compact: j.compact,
                header_json: json_text(&j.header),
                claims_json: json_text(&j.claims),
                verified: j.verified,
                verification: j.verification,
            })
            .collect(),
        error,
        error_description,
        retry,
    }
}

#[tonic::async_trait]
impl RelyingPartyRpc for RelyingPartyService {
    async fn list_profiles(
        &self,
        _request: Request<ListProfilesRequest>,
    ) -> Result<Response<ListProfilesResponse>, Status> {
        let profiles = self
            .rp
            .config
            .profiles
            .values()
            .map(|p| ClientProfile {
                name: p.name.clone(),
                client_id: p.client_id.clone(),
                token_endpoint_auth_method: p.token_endpoint_auth_method.to_string(),
                services: ClientService::ALL
                    .iter()
                    .map(|s| s.name().to_owned())
                    .collect(),
            })
            .collect();
        Ok(Response::new(ListProfilesResponse { profiles }))
    }

    async fn start_session(
        &self,
        request: Request<StartSessionRequest>,
    ) -> Result<Response<StartSessionResponse>, Status> {
        let session_id = self.start(&request.into_inner().profile)?;
        Ok(Response::new(StartSessionResponse { session_id }))
    }

    async fn prepare_request(
        &self,
        request: Request<PrepareRequestRequest>,
    ) -> Result<Response<PreparedRequest>, Status> {
        let request = request.into_inner();
        let session_id = request.session_id.clone();
        Ok(Response::new(self.prepare(&session_id, request)?))
    }

    async fn parse_response(
        &self,
        request: Request<ParseResponseRequest>,
    ) -> Result<Response<ParsedResponse>, Status> {
        let request = request.into_inner();
        let session_id = request.session_id.clone();
        Ok(Response::new(self.parse(&session_id, request)?))
    }

    async fn end_session(
        &self,
        request: Request<EndSessionRequest>,
    ) -> Result<Response<EndSessionResponse>, Status> {
        self.rp
            .sessions
            .end(&request.into_inner().session_id)
            .map_err(session_status)?;
        Ok(Response::new(EndSessionResponse {}))
    }

    async fn advance(
        &self,
        request: Request<AdvanceRequest>,
    ) -> Result<Response<AdvanceResponse>, Status> {
        Ok(Response::new(self.advance(request.into_inner())?))
    }
}

/// Serves the RP on an already bound listener until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    rp: Arc<RelyingParty>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve(oidc_story_serve::incoming(listener), rp, shutdown).await
}

/// Serves the RP on an already bound listener until `stop` reads true,
/// each accepted connection on one of `shards` (one thread each, see
/// `oidc_story_serve::shards`): its calls are answered on that thread.
pub async fn run_sharded(
    listener: TcpListener,
    rp: Arc<RelyingParty>,
    shards: &Shards,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    oidc_story_serve::run_sharded(listener, routes(rp).await?, shards, stop).await
}

/// Serves the connections `incoming` yields (accepted TCP sockets, or
/// in-memory pipes from `oidc_story_serve::memory`) until `shutdown`
/// completes.
pub async fn serve<IO, IE>(
    incoming: impl Stream<Item = Result<IO, IE>>,
    rp: Arc<RelyingParty>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    oidc_story_serve::serve_routes(incoming, routes(rp).await?, shutdown).await
}

/// What a server of the RP offers: the RP, with reflection (v1 and
/// v1alpha) and grpc.health.v1 beside it. Built once; every server of the
/// RP (one per shard) serves a clone.
async fn routes(
    rp: Arc<RelyingParty>,
) -> Result<tonic::service::Routes, Box<dyn std::error::Error + Send + Sync>> {
    let service = RelyingPartyServer::new(RelyingPartyService::new(rp))
        .max_decoding_message_size(MAX_MESSAGE_BYTES);
    oidc_story_serve::routes(service).await
}
