//! Pushed Authorization Requests (RFC 9126): the client posts its
//! authorization request, authenticated, and gets a single-use request_uri
//! to send instead.
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::Params;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::random;
use serde_json::json;

use crate::AuthServer;
use crate::client_authn;
use crate::config::{Client, RequestUriForm};
use crate::store::{ParTake, PushedRequest};

/// The prefix of the request_uri values this server issues (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// Random bytes in a request_uri of the first form.
const REQUEST_URI_BYTES: usize = 32;
/// The other form a request_uri may take here (`par.request_uri_form`).
pub const UUID_PREFIX: &str = "urn:uuid:";

/// A random (version 4) UUID, RFC 9562 §5.4.
fn random_uuid() -> String {
    let mut b = oauth_core::random::bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Parameters that authenticate the client rather than describe the request.
const CLIENT_AUTH_PARAMS: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match push(server, request).await {
        Ok(body) => HttpResponse::json_no_store(201, &body),
        Err(e) => {
            super::log_refusal("pushed_authorization", None, &e, "refused");
            e.to_response()
        }
    }
}

async fn push(server: &AuthServer, request: &HttpRequest) -> Result<serde_json::Value, OAuthError> {
    let params = super::post_form(request)?;
    let client = client_authn::authenticate(
        server,
        request,
        &params,
        crate::config::Endpoint::PushedAuthorization,
    )
    .await?;
    if params.has("request_uri") {
        return Err(OAuthError::invalid_request(
            "request_uri cannot be pushed (RFC 9126 §2.1)",
        ));
    }
    if params
        .get("client_id")
        .is_some_and(|id| id != client.client_id)
    {
        return Err(OAuthError::invalid_request(
            "client_id differs from the authenticated client",
        ));
    }
    // A pushed request object (RFC 9126 §3) is verified now, and its
    // parameters are what is stored.
    let mut pushed = match params.get("request") {
        Some(object) => crate::request_object::expand(server, &client, object, &client.client_id)?,
        None => params.without(&CLIENT_AUTH_PARAMS),
    };
    // RFC 9449 §10.1: a DPoP proof here binds the future code to its key.
    if let Some(proof) = crate::dpop::check_proof(
        server,
        request,
        crate::config::Endpoint::PushedAuthorization,
        None,
    )
    .await
    .map_err(|e| crate::dpop::token_error(server, e))?
    {
        // RFC 9449 §10.1: both present and different is refused.
        if pushed.get("dpop_jkt").is_some_and(|sent| sent != proof.jkt) {
            return Err(OAuthError::invalid_request(
                "dpop_jkt differs from the key of the request's DPoP proof",
            ));
        }
        let mut pairs = pushed.to_pairs();
        pairs.retain(|(k, _)| k != "dpop_jkt");
        pairs.push(("dpop_jkt".into(), proof.jkt));
        pushed = Params::from_pairs(pairs);
    }
    let mut pairs = pushed.to_pairs();
    if !pairs.iter().any(|(k, _)| k == "client_id") {
        pairs.push(("client_id".into(), client.client_id.clone()));
    }
    let pushed = Params::from_pairs(pairs);
    // The checks the authorization endpoint would make, answered here (§2.3).
    super::authorization_request::validate_pushed(server, &client, &pushed)?;
    let request_uri = match server.config.par.request_uri_form {
        RequestUriForm::Ietf => {
            format!("{REQUEST_URI_PREFIX}{}", random::token(REQUEST_URI_BYTES))
        }
        RequestUriForm::Uuid => format!("{UUID_PREFIX}{}", random_uuid()),
    };
    // FAPI 2.0 §5.3.2.2 item 12: a request_uri of the profile's clients
    // lives less than 600 s, whatever the server's setting.
    let lifetime = if client.fapi2 {
        server.config.par.lifetime.min(599)
    } else {
        server.config.par.lifetime
    };
    server
        .store
        .put_pushed(
            request_uri.clone(),
            PushedRequest {
                client_id: client.client_id.clone(),
                params: pushed.to_pairs(),
                expires_at: server.clock.now() + lifetime,
            },
        )
        .await?;
    tracing::debug!(endpoint = "pushed_authorization", client_id = %client.client_id, "stored a pushed request");
    Ok(json!({ "request_uri": request_uri, "expires_in": lifetime }))
}

fn bad_request_uri(why: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestUri, why)
}

/// Whether `request_uri` is written as this server writes them: its
/// prefix, then 32 random bytes in canonical base64url, or a lower-case
/// UUID. Both forms are read whatever `par.request_uri_form` says now, so
/// a change of setting does not strand the requests already pushed.
fn issued_form(request_uri: &str) -> bool {
    if let Some(token) = request_uri.strip_prefix(REQUEST_URI_PREFIX) {
        return oauth_core::canonical::token(token, REQUEST_URI_BYTES).is_some();
    }
    request_uri
        .strip_prefix(UUID_PREFIX)
        .is_some_and(oauth_core::canonical::uuid)
}

/// The parameters behind a request_uri, for the client presenting it: used
/// once, by the client that pushed it, before it expires (RFC 9126 §4).
pub async fn take(
    server: &AuthServer,
    client: &Client,
    request_uri: &str,
) -> Result<Params, OAuthError> {
    if !request_uri.starts_with(REQUEST_URI_PREFIX) && !request_uri.starts_with(UUID_PREFIX) {
        return Err(bad_request_uri(
            "this server does not fetch request objects by URL: push the request (PAR) and use the request_uri it returns",
        ));
    }
    // Only the spelling this server writes is looked up: a request_uri is
    // spent under that one text, so no respelling of a used one (an upper
    // case UUID, a padded token) can name it again (RFC 9126 §2.2: the
    // value is one-time use).
    if !issued_form(request_uri) {
        return Err(bad_request_uri(
            "the request_uri is not one this server issues",
        ));
    }
    match server
        .store
        .take_pushed(request_uri, &client.client_id, server.clock.now())
        .await?
    {
        ParTake::Fresh(pushed) => Ok(Params::from_pairs(pushed.params)),
        ParTake::WrongClient => Err(bad_request_uri(
            "the request_uri was pushed by another client",
        )),
        ParTake::Expired => Err(bad_request_uri("the request_uri has expired")),
        ParTake::Unknown => Err(bad_request_uri(
            "the request_uri is unknown or was already used",
        )),
    }
}

#[cfg(test)]
mod tests;
