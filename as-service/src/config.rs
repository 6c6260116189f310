//! Server configuration: a TOML file (deploy/as.toml is the default, built
//! in), validated once at start so a request never meets a broken setting.
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use oauth_core::client_auth::AuthMethod;
use oauth_core::jose::JwsAlgorithm;
use oauth_core::scope::Scope;
use oauth_core::secret::Secret;
use serde::Deserialize;

/// The configuration every story needs, shipped in deploy/as.toml.
pub const DEFAULT_CONFIG: &str = include_str!("../../deploy/as.toml");

/// The lenient profile (`--lenient`), laid over a configuration: opaque
/// access tokens, no refresh rotation, urn:uuid request URIs for an hour —
/// what an AS that is not ours may well do.
pub const LENIENT_OVERLAY: &str = include_str!("../../deploy/as-lenient.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub issuer: String,
    #[serde(default)]
    pub listen: Option<String>,
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
    pub client_authentication: ClientAuthFileConfig,
    #[serde(default)]
    pub password_grant: PasswordGrantFileConfig,
    #[serde(default)]
    pub token_exchange: TokenExchangeFileConfig,
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
}

impl Default for ClientAuthFileConfig {
    fn default() -> Self {
        Self {
            assertion_max_lifetime: 300,
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
    /// Salt of pairwise subject identifiers (OIDC Core §8.1), also keying
    /// registered clients' secret digests and DPoP nonces. Keep it secret and
    /// stable, and the same on every replica. When unset it is derived from
    /// the private key set, which replicas share.
    #[serde(default)]
    pub pairwise_salt: Option<Secret>,
}

impl Default for IdTokenFileConfig {
    fn default() -> Self {
        Self {
            lifetime: 86400,
            pairwise_salt: None,
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFileConfig {
    pub password: Secret,
    #[serde(default)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// Grant types this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.1
    AuthorizationCode,
    /// RFC 6749 §4.2; OIDC Core §3.2: ID tokens from the authorization
    /// endpoint. Never used at the token endpoint.
    Implicit,
    /// RFC 6749 §6
    RefreshToken,
    /// RFC 8693
    TokenExchange,
    /// RFC 6749 §4.4
    ClientCredentials,
    /// RFC 6749 §4.3
    Password,
}

impl GrantType {
    pub const ALL: [GrantType; 6] = [
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::TokenExchange,
        GrantType::ClientCredentials,
        GrantType::Password,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::Implicit => "implicit",
            Self::RefreshToken => "refresh_token",
            Self::TokenExchange => oauth_core::token::GRANT_TYPE_TOKEN_EXCHANGE,
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Client authentication methods this server implements at the token,
/// introspection and revocation endpoints (`none`: public clients).
pub const AUTH_METHODS: [AuthMethod; 4] = [
    AuthMethod::ClientSecretBasic,
    AuthMethod::ClientSecretPost,
    AuthMethod::PrivateKeyJwt,
    AuthMethod::None,
];

/// Algorithms accepted on client-signed JWTs: request objects and client
/// assertions.
pub const CLIENT_JWT_ALGS: [&str; 2] = ["ES256", "RS256"];

/// Response types the authorization endpoint implements (RFC 6749 §4.1,
/// OIDC Core §3.2, §3.3).
pub const RESPONSE_TYPES: [&str; 3] = ["code", "id_token", "code id_token"];

/// ID token signing algorithms (OIDC Core §3.1.3.7: RS256 is the default).
pub const ID_TOKEN_ALGS: [&str; 2] = ["RS256", "ES256"];

/// Subject identifier types (OIDC Core §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SubjectType {
    Public,
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }
}

/// A registered client, validated. Serializable, so that a shared store
/// can hold dynamically registered clients.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Client {
    pub client_id: String,
    pub secret: Option<ClientSecret>,
    pub auth_methods: Vec<AuthMethod>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Scope,
    pub default_scope: Scope,
    pub access_token_lifetime: i64,
    pub redirect_uris: Vec<String>,
    pub response_types: Vec<String>,
    pub require_pkce: bool,
    pub audiences: Vec<String>,
    pub subject_type: SubjectType,
    /// The host pairwise subjects are computed for (OIDC Core §8.1).
    pub sector: String,
    pub id_token_alg: JwsAlgorithm,
    /// When the client secret stops working; `None`: never.
    pub secret_expires_at: Option<i64>,
    /// The client's public keys.
    pub jwks: Option<jsonwebtoken::jwk::JwkSet>,
    /// Registered through the registration endpoint.
    pub dynamic: bool,
    /// The algorithm its request objects must use; `None`: ES256 or RS256.
    pub request_object_alg: Option<JwsAlgorithm>,
    pub require_par: bool,
    /// Claims it may be given beyond those of its scopes.
    #[serde(default)]
    pub claims: Vec<String>,
}

impl Client {
    /// A public client: it holds no secret and cannot authenticate (RFC 6749 §2.1).
    pub fn is_public(&self) -> bool {
        self.auth_methods == [AuthMethod::None]
    }
}

/// What the server keeps of a client secret.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum ClientSecret {
    /// From the configuration file, where it is written anyway.
    Plain(Secret),
    /// For registered clients: an HMAC-SHA256 of the secret the server
    /// generated, under a server key, so the store never holds a usable
    /// secret (a fast keyed hash suffices for 256-bit random secrets).
    Hashed([u8; 32]),
}

/// A resource owner.
#[derive(Debug, Clone)]
pub struct User {
    pub password: Secret,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub issuer: String,
    pub listen: Option<String>,
    pub keys_file: Option<PathBuf>,
    pub store: Option<String>,
    pub access_token_alg: JwsAlgorithm,
    pub access_token_lifetime: i64,
    pub audience: Vec<String>,
    pub access_token_format: AccessTokenFormat,
    pub login_user: String,
    pub login_acr: String,
    pub code_lifetime: i64,
    pub pkce_plain_allowed: bool,
    pub max_outstanding_codes: usize,
    pub max_claims_bytes: usize,
    pub refresh_token_lifetime: i64,
    pub refresh_token_rotation: bool,
    pub id_token_lifetime: i64,
    /// The server secret behind pairwise subjects, registered clients'
    /// secret digests and DPoP nonces; `None`: derived from the key set.
    pub pairwise_salt: Option<Secret>,
    pub registration: RegistrationFileConfig,
    pub par: ParFileConfig,
    pub dpop: DpopFileConfig,
    pub client_authentication: ClientAuthFileConfig,
    pub password_grant: PasswordGrantFileConfig,
    pub token_exchange: TokenExchangeFileConfig,
    /// The canonical URL of every endpoint, derived from the issuer.
    pub endpoints: Endpoints,
    pub clients: BTreeMap<String, Arc<Client>>,
    pub users: BTreeMap<String, User>,
}

/// A configuration that cannot be served, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

impl Config {
    /// The longest a token this server signs stays valid, seconds: how long
    /// a retired signing key must stay published (key rotation).
    pub fn longest_signed_lifetime(&self) -> i64 {
        self.clients
            .values()
            .map(|c| c.access_token_lifetime)
            .chain([
                self.access_token_lifetime,
                self.id_token_lifetime,
                self.registration.access_token_lifetime,
            ])
            .max()
            .unwrap_or(0)
    }

    /// The built-in default configuration.
    pub fn default_config() -> Result<Self, ConfigError> {
        Self::from_toml(DEFAULT_CONFIG)
    }

    /// The built-in configuration with the lenient profile over it.
    pub fn lenient_config() -> Result<Self, ConfigError> {
        Self::from_toml_with_overlay(DEFAULT_CONFIG, LENIENT_OVERLAY)
    }

    /// A configuration with another laid over it: tables merge, values of
    /// the overlay replace the base's.
    pub fn from_toml_with_overlay(base: &str, overlay: &str) -> Result<Self, ConfigError> {
        let mut merged: toml::Table =
            toml::from_str(base).map_err(|e| ConfigError(format!("configuration: {e}")))?;
        let overlay: toml::Table =
            toml::from_str(overlay).map_err(|e| ConfigError(format!("overlay: {e}")))?;
        merge_tables(&mut merged, overlay);
        let file: FileConfig = merged
            .try_into()
            .map_err(|e| ConfigError(format!("configuration: {e}")))?;
        Self::from_file_config(file)
    }

    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let file: FileConfig =
            toml::from_str(text).map_err(|e| ConfigError(format!("configuration: {e}")))?;
        Self::from_file_config(file)
    }

    pub fn from_file_config(file: FileConfig) -> Result<Self, ConfigError> {
        let issuer = validate_issuer(&file.issuer)?;
        let access_token_alg = match file.access_token.signing_alg.as_str() {
            "ES256" => JwsAlgorithm::ES256,
            "RS256" => JwsAlgorithm::RS256,
            other => {
                return err(format!(
                    "access_token.signing_alg {other:?}: use ES256 or RS256"
                ));
            }
        };
        if file.access_token.lifetime <= 0 {
            return err("access_token.lifetime must be positive");
        }
        if file.access_token.audience.is_empty() {
            return err("access_token.audience must name at least one audience");
        }
        if file.authorization.code_lifetime <= 0 || file.refresh_token.lifetime <= 0 {
            return err("code and refresh token lifetimes must be positive");
        }
        if !file.users.contains_key(&file.authorization.user) {
            return err(format!(
                "authorization.user {:?} is not a configured user",
                file.authorization.user
            ));
        }
        if file.client_authentication.assertion_max_lifetime <= 0
            || file.password_grant.failure_window <= 0
            || file.registration.unused_lifetime <= 0
        {
            return err(
                "client_authentication.assertion_max_lifetime, password_grant.failure_window and registration.unused_lifetime must be positive",
            );
        }
        if file.authorization.max_outstanding_codes == 0 || file.authorization.max_claims_bytes == 0
        {
            return err(
                "authorization.max_outstanding_codes and max_claims_bytes must be positive",
            );
        }
        for g in &file.registration.grant_types {
            if GrantType::parse(g).is_none() {
                return err(format!(
                    "registration.grant_types: {g:?} is not a supported grant type"
                ));
            }
        }
        let mut clients = BTreeMap::new();
        for c in file.clients {
            let client =
                validate_client(c, &file.access_token.audience, file.access_token.lifetime)?;
            if clients.contains_key(&client.client_id) {
                return err(format!("client {:?} is configured twice", client.client_id));
            }
            check_client_policy(&client, &file.token_exchange)
                .map_err(|e| ConfigError(format!("client {:?}: {e}", client.client_id)))?;
            // RFC 9700 §4.15.1: a client's `sub` (client_credentials) must
            // never be mistaken for a user's.
            if file.users.contains_key(&client.client_id) {
                return err(format!(
                    "client {:?} has the name of a user; client ids and user names must differ",
                    client.client_id
                ));
            }
            clients.insert(client.client_id.clone(), Arc::new(client));
        }
        let users = file
            .users
            .into_iter()
            .map(|(name, u)| {
                (
                    name,
                    User {
                        password: u.password,
                        claims: u.claims,
                    },
                )
            })
            .collect();
        let endpoints = Endpoints::new(&issuer)?;
        Ok(Self {
            endpoints,
            issuer,
            listen: file.listen,
            keys_file: file.keys_file,
            store: file.store,
            access_token_alg,
            access_token_lifetime: file.access_token.lifetime,
            audience: file.access_token.audience,
            access_token_format: file.access_token.format,
            login_user: file.authorization.user,
            login_acr: file.authorization.acr,
            code_lifetime: file.authorization.code_lifetime,
            pkce_plain_allowed: file.authorization.pkce_plain_allowed,
            max_outstanding_codes: file.authorization.max_outstanding_codes,
            max_claims_bytes: file.authorization.max_claims_bytes,
            refresh_token_lifetime: file.refresh_token.lifetime,
            refresh_token_rotation: file.refresh_token.rotate,
            id_token_lifetime: file.id_token.lifetime,
            pairwise_salt: file.id_token.pairwise_salt,
            registration: file.registration,
            par: file.par,
            dpop: file.dpop,
            client_authentication: file.client_authentication,
            password_grant: file.password_grant,
            token_exchange: file.token_exchange,
            clients,
            users,
        })
    }

    /// Replaces the issuer (flag or environment), validating it; the
    /// endpoint URLs follow.
    pub fn set_issuer(&mut self, issuer: &str) -> Result<(), ConfigError> {
        let issuer = validate_issuer(issuer)?;
        self.endpoints = Endpoints::new(&issuer)?;
        self.issuer = issuer;
        Ok(())
    }
}

fn merge_tables(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(into)), toml::Value::Table(from)) => merge_tables(into, from),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// What a client may do whatever its metadata says: client_credentials
/// only for confidential clients (RFC 6749 §4.4); token exchange for public
/// clients only where the configuration allows it (RFC 8693 §5).
pub fn check_client_policy(
    client: &Client,
    token_exchange: &TokenExchangeFileConfig,
) -> Result<(), String> {
    if client.is_public() && client.grant_types.contains(&GrantType::ClientCredentials) {
        return Err("client_credentials is for confidential clients only (RFC 6749 §4.4); a public client (auth method none) cannot use it".into());
    }
    if client.is_public()
        && client.grant_types.contains(&GrantType::TokenExchange)
        && !token_exchange.public_clients
    {
        return Err("token exchange is not offered to public clients here (token_exchange.public_clients is false)".into());
    }
    Ok(())
}

/// The AS's endpoints, by what they serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    ServerMetadata,
    ProviderConfiguration,
    Jwks,
    Authorization,
    Token,
    Introspection,
    Revocation,
    Userinfo,
    Registration,
    PushedAuthorization,
}

impl Endpoint {
    pub const ALL: [Endpoint; 10] = [
        Self::ServerMetadata,
        Self::ProviderConfiguration,
        Self::Jwks,
        Self::Authorization,
        Self::Token,
        Self::Introspection,
        Self::Revocation,
        Self::Userinfo,
        Self::Registration,
        Self::PushedAuthorization,
    ];

    /// The path under the issuer (the well-known documents are placed by
    /// RFC 8414 §3.1 and OIDC Discovery §4.1 instead).
    fn path(self) -> &'static str {
        match self {
            Self::ServerMetadata | Self::ProviderConfiguration => "",
            Self::Jwks => "jwks.json",
            Self::Authorization => "authorization",
            Self::Token => "token",
            Self::Introspection => "introspection",
            Self::Revocation => "revocation",
            Self::Userinfo => "userinfo",
            Self::Registration => "register",
            Self::PushedAuthorization => "par",
        }
    }
}

/// The canonical URL of every endpoint, derived once from the issuer: the
/// URLs the metadata document publishes, and the only ones a request may be
/// addressed to — a DPoP proof's `htu` and a client assertion's `aud` are
/// compared with these, never with what the caller says the URL was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    urls: Vec<(Endpoint, url::Url)>,
}

impl Endpoints {
    pub fn new(issuer: &str) -> Result<Self, ConfigError> {
        use oauth_core::discovery::{endpoint_url, well_known_url};
        let bad = |e: url::ParseError| ConfigError(format!("issuer: {e}"));
        let mut urls = Vec::new();
        for endpoint in Endpoint::ALL {
            let url = match endpoint {
                // RFC 8414 §3.1: inserted between host and path.
                Endpoint::ServerMetadata => well_known_url(issuer, "oauth-authorization-server"),
                // OIDC Discovery §4.1: appended to the issuer.
                Endpoint::ProviderConfiguration => {
                    endpoint_url(issuer, ".well-known/openid-configuration")
                }
                other => endpoint_url(issuer, other.path()),
            }
            .map_err(bad)?;
            urls.push((endpoint, url));
        }
        // RFC 8414 §5: the OpenID configuration may also be found where
        // RFC 8414 would put it; the same place for an issuer with no path.
        urls.push((
            Endpoint::ProviderConfiguration,
            well_known_url(issuer, "openid-configuration").map_err(bad)?,
        ));
        Ok(Self { urls })
    }

    /// The endpoint's canonical URL.
    pub fn url(&self, endpoint: Endpoint) -> &url::Url {
        // Every endpoint was given a URL in `new`.
        match self.urls.iter().find(|(e, _)| *e == endpoint) {
            Some((_, url)) => url,
            None => unreachable!("Endpoints::new covers Endpoint::ALL"),
        }
    }

    /// Whether `url` addresses `endpoint`: same scheme, host, port and path
    /// (the query and fragment are not part of the endpoint).
    pub fn addresses(&self, endpoint: Endpoint, url: &url::Url) -> bool {
        self.urls.iter().any(|(e, canonical)| {
            *e == endpoint
                && canonical.scheme() == url.scheme()
                && canonical.host() == url.host()
                && canonical.port_or_known_default() == url.port_or_known_default()
                && canonical.path() == url.path()
        })
    }
}

/// RFC 8414 §2: an https URL with no query or fragment. Plain http is
/// accepted for loopback hosts only, for local testing.
fn validate_issuer(issuer: &str) -> Result<String, ConfigError> {
    let url =
        url::Url::parse(issuer).map_err(|e| ConfigError(format!("issuer {issuer:?}: {e}")))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return err(format!("issuer {issuer:?} must be an https URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return err(format!("issuer {issuer:?} must have no query or fragment"));
    }
    Ok(issuer.to_owned())
}

/// Validates a client's metadata, from the configuration file or from a
/// registration request.
pub fn validate_client(
    c: ClientFileConfig,
    default_audience: &[String],
    default_lifetime: i64,
) -> Result<Client, ConfigError> {
    let id = c.client_id.clone();
    if id.is_empty() {
        return err("a client has an empty client_id");
    }
    let mut grant_types = Vec::new();
    for g in &c.grant_types {
        match GrantType::parse(g) {
            Some(g) => grant_types.push(g),
            None => return err(format!("client {id:?}: grant type {g:?} is not supported")),
        }
    }
    if c.token_endpoint_auth_methods.is_empty() {
        return err(format!(
            "client {id:?}: token_endpoint_auth_methods is empty"
        ));
    }
    for m in &c.token_endpoint_auth_methods {
        if !AUTH_METHODS.contains(m) {
            return err(format!("client {id:?}: auth method {m} is not supported"));
        }
    }
    let public = c.token_endpoint_auth_methods == [AuthMethod::None];
    if c.token_endpoint_auth_methods.contains(&AuthMethod::None) && !public {
        return err(format!(
            "client {id:?}: \"none\" cannot be mixed with secret methods"
        ));
    }
    let secret_methods = c.token_endpoint_auth_methods.iter().any(|m| {
        matches!(
            m,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    });
    if c.token_endpoint_auth_methods
        .contains(&AuthMethod::PrivateKeyJwt)
        && c.jwks.is_none()
    {
        return err(format!(
            "client {id:?}: private_key_jwt needs the client's jwks"
        ));
    }
    match (&c.client_secret, public) {
        (Some(_), true) => {
            return err(format!(
                "client {id:?}: a public client (auth method none) has no secret"
            ));
        }
        (None, false) if secret_methods => {
            return err(format!(
                "client {id:?}: its auth methods need a client_secret"
            ));
        }
        (Some(s), false) if s.expose().is_empty() => {
            return err(format!("client {id:?}: the client_secret is empty"));
        }
        _ => {}
    }
    for rt in &c.response_types {
        if !RESPONSE_TYPES.contains(&rt.as_str()) {
            return err(format!(
                "client {id:?}: response type {rt:?} is not supported"
            ));
        }
    }
    // OIDC Registration §2: response types and grant types must agree.
    for rt in &c.response_types {
        if rt.split(' ').any(|t| t == "code")
            && !grant_types.contains(&GrantType::AuthorizationCode)
        {
            return err(format!(
                "client {id:?}: response type {rt:?} needs the authorization_code grant"
            ));
        }
        if rt.split(' ').any(|t| t == "id_token") && !grant_types.contains(&GrantType::Implicit) {
            return err(format!(
                "client {id:?}: response type {rt:?} needs the implicit grant"
            ));
        }
    }
    if grant_types.contains(&GrantType::Implicit) && c.redirect_uris.is_empty() {
        return err(format!(
            "client {id:?}: the implicit grant needs redirect_uris"
        ));
    }
    if grant_types.contains(&GrantType::AuthorizationCode) && c.redirect_uris.is_empty() {
        return err(format!(
            "client {id:?}: the authorization_code grant needs redirect_uris"
        ));
    }
    for uri in &c.redirect_uris {
        // RFC 6749 §3.1.2: absolute, no fragment.
        let parsed = url::Url::parse(uri)
            .map_err(|e| ConfigError(format!("client {id:?}: redirect URI {uri:?}: {e}")))?;
        if parsed.fragment().is_some() {
            return err(format!(
                "client {id:?}: redirect URI {uri:?} has a fragment"
            ));
        }
        // RFC 9700 §2.6: no plain http, but to the user's own machine
        // (RFC 8252 §7.3); a private-use scheme (RFC 8252 §7.1) is fine.
        let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if parsed.scheme() == "http" && !loopback {
            return err(format!(
                "client {id:?}: redirect URI {uri:?} uses http; use https (http only on loopback)"
            ));
        }
    }
    let subject_type = match c.subject_type.as_deref() {
        None | Some("public") => SubjectType::Public,
        Some("pairwise") => SubjectType::Pairwise,
        Some(other) => {
            return err(format!(
                "client {id:?}: subject_type {other:?}: use public or pairwise"
            ));
        }
    };
    // OIDC Core §8.1: the sector is the host of the redirect URIs, which
    // must then all share it (no sector_identifier_uri is fetched here).
    let hosts: std::collections::BTreeSet<String> = c
        .redirect_uris
        .iter()
        .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned))
        .collect();
    if subject_type == SubjectType::Pairwise && hosts.len() != 1 {
        return err(format!(
            "client {id:?}: pairwise subjects need redirect URIs on a single host"
        ));
    }
    let sector = hosts.into_iter().next().unwrap_or_else(|| id.clone());
    let id_token_alg = match c.id_token_signed_response_alg.as_deref() {
        None | Some("RS256") => JwsAlgorithm::RS256,
        Some("ES256") => JwsAlgorithm::ES256,
        Some(other) => {
            return err(format!(
                "client {id:?}: id_token_signed_response_alg {other:?}: use RS256 or ES256"
            ));
        }
    };
    let request_object_alg = match c.request_object_signing_alg.as_deref() {
        None => None,
        Some(alg) if CLIENT_JWT_ALGS.contains(&alg) => alg.parse().ok(),
        Some(other) => {
            return err(format!(
                "client {id:?}: request_object_signing_alg {other:?}: use ES256 or RS256"
            ));
        }
    };
    let jwks = match &c.jwks {
        None => None,
        Some(value) => {
            Some(public_jwks(value).map_err(|e| ConfigError(format!("client {id:?}: jwks: {e}")))?)
        }
    };
    let scopes = Scope::parse(&c.scopes.join(" "))
        .map_err(|e| ConfigError(format!("client {id:?}: {e}")))?;
    let default_scope = match &c.default_scope {
        Some(list) => {
            let s = Scope::parse(&list.join(" "))
                .map_err(|e| ConfigError(format!("client {id:?}: {e}")))?;
            if !s.is_subset_of(&scopes) {
                return err(format!("client {id:?}: default_scope exceeds scopes"));
            }
            s
        }
        None => scopes.clone(),
    };
    let access_token_lifetime = c.access_token_lifetime.unwrap_or(default_lifetime);
    if access_token_lifetime <= 0 {
        return err(format!(
            "client {id:?}: access_token_lifetime must be positive"
        ));
    }
    Ok(Client {
        client_id: c.client_id,
        secret: c.client_secret.map(ClientSecret::Plain),
        auth_methods: c.token_endpoint_auth_methods,
        grant_types,
        scopes,
        default_scope,
        access_token_lifetime,
        redirect_uris: c.redirect_uris,
        response_types: c.response_types,
        require_pkce: c.require_pkce || public,
        audiences: c.audiences.unwrap_or_else(|| default_audience.to_vec()),
        subject_type,
        sector,
        id_token_alg,
        secret_expires_at: None,
        jwks,
        dynamic: false,
        request_object_alg,
        require_par: c.require_pushed_authorization_requests,
        claims: c.claims,
    })
}

/// A client's JWK set: public keys only. A private member or a symmetric
/// key would put a secret where anyone may read it (RFC 7517 §5,
/// RFC 7591 §2), so either refuses the whole set.
pub fn public_jwks(value: &serde_json::Value) -> Result<jsonwebtoken::jwk::JwkSet, String> {
    const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
    let keys = value
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or("not a JWK set: no keys array")?;
    if keys.is_empty() {
        return Err("the key set is empty".into());
    }
    for key in keys {
        let kid = key
            .get("kid")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("?");
        if key.get("kty").and_then(serde_json::Value::as_str) == Some("oct") {
            return Err(format!(
                "key {kid:?} is a symmetric (oct) key: never publish a secret"
            ));
        }
        if let Some(member) = PRIVATE.iter().find(|m| key.get(**m).is_some()) {
            return Err(format!("key {kid:?} carries the private member {member:?}"));
        }
    }
    oauth_core::jose::parse_jwks(&value.to_string()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_is_valid() {
        let c = Config::default_config().unwrap();
        assert_eq!(c.issuer, "https://example.com/");
        let client = &c.clients["client_1"];
        assert_eq!(client.default_scope.to_string(), "resourceA");
        assert!(c.users["diana"].password.matches("krall"));
        assert_eq!(c.users["diana"].claims["address"]["locality"], "Umeå");
    }

    #[test]
    fn refuses_unknown_grant_types_and_fields() {
        let bad = DEFAULT_CONFIG.replace(
            "grant_types = [\"client_credentials\", \"password\"]",
            "grant_types = [\"implicit_magic\"]",
        );
        assert!(
            Config::from_toml(&bad)
                .unwrap_err()
                .0
                .contains("implicit_magic")
        );
        let typo = format!("issuers = 1\n{DEFAULT_CONFIG}");
        assert!(Config::from_toml(&typo).is_err());
    }

    #[test]
    fn refuses_a_plain_http_issuer_off_loopback() {
        let mut c = Config::default_config().unwrap();
        assert!(c.set_issuer("http://example.com/").is_err());
        assert!(c.set_issuer("http://127.0.0.1:8080/").is_ok());
        assert!(c.set_issuer("https://example.com/?x=1").is_err());
    }
}
