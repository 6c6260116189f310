//! Connections to the two services: gRPC channels with a connect timeout,
//! several AS replicas taken in turn, and a check (gRPC health) that each
//! address serves the service it was given for.
use std::time::Duration;

use oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient;
use oidc_story_proto::v1::relying_party_client::RelyingPartyClient;
use tonic::transport::{Channel, Endpoint as ChannelEndpoint};

use crate::fault::ConnectError;

pub use crate::link::{HttpLink, Login};

/// Connections to the two services; the AS side may be several replicas,
/// taken in turn call after call.
#[derive(Clone)]
pub struct Services {
    pub authorization_servers: Vec<AuthorizationServerClient<Channel>>,
    pub(crate) next: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Set when the AS is a server over HTTP (`--issuer`): requests go there
    /// instead of to the AS RPCs.
    pub(crate) http: Option<HttpLink>,
    pub relying_party: RelyingPartyClient<Channel>,
    /// The gRPC calls stories made through these connections, to the AS
    /// and the RP (for the bench's calls per second).
    pub(crate) calls: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The clock both services read, when they run in this process: a wait
    /// a story asks for (a polling interval, a login grown old) moves it on
    /// instead of sleeping. Services elsewhere wait in real time.
    pub(crate) clock: Option<oauth_core::clock::AdvancingClock>,
}

/// `host:port` or a URL -> a gRPC URL (plaintext unless `https://` is given).
pub fn grpc_url(address: &str) -> String {
    if address.contains("://") {
        address.to_owned()
    } else {
        format!("http://{address}")
    }
}

/// A connected channel to one of the services (`what` names it in errors).
pub async fn channel(what: &'static str, address: &str) -> Result<Channel, ConnectError> {
    let url = grpc_url(address);
    ChannelEndpoint::from_shared(url.clone())
        .map_err(|e| ConnectError::BadAddress {
            what,
            address: address.to_owned(),
            why: e.to_string(),
        })?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| ConnectError::Unreachable {
            what,
            url,
            cause: error_chain(&e),
        })
}

/// An error and its causes, e.g. "transport error: tcp connect error:
/// Connection refused"; a cause that repeats the one before it is said once.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// The gRPC services of the project, by the name health checks know them.
const AS_SERVICE: &str = "oidcstory.v1.AuthorizationServer";
const RP_SERVICE: &str = "oidcstory.v1.RelyingParty";

/// Asks the server at `address` (gRPC health checking) whether it serves
/// `expected`; a server that serves the other service of the pair was given
/// in the wrong place (`--as` and `--rp` swapped, or a wrong port), and one
/// that gives no gRPC answer speaks another protocol there. A gRPC server
/// without health checking is taken at its word.
async fn check_kind(
    channel: &Channel,
    what: &'static str,
    address: &str,
    expected: &'static str,
) -> Result<(), ConnectError> {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let mut health = HealthClient::new(channel.clone());
    let ask = |service: &str| HealthCheckRequest {
        service: service.to_owned(),
    };
    match health.check(ask(expected)).await {
        Ok(_) => Ok(()),
        Err(status) if status.code() == tonic::Code::NotFound => {
            let other = if expected == AS_SERVICE {
                RP_SERVICE
            } else {
                AS_SERVICE
            };
            let serves = match health.check(ask(other)).await {
                Ok(_) => format!("serves {other}"),
                Err(_) => "is no oidc-story service".to_owned(),
            };
            Err(ConnectError::WrongService {
                what,
                address: address.to_owned(),
                serves,
                expected: expected.rsplit('.').next().unwrap_or(expected),
            })
        }
        // Speaks gRPC but has no health service: taken at its word.
        // (An HTTP server's 404 reads as Unimplemented too, but without the
        // grpc-status a gRPC server sends.)
        Err(status)
            if status.code() == tonic::Code::Unimplemented
                && !status.message().contains("grpc-status header missing") =>
        {
            Ok(())
        }
        // No gRPC answer at all: another protocol on that port (the AS's
        // own HTTP front is the usual mix-up).
        Err(status) => Err(ConnectError::NotGrpc {
            what,
            address: address.to_owned(),
            cause: status.message().to_owned(),
        }),
    }
}

impl Services {
    /// `as_addresses`: one AS, or several replicas separated by commas
    /// (round-robin, so consecutive calls of a story land on different ones).
    pub async fn connect(as_addresses: &str, rp_address: &str) -> Result<Self, ConnectError> {
        let addresses: Vec<&str> = as_addresses
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        let mut authorization_servers = Vec::new();
        let mut reachable = 0;
        let mut last = None;
        for address in &addresses {
            match channel("AS", address).await {
                Ok(c) => {
                    check_kind(&c, "AS", address, AS_SERVICE).await?;
                    reachable += 1;
                    authorization_servers.push(AuthorizationServerClient::new(c));
                }
                // One replica down among several: keep it, lazily, and let
                // calls fail over to the others until it is back.
                Err(e) if addresses.len() > 1 => {
                    last = Some(e);
                    let url = grpc_url(address);
                    let lazy = ChannelEndpoint::from_shared(url)
                        .map_err(|e| ConnectError::BadAddress {
                            what: "AS",
                            address: (*address).to_owned(),
                            why: e.to_string(),
                        })?
                        .connect_timeout(Duration::from_secs(2))
                        .connect_lazy();
                    authorization_servers.push(AuthorizationServerClient::new(lazy));
                }
                Err(e) => return Err(e),
            }
        }
        if reachable == 0 {
            return Err(last.unwrap_or(ConnectError::NoAsAddress));
        }
        let rp = channel("RP", rp_address).await?;
        check_kind(&rp, "RP", rp_address, RP_SERVICE).await?;
        Ok(Self::from_clients(
            authorization_servers,
            RelyingPartyClient::new(rp),
        ))
    }

    pub fn from_clients(
        authorization_servers: Vec<AuthorizationServerClient<Channel>>,
        relying_party: RelyingPartyClient<Channel>,
    ) -> Self {
        Self {
            authorization_servers,
            next: Default::default(),
            relying_party,
            http: None,
            calls: Default::default(),
            clock: None,
        }
    }

    /// The same connections, to services that read `clock`.
    pub fn with_clock(mut self, clock: oauth_core::clock::AdvancingClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Waits `wait` as the client would before a request: in real time, or,
    /// for services in this process, by moving their clock on (the
    /// services see that time pass; nothing sleeps).
    pub(crate) async fn wait(&self, wait: Duration) {
        match &self.clock {
            Some(clock) => clock.advance(wait),
            None => tokio::time::sleep(wait).await,
        }
    }

    /// Counts one gRPC call a story made.
    pub(crate) fn count_call(&self) {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The gRPC calls stories made so far.
    pub fn calls_made(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The RP at `rp_address`, and a server over HTTP in place of the AS.
    pub async fn over_http(link: HttpLink, rp_address: &str) -> Result<Self, ConnectError> {
        let rp = channel("RP", rp_address).await?;
        check_kind(&rp, "RP", rp_address, RP_SERVICE).await?;
        let mut services = Self::from_clients(Vec::new(), RelyingPartyClient::new(rp));
        services.http = Some(link);
        Ok(services)
    }

    /// The step as this run takes it: against a server publishing only its
    /// OpenID configuration, an RFC 8414 discovery step reads that instead
    /// (RFC 8414 §5); otherwise the step itself.
    pub(crate) fn adapt(&self, step: &crate::catalog::Step) -> Option<crate::catalog::Step> {
        use rp_service::service::registry::ClientService;
        // Over HTTP a proof for another URL reaches the endpoint itself,
        // which answers as to any proof whose htu is not its URL (RFC 9449
        // §7.1), not as to an envelope that disagrees with the proof.
        if self.http.is_some() && step.args.iter().any(|(k, _)| *k == "request_url") {
            return Some(crate::catalog::Step {
                expect_error: Some(oauth_core::error::ErrorCode::InvalidDpopProof),
                ..step.clone()
            });
        }
        let substitute = self.http.as_ref().is_some_and(|h| h.metadata_from_openid)
            && step.service == ClientService::ServerMetadata;
        substitute.then(|| crate::catalog::Step {
            service: ClientService::ProviderInfo,
            args: step.args,
            expect_error: step.expect_error.clone(),
            expect_refusal: step.expect_refusal,
            tamper: step.tamper,
            attack: step.attack,
        })
    }

    /// Whether this run leaves the step out: a look, at a SHOULD, at
    /// whether a token was revoked (`should_be_active`) against a server
    /// without an introspection endpoint, where the rest of the story
    /// still says what it is about.
    pub(crate) fn omits(&self, step: &crate::catalog::Step) -> bool {
        self.http.as_ref().is_some_and(|h| !h.introspection) && step.only_looks()
    }

    /// A step argument as sent to the RP in this run. Against a server
    /// where the client is the user's: its authentication method is fixed
    /// by its registration, so a story's own choice is not sent — unless the
    /// story `registers` a client of its own, which registers and uses the
    /// method the story is about; and the story's scopes (the project's
    /// own, like `foobar`) become the user's scope, with `openid` kept where
    /// the story asks for it.
    pub(crate) fn argument(&self, name: &str, value: &str, registers: bool) -> Option<String> {
        let Some(user) = self.http.as_ref().and_then(|h| h.user_client.as_ref()) else {
            return Some(value.to_owned());
        };
        match name {
            "token_endpoint_auth_method" if registers => Some(value.to_owned()),
            "token_endpoint_auth_method" => None,
            // A scope of OpenID Connect's own values only (profile, email,
            // …: what a scope story is about) is sent as written, the
            // user's scope after it; one naming the project's own scopes
            // gives way to the user's.
            "scope" if oidc_scopes_only(value) => {
                let openid = value.split(' ').any(|s| s == "openid");
                let theirs = user_scope(user.scope.as_deref(), openid);
                let mut scopes: Vec<&str> = value.split(' ').filter(|s| !s.is_empty()).collect();
                for s in theirs.split(' ') {
                    if !s.is_empty() && !scopes.contains(&s) {
                        scopes.push(s);
                    }
                }
                Some(scopes.join(" "))
            }
            "scope" => {
                let openid = value.split(' ').any(|s| s == "openid");
                Some(user_scope(user.scope.as_deref(), openid))
            }
            // The story's resources stand for the user's, in order.
            "resource" => Some(
                value
                    .split(' ')
                    .map(|r| {
                        crate::catalog::RESOURCES
                            .iter()
                            .position(|ours| *ours == r)
                            .and_then(|i| user.resources.get(i))
                            .map_or(r, String::as_str)
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            // The guessed user is the resource owner given, the right
            // password theirs.
            "username" if value == crate::catalog::GUESSED_USER => {
                Some(user.username.clone().unwrap_or_else(|| value.to_owned()))
            }
            "password" if value == crate::catalog::GUESSED_PASSWORD => Some(
                user.password
                    .as_ref()
                    .map_or_else(|| value.to_owned(), |p| p.expose().to_owned()),
            ),
            _ => Some(value.to_owned()),
        }
    }

    /// The scope a step that names none is sent with against a server where
    /// the client is the user's: the user's scope, without `openid` in an
    /// OAuth story (else the answer carries an ID token that story never
    /// fetched the OP's keys to verify). `None`: the RP's profile decides.
    pub(crate) fn default_scope(
        &self,
        service: rp_service::service::registry::ClientService,
        openid: bool,
    ) -> Option<String> {
        use rp_service::service::registry::ClientService as S;
        let user = self.http.as_ref()?.user_client.as_ref()?;
        let asks = matches!(
            service,
            S::Authorization | S::PushedAuthorization | S::DeviceAuthorization
        );
        let has_openid = user
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|t| t == "openid"));
        (asks && !openid && has_openid).then(|| user_scope(user.scope.as_deref(), false))
    }

    /// The AS replica for the next call.
    pub fn authorization_server(&self) -> AuthorizationServerClient<Channel> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.authorization_servers[i % self.authorization_servers.len()].clone()
    }
}

/// Whether a story's scope names OpenID Connect's own values alone
/// (OIDC Core §3.1.2.1, §5.4, §11) and some beside `openid`.
fn oidc_scopes_only(scope: &str) -> bool {
    const OIDC: [&str; 6] = [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ];
    let values: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    values.iter().all(|s| OIDC.contains(s)) && values.iter().any(|s| *s != "openid")
}

/// The user's scope, `openid` first where the story asks for it and left
/// out where it does not.
fn user_scope(user: Option<&str>, openid: bool) -> String {
    let mut scopes: Vec<&str> = Vec::new();
    if openid {
        scopes.push("openid");
    }
    for s in user.unwrap_or("").split(' ') {
        if !s.is_empty() && s != "openid" && !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    scopes.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oauth_story_does_not_take_openid_from_the_users_scope() {
        assert_eq!(
            user_scope(Some("openid profile email"), false),
            "profile email"
        );
        assert_eq!(user_scope(Some("profile openid"), true), "openid profile");
        assert_eq!(user_scope(None, true), "openid");
        assert_eq!(user_scope(Some("openid"), false), "");
    }

    #[test]
    fn a_scope_of_oidc_values_only_is_the_storys_own() {
        assert!(oidc_scopes_only("openid profile"));
        assert!(oidc_scopes_only("email profile openid"));
        assert!(oidc_scopes_only("openid offline_access"));
        assert!(!oidc_scopes_only("openid"), "openid alone takes the user's");
        assert!(!oidc_scopes_only("openid foobar email"));
    }

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn a_cause_repeating_the_one_before_is_said_once() {
        let e = Layer(
            "transport error",
            Some(Box::new(Layer(
                "tcp connect error",
                Some(Box::new(Layer(
                    "tcp connect error",
                    Some(Box::new(Layer("Connection refused (os error 111)", None))),
                ))),
            ))),
        );
        assert_eq!(
            error_chain(&e),
            "transport error: tcp connect error: Connection refused (os error 111)"
        );
    }
}
