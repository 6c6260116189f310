//! The configuration file's schema, with the defaults of what it may omit.
use std::collections::BTreeMap;
use std::path::PathBuf;

use oauth_core::client_auth::AuthMethod;
use oauth_core::secret::Secret;
use serde::Deserialize;

mod device;
mod grants;
pub use device::DeviceFileConfig;
pub use grants::{DetailsTypeFileConfig, JwtBearerIssuerFileConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub issuer: String,
    #[serde(default)]
    pub listen: Option<String>,
    /// Where the endpoints are also served over plain HTTP, at the paths
    /// the metadata publishes; unset: gRPC only.
    #[serde(default)]
    pub http_listen: Option<String>,
    /// Connections the HTTP front serves at once (at least 1); at the cap,
    /// new ones wait in the listen backlog. Unset: 256 per core
    /// (`as_service::http::default_max_connections`).
    #[serde(default)]
    pub http_max_connections: Option<std::num::NonZeroUsize>,
    #[serde(default)]
    pub keys_file: Option<PathBuf>,
    /// Where grants live: `memory` (default) or `redis://HOST:PORT/DB`,
    /// shared by every replica pointed at it.
    #[serde(default)]
    pub store: Option<String>,
    pub access_token: AccessTokenFileConfig,
    #[serde(default)]
    pub authorization: AuthorizationFileConfig,
    #[serde(default)]
    pub refresh_token: RefreshTokenFileConfig,
    #[serde(default)]
    pub id_token: IdTokenFileConfig,
    #[serde(default)]
    pub registration: RegistrationFileConfig,
    #[serde(default)]
    pub par: ParFileConfig,
    #[serde(default)]
    pub dpop: DpopFileConfig,
    #[serde(default)]
    pub device: DeviceFileConfig,
    #[serde(default)]
    pub client_authentication: ClientAuthFileConfig,
    #[serde(default)]
    pub password_grant: PasswordGrantFileConfig,
    #[serde(default)]
    pub token_exchange: TokenExchangeFileConfig,
    /// Rich authorization requests (RFC 9396): the types understood.
    #[serde(default)]
    pub authorization_details_types: Vec<DetailsTypeFileConfig>,
    /// The issuers whose JWTs the jwt-bearer grant accepts (RFC 7523 §2.1).
    #[serde(default)]
    pub jwt_bearer_issuers: Vec<JwtBearerIssuerFileConfig>,
    #[serde(default)]
    pub clients: Vec<ClientFileConfig>,
    #[serde(default)]
    pub users: BTreeMap<String, UserFileConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessTokenFileConfig {
    pub signing_alg: String,
    pub lifetime: i64,
    pub audience: Vec<String>,
    /// `jwt` (RFC 9068, the default) or `opaque` (random values the AS
    /// looks up; to a client an access token is opaque either way, RFC
    /// 6749 §1.4).
    #[serde(default)]
    pub format: AccessTokenFormat,
}

/// How access tokens are issued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessTokenFormat {
    #[default]
    Jwt,
    Opaque,
}

/// The authorization endpoint: whom it logs in, and code settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationFileConfig {
    /// The user the endpoint authenticates without interaction.
    pub user: String,
    /// The authentication context class reported for that login.
    pub acr: String,
    /// Authorization code lifetime, seconds (RFC 6749 §4.1.2: short).
    pub code_lifetime: i64,
    /// Accept `code_challenge_method=plain` (RFC 7636 §4.2); S256 only when false.
    pub pkce_plain_allowed: bool,
    /// Unused, unexpired codes one client may have at once: the
    /// authorization endpoint is anonymous, so this bounds what anyone can
    /// make the server keep.
    #[serde(default = "default_max_outstanding_codes")]
    pub max_outstanding_codes: usize,
    /// Largest `claims` parameter accepted (OIDC Core §5.5), bytes.
    #[serde(default = "default_max_claims_bytes")]
    pub max_claims_bytes: usize,
    /// Show a page where a person picks one of the configured users and
    /// approves, instead of logging `user` in without interaction.
    #[serde(default)]
    pub interactive: bool,
    /// How long a browser's login at the authorization endpoint (its
    /// session cookie) lasts from when the user authenticated, seconds.
    #[serde(default = "default_session_lifetime")]
    pub session_lifetime: i64,
}

fn default_session_lifetime() -> i64 {
    8 * 3600
}

fn default_max_outstanding_codes() -> usize {
    1000
}

fn default_max_claims_bytes() -> usize {
    4096
}

impl Default for AuthorizationFileConfig {
    fn default() -> Self {
        Self {
            user: "diana".into(),
            acr: "urn:oasis:names:tc:SAML:2.0:ac:classes:InternetProtocolPassword".into(),
            code_lifetime: 600,
            pkce_plain_allowed: false,
            max_outstanding_codes: default_max_outstanding_codes(),
            max_claims_bytes: default_max_claims_bytes(),
            interactive: false,
            session_lifetime: default_session_lifetime(),
        }
    }
}

/// Client authentication with signed assertions (RFC 7523 §3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientAuthFileConfig {
    /// How far ahead an assertion's `exp` may be, seconds: its `jti` is
    /// remembered that long at most.
    pub assertion_max_lifetime: i64,
    /// Clock skew allowed on the times of client assertions and request
    /// objects (`exp`, `nbf`, `iat`), seconds.
    #[serde(default = "default_jwt_leeway")]
    pub leeway: i64,
}

fn default_jwt_leeway() -> i64 {
    60
}

impl Default for ClientAuthFileConfig {
    fn default() -> Self {
        Self {
            assertion_max_lifetime: 300,
            leeway: default_jwt_leeway(),
        }
    }
}

/// The resource owner password grant (RFC 6749 §4.3): failed attempts are
/// counted per user and per client over a window (RFC 6749 §10.7: protect
/// against brute force), and refused once over the limit until it ends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordGrantFileConfig {
    pub max_failures_per_user: u64,
    pub max_failures_per_client: u64,
    /// Seconds.
    pub failure_window: i64,
}

impl Default for PasswordGrantFileConfig {
    fn default() -> Self {
        Self {
            max_failures_per_user: 5,
            max_failures_per_client: 20,
            failure_window: 300,
        }
    }
}

/// Token exchange (RFC 8693).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenExchangeFileConfig {
    /// Public clients may exchange tokens (RFC 8693 §5: the AS decides
    /// which clients may; by default only clients that authenticate).
    pub public_clients: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenFileConfig {
    pub lifetime: i64,
    /// Rotate refresh tokens on every use (RFC 9700 §4.14.2). When false,
    /// a confidential client's refresh token stays valid and no new one is
    /// issued (RFC 6749 §6: rotation is the AS's choice); a public client's
    /// is still rotated unless it is DPoP-bound (RFC 9700 §2.2.2).
    #[serde(default = "default_true")]
    pub rotate: bool,
}

fn default_true() -> bool {
    true
}

impl Default for RefreshTokenFileConfig {
    fn default() -> Self {
        Self {
            lifetime: 43200,
            rotate: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTokenFileConfig {
    pub lifetime: i64,
    /// The secret pairwise subject identifiers (OIDC Core §8.1) are
    /// derived from; it also keys registered clients' secret digests and
    /// DPoP nonces. Keep it secret and stable, and the same on every
    /// replica. Unset: the server secret of the key file, which replicas
    /// share. `pairwise_salt`, its former name, is still read.
    #[serde(default, alias = "pairwise_salt")]
    pub pairwise_secret: Option<Secret>,
}

impl Default for IdTokenFileConfig {
    fn default() -> Self {
        Self {
            lifetime: 86400,
            pairwise_secret: None,
        }
    }
}

/// Pushed authorization requests (RFC 9126).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParFileConfig {
    /// Lifetime of a request_uri, seconds (RFC 9126 §2.2).
    pub lifetime: i64,
    /// Every client must push its authorization requests.
    pub required: bool,
    /// The form of request_uri values: `urn:ietf:params:oauth:request_uri`
    /// (the default) or `urn:uuid` (RFC 9126 §2.2 leaves it to the AS).
    #[serde(default)]
    pub request_uri_form: RequestUriForm,
}

/// The URN namespace of pushed request URIs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum RequestUriForm {
    #[default]
    #[serde(rename = "urn:ietf:params:oauth:request_uri")]
    Ietf,
    #[serde(rename = "urn:uuid")]
    Uuid,
}

impl Default for ParFileConfig {
    fn default() -> Self {
        Self {
            lifetime: 60,
            required: false,
            request_uri_form: RequestUriForm::Ietf,
        }
    }
}

/// DPoP (RFC 9449).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpopFileConfig {
    /// How old a proof may be, seconds (its jti is remembered that long).
    pub max_age: i64,
    /// How far in the future a proof's iat may be, seconds.
    pub leeway: i64,
    /// Demand server-provided nonces (RFC 9449 §8).
    pub require_nonce: bool,
}

impl Default for DpopFileConfig {
    fn default() -> Self {
        Self {
            max_age: 300,
            leeway: 60,
            require_nonce: false,
        }
    }
}

/// Dynamic client registration (OIDC Registration, RFC 7591).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationFileConfig {
    pub enabled: bool,
    /// Lifetime of an issued client secret, seconds; 0: never expires.
    pub secret_lifetime: i64,
    /// How many clients may register, so open registration cannot exhaust memory.
    pub max_clients: usize,
    /// The scopes a registered client may ask for.
    pub scopes: Vec<String>,
    /// Access token lifetime of registered clients, seconds.
    pub access_token_lifetime: i64,
    /// The grant types a registered client may have (RFC 7591 §2: the
    /// server decides). Never `password` (RFC 9700 §2.4) unless listed here.
    #[serde(default = "default_registration_grant_types")]
    pub grant_types: Vec<String>,
    /// Largest registration request accepted, bytes.
    #[serde(default = "default_max_metadata_bytes")]
    pub max_metadata_bytes: usize,
    /// Most keys a registered client's `jwks` may hold.
    #[serde(default = "default_max_keys")]
    pub max_keys: usize,
    /// A registered client that is not used for this long is forgotten, seconds.
    #[serde(default = "default_unused_lifetime")]
    pub unused_lifetime: i64,
    /// Registrations one caller (network peer) may make per minute; 0: no limit.
    #[serde(default = "default_max_per_caller_per_minute")]
    pub max_per_caller_per_minute: u64,
}

fn default_registration_grant_types() -> Vec<String> {
    [
        "authorization_code",
        "implicit",
        "refresh_token",
        oauth_core::token::GRANT_TYPE_TOKEN_EXCHANGE,
    ]
    .map(String::from)
    .to_vec()
}

fn default_max_metadata_bytes() -> usize {
    8 * 1024
}

fn default_max_keys() -> usize {
    4
}

fn default_unused_lifetime() -> i64 {
    86400
}

fn default_max_per_caller_per_minute() -> u64 {
    30
}

impl Default for RegistrationFileConfig {
    fn default() -> Self {
        Self {
            grant_types: default_registration_grant_types(),
            max_metadata_bytes: default_max_metadata_bytes(),
            max_keys: default_max_keys(),
            unused_lifetime: default_unused_lifetime(),
            max_per_caller_per_minute: default_max_per_caller_per_minute(),
            enabled: true,
            secret_lifetime: 30 * 86400,
            max_clients: 10_000,
            scopes: [
                "openid",
                "profile",
                "email",
                "address",
                "phone",
                "offline_access",
                "foobar",
            ]
            .map(String::from)
            .to_vec(),
            access_token_lifetime: 600,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientFileConfig {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    pub token_endpoint_auth_methods: Vec<AuthMethod>,
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Granted when a request names no scope (RFC 6749 §3.3); all allowed scopes if unset.
    #[serde(default)]
    pub default_scope: Option<Vec<String>>,
    #[serde(default)]
    pub access_token_lifetime: Option<i64>,
    /// Registered redirect URIs, matched exactly (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub response_types: Vec<String>,
    /// Require PKCE at the authorization endpoint (always so for public clients).
    #[serde(default)]
    pub require_pkce: bool,
    /// Audiences this client may ask for in a token exchange (RFC 8693 §2.1);
    /// the server's default audience when unset.
    #[serde(default)]
    pub audiences: Option<Vec<String>>,
    /// `public` (default) or `pairwise` (OIDC Core §8).
    #[serde(default)]
    pub subject_type: Option<String>,
    /// RS256 (default) or ES256.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    /// RS256 (default) or ES256: how its JWT-secured authorization
    /// responses are signed (JARM §3).
    #[serde(default)]
    pub authorization_signed_response_alg: Option<String>,
    /// The client's public keys (a JWK set), for signed requests.
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// The only algorithm accepted on its request objects (RFC 9101 §10.2).
    #[serde(default)]
    pub request_object_signing_alg: Option<String>,
    /// Authorization requests must come through PAR (RFC 9126 §6).
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// User claims the client may be given beyond those its scopes carry
    /// (OIDC Core §5.5 requests are granted within scopes and this list).
    #[serde(default)]
    pub claims: Vec<String>,
    /// The authorization details types it may use (RFC 9396 §10), each one
    /// of the server's `authorization_details_types`.
    #[serde(default)]
    pub authorization_details_types: Vec<String>,
    /// Every token request carries a DPoP proof (RFC 9449 §5.2).
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// `fapi2`: the client runs under the FAPI 2.0 Security Profile (§5.3):
    /// private_key_jwt with the issuer as sole audience, PAR, PKCE S256,
    /// DPoP-bound tokens, the code flow only, codes for 60 s at most.
    #[serde(default)]
    pub security_profile: Option<String>,
    /// Where the user agent may be sent after logout, matched exactly
    /// (OIDC RP-Initiated Logout §3.1).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted (OIDC Back-Channel Logout §2.2).
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Its logout tokens must carry `sid` (OIDC Back-Channel Logout §2.2).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFileConfig {
    pub password: Secret,
    #[serde(default)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}
