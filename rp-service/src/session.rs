//! Per-session state, so that many stories can run at once against the same
//! RP. Sessions are forgotten after an idle timeout and their number is
//! capped, so an abandoned story cannot make the RP grow without bound.
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use oauth_core::client_auth::AuthMethod;
use oauth_core::form::Params;
use oauth_core::secret::Secret;
use serde_json::Value;

use crate::config::Profile;
use crate::service::registry::ClientService;

/// What the RP remembers between the steps of one story.
///
/// Everything here that came from the AS was staged while its response was
/// checked and committed only when every check passed (see
/// `service::Staged`), and is bounded: responses over the RP's size limits
/// are refused before they are read, and metadata keeps only the members
/// the RP uses, as typed fields.
#[derive(Debug)]
pub struct Session {
    pub profile: Profile,
    /// The AS metadata, once discovered (RFC 8414): the members the RP uses.
    pub metadata: Option<Metadata>,
    /// The AS public keys, once fetched.
    pub jwks: Option<JwkSet>,
    /// The request last prepared, awaiting its response.
    pub pending: Option<Pending>,
    /// The authorization request in flight: what its response must match.
    pub authorization: Option<AuthorizationState>,
    /// The code from the last authorization response, until redeemed.
    pub code: Option<String>,
    /// The request_uri of a pushed request, until the authorization step uses it.
    pub pushed_request_uri: Option<String>,
    /// The request_uri last used (for attack stories that reuse it).
    pub previous_request_uri: Option<String>,
    /// The last DPoP proof sent (for attack stories that replay it).
    pub last_dpop_proof: Option<String>,
    /// The session's DPoP key, once a step asked for DPoP (RFC 9449).
    pub dpop_key: Option<oauth_core::jose::SigningKey>,
    /// The last nonce the AS gave for DPoP proofs (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
    /// `token_type` of the access token held: `Bearer` or `DPoP`.
    pub access_token_type: Option<String>,
    /// Who is logged in: the identity of the last ID token that passed
    /// every check, in a response that passed every check.
    pub identity: Option<Identity>,
    /// The scope of the grant the tokens belong to, as first granted: a
    /// refresh may narrow it, never widen it (RFC 6749 §6).
    pub granted_scope: Option<String>,
    /// The client was registered in this session (OIDC Registration): no
    /// second registration may replace it.
    pub registered: bool,
    /// Tokens obtained so far, by name (`access_token`, `refresh_token`,
    /// `exchanged_token`), for later steps.
    pub tokens: BTreeMap<String, String>,
    last_used: Instant,
}

/// The claims of an ID token that say who authenticated, to whom: what a
/// later ID token of the same login must repeat (OIDC Core §12.2) and what
/// UserInfo's `sub` is compared with (OIDC Core §5.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub azp: Option<String>,
    pub auth_time: Option<i64>,
}

/// What a test compares before and after a refused response: who is logged
/// in, the tokens and code held, the client, the metadata and the keys.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionView {
    pub client_id: String,
    pub identity: Option<Identity>,
    pub granted_scope: Option<String>,
    pub tokens: BTreeMap<String, String>,
    pub access_token_type: Option<String>,
    pub code: Option<String>,
    pub pushed_request_uri: Option<String>,
    pub metadata: Option<Metadata>,
    /// The key set, serialised (JwkSet is not comparable).
    pub jwks: Option<String>,
}

impl Session {
    /// The parts of the session a response could change, for comparison.
    pub fn view(&self) -> SessionView {
        SessionView {
            client_id: self.profile.client_id.clone(),
            identity: self.identity.clone(),
            granted_scope: self.granted_scope.clone(),
            tokens: self.tokens.clone(),
            access_token_type: self.access_token_type.clone(),
            code: self.code.clone(),
            pushed_request_uri: self.pushed_request_uri.clone(),
            metadata: self.metadata.clone(),
            jwks: self
                .jwks
                .as_ref()
                .map(|j| serde_json::to_string(j).unwrap_or_default()),
        }
    }
}

/// What the RP sent in an authorization request and must see again.
#[derive(Debug, Clone)]
pub struct AuthorizationState {
    /// RFC 6749 §10.12: binds the response to this session.
    pub state: String,
    pub redirect_uri: String,
    /// The scope asked for, to compare with what the token response grants.
    pub scope: Option<String>,
    /// The PKCE verifier, kept for the token request (RFC 7636 §4.1).
    pub code_verifier: Option<String>,
    /// OIDC Core §3.1.2.1: binds the ID token to this request.
    pub nonce: Option<String>,
    /// The response type asked for, e.g. `code id_token`.
    pub response_type: String,
    /// Claims asked for by the `claims` parameter (OIDC Core §5.5).
    pub id_token_claims: Option<Vec<String>>,
    pub userinfo_claims: Option<Vec<String>>,
    /// How the parameters reached the AS.
    pub sent_as: SentAs,
}

/// How an authorization request's parameters travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentAs {
    /// In the query of the browser's request.
    Query,
    /// Inside a signed request object (RFC 9101).
    RequestObject,
    /// Pushed first; the browser carried only a request_uri (RFC 9126).
    Pushed,
}

/// A prepared request the RP waits to see answered.
#[derive(Debug, Clone)]
pub struct Pending {
    pub service: ClientService,
    /// The parameters sent, to check the answer against (e.g. scope).
    pub params: Params,
    /// The step arguments the request was prepared with.
    pub args: BTreeMap<String, String>,
    /// The request body as sent.
    pub body: String,
    /// The DPoP proof it carried.
    pub dpop: Option<String>,
    /// Whether it carried client authentication (Basic, a secret or an
    /// assertion: RFC 6749 §2.3, RFC 7523): a confidential client's request.
    pub authenticated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    NotFound(String),
    Full(usize),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(id) => write!(f, "no session {id:?} (ended, expired, or never started)"),
            Self::Full(max) => write!(f, "the RP already holds {max} sessions; end some first"),
        }
    }
}

impl std::error::Error for SessionError {}

pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
    idle: Duration,
    max: usize,
}

impl Sessions {
    pub fn new(idle: Duration, max: usize) -> Self {
        Self {
            inner: Mutex::new(HashMap::new()),
            idle,
            max,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock cannot leave a session half-written
        // in a way later steps would misread, so a poisoned map is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a session for a profile and returns its id.
    pub fn start(&self, profile: Profile) -> Result<String, SessionError> {
        let mut map = self.lock();
        let now = Instant::now();
        let idle = self.idle;
        map.retain(|_, s| now.duration_since(s.last_used) < idle);
        if map.len() >= self.max {
            return Err(SessionError::Full(self.max));
        }
        let id = oauth_core::random::token(16);
        map.insert(
            id.clone(),
            Session {
                profile,
                metadata: None,
                jwks: None,
                pending: None,
                authorization: None,
                code: None,
                identity: None,
                granted_scope: None,
                registered: false,
                pushed_request_uri: None,
                previous_request_uri: None,
                last_dpop_proof: None,
                dpop_key: None,
                dpop_nonce: None,
                access_token_type: None,
                tokens: BTreeMap::new(),
                last_used: now,
            },
        );
        Ok(id)
    }

    /// Runs `f` on a live session.
    pub fn with<R>(&self, id: &str, f: impl FnOnce(&mut Session) -> R) -> Result<R, SessionError> {
        let mut map = self.lock();
        let now = Instant::now();
        match map.get_mut(id) {
            Some(s) if now.duration_since(s.last_used) < self.idle => {
                s.last_used = now;
                Ok(f(s))
            }
            Some(_) => {
                map.remove(id);
                Err(SessionError::NotFound(id.to_owned()))
            }
            None => Err(SessionError::NotFound(id.to_owned())),
        }
    }

    pub fn end(&self, id: &str) -> Result<(), SessionError> {
        self.lock()
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| SessionError::NotFound(id.to_owned()))
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn profile() -> Profile {
        Config::default_config().unwrap().profiles["client_1"].clone()
    }

    #[test]
    fn sessions_are_separate_and_end() {
        let s = Sessions::new(Duration::from_secs(60), 10);
        let a = s.start(profile()).unwrap();
        let b = s.start(profile()).unwrap();
        assert_ne!(a, b);
        s.with(&a, |x| x.code = Some("a code".into())).unwrap();
        assert!(s.with(&b, |x| x.code.is_none()).unwrap());
        s.end(&a).unwrap();
        assert!(matches!(s.with(&a, |_| ()), Err(SessionError::NotFound(_))));
    }

    #[test]
    fn the_number_of_sessions_is_capped() {
        let s = Sessions::new(Duration::from_secs(60), 2);
        s.start(profile()).unwrap();
        s.start(profile()).unwrap();
        assert_eq!(s.start(profile()), Err(SessionError::Full(2)));
    }

    #[test]
    fn idle_sessions_expire() {
        let s = Sessions::new(Duration::from_millis(0), 2);
        let a = s.start(profile()).unwrap();
        assert!(s.with(&a, |_| ()).is_err());
    }
}

/// The AS metadata the RP keeps: only the members it uses, typed. The
/// document itself is dropped once checked, so a session holds a few
/// hundred bytes whatever the AS sent (and the AS can send at most
/// [`crate::service::response::MAX_BODY_BYTES`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub registration_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9207 §3: the AS puts `iss` in every authorization response.
    pub authorization_response_iss_parameter_supported: bool,
}

impl Metadata {
    /// An endpoint URL by its metadata name.
    pub fn endpoint(&self, name: &str) -> Option<&str> {
        match name {
            "issuer" => Some(&self.issuer),
            "authorization_endpoint" => self.authorization_endpoint.as_deref(),
            "token_endpoint" => self.token_endpoint.as_deref(),
            "userinfo_endpoint" => self.userinfo_endpoint.as_deref(),
            "jwks_uri" => self.jwks_uri.as_deref(),
            "registration_endpoint" => self.registration_endpoint.as_deref(),
            "introspection_endpoint" => self.introspection_endpoint.as_deref(),
            "revocation_endpoint" => self.revocation_endpoint.as_deref(),
            "pushed_authorization_request_endpoint" => {
                self.pushed_authorization_request_endpoint.as_deref()
            }
            _ => None,
        }
    }

    /// The typed members of a checked document.
    pub(crate) fn from_document(body: &Value) -> Self {
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        Self {
            issuer: text("issuer").unwrap_or_default(),
            authorization_endpoint: text("authorization_endpoint"),
            token_endpoint: text("token_endpoint"),
            userinfo_endpoint: text("userinfo_endpoint"),
            jwks_uri: text("jwks_uri"),
            registration_endpoint: text("registration_endpoint"),
            introspection_endpoint: text("introspection_endpoint"),
            revocation_endpoint: text("revocation_endpoint"),
            pushed_authorization_request_endpoint: text("pushed_authorization_request_endpoint"),
            authorization_response_iss_parameter_supported: body
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }
}

/// The client a registration issued, staged until the whole answer passed.
#[derive(Debug, Clone)]
pub struct Registered {
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<Secret>,
    pub(crate) method: AuthMethod,
    pub(crate) id_token_signed_response_alg: Option<String>,
}

impl Registered {
    pub(crate) fn apply(self, session: &mut Session) {
        session.profile.client_id = self.client_id;
        session.profile.client_secret = self.client_secret;
        session.profile.token_endpoint_auth_method = self.method;
        if let Some(alg) = self.id_token_signed_response_alg {
            session.profile.id_token_signed_response_alg = alg;
        }
        session.registered = true;
    }
}
