//! Fetching the AS public keys (RFC 7517 §5).
use oauth_core::http::HttpRequest;
use oauth_core::jose::parse_jwks;
use serde_json::Value;

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::client_auth::endpoint_url;
use crate::service::outcome::{Parsed, Staged, StepError};
use crate::service::registry::AsEndpoint;
use crate::session::Session;

/// `GET jwks_uri`, from the discovered metadata or else the configuration.
pub fn request(rp: &RelyingParty, session: &Session) -> Result<HttpRequest, StepError> {
    let url = endpoint_url(rp, session, AsEndpoint::Jwks)?;
    HttpRequest::new(
        "GET",
        url,
        [("Accept", "application/jwk-set+json, application/json")],
        "",
    )
    .map_err(|e| StepError::BadArgument(e.to_string()))
}

/// A public key set must hold public keys only: a private member (`d`) or a
/// symmetric key would mean the AS leaked a secret (RFC 7517 §5, RFC 7518
/// §6.1). The set is kept only if the whole answer passed: a set refused
/// here never verifies a token later.
pub fn verify(body: Value, parsed: &mut Parsed, staged: &mut Staged) {
    let keys = body.get("keys").and_then(Value::as_array);
    let Some(keys) = keys else {
        parsed.must(
            CheckId::JwksKeysArray,
            "keys is an array",
            false,
            "no keys member",
            "RFC 7517 §5.1",
        );
        return;
    };
    parsed.must(
        CheckId::JwksKeysArray,
        "keys is an array",
        true,
        format!("{} keys", keys.len()),
        "RFC 7517 §5.1",
    );
    let leaked: Vec<String> = keys
        .iter()
        .filter(|k| {
            k.get("d").is_some()
                || k.get("k").is_some()
                || k.get("kty").and_then(Value::as_str) == Some("oct")
        })
        .map(|k| {
            k.get("kid")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    parsed.must(
        CheckId::JwksPublicOnly,
        "only public keys are published",
        leaked.is_empty(),
        if leaked.is_empty() {
            "no private or symmetric key material".into()
        } else {
            format!("secret material in {leaked:?}")
        },
        "RFC 8414 §2 (jwks_uri), RFC 7517 §5",
    );
    let kids: Vec<&str> = keys
        .iter()
        .filter_map(|k| k.get("kid").and_then(Value::as_str))
        .collect();
    // kid is OPTIONAL (RFC 7517 §4.5): shown, not judged; a token then
    // names its key by kid, or the set holds one key of its type.
    parsed.info(
        CheckId::JwksKid,
        "every key has a kid",
        if kids.len() == keys.len() {
            kids.join(", ")
        } else {
            format!(
                "{} of {} keys have a kid: {}",
                kids.len(),
                keys.len(),
                kids.join(", ")
            )
        },
        "RFC 7517 §4.5",
    );
    match parse_jwks(&body.to_string()) {
        Ok(set) => staged.jwks = Some(set),
        Err(e) => {
            parsed.must(
                CheckId::JwksParses,
                "the key set parses",
                false,
                e.to_string(),
                "RFC 7517 §5",
            );
        }
    }
}
