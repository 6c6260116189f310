//! The authorization endpoint, response type `code` (RFC 6749 §4.1.1,
//! §4.1.2), with PKCE (RFC 7636 §4.3, §4.4) and the `iss` response
//! parameter (RFC 9207).
//!
//! Until the client and its redirect URI are known to be good, errors are
//! answered to the caller (400) and never redirected (RFC 6749 §4.1.2.1,
//! RFC 9700 §4.11); afterwards they travel back in the redirect.
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::{self, Params};
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::secret::fingerprint;
use oauth_core::{pkce, random};
use url::Url;

use crate::AuthServer;
use crate::config::Client;
use crate::store::CodeGrant;

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    let (client, redirect_uri, params) = match validate_client(server, request) {
        Ok(ok) => ok,
        Err(e) => {
            tracing::info!(endpoint = "authorization", error = %e.code, "refused without redirect");
            return e.to_response();
        }
    };
    let state = params.get("state");
    match authorize(server, client, &redirect_uri, &params).await {
        Ok(code) => redirect(server, &redirect_uri.uri, &[("code", &code)], state),
        Err(e) => {
            tracing::info!(endpoint = "authorization", client_id = %client.client_id, error = %e.code, "refused by redirect");
            redirect(
                server,
                &redirect_uri.uri,
                &[
                    ("error", e.code.as_str()),
                    ("error_description", &e.description),
                ],
                state,
            )
        }
    }
}

/// The redirect URI to answer to, and whether the request named it.
struct RedirectTarget {
    uri: String,
    sent: bool,
}

/// The request parameters: the query of a GET, or the form of a POST (RFC 6749 §3.1).
fn request_params(request: &HttpRequest) -> Result<Params, OAuthError> {
    match request.method.as_str() {
        "GET" => Ok(form::parse(request.url.query().unwrap_or(""))?),
        "POST" => super::post_form(request),
        _ => Err(OAuthError::method_not_allowed("GET, POST")),
    }
}

/// The checks whose failure must not be redirected: the parameters parse,
/// the client exists and may use this endpoint, the redirect URI is one of
/// its registered ones, compared exactly.
fn validate_client<'a>(
    server: &'a AuthServer,
    request: &HttpRequest,
) -> Result<(&'a Client, RedirectTarget, Params), OAuthError> {
    let params = request_params(request)?;
    let client_id = params
        .get("client_id")
        .ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
    let client =
        server.config.clients.get(client_id).ok_or_else(|| {
            OAuthError::invalid_request(format!("unknown client_id {client_id:?}"))
        })?;
    if client.redirect_uris.is_empty() {
        return Err(OAuthError::unauthorized_client(
            "this client has no redirect URI and cannot use the authorization endpoint",
        ));
    }
    let target = match params.get("redirect_uri") {
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => RedirectTarget {
            uri: uri.to_owned(),
            sent: true,
        },
        Some(uri) => {
            return Err(OAuthError::invalid_request(format!(
                "redirect_uri {uri:?} is not registered for this client"
            )));
        }
        None => match client.redirect_uris.as_slice() {
            [only] => RedirectTarget {
                uri: only.clone(),
                sent: false,
            },
            _ => {
                return Err(OAuthError::invalid_request(
                    "redirect_uri is required: the client has several registered",
                ));
            }
        },
    };
    Ok((client, target, params))
}

/// The checks whose failure goes back by redirect, then the code.
async fn authorize(
    server: &AuthServer,
    client: &Client,
    redirect_uri: &RedirectTarget,
    params: &Params,
) -> Result<String, OAuthError> {
    if let Some(state) = params.get("state")
        && !state.bytes().all(|b| (0x20..=0x7e).contains(&b))
    {
        return Err(OAuthError::invalid_request(
            "state must be printable ASCII (RFC 6749 Appendix A.5)",
        ));
    }
    let response_type = params
        .get("response_type")
        .ok_or_else(|| OAuthError::invalid_request("response_type is missing"))?;
    if response_type != "code" {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            format!("response_type {response_type:?} is not supported"),
        ));
    }
    if !client.response_types.iter().any(|r| r == "code") {
        return Err(OAuthError::unauthorized_client(
            "this client may not use response_type code",
        ));
    }
    let scope = crate::grant::client_scope(client, params)?;
    let code_challenge = pkce_challenge(server, client, params)?;
    // The user is authenticated without interaction, as configured.
    let now = server.clock.now();
    let code = random::token(32);
    server
        .store
        .put_code(
            fingerprint(&code),
            CodeGrant {
                client_id: client.client_id.clone(),
                redirect_uri: redirect_uri.uri.clone(),
                redirect_uri_sent: redirect_uri.sent,
                scope,
                subject: server.config.login_user.clone(),
                auth_time: now,
                acr: Some(server.config.login_acr.clone()),
                nonce: params.get("nonce").map(str::to_owned),
                code_challenge,
                expires_at: now + server.config.code_lifetime,
            },
        )
        .await;
    tracing::info!(endpoint = "authorization", client_id = %client.client_id, "issued a code");
    Ok(code)
}

/// RFC 7636 §4.3, §4.4.1: the challenge and its method (default `plain`,
/// which is refused unless configured); required for clients so configured.
fn pkce_challenge(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Option<(String, pkce::Method)>, OAuthError> {
    let Some(challenge) = params.get("code_challenge") else {
        if client.require_pkce {
            return Err(OAuthError::invalid_request(
                "code_challenge is required for this client (PKCE, RFC 7636)",
            ));
        }
        if params.has("code_challenge_method") {
            return Err(OAuthError::invalid_request(
                "code_challenge_method sent without code_challenge",
            ));
        }
        return Ok(None);
    };
    let method_name = params.get("code_challenge_method").unwrap_or("plain");
    let method = match pkce::Method::parse(method_name) {
        Some(pkce::Method::S256) => pkce::Method::S256,
        Some(pkce::Method::Plain) if server.config.pkce_plain_allowed => pkce::Method::Plain,
        _ => {
            return Err(OAuthError::invalid_request(format!(
                "code_challenge_method {method_name:?} is not supported; use S256"
            )));
        }
    };
    if !pkce::is_well_formed(challenge) {
        return Err(OAuthError::invalid_request(
            "code_challenge must be 43 to 128 unreserved characters",
        ));
    }
    Ok(Some((challenge.to_owned(), method)))
}

/// A 302 to the client's redirect URI, with the response parameters in the
/// query, `state` echoed and `iss` added (RFC 9207 §2).
fn redirect(
    server: &AuthServer,
    redirect_uri: &str,
    pairs: &[(&str, &str)],
    state: Option<&str>,
) -> HttpResponse {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        // Registered URIs are validated at start; this cannot happen.
        return OAuthError::server_error("bad redirect URI").to_response();
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &server.config.issuer);
    }
    HttpResponse::redirect(url.to_string())
}
