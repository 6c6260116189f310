//! Dynamic client registration (OIDC Registration 1.0 §3, RFC 7591 §3):
//! client metadata in, a client (id, secret) out, usable at once.
use std::sync::Arc;

use oauth_core::client_auth::AuthMethod;
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::random;
use oauth_core::secret::Secret;
use serde_json::{Map, Value, json};
use url::Url;

use crate::AuthServer;
use crate::config::{self, ClientFileConfig};

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match register(server, request).await {
        Ok(body) => HttpResponse::json_no_store(201, &body),
        Err(e) => {
            super::log_refusal("registration", None, &e, "refused");
            e.to_response()
        }
    }
}

/// At most this many redirect URIs per registered client.
const MAX_REDIRECT_URIS: usize = 20;

fn bad_metadata(why: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, why)
}

fn bad_redirect_uri(why: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRedirectUri, why)
}

fn strings(metadata: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match metadata.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad_metadata(format!("{name} must be an array of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad_metadata(format!("{name} must be an array of strings"))),
    }
}

fn string<'a>(metadata: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, OAuthError> {
    match metadata.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad_metadata(format!("{name} must be a string"))),
    }
}

/// OIDC Registration §2: web clients use https redirect URIs, not
/// localhost; native clients use loopback http or a private scheme. No
/// fragment, ever (RFC 6749 §3.1.2).
fn check_redirect_uris(uris: &[String], native: bool) -> Result<(), OAuthError> {
    for uri in uris {
        let url = Url::parse(uri)
            .map_err(|e| bad_redirect_uri(format!("{uri:?} is not an absolute URL: {e}")))?;
        if url.fragment().is_some() {
            return Err(bad_redirect_uri(format!("{uri:?} has a fragment")));
        }
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        let ok = match (url.scheme(), native) {
            ("https", false) => !loopback,
            ("http", true) => loopback,
            ("https", true) => true,
            (scheme, true) => scheme.contains('.'),
            _ => false,
        };
        if !ok {
            return Err(bad_redirect_uri(format!(
                "{uri:?}: a {} client must use {}",
                if native { "native" } else { "web" },
                if native {
                    "loopback http, https or a private-use scheme"
                } else {
                    "https, not localhost"
                }
            )));
        }
    }
    Ok(())
}

async fn register(server: &AuthServer, request: &HttpRequest) -> Result<Value, OAuthError> {
    let settings = &server.config.registration;
    if !settings.enabled {
        return Err(
            OAuthError::new(ErrorCode::AccessDenied, "dynamic registration is disabled")
                .with_status(403),
        );
    }
    if request.method != "POST" {
        return Err(OAuthError::method_not_allowed("POST"));
    }
    if request.media_type().as_deref() != Some("application/json") {
        return Err(OAuthError::invalid_request(
            "the registration request must be application/json",
        ));
    }
    let now = server.clock.now();
    // Open registration serves anyone: a per-caller rate limit on the
    // clients created, so no one caller fills the registry (RFC 7591 §5
    // leaves the policy to the AS). Refused requests cost no record and
    // are not counted.
    let caller = format!(
        "register\n{}",
        request
            .peer
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    );
    let limit = settings.max_per_caller_per_minute;
    if limit > 0 {
        let (count, ends) = server.store.count(&caller, now).await?;
        if count >= limit {
            tracing::warn!(endpoint = "registration", caller = %caller.replace('\n', " "), "registration rate limit reached");
            return Err(OAuthError::rate_limited(
                format!("at most {limit} registrations per minute from one caller"),
                ends - now,
            ));
        }
    }
    if request.body.len() > settings.max_metadata_bytes {
        return Err(bad_metadata(format!(
            "the client metadata is {} bytes; at most {} are accepted",
            request.body.len(),
            settings.max_metadata_bytes
        )));
    }
    let Ok(Value::Object(metadata)) = serde_json::from_str::<Value>(&request.body) else {
        return Err(bad_metadata("the body is not a JSON object"));
    };
    let native = match string(&metadata, "application_type")? {
        None | Some("web") => false,
        Some("native") => true,
        Some(other) => {
            return Err(bad_metadata(format!(
                "application_type {other:?}: use web or native"
            )));
        }
    };
    let redirect_uris = strings(&metadata, "redirect_uris")?.unwrap_or_default();
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(bad_metadata(format!(
            "at most {MAX_REDIRECT_URIS} redirect_uris"
        )));
    }
    let response_types =
        strings(&metadata, "response_types")?.unwrap_or_else(|| vec!["code".into()]);
    let grant_types =
        strings(&metadata, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    // RFC 7591 §2: the server decides which grants a client gets; RFC 9700
    // §2.4: never the password grant unless configured.
    if let Some(refused) = grant_types
        .iter()
        .find(|g| !settings.grant_types.contains(g))
    {
        return Err(bad_metadata(format!(
            "grant type {refused:?} is not offered to registered clients here; offered: {}",
            settings.grant_types.join(", ")
        )));
    }
    if redirect_uris.is_empty()
        && (!response_types.is_empty()
            || grant_types
                .iter()
                .any(|g| g == "authorization_code" || g == "implicit"))
    {
        return Err(bad_redirect_uri("redirect_uris is required"));
    }
    check_redirect_uris(&redirect_uris, native)?;
    if metadata.contains_key("jwks_uri") {
        return Err(bad_metadata(
            "jwks_uri is not supported here (it would not be fetched); send jwks by value",
        ));
    }
    if metadata.contains_key("sector_identifier_uri") {
        return Err(bad_metadata(
            "sector_identifier_uri is not supported here; pairwise sectors come from the redirect URIs' host",
        ));
    }
    let jwks = metadata.get("jwks").filter(|v| !v.is_null()).cloned();
    if let Some(set) = &jwks {
        let count = set
            .get("keys")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if count > settings.max_keys {
            return Err(bad_metadata(format!(
                "jwks holds {count} keys; at most {} are accepted",
                settings.max_keys
            )));
        }
        config::public_jwks(set).map_err(|e| bad_metadata(format!("jwks: {e}")))?;
    }
    let method = match string(&metadata, "token_endpoint_auth_method")? {
        Some(m) => AuthMethod::parse(m),
        None => AuthMethod::ClientSecretBasic,
    };
    // client_secret_jwt needs the secret itself to verify a MAC, and this
    // server keeps a registered client's secret only as a keyed digest.
    if !config::AUTH_METHODS.contains(&method) || method == AuthMethod::ClientSecretJwt {
        return Err(bad_metadata(format!(
            "token_endpoint_auth_method {method} is not supported at registration; use client_secret_basic, client_secret_post, private_key_jwt or none"
        )));
    }
    let allowed = oauth_core::scope::Scope::from_tokens(settings.scopes.iter().cloned());
    let scope = match string(&metadata, "scope")? {
        Some(s) => {
            let asked = oauth_core::scope::Scope::parse(s).map_err(bad_metadata)?;
            let refused: Vec<&str> = asked.not_in(&allowed).collect();
            if !refused.is_empty() {
                return Err(bad_metadata(format!(
                    "scope not available: {}",
                    refused.join(" ")
                )));
            }
            asked
        }
        None => allowed,
    };
    let client_id = random::token(16);
    // A secret only for the methods that use one (private_key_jwt and
    // none authenticate without it).
    let secret = matches!(
        method,
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
    )
    .then(|| Secret::new(random::token(32)));
    let secret_expires_at = (settings.secret_lifetime > 0).then(|| now + settings.secret_lifetime);
    // RFC 9396 §10: the types it will use, each one this server understands.
    let details_types = strings(&metadata, "authorization_details_types")?.unwrap_or_default();
    if let Some(unknown) = details_types
        .iter()
        .find(|t| !server.config.authorization_details_types.contains_key(*t))
    {
        return Err(bad_metadata(format!(
            "authorization_details_types: {unknown:?} is not a type this server supports"
        )));
    }
    let file = ClientFileConfig {
        client_id: client_id.clone(),
        client_secret: secret.clone(),
        token_endpoint_auth_methods: vec![method.clone()],
        grant_types: grant_types.clone(),
        scopes: scope.iter().map(str::to_owned).collect(),
        default_scope: None,
        access_token_lifetime: Some(settings.access_token_lifetime),
        redirect_uris: redirect_uris.clone(),
        response_types: response_types.clone(),
        require_pkce: false,
        audiences: None,
        subject_type: string(&metadata, "subject_type")?.map(str::to_owned),
        id_token_signed_response_alg: string(&metadata, "id_token_signed_response_alg")?
            .map(str::to_owned),
        authorization_signed_response_alg: string(&metadata, "authorization_signed_response_alg")?
            .map(str::to_owned),
        jwks: jwks.clone(),
        request_object_signing_alg: string(&metadata, "request_object_signing_alg")?
            .map(str::to_owned),
        require_pushed_authorization_requests: metadata
            .get("require_pushed_authorization_requests")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        claims: Vec::new(),
        authorization_details_types: details_types,
        // RFC 9449 §5.2: a client may commit to DPoP on every token request.
        dpop_bound_access_tokens: match metadata.get("dpop_bound_access_tokens") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad_metadata("dpop_bound_access_tokens must be a boolean")),
        },
        security_profile: None,
        // OIDC RP-Initiated Logout §3.1, Back-Channel Logout §2.2.
        post_logout_redirect_uris: strings(&metadata, "post_logout_redirect_uris")?
            .unwrap_or_default(),
        backchannel_logout_uri: string(&metadata, "backchannel_logout_uri")?.map(str::to_owned),
        backchannel_logout_session_required: metadata
            .get("backchannel_logout_session_required")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let mut client = config::validate_client(
        file,
        &server.config.audience,
        settings.access_token_lifetime,
    )
    .map_err(|e| bad_metadata(e.problem.to_string()))?;
    client.secret_expires_at = secret_expires_at;
    // Kept as a keyed digest: the store never holds the secret itself.
    client.secret = secret
        .as_ref()
        .map(|s| crate::config::ClientSecret::Hashed(server.secret_digest(s.expose())));
    client.dynamic = true;
    config::check_client_policy(&client, &server.config.token_exchange)
        .map_err(|e| bad_metadata(e.to_string()))?;
    if limit > 0 {
        let window_ends = now - now.rem_euclid(60) + 60;
        server.store.hit(&caller, window_ends, now).await?;
    }
    let client = Arc::new(client);
    if !server
        .store
        .register_client(
            client.clone(),
            now + settings.unused_lifetime,
            settings.max_clients,
            now,
        )
        .await?
    {
        return Err(OAuthError::temporarily_unavailable(
            "the server holds as many registered clients as it may; unused ones expire",
            60,
        ));
    }
    tracing::info!(endpoint = "registration", client_id = %client.client_id, "registered a client");
    // RFC 7591 §3.2.1: the credentials, and the metadata as registered.
    let mut body = json!({
        "client_id": client.client_id,
        "client_id_issued_at": now,
        "redirect_uris": client.redirect_uris,
        "grant_types": grant_types,
        "response_types": response_types,
        "token_endpoint_auth_method": method.as_str(),
        "scope": scope.to_string(),
        "subject_type": client.subject_type.as_str(),
        "id_token_signed_response_alg": oauth_core::jose::alg_name(client.id_token_alg),
        "authorization_signed_response_alg": oauth_core::jose::alg_name(client.authorization_alg),
        "application_type": if native { "native" } else { "web" },
        "require_pushed_authorization_requests": client.require_par,
    });
    if let Some(secret) = &secret {
        body["client_secret"] = Value::String(secret.expose().to_owned());
        body["client_secret_expires_at"] = json!(secret_expires_at.unwrap_or(0));
    }
    if let Some(jwks) = jwks {
        body["jwks"] = jwks;
    }
    if let Some(alg) = client.request_object_alg {
        body["request_object_signing_alg"] = json!(oauth_core::jose::alg_name(alg));
    }
    if client.dpop_bound {
        body["dpop_bound_access_tokens"] = Value::Bool(true);
    }
    if !client.authorization_details_types.is_empty() {
        body["authorization_details_types"] = json!(client.authorization_details_types);
    }
    if !client.post_logout_redirect_uris.is_empty() {
        body["post_logout_redirect_uris"] = json!(client.post_logout_redirect_uris);
    }
    if let Some(uri) = &client.backchannel_logout_uri {
        body["backchannel_logout_uri"] = json!(uri);
        body["backchannel_logout_session_required"] =
            json!(client.backchannel_logout_session_required);
    }
    for echoed in ["client_name", "client_uri", "logo_uri", "contacts"] {
        if let Some(v) = metadata.get(echoed) {
            body[echoed] = v.clone();
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests;
