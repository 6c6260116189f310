//! Running the stories against a server the project does not run
//! (`run --issuer URL`): its metadata discovered once (and checked: the
//! issuer it names is the one asked about, its endpoints https or loopback
//! http), the RP configured for it with the client settings given, and each
//! story either run or skipped with the reason the server cannot run it.
use std::path::Path;

use oauth_core::secret::Secret;
use oidc_story_proto::v1::OAuthRequest;
use serde::Deserialize;
use serde_json::Value;

use crate::carrier::{Carrier, check_url};

/// The client the stories use at the server: from `--client FILE` (TOML,
/// the same names) and the flags, the flags winning.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    /// `token_endpoint_auth_method`: client_secret_basic, client_secret_post, none.
    pub auth_method: Option<String>,
    /// A resource owner, for the password grant.
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// PKCE on the code flows: `auto` (S256 wherever the server lists it,
    /// RFC 9700 §2.1.1), `always` or `never`.
    pub pkce: Option<String>,
    /// Where the user agent returns after logout (OIDC RP-Initiated Logout
    /// §3), as registered.
    pub post_logout_redirect_uri: Option<String>,
    /// The client's registered back-channel logout URI, on loopback: the
    /// orchestrator listens there (OIDC Back-Channel Logout §2.2).
    pub backchannel_logout_uri: Option<String>,
    /// Resources (RFC 8707) the client may obtain tokens for at this
    /// server, standing in for the stories' own, in order.
    #[serde(default)]
    pub resources: Vec<String>,
}

impl ClientSettings {
    /// Reads `--client FILE` (or `--client2 FILE`: `flag` names it).
    pub fn from_file(path: &Path, flag: &str) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{flag} {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{flag} {}: {e}", path.display()))
    }

    /// `other`'s settings over these.
    pub fn overridden_by(self, other: ClientSettings) -> Self {
        Self {
            client_id: other.client_id.or(self.client_id),
            client_secret: other.client_secret.or(self.client_secret),
            redirect_uri: other.redirect_uri.or(self.redirect_uri),
            scope: other.scope.or(self.scope),
            auth_method: other.auth_method.or(self.auth_method),
            username: other.username.or(self.username),
            password: other.password.or(self.password),
            pkce: other.pkce.or(self.pkce),
            post_logout_redirect_uri: other
                .post_logout_redirect_uri
                .or(self.post_logout_redirect_uri),
            backchannel_logout_uri: other.backchannel_logout_uri.or(self.backchannel_logout_uri),
            resources: if other.resources.is_empty() {
                self.resources
            } else {
                other.resources
            },
        }
    }

    /// What the transcript header says of the client (secrets redacted).
    pub fn describe(&self) -> String {
        let Some(id) = &self.client_id else {
            return "the built-in client profiles (deploy/rp.toml)".into();
        };
        let mut parts = vec![format!("client_id {id}")];
        if self.client_secret.is_some() {
            parts.push("client_secret [redacted]".into());
        }
        if let Some(m) = &self.auth_method {
            parts.push(format!("auth method {m}"));
        }
        if let Some(r) = &self.redirect_uri {
            parts.push(format!("redirect_uri {r}"));
        }
        if let Some(s) = &self.scope {
            parts.push(format!("scope {s:?}"));
        }
        if let Some(u) = &self.username {
            parts.push(format!("resource owner {u} (password [redacted])"));
        }
        parts.join(", ")
    }
}

/// The server as discovered.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub issuer: String,
    /// Its metadata (OIDC Discovery, else RFC 8414).
    pub metadata: Value,
    /// Which documents it publishes: OpenID configuration, RFC 8414.
    pub openid_configuration: bool,
    pub oauth_metadata: bool,
}

/// The URL of a well-known document for an issuer: RFC 8414 §3.1 inserts
/// the suffix before the issuer's path; OIDC Discovery §4 appends it.
fn well_known(issuer: &str, suffix: &str, insert: bool) -> String {
    let url = if insert {
        oauth_core::discovery::well_known_url(issuer, suffix)
    } else {
        oauth_core::discovery::endpoint_url(issuer, &format!(".well-known/{suffix}"))
    };
    url.map(String::from)
        .unwrap_or_else(|_| format!("{}/.well-known/{suffix}", issuer.trim_end_matches('/')))
}

async fn fetch_metadata(carrier: &Carrier, url: &str) -> Result<Option<Value>, String> {
    let request = OAuthRequest {
        method: "GET".into(),
        url: url.to_owned(),
        headers: [("accept".to_owned(), "application/json".to_owned())].into(),
        body: String::new(),
    };
    let response = carrier.send(&request).await.map_err(|e| e.to_string())?;
    if response.status == 404 {
        return Ok(None);
    }
    if response.status != 200 {
        return Err(format!("{url}: status {}", response.status));
    }
    let value: Value = serde_json::from_str(&response.body)
        .map_err(|e| format!("{url}: not a JSON document: {e}"))?;
    if !value.is_object() {
        return Err(format!("{url}: not a JSON object"));
    }
    Ok(Some(value))
}

/// Endpoint members whose URLs requests are sent to.
use rp_service::service::discovery::ENDPOINT_MEMBERS as ENDPOINTS;

mod clients;
mod needs;

pub use needs::needs_fresh_user_agent;

pub use clients::{Registered, SecondClient, clean_up, register_second, registered_in};
pub use needs::plays_second_client;

/// Discovers the server: its OpenID configuration or its RFC 8414 metadata,
/// whose `issuer` must be the URL asked about (OIDC Discovery §4.3, RFC 8414
/// §3.3) and whose endpoints must be https (or http on loopback).
pub async fn discover(carrier: &Carrier, issuer: &str) -> Result<Issuer, String> {
    check_url(issuer).map_err(|e| e.to_string())?;
    let openid =
        fetch_metadata(carrier, &well_known(issuer, "openid-configuration", false)).await?;
    let oauth = fetch_metadata(
        carrier,
        &well_known(issuer, "oauth-authorization-server", true),
    )
    .await
    .unwrap_or(None);
    let metadata = match (&openid, &oauth) {
        (Some(m), _) | (None, Some(m)) => m.clone(),
        (None, None) => {
            return Err(format!(
                "{issuer} publishes neither {} nor {}",
                well_known(issuer, "openid-configuration", false),
                well_known(issuer, "oauth-authorization-server", true)
            ));
        }
    };
    let named = metadata.get("issuer").and_then(Value::as_str).unwrap_or("");
    if named != issuer {
        return Err(format!(
            "the metadata names the issuer {named:?}, not {issuer:?} (OIDC Discovery §4.3, RFC 8414 §3.3): refused"
        ));
    }
    for member in ENDPOINTS {
        if let Some(url) = metadata.get(member).and_then(Value::as_str) {
            check_url(url).map_err(|e| format!("{member}: {e}"))?;
        }
    }
    Ok(Issuer {
        issuer: issuer.to_owned(),
        metadata,
        openid_configuration: openid.is_some(),
        oauth_metadata: oauth.is_some(),
    })
}

impl Issuer {
    /// Whether every code flow sends PKCE against this server: with `auto`
    /// (the default), S256 wherever its metadata lists S256 in
    /// `code_challenge_methods_supported` (RFC 9700 §2.1.1: clients use
    /// PKCE; RFC 8414 §2); `None` leaves each story as written.
    pub fn pkce_for(&self, client: &ClientSettings) -> Result<Option<bool>, String> {
        match client.pkce.as_deref().unwrap_or("auto") {
            "auto" => Ok(self
                .lists("code_challenge_methods_supported", "S256", &[])
                .then_some(true)),
            "always" => Ok(Some(true)),
            "never" => Ok(Some(false)),
            other => Err(format!("--pkce {other:?}: use auto, always or never")),
        }
    }

    /// The RP's configuration for this server: its issuer and endpoints,
    /// and the profiles with the given client in place of the built-in ones
    /// (a self-registering profile keeps registering itself); `second`, a
    /// second client of the user's (`--client2`, or one the run
    /// registered), in place of the built-in `client_2`.
    pub fn rp_config(
        &self,
        client: &ClientSettings,
        second: Option<&ClientSettings>,
    ) -> Result<rp_service::config::Config, String> {
        let mut config = rp_service::config::Config::default_config().map_err(|e| e.to_string())?;
        config.issuer = self.issuer.clone();
        config.endpoints = ENDPOINTS
            .iter()
            .filter_map(|m| {
                let url = self.metadata.get(*m)?.as_str()?;
                Some(((*m).to_owned(), url.to_owned()))
            })
            .collect();
        if let Some(pkce) = self.pkce_for(client)? {
            for profile in config.profiles.values_mut() {
                profile.pkce = pkce;
            }
        }
        // Without a client of the user's, the built-in profiles come back to
        // the redirect URI given (a loopback one for --browser).
        if client.client_id.is_none()
            && let Some(r) = &client.redirect_uri
        {
            for profile in config.profiles.values_mut() {
                profile.redirect_uri = Some(r.clone());
            }
        }
        if client.client_id.is_some() {
            for profile in config.profiles.values_mut().filter(|p| p.register) {
                // A client that registers itself asks for the same redirect.
                if let Some(r) = &client.redirect_uri {
                    profile.redirect_uri = Some(r.clone());
                }
            }
            for profile in config.profiles.values_mut().filter(|p| !p.register) {
                put_client(profile, client);
            }
            if let Some(second) = second
                && let Some(profile) = config.profiles.get_mut(SECOND_PROFILE)
            {
                put_client(profile, second);
            }
        }
        Ok(config)
    }
}

/// The built-in profile the attacks played by a second client use.
pub const SECOND_PROFILE: &str = "client_2";

/// A profile made the given client (one with a `client_id`).
fn put_client(profile: &mut rp_service::config::Profile, client: &ClientSettings) {
    let method = match (&client.auth_method, &client.client_secret) {
        (Some(m), _) => oauth_core::client_auth::AuthMethod::parse(m),
        (None, Some(_)) => oauth_core::client_auth::AuthMethod::ClientSecretBasic,
        (None, None) => oauth_core::client_auth::AuthMethod::None,
    };
    if let Some(id) = &client.client_id {
        profile.client_id = id.clone();
    }
    profile.client_secret = client.client_secret.clone();
    profile.token_endpoint_auth_method = method;
    if let Some(r) = &client.redirect_uri {
        profile.redirect_uri = Some(r.clone());
    }
    if let Some(s) = &client.scope {
        profile.scope = Some(s.clone());
    }
    profile.post_logout_redirect_uri = client.post_logout_redirect_uri.clone();
    profile.username = client.username.clone();
    profile.password = client.password.clone();
    // Our own AS's access tokens are JWTs the RP can verify; another
    // server's need not be.
    profile.verify_access_token = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls_follow_each_standard() {
        assert_eq!(
            well_known("https://op.example/", "openid-configuration", false),
            "https://op.example/.well-known/openid-configuration"
        );
        // RFC 8414 §3.1: the suffix goes between the host and the path.
        assert_eq!(
            well_known(
                "https://op.example/tenant1",
                "oauth-authorization-server",
                true
            ),
            "https://op.example/.well-known/oauth-authorization-server/tenant1"
        );
        // OIDC Discovery §4: appended to the issuer, path and all.
        assert_eq!(
            well_known("https://op.example/tenant1", "openid-configuration", false),
            "https://op.example/tenant1/.well-known/openid-configuration"
        );
    }

    #[test]
    fn a_story_needing_what_the_server_lacks_is_skipped_with_the_reason() {
        let issuer = Issuer {
            issuer: "https://op.example".into(),
            metadata: serde_json::json!({
                "issuer": "https://op.example",
                "authorization_endpoint": "https://op.example/authorize",
                "token_endpoint": "https://op.example/token",
                "jwks_uri": "https://op.example/jwks",
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "response_types_supported": ["code"],
            }),
            openid_configuration: true,
            oauth_metadata: false,
        };
        let client = ClientSettings::default();
        let second = SecondClient::BuiltIn;
        let cc = crate::catalog::find("oauth2_cc").unwrap();
        assert_eq!(
            issuer.cannot_run(cc, &client, &second).as_deref(),
            Some("the client_credentials grant is not offered")
        );
        for story in ["oidc_form_post", "oauth2_jarm"] {
            let story = crate::catalog::find(story).unwrap();
            assert!(
                issuer
                    .cannot_run(story, &client, &second)
                    .is_some_and(|why| why.contains("response_mode")),
                "{}",
                story.name
            );
        }
        let par = crate::catalog::find("oauth2_add_on_par").unwrap();
        assert!(issuer.cannot_run(par, &client, &second).is_some());
        let oidc = crate::catalog::find("oidc_code").unwrap();
        assert_eq!(
            issuer.cannot_run(oidc, &client, &second).as_deref(),
            Some("no userinfo_endpoint")
        );
        let device = crate::catalog::find("oauth2_device_code").unwrap();
        assert_eq!(
            issuer.cannot_run(device, &client, &second).as_deref(),
            Some("no device_authorization_endpoint (RFC 8628)")
        );
        // A claims request made up to a size is a claims request too.
        let padded = crate::catalog::find("attack_claims_oversized").unwrap();
        assert_eq!(
            issuer.cannot_run(padded, &client, &second).as_deref(),
            Some("the claims parameter is not offered")
        );
        // The endpoint without the grant announced is no better.
        let mut half = issuer;
        half.metadata["userinfo_endpoint"] = "https://op.example/userinfo".into();
        half.metadata["device_authorization_endpoint"] = "https://op.example/device".into();
        assert_eq!(
            half.cannot_run(device, &client, &second).as_deref(),
            Some("the device_code grant (RFC 8628) is not offered")
        );
    }

    #[test]
    fn the_second_client_becomes_client_2_and_without_one_its_attacks_are_skipped() {
        let issuer = Issuer {
            issuer: "https://op.example".into(),
            metadata: serde_json::json!({
                "issuer": "https://op.example",
                "authorization_endpoint": "https://op.example/authorize",
                "token_endpoint": "https://op.example/token",
            }),
            openid_configuration: true,
            oauth_metadata: false,
        };
        let first = ClientSettings {
            client_id: Some("app".into()),
            client_secret: Some("s1".into()),
            scope: Some("read".into()),
            ..Default::default()
        };
        let second = ClientSettings {
            client_id: Some("app2".into()),
            client_secret: Some("s2".into()),
            redirect_uri: Some("https://app2.example/cb".into()),
            ..Default::default()
        };
        let config = issuer.rp_config(&first, Some(&second)).unwrap();
        let client_2 = &config.profiles[SECOND_PROFILE];
        assert_eq!(client_2.client_id, "app2");
        assert_eq!(
            client_2.redirect_uri.as_deref(),
            Some("https://app2.example/cb")
        );
        assert_eq!(config.profiles["client"].client_id, "app");
        let attack = crate::catalog::find("attack_code_other_client").unwrap();
        assert!(needs::plays_second_client(attack));
        let lacking = SecondClient::Lacking("a second client: --client2 FILE".into());
        assert_eq!(
            issuer.cannot_run(attack, &first, &lacking).as_deref(),
            Some("a second client: --client2 FILE")
        );
        assert_eq!(
            issuer.cannot_run(attack, &first, &SecondClient::Given(second)),
            None
        );
        // The built-in profiles have their own client_2.
        assert_eq!(
            issuer.cannot_run(attack, &ClientSettings::default(), &lacking),
            None
        );
    }

    #[test]
    fn the_header_never_shows_a_secret() {
        let settings = ClientSettings {
            client_id: Some("app".into()),
            client_secret: Some("s3cret".into()),
            password: Some("hunter2".into()),
            username: Some("alice".into()),
            ..Default::default()
        };
        let shown = settings.describe();
        assert!(shown.contains("client_id app"));
        assert!(
            !shown.contains("s3cret") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
