//! Per-session state, so that many stories can run at once against the same
//! RP. Sessions are forgotten after an idle timeout and their number is
//! capped, so an abandoned story cannot make the RP grow without bound.
use std::collections::BTreeMap;
use std::fmt;

use jsonwebtoken::jwk::JwkSet;
use oauth_core::client_auth::AuthMethod;
use oauth_core::form::Params;
use oauth_core::secret::Secret;
use serde_json::Value;

use crate::config::Profile;
use crate::service::registry::ClientService;
use crate::service::response_mode::ResponseMode;

mod device;
mod store;
pub use device::{DeviceFlow, DevicePolled};
pub use store::Sessions;

/// What the RP remembers between the steps of one story.
///
/// Everything here that came from the AS was staged while its response was
/// checked and committed only when every check passed (see
/// `service::Staged`), and is bounded: responses over the RP's size limits
/// are refused before they are read, and metadata keeps only the members
/// the RP uses, as typed fields.
///
/// Its `Debug` never prints a code, token, secret, PKCE verifier, state,
/// nonce, DPoP proof or key: only whether each is held, and its length.
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
    /// `exchanged_token`, `id_token` — the last one verified, the
    /// `id_token_hint` of a logout), for later steps.
    pub tokens: BTreeMap<String, String>,
    /// The device authorization polled for (RFC 8628), until redeemed.
    pub device: Option<DeviceFlow>,
    /// The device code last redeemed (for attack stories that reuse it).
    pub previous_device_code: Option<String>,
    /// The `jti`s of the logout tokens accepted (OIDC Back-Channel Logout
    /// §2.6 item 10: a second one with the same jti is a replay).
    pub logout_jtis: std::collections::BTreeSet<String>,
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
    /// When it was issued: a refreshed ID token is issued later (OIDC Core
    /// §12.2).
    pub iat: Option<i64>,
    /// The login session at the OP (OIDC Back-Channel Logout §2.1), if named:
    /// what a logout token may name instead of, or beside, `sub`.
    pub sid: Option<String>,
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
/// `Debug` shows the secrets it binds (state, verifier, nonce) by length only.
#[derive(Clone)]
pub struct AuthorizationState {
    /// RFC 6749 §10.12: binds the response to this session.
    pub state: String,
    pub redirect_uri: String,
    /// `redirect_uri` is one the client never registered (an attack: RFC
    /// 6749 §3.1.2.4 — the answer must not go there).
    pub redirect_uri_unregistered: bool,
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
    /// RFC 8707 §2: the resources the tokens were asked for.
    pub resources: Vec<String>,
    /// RFC 9396 §2: the authorization details asked for.
    pub authorization_details: Option<serde_json::Value>,
    /// How the parameters reached the AS.
    pub sent_as: SentAs,
    /// The response mode asked for; `None`: the response type's default.
    pub response_mode: Option<ResponseMode>,
    /// OIDC Core §3.1.2.1: the `acr_values` asked for (voluntary).
    pub acr_values: Option<String>,
    /// OIDC Core §5.2: the languages asked for the claims.
    pub claims_locales: Option<String>,
    /// What the request asked of the login, and the login before it.
    pub login: LoginAsked,
}

/// What an authorization request asked of the login (OIDC Core §3.1.2.1),
/// to hold the ID token it brings to it.
#[derive(Debug, Clone, Default)]
pub struct LoginAsked {
    /// `prompt` as sent (none, login, …).
    pub prompt: Option<String>,
    /// `max_age` as sent, in seconds.
    pub max_age: Option<u64>,
    /// The `sub` of the ID token sent as `id_token_hint`.
    pub hint_sub: Option<String>,
    /// Who was logged in when the request was made.
    pub before: Option<Identity>,
}

/// How an authorization request's parameters travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentAs {
    /// In the query of the browser's request.
    Query,
    /// Inside a signed request object (RFC 9101).
    RequestObject,
    /// Inside an unsigned request object, `alg: none` (OIDC Core §6.1).
    UnsignedRequestObject,
    /// Pushed first; the browser carried only a request_uri (RFC 9126).
    Pushed,
}

/// A prepared request the RP waits to see answered. `Debug` shows which
/// parameters were sent, not their values (they hold codes and secrets).
#[derive(Clone)]
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

/// A secret value in a `Debug` output: whether it is held, and its length.
struct Held<'a>(Option<&'a str>);

impl fmt::Debug for Held<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "<{} bytes>", v.len()),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens: BTreeMap<&str, Held<'_>> = self
            .tokens
            .iter()
            .map(|(name, token)| (name.as_str(), Held(Some(token))))
            .collect();
        f.debug_struct("Session")
            .field("profile", &self.profile.name)
            .field("client_id", &self.profile.client_id)
            .field(
                "client_secret",
                &Held(self.profile.client_secret.as_ref().map(|s| s.expose())),
            )
            .field("issuer", &self.metadata.as_ref().map(|m| &m.issuer))
            .field("jwks_keys", &self.jwks.as_ref().map(|j| j.keys.len()))
            .field("pending", &self.pending)
            .field("authorization", &self.authorization)
            .field("code", &Held(self.code.as_deref()))
            .field(
                "pushed_request_uri",
                &Held(self.pushed_request_uri.as_deref()),
            )
            .field(
                "previous_request_uri",
                &Held(self.previous_request_uri.as_deref()),
            )
            .field("last_dpop_proof", &Held(self.last_dpop_proof.as_deref()))
            .field("dpop_key", &self.dpop_key.as_ref().map(|_| "<held>"))
            .field("dpop_nonce", &Held(self.dpop_nonce.as_deref()))
            .field("access_token_type", &self.access_token_type)
            .field("identity", &self.identity)
            .field("granted_scope", &self.granted_scope)
            .field("registered", &self.registered)
            .field("tokens", &tokens)
            .field("device", &self.device)
            .field(
                "previous_device_code",
                &Held(self.previous_device_code.as_deref()),
            )
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AuthorizationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationState")
            .field("state", &Held(Some(&self.state)))
            .field("redirect_uri", &self.redirect_uri)
            .field("redirect_uri_unregistered", &self.redirect_uri_unregistered)
            .field("scope", &self.scope)
            .field("code_verifier", &Held(self.code_verifier.as_deref()))
            .field("nonce", &Held(self.nonce.as_deref()))
            .field("response_type", &self.response_type)
            .field("id_token_claims", &self.id_token_claims)
            .field("userinfo_claims", &self.userinfo_claims)
            .field("resources", &self.resources)
            .field("authorization_details", &self.authorization_details)
            .field("sent_as", &self.sent_as)
            .field("response_mode", &self.response_mode)
            .field("acr_values", &self.acr_values)
            .field("claims_locales", &self.claims_locales)
            .field("login", &self.login)
            .finish()
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<&str> = self.params.iter().map(|(name, _)| name).collect();
        let args: Vec<&str> = self.args.keys().map(String::as_str).collect();
        f.debug_struct("Pending")
            .field("service", &self.service)
            .field("params", &params)
            .field("args", &args)
            .field("body", &Held(Some(&self.body)))
            .field("dpop", &Held(self.dpop.as_deref()))
            .field("authenticated", &self.authenticated)
            .finish()
    }
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

#[cfg(test)]
mod tests;

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
    /// RFC 8628 §4.
    pub device_authorization_endpoint: Option<String>,
    /// OIDC RP-Initiated Logout §2.1.
    pub end_session_endpoint: Option<String>,
    /// RFC 9207 §3: the AS puts `iss` in every authorization response.
    pub authorization_response_iss_parameter_supported: bool,
    /// OIDC Discovery §3: request objects by value are taken (default false).
    pub request_parameter_supported: bool,
    /// OIDC Discovery §3: `none` is among the request object algorithms,
    /// so an unsigned request object is taken (OIDC Core §6.1).
    pub request_object_none: bool,
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
            "device_authorization_endpoint" => self.device_authorization_endpoint.as_deref(),
            "end_session_endpoint" => self.end_session_endpoint.as_deref(),
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
            device_authorization_endpoint: text("device_authorization_endpoint"),
            end_session_endpoint: text("end_session_endpoint"),
            authorization_response_iss_parameter_supported: body
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            request_parameter_supported: body
                .get("request_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            request_object_none: body
                .get("request_object_signing_alg_values_supported")
                .and_then(Value::as_array)
                .is_some_and(|algs| algs.iter().any(|a| a.as_str() == Some("none"))),
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
    pub(crate) authorization_signed_response_alg: Option<String>,
}

impl Registered {
    pub(crate) fn apply(self, session: &mut Session) {
        session.profile.client_id = self.client_id;
        session.profile.client_secret = self.client_secret;
        session.profile.token_endpoint_auth_method = self.method;
        if let Some(alg) = self.id_token_signed_response_alg {
            session.profile.id_token_signed_response_alg = alg;
        }
        if let Some(alg) = self.authorization_signed_response_alg {
            session.profile.authorization_signed_response_alg = alg;
        }
        session.registered = true;
    }
}
