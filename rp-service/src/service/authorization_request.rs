//! The authorization request's parameters (RFC 6749 §4.1.1, OIDC Core
//! §3.1.2.1) and the request object that may carry them (RFC 9101), shared
//! by the authorization and pushed_authorization services.
use std::collections::BTreeMap;

use oauth_core::oidc::ClaimsRequest;
use oauth_core::pkce;
use oauth_core::random;
use serde_json::Value;

use crate::RelyingParty;
use crate::service::client_auth::arg;
use crate::service::outcome::StepError;
use crate::service::response_mode::{NAMES, ResponseMode};
use crate::service::variation::{Variation, Variations, padded_claims};
use crate::session::{AuthorizationState, SentAs, Session};

/// The authorization request's parameters (RFC 6749 §4.1.1, OIDC Core
/// §3.1.2.1), with fresh state, nonce and PKCE verifier remembered in the
/// session. Shared by the authorization and pushed_authorization services.
pub(crate) fn parameters<'a>(
    session: &mut Session,
    args: &'a BTreeMap<String, String>,
    vary: &Variations,
) -> Result<Vec<(&'a str, String)>, StepError> {
    let profile = &session.profile;
    let omit_redirect_uri = vary.has(&Variation::NoRedirectUri);
    let omit_response_type = vary.has(&Variation::NoResponseType);
    // A pushed request names its redirect_uri honestly; an authorization
    // request naming another than the registered one is an attack.
    let named = match vary.unregistered_redirect_uri() {
        Some(uri) => Some(uri),
        None => arg(args, "redirect_uri").filter(|_| !omit_redirect_uri),
    };
    let redirect_uri = named
        .or(profile.redirect_uri.as_deref())
        .ok_or_else(|| StepError::Profile("no redirect_uri configured".into()))?
        .to_owned();
    let scope = arg(args, "scope")
        .or(profile.scope.as_deref())
        .map(str::to_owned);
    let use_pkce = match arg(args, "pkce") {
        None => profile.pkce,
        Some("S256") => true,
        Some("none") => false,
        Some(other) => {
            return Err(StepError::BadArgument(format!(
                "pkce {other:?}: use S256 or none"
            )));
        }
    };
    // Left out, the answer is read as the code flow's (RFC 6749 §4.1.2.1:
    // an error comes in the query).
    let response_type = arg(args, "response_type")
        .filter(|_| !omit_response_type)
        .unwrap_or("code")
        .to_owned();
    let response_mode = match arg(args, "response_mode") {
        None => None,
        Some(name) => Some(ResponseMode::parse(name, &response_type).ok_or_else(|| {
            StepError::BadArgument(format!("response_mode {name:?}: use {NAMES}"))
        })?),
    };
    let padded = vary.claims_padding().map(padded_claims);
    let claims = match padded.as_deref().or(arg(args, "claims")) {
        Some(text) => Some(
            ClaimsRequest::parse(text)
                .map_err(|e| StepError::BadArgument(format!("claims: {e}")))?,
        ),
        None => None,
    };
    let openid = scope
        .as_deref()
        .is_some_and(|s| s.split(' ').any(|t| t == "openid"));
    let state = random::token(32);
    // OIDC Core §3.1.2.1: a nonce binds the ID token to this request; it is
    // REQUIRED whenever the ID token comes from the authorization endpoint
    // (§3.2.2.1, §3.3.2.11), whatever the scope says, and OPTIONAL in the
    // code flow (`nonce=omit`).
    let omit_nonce = match arg(args, "nonce") {
        None => false,
        Some("omit") => true,
        Some(other) => {
            return Err(StepError::BadArgument(format!(
                "nonce {other:?}: use omit (the RP draws each nonce itself)"
            )));
        }
    };
    let front_channel_id_token = response_type.split(' ').any(|t| t == "id_token");
    let nonce = (!omit_nonce && (openid || front_channel_id_token)).then(|| random::token(24));
    let code_verifier = use_pkce.then(pkce::new_verifier);
    let resources = crate::service::resource::values(arg(args, "resource"));
    let authorization_details = crate::service::details::asked(args)?;
    let mut params = Vec::new();
    if !omit_response_type {
        params.push(("response_type", response_type.clone()));
    }
    params.push(("client_id", profile.client_id.clone()));
    if !omit_redirect_uri {
        params.push(("redirect_uri", redirect_uri.clone()));
    }
    if let Some(scope) = &scope {
        params.push(("scope", scope.clone()));
    }
    if let Some(name) = arg(args, "response_mode") {
        params.push(("response_mode", name.to_owned()));
    }
    // OIDC Core §3.1.2.1: prompt as the story asks (none, login, …). §11:
    // asking for offline_access, the client MUST send prompt=consent
    // (unless other conditions permit offline access); an AS may otherwise
    // refuse the request or drop the scope.
    let prompt = arg(args, "prompt").map(str::to_owned);
    match &prompt {
        Some(p) => params.push(("prompt", p.clone())),
        None if scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|t| t == "offline_access")) =>
        {
            params.push(("prompt", "consent".into()));
        }
        None => {}
    }
    // OIDC Core §3.1.2.1: the longest the login may have lasted, in seconds.
    let max_age = match arg(args, "max_age") {
        Some(age) => Some(age.parse::<u64>().map_err(|_| {
            StepError::BadArgument(format!("max_age {age:?}: a number of seconds"))
        })?),
        None => None,
    };
    if let Some(age) = max_age {
        params.push(("max_age", age.to_string()));
    }
    // OIDC Core §3.1.2.1: the ID token of the login before, as a hint of
    // who the client expects to be logged in.
    let hint =
        match arg(args, "id_token_hint") {
            Some("previous") => {
                Some(session.tokens.get("id_token").cloned().ok_or_else(|| {
                    StepError::MissingState("no ID token for id_token_hint".into())
                })?)
            }
            Some(other) => {
                return Err(StepError::BadArgument(format!(
                    "id_token_hint {other:?}: use previous (the session's last ID token)"
                )));
            }
            None => None,
        };
    if let Some(hint) = &hint {
        params.push(("id_token_hint", hint.clone()));
    }
    params.push(("state", state.clone()));
    if let Some(nonce) = &nonce {
        params.push(("nonce", nonce.clone()));
    }
    // OIDC Core §3.1.2.1, §5.2: how the OP shows itself, whom and which
    // languages it may expect, the authentication asked for: sent as given.
    for name in [
        "display",
        "ui_locales",
        "claims_locales",
        "login_hint",
        "acr_values",
    ] {
        if let Some(value) = arg(args, name) {
            params.push((name, value.to_owned()));
        }
    }
    // RFC 6749 §3.1: a parameter the AS does not know, which it must ignore.
    if let Some(extra) = arg(args, "extra") {
        let (name, value) = extra
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| StepError::BadArgument(format!("extra {extra:?}: use NAME=VALUE")))?;
        params.push((name, value.to_owned()));
    }
    if let Some(claims) = &claims {
        params.push(("claims", claims.to_json().to_string()));
    }
    for resource in &resources {
        params.push(("resource", resource.clone()));
    }
    if let Some(details) = &authorization_details {
        params.push(("authorization_details", details.to_string()));
    }
    if let Some(verifier) = &code_verifier {
        params.push((
            "code_challenge",
            pkce::challenge(verifier, pkce::Method::S256),
        ));
        params.push(("code_challenge_method", "S256".into()));
    }
    session.authorization = Some(AuthorizationState {
        state,
        redirect_uri,
        redirect_uri_unregistered: vary.unregistered_redirect_uri().is_some(),
        scope,
        code_verifier,
        nonce,
        response_type,
        id_token_claims: claims
            .as_ref()
            .map(|c| c.id_token.keys().cloned().collect()),
        userinfo_claims: claims
            .as_ref()
            .map(|c| c.userinfo.keys().cloned().collect()),
        resources,
        authorization_details,
        sent_as: SentAs::Query,
        response_mode,
        acr_values: arg(args, "acr_values").map(str::to_owned),
        claims_locales: arg(args, "claims_locales").map(str::to_owned),
        login: crate::session::LoginAsked {
            prompt,
            max_age,
            hint_sub: session
                .identity
                .as_ref()
                .filter(|_| hint.is_some())
                .map(|i| i.sub.clone()),
            before: session.identity.clone(),
        },
    });
    // A new request: the code of the last one is no longer to be redeemed.
    // Who is logged in stays until a new login's response passes every check.
    session.code = None;
    Ok(params)
}

/// A request object (RFC 9101 §4): the parameters as claims, signed with
/// the RP's key, for this issuer, short-lived (600 s).
pub(crate) fn request_object(
    rp: &RelyingParty,
    session: &Session,
    params: &[(&str, String)],
) -> Result<String, StepError> {
    let claims = request_object_claims(rp, session, params);
    let key = rp
        .keys
        .keys()
        .first()
        .ok_or_else(|| StepError::Profile("the RP has no signing key".into()))?;
    key.sign("oauth-authz-req+jwt", &claims)
        .map_err(|e| StepError::BadArgument(format!("signing the request object: {e}")))
}

/// The same claims in an unsigned request object, `alg: none` (OIDC Core
/// §6.1: a request object may be signed or not; the OP says which
/// algorithms it takes, `none` among them or not).
pub(crate) fn unsigned_request_object(
    rp: &RelyingParty,
    session: &Session,
    params: &[(&str, String)],
) -> String {
    use base64::Engine;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let claims = request_object_claims(rp, session, params);
    format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"oauth-authz-req+jwt"}"#),
        b64(claims.to_string().as_bytes())
    )
}

/// The claims of a request object: the parameters, the client as `iss`,
/// this issuer as `aud`, and its times.
fn request_object_claims(rp: &RelyingParty, session: &Session, params: &[(&str, String)]) -> Value {
    let mut claims = serde_json::Map::new();
    for (k, v) in params {
        let value = if *k == "claims" || *k == "authorization_details" {
            serde_json::from_str(v).unwrap_or(Value::String(v.clone()))
        } else {
            Value::String(v.clone())
        };
        // A parameter sent more than once (RFC 8707 `resource`) is an array.
        match claims.get_mut(*k) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                claims.insert((*k).to_owned(), value);
            }
        }
    }
    let now = rp.clock.now();
    let issuer = crate::service::client_auth::issuer(rp, session);
    claims.insert(
        "iss".into(),
        Value::String(session.profile.client_id.clone()),
    );
    claims.insert("aud".into(), Value::String(issuer.to_owned()));
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), (now + 600).into());
    claims.insert("jti".into(), Value::String(random::token(16)));
    Value::Object(claims)
}
