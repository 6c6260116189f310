//! The device authorization endpoint (RFC 8628 §3.1, §3.2): a client on a
//! device without a browser, authenticated as at the token endpoint, asks
//! for a device code to poll with and a user code for a person to enter
//! at the verification URI on another device.
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::random;
use oauth_core::secret::fingerprint;
use serde_json::json;

use crate::AuthServer;
use crate::client_authn;
use crate::config::{Endpoint, GrantType};
use crate::store::{DeviceGrant, DeviceState};

/// RFC 8628 §6.1: consonants only (no vowels, so no words are spelled),
/// upper case, and none easily mistaken for another.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Tries at a user code not in use before giving up (with 20^8 codes, a
/// collision at all is rare; three in a row means the space is crowded).
const USER_CODE_TRIES: usize = 3;

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match authorize(server, request).await {
        Ok(body) => HttpResponse::json_no_store(200, &body),
        Err(e) => {
            super::log_refusal("device_authorization", None, &e, "refused");
            e.to_response()
        }
    }
}

/// A fresh user code of `length` characters from the alphabet, drawn
/// uniformly (bytes of 240 and above are redrawn: 240 is 12 times 20).
pub fn new_user_code(length: usize) -> String {
    let mut code = String::with_capacity(length);
    while code.len() < length {
        for b in random::bytes::<32>() {
            if b < 240 && code.len() < length {
                code.push(char::from(USER_CODE_ALPHABET[usize::from(b % 20)]));
            }
        }
    }
    code
}

/// The user code as shown: groups of four joined by dashes (`WDJB-MJHT`).
pub fn display_user_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The user code as entered, in the form it is stored by: RFC 8628 §6.1
/// compares case-insensitively, ignoring the dashes and spaces people add.
/// `None` when it cannot be one of this server's codes.
pub fn normalize_user_code(entered: &str, length: usize) -> Option<String> {
    let code: String = entered
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let ours = code.len() == length && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    ours.then_some(code)
}

/// The store's key for a user code (normalized).
pub fn user_code_key(code: &str) -> String {
    fingerprint(&format!("user_code\n{code}"))
}

async fn authorize(
    server: &AuthServer,
    request: &HttpRequest,
) -> Result<serde_json::Value, OAuthError> {
    let params = super::post_form(request)?;
    let client =
        client_authn::authenticate(server, request, &params, Endpoint::DeviceAuthorization).await?;
    if params
        .get("client_id")
        .is_some_and(|id| id != client.client_id)
    {
        return Err(OAuthError::invalid_request(
            "client_id differs from the authenticated client",
        ));
    }
    if !client.grant_types.contains(&GrantType::DeviceCode) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the device authorization grant",
        ));
    }
    crate::config::check_client_policy(&client, &server.config.token_exchange)
        .map_err(|e| OAuthError::unauthorized_client(e.to_string()))?;
    // RFC 8628 §3.1: the scope of the access request (RFC 6749 §3.3).
    let scope = crate::grant::client_scope(&client, &params)?;
    // RFC 8707 §2, RFC 9396 §2: the resources and authorization details,
    // checked as at the authorization endpoint and kept with the grant.
    let target = crate::grant::target::requested(server, &client, &params)?;
    let settings = &server.config.device;
    let now = server.clock.now();
    let device_code = random::token(crate::tokens::OPAQUE_BYTES);
    let grant = DeviceGrant {
        client_id: client.client_id.clone(),
        scope,
        target,
        expires_at: now + settings.lifetime,
        interval: settings.interval,
        state: DeviceState::Pending,
    };
    let mut issued = None;
    for _ in 0..USER_CODE_TRIES {
        let user_code = new_user_code(settings.user_code_length);
        if server
            .store
            .put_device(
                fingerprint(&device_code),
                user_code_key(&user_code),
                grant.clone(),
                now,
            )
            .await?
        {
            issued = Some(user_code);
            break;
        }
    }
    let Some(user_code) = issued else {
        return Err(OAuthError::temporarily_unavailable(
            "no free user code could be drawn; try again shortly",
            settings.interval,
        ));
    };
    let shown = display_user_code(&user_code);
    let verification_uri = server.config.endpoints.url(Endpoint::DeviceVerification);
    let mut complete = verification_uri.clone();
    complete.query_pairs_mut().append_pair("user_code", &shown);
    tracing::debug!(endpoint = "device_authorization", client_id = %client.client_id, scope = %grant.scope, "issued a device code");
    Ok(json!({
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": verification_uri.as_str(),
        "verification_uri_complete": complete.as_str(),
        "expires_in": settings.lifetime,
        "interval": settings.interval,
    }))
}

#[cfg(test)]
mod tests;
