//! Server configuration: a TOML file (deploy/as.toml is the default, built
//! in), validated once at start so a request never meets a broken setting.
//!
//! `file` is the TOML schema with its defaults, `client` a client's
//! metadata validated, `registry` what this server implements (grant types,
//! algorithms, response types), `endpoints` the canonical endpoint URLs;
//! this module turns a file into a [`Config`].
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use oauth_core::jose::JwsAlgorithm;
use oauth_core::secret::Secret;

mod client;
mod endpoints;
mod file;
mod registry;

pub use client::{
    Client, ClientError, ClientProblem, ClientSecret, JwksError, PolicyError, check_client_policy,
    public_jwks, validate_client,
};
pub use endpoints::{Endpoint, Endpoints};
pub use file::{
    AccessTokenFileConfig, AccessTokenFormat, AuthorizationFileConfig, ClientAuthFileConfig,
    ClientFileConfig, DeviceFileConfig, DpopFileConfig, FileConfig, IdTokenFileConfig,
    ParFileConfig, PasswordGrantFileConfig, RefreshTokenFileConfig, RegistrationFileConfig,
    RequestUriForm, TokenExchangeFileConfig, UserFileConfig,
};
pub use registry::{
    ASSERTION_ALGS, AUTH_METHODS, CLIENT_JWT_ALGS, GRANT_TYPES, GrantType, ID_TOKEN_ALGS,
    RESPONSE_TYPES, ResponseType, SUBJECT_TYPES, SubjectType, alg_names, grant_type, response_type,
};

/// The configuration every story needs, shipped in deploy/as.toml.
pub const DEFAULT_CONFIG: &str = include_str!("../../../deploy/as.toml");

/// The lenient profile (`--lenient`), laid over a configuration: opaque
/// access tokens, no refresh rotation, urn:uuid request URIs for an hour —
/// what an AS that is not ours may well do.
pub const LENIENT_OVERLAY: &str = include_str!("../../../deploy/as-lenient.toml");

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
    pub http_listen: Option<String>,
    pub http_max_connections: Option<std::num::NonZeroUsize>,
    pub keys_file: Option<PathBuf>,
    pub store: Option<String>,
    pub access_token_alg: JwsAlgorithm,
    pub access_token_lifetime: i64,
    pub audience: Vec<String>,
    pub access_token_format: AccessTokenFormat,
    pub login_user: String,
    pub login_acr: String,
    /// The authorization endpoint asks a person to pick a user and approve.
    pub interactive: bool,
    /// How long a browser session (its cookie) lasts from the login, seconds.
    pub session_lifetime: i64,
    pub code_lifetime: i64,
    pub pkce_plain_allowed: bool,
    pub max_outstanding_codes: usize,
    pub max_claims_bytes: usize,
    pub refresh_token_lifetime: i64,
    pub refresh_token_rotation: bool,
    pub id_token_lifetime: i64,
    /// The secret behind pairwise subjects (OIDC Core §8.1), registered
    /// clients' secret digests and DPoP nonces (`[id_token]
    /// pairwise_secret`); `None`: the key set's server secret.
    pub pairwise_secret: Option<Secret>,
    pub registration: RegistrationFileConfig,
    pub par: ParFileConfig,
    pub dpop: DpopFileConfig,
    /// The device authorization grant (RFC 8628).
    pub device: DeviceFileConfig,
    pub client_authentication: ClientAuthFileConfig,
    pub password_grant: PasswordGrantFileConfig,
    pub token_exchange: TokenExchangeFileConfig,
    /// RFC 9396: each authorization details type understood, with the
    /// members a detail of that type may carry beside `type`.
    pub authorization_details_types: BTreeMap<String, Vec<String>>,
    /// RFC 7523 §2.1: the issuers whose assertions are grants, with their keys.
    pub jwt_bearer_issuers: BTreeMap<String, jsonwebtoken::jwk::JwkSet>,
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

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
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
        if file.authorization.session_lifetime <= 0 {
            return err("authorization.session_lifetime must be positive");
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
        let device = &file.device;
        if device.interval < 1
            || device.lifetime <= device.interval
            || !(6..=16).contains(&device.user_code_length)
            || device.max_user_code_failures == 0
            || device.failure_window <= 0
            || device.max_global_user_code_failures == 0
            || device.global_failure_window <= 0
        {
            return err(
                "device: interval at least 1, lifetime longer than interval, user_code_length 6 to 16, max_user_code_failures, failure_window, max_global_user_code_failures and global_failure_window positive",
            );
        }
        if file.authorization.max_outstanding_codes == 0 || file.authorization.max_claims_bytes == 0
        {
            return err(
                "authorization.max_outstanding_codes and max_claims_bytes must be positive",
            );
        }
        for g in &file.registration.grant_types {
            if grant_type(g).is_none() {
                return err(format!(
                    "registration.grant_types: {g:?} is not a supported grant type"
                ));
            }
        }
        let mut details_types = BTreeMap::new();
        for t in file.authorization_details_types {
            if t.type_name.is_empty() || t.fields.iter().any(|f| f == "type") {
                return err(format!(
                    "authorization_details_types: {:?} needs a name, and `type` is not one of its fields",
                    t.type_name
                ));
            }
            if details_types
                .insert(t.type_name.clone(), t.fields)
                .is_some()
            {
                return err(format!(
                    "authorization_details_types: {:?} is configured twice",
                    t.type_name
                ));
            }
        }
        let mut jwt_bearer_issuers = BTreeMap::new();
        for i in file.jwt_bearer_issuers {
            let keys = client::public_jwks(&i.jwks)
                .map_err(|e| ConfigError(format!("jwt_bearer_issuers {:?}: {e}", i.issuer)))?;
            if i.issuer.is_empty() || jwt_bearer_issuers.insert(i.issuer.clone(), keys).is_some() {
                return err(format!(
                    "jwt_bearer_issuers: {:?} is empty or configured twice",
                    i.issuer
                ));
            }
        }
        let mut clients = BTreeMap::new();
        for c in file.clients {
            let client =
                validate_client(c, &file.access_token.audience, file.access_token.lifetime)
                    .map_err(|e| ConfigError(e.to_string()))?;
            if clients.contains_key(&client.client_id) {
                return err(format!("client {:?} is configured twice", client.client_id));
            }
            check_client_policy(&client, &file.token_exchange)
                .map_err(|e| ConfigError(format!("client {:?}: {e}", client.client_id)))?;
            if let Some(unknown) = client
                .authorization_details_types
                .iter()
                .find(|t| !details_types.contains_key(*t))
            {
                return err(format!(
                    "client {:?}: authorization_details_types names {unknown:?}, which is not among the server's authorization_details_types",
                    client.client_id
                ));
            }
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
            http_listen: file.http_listen,
            http_max_connections: file.http_max_connections,
            keys_file: file.keys_file,
            store: file.store,
            access_token_alg,
            access_token_lifetime: file.access_token.lifetime,
            audience: file.access_token.audience,
            access_token_format: file.access_token.format,
            login_user: file.authorization.user,
            login_acr: file.authorization.acr,
            interactive: file.authorization.interactive,
            session_lifetime: file.authorization.session_lifetime,
            code_lifetime: file.authorization.code_lifetime,
            pkce_plain_allowed: file.authorization.pkce_plain_allowed,
            max_outstanding_codes: file.authorization.max_outstanding_codes,
            max_claims_bytes: file.authorization.max_claims_bytes,
            refresh_token_lifetime: file.refresh_token.lifetime,
            refresh_token_rotation: file.refresh_token.rotate,
            id_token_lifetime: file.id_token.lifetime,
            pairwise_secret: file.id_token.pairwise_secret,
            registration: file.registration,
            par: file.par,
            dpop: file.dpop,
            device: file.device,
            client_authentication: file.client_authentication,
            password_grant: file.password_grant,
            token_exchange: file.token_exchange,
            authorization_details_types: details_types,
            jwt_bearer_issuers,
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

    /// No client secret, user password or server secret in `Debug`, the
    /// form every log line and panic message would print.
    #[test]
    fn debug_shows_no_secret() {
        let with_secret = DEFAULT_CONFIG.replace(
            "[id_token]",
            "[id_token]\npairwise_secret = \"the-pairwise-secret\"",
        );
        let c = Config::from_toml(&with_secret).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("client_1"));
        let secrets = c
            .clients
            .values()
            .filter_map(|client| match &client.secret {
                Some(ClientSecret::Plain(s)) => Some(s.expose().to_owned()),
                _ => None,
            })
            .chain(c.users.values().map(|u| u.password.expose().to_owned()))
            .chain(["the-pairwise-secret".to_owned()])
            .collect::<Vec<_>>();
        assert!(secrets.len() > 3);
        for secret in &secrets {
            assert!(!shown.contains(secret.as_str()), "{secret} in {shown}");
        }
        let mut registered = (*c.clients["client_1"]).clone();
        registered.secret = Some(ClientSecret::Hashed([0xab; 32]));
        let shown = format!("{registered:?}");
        assert!(shown.contains("Hashed([redacted])"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
    }

    /// `[id_token] pairwise_secret`, and its former name `pairwise_salt`.
    #[test]
    fn reads_the_pairwise_secret_under_either_name() {
        for key in ["pairwise_secret", "pairwise_salt"] {
            let text = DEFAULT_CONFIG.replace("[id_token]", &format!("[id_token]\n{key} = \"s3\""));
            let c = Config::from_toml(&text).unwrap();
            assert_eq!(c.pairwise_secret.as_ref().map(Secret::expose), Some("s3"));
        }
        assert!(Config::default_config().unwrap().pairwise_secret.is_none());
    }

    #[test]
    fn refuses_unknown_grant_types_and_fields() {
        let bad = DEFAULT_CONFIG.replace(
            "grant_types = [\"client_credentials\", \"password\", \"urn:ietf:params:oauth:grant-type:jwt-bearer\"]",
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

    /// `http_max_connections` beside `http_listen`: a positive count; 0 is
    /// refused by name.
    #[test]
    fn reads_the_http_connection_cap_and_refuses_zero() {
        let with = |n: &str| {
            DEFAULT_CONFIG.replace(
                "listen = \"127.0.0.1:50051\"",
                &format!("listen = \"127.0.0.1:50051\"\nhttp_max_connections = {n}"),
            )
        };
        let c = Config::from_toml(&with("64")).unwrap();
        assert_eq!(c.http_max_connections.map(usize::from), Some(64));
        assert!(
            Config::default_config()
                .unwrap()
                .http_max_connections
                .is_none()
        );
        let e = Config::from_toml(&with("0")).unwrap_err().0;
        assert!(e.contains("http_max_connections"), "{e}");
        assert!(Config::from_toml(&with("-1")).is_err());
    }

    #[test]
    fn refuses_a_plain_http_issuer_off_loopback() {
        let mut c = Config::default_config().unwrap();
        assert!(c.set_issuer("http://example.com/").is_err());
        assert!(c.set_issuer("http://127.0.0.1:8080/").is_ok());
        assert!(c.set_issuer("https://example.com/?x=1").is_err());
    }
}
