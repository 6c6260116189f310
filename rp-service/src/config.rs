//! RP configuration: the AS it talks to and its client profiles
//! (deploy/rp.toml is the default, built in).
use std::collections::BTreeMap;
use std::fmt;

use oauth_core::client_auth::AuthMethod;
use oauth_core::secret::Secret;
use serde::Deserialize;

pub const DEFAULT_CONFIG: &str = include_str!("../../deploy/rp.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub listen: Option<String>,
    pub issuer: String,
    /// Endpoint URLs used until discovery (RFC 8414) has found the AS's own,
    /// by metadata name: `token_endpoint`, `jwks_uri`, ...
    pub endpoints: BTreeMap<String, String>,
    #[serde(default = "default_idle")]
    pub session_idle_timeout: u64,
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
    /// The identity provider whose assertions the jwt_bearer service
    /// presents (RFC 7523 §2.1), standing in for one the RP would get them from.
    #[serde(default)]
    pub assertion_issuer: Option<AssertionIssuer>,
    #[serde(default, rename = "profiles")]
    profile_list: Vec<Profile>,
    #[serde(skip)]
    pub profiles: BTreeMap<String, Profile>,
}

/// An identity provider the AS trusts for the JWT bearer grant: its name,
/// the user its assertions are about, and its private key. `Debug` never
/// shows the key.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssertionIssuer {
    pub issuer: String,
    pub subject: String,
    pub key: oauth_core::jose::PrivateJwk,
}

impl fmt::Debug for AssertionIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionIssuer")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("key", &"[redacted]")
            .finish()
    }
}

fn default_idle() -> u64 {
    600
}

fn default_max_sessions() -> usize {
    10_000
}

/// One client registration as the RP knows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    pub token_endpoint_auth_method: AuthMethod,
    /// Scope asked for when a step names none; none asked if unset.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub verify_access_token: bool,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// Where the AS sends the authorization response.
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// Use PKCE (S256) on authorization requests unless a step says otherwise.
    #[serde(default)]
    pub pkce: bool,
    /// The only algorithm accepted on ID tokens (OIDC Core §3.1.3.7 (7)).
    #[serde(default = "default_id_token_alg")]
    pub id_token_signed_response_alg: String,
    /// The only algorithm accepted on response JWTs (JARM §3: RS256 unless
    /// the client registered another).
    #[serde(default = "default_id_token_alg")]
    pub authorization_signed_response_alg: String,
    /// The client registers itself (OIDC Registration): no credentials until then.
    #[serde(default)]
    pub register: bool,
    /// The private key its private_key_jwt assertions are signed with, when
    /// the AS knows its public key from configuration; the RP's own key
    /// (published at registration) otherwise.
    #[serde(default)]
    pub signing_key: Option<oauth_core::jose::PrivateJwk>,
    /// Under the FAPI 2.0 Security Profile: client assertions name the
    /// issuer as their sole audience (§5.3.2.1).
    #[serde(default)]
    pub fapi2: bool,
    /// Where the OP sends the user agent after logout (OIDC RP-Initiated
    /// Logout §2), one of the client's registered URIs.
    #[serde(default)]
    pub post_logout_redirect_uri: Option<String>,
}

fn default_id_token_alg() -> String {
    "RS256".into()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The configured URL of an AS endpoint, by metadata name.
    pub fn endpoint(&self, name: &str) -> Option<&str> {
        self.endpoints.get(name).map(String::as_str)
    }

    /// The AS this RP is a client of becomes `issuer`; each fallback
    /// endpoint URL under the former issuer moves under the new one, as the
    /// AS derives its endpoints from its issuer (the others stay).
    pub fn set_issuer(&mut self, issuer: &str) -> Result<(), ConfigError> {
        let base = |url: &str| -> Result<String, ConfigError> {
            let mut parsed =
                url::Url::parse(url).map_err(|e| ConfigError(format!("issuer {url:?}: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https")
                || parsed.cannot_be_a_base()
                || parsed.query().is_some()
                || parsed.fragment().is_some()
            {
                return Err(ConfigError(format!(
                    "issuer {url:?} must be an http(s) URL with no query or fragment"
                )));
            }
            if !parsed.path().ends_with('/') {
                let path = format!("{}/", parsed.path());
                parsed.set_path(&path);
            }
            Ok(parsed.into())
        };
        let (old, new) = (base(&self.issuer)?, base(issuer)?);
        for url in self.endpoints.values_mut() {
            if let Some(rest) = url.strip_prefix(&old) {
                *url = format!("{new}{rest}");
            }
        }
        self.issuer = issuer.to_owned();
        Ok(())
    }

    pub fn default_config() -> Result<Self, ConfigError> {
        Self::from_toml(DEFAULT_CONFIG)
    }

    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| ConfigError(format!("configuration: {e}")))?;
        for url in std::iter::once(&config.issuer).chain(config.endpoints.values()) {
            url::Url::parse(url).map_err(|e| ConfigError(format!("{url:?}: {e}")))?;
        }
        for p in std::mem::take(&mut config.profile_list) {
            if !p.register
                && matches!(
                    p.token_endpoint_auth_method,
                    AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
                )
                && p.client_secret.is_none()
            {
                return Err(ConfigError(format!(
                    "profile {:?}: {} needs a client_secret",
                    p.name, p.token_endpoint_auth_method
                )));
            }
            if let AuthMethod::Extension(m) = &p.token_endpoint_auth_method {
                return Err(ConfigError(format!(
                    "profile {:?}: auth method {m} is not supported",
                    p.name
                )));
            }
            if let Some(uri) = &p.redirect_uri {
                url::Url::parse(uri)
                    .map_err(|e| ConfigError(format!("profile {:?}: redirect_uri: {e}", p.name)))?;
            }
            if config.profiles.insert(p.name.clone(), p).is_some() {
                return Err(ConfigError("two profiles share a name".into()));
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_issuer_carries_the_endpoints_under_the_old_one_along() {
        let mut c = Config::default_config().unwrap();
        c.endpoints
            .insert("elsewhere".into(), "https://other.example/x".into());
        c.set_issuer("http://127.0.0.1:8080").unwrap();
        assert_eq!(c.issuer, "http://127.0.0.1:8080");
        assert_eq!(
            c.endpoint("token_endpoint"),
            Some("http://127.0.0.1:8080/token")
        );
        assert_eq!(
            c.endpoint("jwks_uri"),
            Some("http://127.0.0.1:8080/jwks.json")
        );
        assert_eq!(c.endpoint("elsewhere"), Some("https://other.example/x"));
    }

    #[test]
    fn an_issuer_that_is_no_url_is_refused() {
        let mut c = Config::default_config().unwrap();
        let e = c.set_issuer("127.0.0.1:8080/").unwrap_err();
        assert!(e.to_string().contains("issuer"), "{e}");
        let e = c.set_issuer("https://op.example/?tenant=a").unwrap_err();
        assert!(e.to_string().contains("no query"), "{e}");
        assert_eq!(c.issuer, "https://example.com/", "left as it was");
    }

    #[test]
    fn the_default_configuration_is_valid() {
        let c = Config::default_config().unwrap();
        let p = &c.profiles["client_1"];
        assert_eq!(p.token_endpoint_auth_method, AuthMethod::ClientSecretBasic);
        assert!(
            p.client_secret
                .as_ref()
                .unwrap()
                .matches("another password")
        );
    }
}
