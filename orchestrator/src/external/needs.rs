//! What a story needs of a server, read off its metadata: the stories a
//! server the project does not run cannot take part in, and why.
use rp_service::service::registry::ClientService;
use serde_json::Value;

use super::{ClientSettings, Issuer, SecondClient};
use crate::catalog::Story;

/// Whether a story is an attack played by a second client: a code or
/// request_uri of the first redeemed by another (profile `client_2`).
pub fn plays_second_client(story: &Story) -> bool {
    story
        .steps
        .iter()
        .flat_map(|s| s.args.iter())
        .any(|(k, _)| *k == "client")
}

/// The device authorization grant's type (RFC 8628 §3.4).
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

impl Issuer {
    fn has(&self, member: &str) -> bool {
        self.metadata.get(member).and_then(Value::as_str).is_some()
    }

    /// Whether a list member holds a value; `default` when the member is
    /// absent (RFC 8414 §2 defaults).
    pub(crate) fn lists(&self, member: &str, value: &str, default: &[&str]) -> bool {
        match self.metadata.get(member).and_then(Value::as_array) {
            Some(list) => list.iter().any(|v| v.as_str() == Some(value)),
            None => default.contains(&value),
        }
    }

    /// Why this server cannot run a story, if it cannot: an endpoint, grant
    /// type or feature the story needs that its metadata does not offer, or
    /// a client it needs that the run does not have (`second`: the second
    /// client of the attacks played by another client).
    pub fn cannot_run(
        &self,
        story: &Story,
        client: &ClientSettings,
        second: &SecondClient,
    ) -> Option<String> {
        let arg = |name: &str| {
            story
                .steps
                .iter()
                .flat_map(|s| s.args.iter())
                .find(|(k, _)| *k == name)
                .map(|(_, v)| *v)
        };
        let custom_client = client.client_id.is_some();
        // A story that registers its client names that client's URIs itself.
        let registers = story
            .steps
            .iter()
            .any(|s| s.service == ClientService::Registration);
        // A revocation without client authentication proves nothing with
        // a public client, which never sends any (RFC 7009 §2.1).
        let public = matches!(
            (client.auth_method.as_deref(), &client.client_secret),
            (Some("none"), _) | (None, None)
        );
        if custom_client
            && public
            && story.steps.iter().any(|s| {
                s.attack != crate::catalog::Attack::None
                    && s.service == ClientService::TokenRevocation
                    && s.args.contains(&("token_endpoint_auth_method", "none"))
            })
        {
            return Some(
                "a confidential client: the client given is public, so a request without client authentication is its own"
                    .into(),
            );
        }
        // An attack played by a second client (a code or request_uri of
        // the first's redeemed by another): the user's client cannot stand
        // in for both; a second one is given (`--client2`) or registered.
        if custom_client
            && plays_second_client(story)
            && let Some(why) = second.lacking()
        {
            return Some(why.to_owned());
        }
        for step in story.steps {
            let missing = match step.service {
                // Without RFC 8414 metadata the OpenID configuration stands
                // in (RFC 8414 §5).
                ClientService::ServerMetadata
                    if !self.oauth_metadata && !self.openid_configuration =>
                {
                    Some("no RFC 8414 metadata (/.well-known/oauth-authorization-server)")
                }
                ClientService::ProviderInfo if !self.openid_configuration => {
                    Some("no OpenID configuration (/.well-known/openid-configuration)")
                }
                ClientService::Jwks if !self.has("jwks_uri") => Some("no jwks_uri"),
                ClientService::ClientCredentials
                    if !self.lists("grant_types_supported", "client_credentials", &[]) =>
                {
                    Some("the client_credentials grant is not offered")
                }
                ClientService::ResourceOwnerPasswordCredentials
                    if !self.lists("grant_types_supported", "password", &[]) =>
                {
                    Some("the password grant is not offered")
                }
                ClientService::ResourceOwnerPasswordCredentials
                    if custom_client && client.username.is_none() =>
                {
                    Some("no resource owner given (username and password in --client FILE)")
                }
                ClientService::JwtBearer
                    if !self.lists(
                        "grant_types_supported",
                        "urn:ietf:params:oauth:grant-type:jwt-bearer",
                        &[],
                    ) =>
                {
                    Some("the JWT bearer grant (RFC 7523) is not offered")
                }
                // The assertion comes from the demo identity provider of the
                // RP's configuration, which only the built-in clients' AS trusts.
                ClientService::JwtBearer if custom_client => Some(
                    "the JWT bearer assertions come from the built-in demo identity provider, which another server does not trust",
                ),
                ClientService::Authorization if !self.has("authorization_endpoint") => {
                    Some("no authorization_endpoint")
                }
                ClientService::RefreshToken
                    if !self.lists(
                        "grant_types_supported",
                        "refresh_token",
                        &["refresh_token"],
                    ) =>
                {
                    Some("the refresh_token grant is not offered")
                }
                // A look at a SHOULD (was the token revoked?) is left out
                // where there is no endpoint (`Services::omits`).
                ClientService::Introspection
                    if !self.has("introspection_endpoint") && !step.only_looks() =>
                {
                    Some("no introspection_endpoint")
                }
                ClientService::TokenRevocation if !self.has("revocation_endpoint") => {
                    Some("no revocation_endpoint")
                }
                ClientService::TokenExchange
                    if !self.lists(
                        "grant_types_supported",
                        "urn:ietf:params:oauth:grant-type:token-exchange",
                        &[],
                    ) =>
                {
                    Some("token exchange (RFC 8693) is not offered")
                }
                ClientService::Userinfo if !self.has("userinfo_endpoint") => {
                    Some("no userinfo_endpoint")
                }
                ClientService::Registration if !self.has("registration_endpoint") => {
                    Some("no registration_endpoint (dynamic registration)")
                }
                // The method a registration story is about must be one the
                // server offers (OIDC Discovery §3: client_secret_basic when
                // it lists none).
                ClientService::Registration
                    if step
                        .args
                        .iter()
                        .find(|(k, _)| *k == "token_endpoint_auth_method")
                        .is_some_and(|(_, m)| {
                            !self.lists(
                                "token_endpoint_auth_methods_supported",
                                m,
                                &["client_secret_basic"],
                            )
                        }) =>
                {
                    Some(
                        "the client authentication method it registers is not offered (token_endpoint_auth_methods_supported)",
                    )
                }
                ClientService::PushedAuthorization
                    if !self.has("pushed_authorization_request_endpoint") =>
                {
                    Some("no pushed_authorization_request_endpoint (PAR)")
                }
                ClientService::EndSession if !self.has("end_session_endpoint") => {
                    Some("no end_session_endpoint (OIDC RP-Initiated Logout)")
                }
                // The built-in profiles name one; a client of the user's
                // own has the one it registered, given here.
                ClientService::EndSession
                    if custom_client && !registers && client.post_logout_redirect_uri.is_none() =>
                {
                    Some(
                        "RP-initiated logout needs the client's registered post_logout_redirect_uri: --post-logout-redirect-uri URL",
                    )
                }
                ClientService::BackchannelLogout
                    if self.metadata.get("backchannel_logout_supported")
                        != Some(&Value::Bool(true)) =>
                {
                    Some("back-channel logout is not offered (backchannel_logout_supported)")
                }
                // Over HTTP the server posts its logout tokens to the
                // client's back-channel URI itself: the orchestrator must
                // be listening there.
                ClientService::BackchannelLogout if client.backchannel_logout_uri.is_none() => {
                    Some(
                        "back-channel logout tokens go to the client's registered backchannel_logout_uri: register http://127.0.0.1:PORT/PATH and pass it as --backchannel-uri",
                    )
                }
                ClientService::DeviceAuthorization
                    if !self.has("device_authorization_endpoint") =>
                {
                    Some("no device_authorization_endpoint (RFC 8628)")
                }
                ClientService::DeviceToken
                    if !self.lists("grant_types_supported", DEVICE_GRANT, &[]) =>
                {
                    Some("the device_code grant (RFC 8628) is not offered")
                }
                _ => None,
            };
            if let Some(why) = missing {
                return Some(why.to_owned());
            }
        }
        // `omit`: no response type at all (an attack), nothing to offer.
        if let Some(rt) = arg("response_type").filter(|rt| *rt != "omit")
            && !self.lists("response_types_supported", rt, &[])
        {
            return Some(format!("response_type {rt:?} is not offered"));
        }
        // OAuth 2.0 Multiple Response Types §2.1: query and fragment when
        // the server lists no modes.
        if let Some(mode) = arg("response_mode")
            && !self.lists("response_modes_supported", mode, &["query", "fragment"])
        {
            return Some(format!("response_mode {mode:?} is not offered"));
        }
        if arg("dpop").is_some() && !self.has_list("dpop_signing_alg_values_supported") {
            return Some("DPoP (RFC 9449) is not offered".into());
        }
        // OIDC Discovery §3: request objects by value where
        // request_parameter_supported is true (false when absent); RFC 8414
        // metadata names their algorithms instead. An unsigned one is taken
        // or declined as the algorithms say: the story judges either.
        let by_value = self.metadata.get("request_parameter_supported");
        match arg("jar") {
            Some(_) if by_value == Some(&Value::Bool(false)) => {
                return Some(
                    "request objects by value are not offered (request_parameter_supported)".into(),
                );
            }
            Some("unsigned") if by_value != Some(&Value::Bool(true)) => {
                return Some("request objects by value are not offered (request_parameter_supported is not true)".into());
            }
            Some("value") if !self.has_list("request_object_signing_alg_values_supported") => {
                return Some("request objects (RFC 9101) are not offered".into());
            }
            _ => {}
        }
        // A usage story about PKCE needs the method offered (RFC 8414 §2);
        // an attack on it runs wherever, a provider ignoring it being the
        // finding.
        if arg("pkce") == Some("S256")
            && story.kind() == crate::catalog::Kind::Usage
            && !self.lists("code_challenge_methods_supported", "S256", &[])
        {
            return Some("PKCE S256 is not offered (code_challenge_methods_supported)".into());
        }
        // OIDC Discovery §3: a display value the OP lists none of is not
        // offered; an OP listing none says nothing (ui_locales,
        // claims_locales, login_hint and acr_values are preferences and
        // hints, which need nothing).
        if let Some(display) = arg("display")
            && self.has_list("display_values_supported")
            && !self.lists("display_values_supported", display, &[])
        {
            return Some(format!(
                "display {display:?} is not offered (display_values_supported)"
            ));
        }
        // FAPI 2.0: the built-in client's keys are known to the built-in AS
        // alone; a client of the user's own is not registered under the profile.
        if story.profile == "fapi2" && custom_client {
            return Some(
                "it needs a client registered under FAPI 2.0 (private_key_jwt with the built-in demo key)"
                    .into(),
            );
        }
        // OIDC Core §9: the story is the method; the server must offer it,
        // and a client of the user's own must be registered for it.
        if story.profile == "client_hmac" {
            if !self.lists(
                "token_endpoint_auth_methods_supported",
                "client_secret_jwt",
                &[],
            ) {
                return Some("client_secret_jwt (OIDC Core §9) is not offered".into());
            }
            if custom_client && client.auth_method.as_deref() != Some("client_secret_jwt") {
                return Some(
                    "the client given does not authenticate with client_secret_jwt (--auth-method)"
                        .into(),
                );
            }
        }
        // RFC 8707 publishes no list of resources: the story's are those
        // the built-in AS's clients may use; a client of the user's needs
        // as many of its own.
        let used = crate::catalog::RESOURCES
            .iter()
            .filter(|r| {
                story
                    .steps
                    .iter()
                    .flat_map(|s| s.args.iter())
                    .any(|(k, v)| *k == "resource" && v.split(' ').any(|one| one == **r))
            })
            .count();
        if used > 0 && custom_client && client.resources.len() < used {
            return Some(format!(
                "it needs {used} resources (RFC 8707) the client may obtain tokens for at this server, which it does not publish: --resource URL, {used} times"
            ));
        }
        // RFC 9396 §10: the types a server understands are published.
        if let Some(details) = arg("authorization_details") {
            let types: Vec<String> = serde_json::from_str::<Vec<Value>>(details)
                .unwrap_or_default()
                .iter()
                .filter_map(|d| d.get("type").and_then(Value::as_str).map(str::to_owned))
                .collect();
            if let Some(missing) = types
                .iter()
                .find(|t| !self.lists("authorization_details_types_supported", t, &[]))
            {
                return Some(format!(
                    "authorization details of type {missing:?} (RFC 9396) are not offered"
                ));
            }
        }
        // A claims request given, or made up to a size (`claims_padding`).
        if (arg("claims").is_some() || arg("claims_padding").is_some())
            && self.metadata.get("claims_parameter_supported") != Some(&Value::Bool(true))
        {
            return Some("the claims parameter is not offered".into());
        }
        None
    }

    fn has_list(&self, member: &str) -> bool {
        self.metadata
            .get(member)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    }
}

/// Whether a story needs a user agent nobody has logged in with: its first
/// authorization asks `prompt=none` (OIDC Core §3.1.2.6). A browser handed
/// the page (`--browser`) may hold a login from before, so there the
/// story cannot tell a provider that refuses from one that remembers.
pub fn needs_fresh_user_agent(story: &Story) -> bool {
    story
        .steps
        .iter()
        .find(|s| s.service == ClientService::Authorization)
        .is_some_and(|s| s.args.contains(&("prompt", "none")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(metadata: Value) -> Issuer {
        Issuer {
            issuer: "https://op.example".into(),
            metadata,
            openid_configuration: true,
            oauth_metadata: false,
        }
    }

    fn why(issuer: &Issuer, story: &str) -> Option<String> {
        let story = crate::catalog::find(story).unwrap();
        issuer.cannot_run(story, &ClientSettings::default(), &SecondClient::BuiltIn)
    }

    #[test]
    fn the_basic_op_stories_need_only_what_their_parameter_needs() {
        let op = issuer(serde_json::json!({
            "issuer": "https://op.example",
            "authorization_endpoint": "https://op.example/authorize",
            "token_endpoint": "https://op.example/token",
            "userinfo_endpoint": "https://op.example/userinfo",
            "jwks_uri": "https://op.example/jwks",
            "response_types_supported": ["code"],
            "display_values_supported": ["page"],
        }));
        // Preferences and hints need nothing.
        for story in [
            "oidc_claims_locales",
            "oidc_ui_locales",
            "oidc_login_hint",
            "oidc_acr_values",
            "oidc_unknown_parameter",
            "oidc_code_without_nonce",
            "oidc_scope_all",
            "oidc_userinfo_post_body",
            "oidc_display_page",
            "oidc_refresh_token",
        ] {
            assert_eq!(why(&op, story), None, "{story}");
        }
        assert_eq!(
            why(&op, "oidc_display_popup").as_deref(),
            Some("display \"popup\" is not offered (display_values_supported)")
        );
        // OIDC Discovery §3: request_parameter_supported defaults to false.
        assert!(
            why(&op, "oidc_request_object_unsigned")
                .is_some_and(|w| w.contains("request_parameter_supported"))
        );
        assert!(why(&op, "oidc_code_pkce").is_some_and(|w| w.contains("S256")));
        // An attack on PKCE runs all the same: a provider ignoring it is
        // the finding; a request without response_type needs none offered.
        assert_eq!(why(&op, "attack_pkce_downgrade"), None);
        assert_eq!(why(&op, "attack_response_type_missing"), None);
        assert_eq!(why(&op, "attack_redirect_uri_unregistered"), None);
    }

    #[test]
    fn an_unsigned_request_object_runs_wherever_request_objects_by_value_are_taken() {
        let mut op = issuer(serde_json::json!({
            "issuer": "https://op.example",
            "authorization_endpoint": "https://op.example/authorize",
            "jwks_uri": "https://op.example/jwks",
            "response_types_supported": ["code"],
            "request_parameter_supported": true,
            "code_challenge_methods_supported": ["S256"],
        }));
        // Without none among the algorithms too: declining is then lawful.
        assert_eq!(why(&op, "oidc_request_object_unsigned"), None);
        assert_eq!(why(&op, "oidc_code_pkce"), None);
        op.metadata["request_parameter_supported"] = Value::Bool(false);
        assert!(why(&op, "oidc_request_object_unsigned").is_some());
        assert!(why(&op, "oidc_request_object_redirect_uri").is_some());
    }
}
