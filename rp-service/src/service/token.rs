//! Token requests (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6; RFC 8693 §2.1) with
//! client authentication (RFC 6749 §2.3.1), and verification of the token
//! response (§5.1) and of a JWT access token (RFC 9068 §4). Tokens obtained
//! are kept in the session for later steps.
use std::collections::BTreeMap;

use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::jose::JwsAlgorithm;
use oauth_core::scope::Scope;
use oauth_core::token::{GRANT_TYPE_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN};
use serde_json::Value;

use crate::RelyingParty;
use crate::service::access_token::{check_binding, inspect_access_token};
use crate::service::check_id::CheckId;
use crate::service::client_auth::{arg, authenticated_post};
use crate::service::outcome::{Level, Parsed, Staged, StepError};
use crate::service::registry::{AsEndpoint, ClientService};
use crate::service::variation::{Variation, Variations};
use crate::session::{Pending, Session};

/// Builds a token request: client_credentials, password, authorization_code,
/// refresh_token or token exchange, with client authentication.
pub fn request(
    rp: &RelyingParty,
    session: &mut Session,
    service: ClientService,
    args: &BTreeMap<String, String>,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
    // RFC 9449: from the first step that asks for DPoP, the session holds a key.
    if arg(args, "dpop") == Some("true") && session.dpop_key.is_none() {
        session.dpop_key = Some(
            oauth_core::jose::SigningKey::generate(JwsAlgorithm::ES256)
                .map_err(|e| StepError::Profile(format!("DPoP key: {e}")))?,
        );
    }
    let profile = &session.profile;
    let mut params: Vec<(&str, String)> = Vec::new();
    match service {
        ClientService::ClientCredentials => {
            params.push(("grant_type", "client_credentials".into()));
            push_scope(&mut params, arg(args, "scope").or(profile.scope.as_deref()));
        }
        ClientService::ResourceOwnerPasswordCredentials => {
            let username = arg(args, "username")
                .or(profile.username.as_deref())
                .ok_or_else(|| StepError::Profile("no username configured".into()))?;
            let password = arg(args, "password")
                .or(profile.password.as_ref().map(|p| p.expose()))
                .ok_or_else(|| StepError::Profile("no password configured".into()))?;
            params.push(("grant_type", "password".into()));
            params.push(("username", username.to_owned()));
            params.push(("password", password.to_owned()));
            push_scope(&mut params, arg(args, "scope").or(profile.scope.as_deref()));
        }
        ClientService::JwtBearer => {
            let token_url =
                crate::service::client_auth::endpoint_url(rp, session, AsEndpoint::Token)?;
            let assertion = crate::service::jwt_bearer::assertion(rp, token_url, vary)?;
            params.push((
                "grant_type",
                oauth_core::registry::GrantType::JwtBearer.as_str().into(),
            ));
            params.push(("assertion", assertion));
            push_scope(&mut params, arg(args, "scope").or(profile.scope.as_deref()));
        }
        ClientService::AccessToken => {
            let sent = session.authorization.as_ref().ok_or_else(|| {
                StepError::MissingState("no authorization request was made".into())
            })?;
            let code = session.code.as_ref().ok_or_else(|| {
                StepError::MissingState("no code: the authorization step has not succeeded".into())
            })?;
            params.push(("grant_type", "authorization_code".into()));
            params.push(("code", code.clone()));
            let redirect_uri = vary.redirect_uri().unwrap_or(&sent.redirect_uri);
            params.push(("redirect_uri", redirect_uri.to_owned()));
            // RFC 7636 §4.5: the verifier kept since the authorization request.
            let verifier = match vary.code_verifier() {
                None => sent.code_verifier.clone(),
                Some(Variation::CodeVerifier(other)) => Some(other.clone()),
                Some(_) => None,
            };
            if let Some(verifier) = verifier {
                params.push(("code_verifier", verifier));
            }
        }
        ClientService::RefreshToken => {
            let which = if vary.has(&Variation::PreviousRefreshToken) {
                "previous_refresh_token"
            } else {
                "refresh_token"
            };
            let refresh_token = session
                .tokens
                .get(which)
                .ok_or_else(|| StepError::MissingState(format!("the session holds no {which}")))?;
            params.push(("grant_type", "refresh_token".into()));
            params.push(("refresh_token", refresh_token.clone()));
            push_scope(&mut params, arg(args, "scope"));
        }
        ClientService::TokenExchange => {
            let subject = session.tokens.get("access_token").ok_or_else(|| {
                StepError::MissingState("the session holds no access token".into())
            })?;
            params.push(("grant_type", GRANT_TYPE_TOKEN_EXCHANGE.into()));
            params.push(("subject_token", subject.clone()));
            params.push(("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN.into()));
            params.push(("requested_token_type", TOKEN_TYPE_ACCESS_TOKEN.into()));
            if let Some(audience) = arg(args, "audience") {
                params.push(("audience", audience.to_owned()));
            }
            push_scope(&mut params, arg(args, "scope"));
        }
        other => return Err(StepError::UnknownService(other.name().into())),
    }
    // RFC 8707 §2: the resources this token is for (a token exchange names
    // its own targets).
    if service != ClientService::TokenExchange {
        for resource in crate::service::resource::values(arg(args, "resource")) {
            params.push(("resource", resource));
        }
        // RFC 9396 §6: details asked for (or narrowed) at the token endpoint.
        if let Some(details) = crate::service::details::asked(args)? {
            params.push(("authorization_details", details.to_string()));
        }
    }
    authenticated_post(rp, session, AsEndpoint::Token, params, args, vary)
}

fn push_scope(params: &mut Vec<(&str, String)>, scope: Option<&str>) {
    if let Some(scope) = scope {
        params.push(("scope", scope.to_owned()));
    }
}

/// Verifies a successful token response, staging the tokens, the grant's
/// scope and the ID token's identity: a response that fails any check —
/// its own or its ID token's — leaves the session as it was.
pub fn verify(
    rp: &RelyingParty,
    session: &Session,
    pending: &Pending,
    response: &HttpResponse,
    body: Value,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    let header = |name: &str| response.headers.get(name).map(String::as_str);
    parsed.must(
        CheckId::TokenStatus,
        "HTTP status is 200",
        response.status == 200,
        response.status.to_string(),
        "RFC 6749 §5.1",
    );
    parsed.must(
        CheckId::TokenNoStore,
        "Cache-Control is no-store",
        header("cache-control").is_some_and(|v| v.to_ascii_lowercase().contains("no-store")),
        header("cache-control").unwrap_or("absent"),
        "RFC 6749 §5.1",
    );
    let access_token = body.get("access_token").and_then(Value::as_str);
    parsed.must(
        CheckId::TokenAccessTokenPresent,
        "access_token is present",
        access_token.is_some_and(|t| !t.is_empty()),
        if access_token.is_some() {
            "present"
        } else {
            "missing"
        },
        "RFC 6749 §5.1",
    );
    let token_type = body.get("token_type").and_then(Value::as_str).unwrap_or("");
    if pending.dpop.is_some() {
        parsed.must(
            CheckId::TokenType,
            "token_type is DPoP",
            token_type.eq_ignore_ascii_case("dpop"),
            format!("{token_type:?}"),
            "RFC 9449 §5",
        );
        if let (Some(token), Some(key)) = (access_token, &session.dpop_key) {
            check_binding(token, key, parsed);
        }
    } else {
        parsed.must(
            CheckId::TokenType,
            "token_type is Bearer",
            token_type.eq_ignore_ascii_case("bearer"),
            format!("{token_type:?}"),
            "RFC 6749 §5.1, RFC 6750 §4",
        );
    }
    match body.get("expires_in") {
        Some(v) => {
            parsed.should(
                CheckId::TokenExpiresIn,
                "expires_in is a positive number of seconds",
                v.as_i64().is_some_and(|n| n > 0),
                v.to_string(),
                "RFC 6749 §5.1",
            );
        }
        None => {
            parsed.info(
                CheckId::TokenExpiresIn,
                "expires_in is given",
                "absent (RECOMMENDED only)",
                "RFC 6749 §5.1",
            );
        }
    }
    let asked = match pending.service {
        // The scope of a code is the one of its authorization request.
        ClientService::AccessToken => session.authorization.as_ref().and_then(|a| a.scope.clone()),
        // The scope of a device code is the one of its device authorization.
        ClientService::DeviceToken => session.device.as_ref().and_then(|d| d.scope.clone()),
        _ => pending.params.get("scope").map(str::to_owned),
    };
    check_scope(asked.as_deref(), &body, parsed);
    let granted = body
        .get("scope")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or(asked);
    if pending.service == ClientService::RefreshToken {
        check_within_grant(session.granted_scope.as_deref(), granted.as_deref(), parsed);
    } else if pending.service != ClientService::TokenExchange {
        // A new grant: what a refresh of it may never exceed.
        staged.granted_scope = granted;
    }
    let refresh_token = body.get("refresh_token").and_then(Value::as_str);
    match pending.service {
        ClientService::RefreshToken => {
            let old = pending.params.get("refresh_token");
            // RFC 9700 §2.2.2, §4.14.2: a public client's refresh token MUST
            // be sender-constrained or rotated; for a confidential client,
            // or one bound by DPoP (RFC 9449 §5), rotation is a MAY (RFC
            // 6749 §6) and its absence only a warning.
            let level = if !pending.authenticated && pending.dpop.is_none() {
                Level::Must
            } else {
                Level::Should
            };
            parsed.check(
                level,
                CheckId::RefreshTokenRotated,
                "the refresh token was rotated",
                refresh_token.is_some_and(|new| Some(new) != old),
                match refresh_token {
                    Some(new) if Some(new) == old => "the same token came back",
                    Some(_) => "a new refresh token replaces the spent one",
                    None => "no new refresh token",
                },
                if level == Level::Must {
                    "RFC 9700 §4.14.2 (a public client, not sender-constrained)"
                } else {
                    "RFC 9700 §4.14.2, RFC 6749 §6 (rotation is a MAY here)"
                },
            );
        }
        ClientService::AccessToken => {
            if let Some(verifier) = pending.params.get("code_verifier") {
                parsed.info(
                    CheckId::PkceAccepted,
                    "the AS accepted the PKCE code_verifier",
                    format!(
                        "{} characters, against the S256 challenge sent",
                        verifier.len()
                    ),
                    "RFC 7636 §4.5, §4.6",
                );
            }
        }
        ClientService::TokenExchange => {
            let issued = body
                .get("issued_token_type")
                .and_then(Value::as_str)
                .unwrap_or("");
            parsed.must(
                CheckId::IssuedTokenType,
                "issued_token_type is an access token",
                issued == TOKEN_TYPE_ACCESS_TOKEN,
                format!("{issued:?}"),
                "RFC 8693 §2.2.1",
            );
        }
        _ => {}
    }
    if let Some(token) = access_token {
        inspect_access_token(rp, session, token, parsed);
        // RFC 8707 §2.2: the resources of this request, or else those of
        // the authorization request whose code is redeemed.
        let mut requested: Vec<String> = pending
            .params
            .get_all("resource")
            .into_iter()
            .map(str::to_owned)
            .collect();
        if requested.is_empty() && pending.service == ClientService::AccessToken {
            requested = session
                .authorization
                .as_ref()
                .map(|a| a.resources.clone())
                .unwrap_or_default();
        }
        crate::service::resource::check_audience(parsed, token, &requested);
    }
    // RFC 9396 §7: the details of this request, or of the authorization
    // request whose code (or grant) is used.
    let asked_details: Option<Value> = match pending.params.get("authorization_details") {
        Some(text) => serde_json::from_str(text).ok(),
        None if matches!(
            pending.service,
            ClientService::AccessToken | ClientService::RefreshToken
        ) =>
        {
            session
                .authorization
                .as_ref()
                .and_then(|a| a.authorization_details.clone())
        }
        None => None,
    };
    crate::service::details::check_token_response(parsed, &body, asked_details.as_ref());
    // OIDC Core §3.1.3.3: an ID token comes with the tokens when openid was asked.
    let asked_scope = match pending.service {
        ClientService::DeviceToken => session.device.as_ref().and_then(|d| d.scope.as_deref()),
        _ => session
            .authorization
            .as_ref()
            .and_then(|a| a.scope.as_deref()),
    };
    let openid = asked_scope.is_some_and(|s| s.split(' ').any(|t| t == "openid"));
    match body.get("id_token").and_then(Value::as_str) {
        Some(id_token) => {
            let refresh = pending.service == ClientService::RefreshToken;
            let expect = crate::service::id_token::Expect {
                access_token,
                refresh_of: refresh.then_some(session.identity.as_ref()),
                ..Default::default()
            };
            staged.identity =
                crate::service::id_token::verify(rp, session, id_token, expect, parsed);
            if staged.identity.is_some() {
                staged.tokens.push(("id_token", id_token.to_owned()));
            }
        }
        None if openid
            && matches!(
                pending.service,
                ClientService::AccessToken | ClientService::DeviceToken
            ) =>
        {
            parsed.must(
                CheckId::IdTokenPresent,
                "id_token is present",
                false,
                "missing, though openid was asked",
                "OIDC Core §3.1.3.3",
            );
        }
        // OIDC Core §12.2: a refresh response might not contain one.
        None if openid && pending.service == ClientService::RefreshToken => {
            parsed.info(
                CheckId::RefreshIdToken,
                "an ID token with the refresh",
                "none: the login stays the one of the original ID token",
                "OIDC Core §12.2",
            );
        }
        None => {}
    }
    for (name, token) in [
        ("access_token", access_token),
        ("refresh_token", refresh_token),
    ] {
        crate::service::response::within_bound(
            parsed,
            name,
            token.map_or(0, str::len),
            crate::service::response::MAX_TOKEN_BYTES,
        );
    }
    if let Some(token) = access_token {
        let name = if pending.service == ClientService::TokenExchange {
            "exchanged_token"
        } else {
            "access_token"
        };
        staged.tokens.push((name, token.to_owned()));
        if name == "access_token" {
            staged.access_token_type = Some(token_type.to_owned());
        }
        if let Some(refresh) = refresh_token {
            staged.tokens.push(("refresh_token", refresh.to_owned()));
        }
    }
}

/// RFC 6749 §6: a refresh may not grant any scope the resource owner did
/// not grant originally (the AS MUST NOT; the client holds it to that).
fn check_within_grant(original: Option<&str>, granted: Option<&str>, parsed: &mut Parsed) {
    match (original.map(Scope::parse), granted.map(Scope::parse)) {
        (Some(Ok(original)), Some(Ok(granted))) => {
            parsed.must(
                CheckId::ScopeWithinGrant,
                "granted scope is within the original grant",
                granted.is_subset_of(&original),
                format!("granted \"{granted}\", originally \"{original}\""),
                "RFC 6749 §6",
            );
        }
        (Some(Ok(original)), None) => {
            parsed.must(
                CheckId::ScopeWithinGrant,
                "granted scope is within the original grant",
                true,
                format!("the original grant, \"{original}\""),
                "RFC 6749 §6",
            );
        }
        // Ill-formed scopes fail the scope check already; an unknown
        // original (the AS named none and none was asked) cannot be compared.
        _ => {}
    }
}

/// RFC 6749 §3.3, §5.1: the AS may grant less than asked and must then say
/// so; it must never grant more.
fn check_scope(asked: Option<&str>, body: &Value, parsed: &mut Parsed) {
    let asked = asked.map(Scope::parse);
    let granted = body.get("scope").and_then(Value::as_str).map(Scope::parse);
    match (asked, granted) {
        (_, Some(Err(e))) => {
            parsed.must(
                CheckId::GrantedScopeWellFormed,
                "granted scope is well-formed",
                false,
                e,
                "RFC 6749 §3.3",
            );
        }
        (Some(Ok(asked)), Some(Ok(granted))) => {
            parsed.should(
                CheckId::ScopeWithinRequest,
                "granted scope is within the requested scope",
                granted.is_subset_of(&asked),
                format!("granted \"{granted}\", asked \"{asked}\""),
                "RFC 6749 §3.3",
            );
        }
        (Some(Ok(asked)), None) => {
            parsed.info(
                CheckId::ScopeAsRequested,
                "granted scope is the requested scope",
                format!("no scope in the response: {asked} as asked"),
                "RFC 6749 §5.1",
            );
        }
        (None, Some(Ok(granted))) => {
            parsed.info(
                CheckId::ScopeNamed,
                "granted scope is named",
                format!("default scope \"{granted}\""),
                "RFC 6749 §3.3",
            );
        }
        (Some(Err(e)), _) => {
            parsed.must(
                CheckId::RequestedScopeWellFormed,
                "requested scope is well-formed",
                false,
                e,
                "RFC 6749 §3.3",
            );
        }
        (None, None) => {}
    }
}
