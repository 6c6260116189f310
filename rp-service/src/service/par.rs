//! Pushing the authorization request (RFC 9126 §2): the parameters go over
//! the authenticated back channel; the browser will carry only client_id
//! and the request_uri.
use std::collections::BTreeMap;

use oauth_core::http::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::RelyingParty;
use crate::service::authorization_request::{parameters, request_object};
use crate::service::check_id::CheckId;
use crate::service::client_auth::{arg, authenticated_post};
use crate::service::outcome::{Parsed, Staged, StepError};
use crate::service::registry::AsEndpoint;
use crate::service::variation::Variations;
use crate::session::{SentAs, Session};

/// The longest request_uri lifetime the RP takes without a warning, seconds
/// (RFC 9126 §2.2 suggests 5 to 600).
const MAX_SHORT_LIFETIME: i64 = 600;

pub fn request(
    rp: &RelyingParty,
    session: &mut Session,
    args: &BTreeMap<String, String>,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
    let params = parameters(session, args, vary)?;
    let params = match arg(args, "jar") {
        None => params,
        // RFC 9126 §3: the request object itself may be pushed — JAR by reference.
        Some("value") => {
            let object = request_object(rp, session, &params)?;
            vec![
                ("client_id", session.profile.client_id.clone()),
                ("request", object),
            ]
        }
        Some(other) => return Err(StepError::BadArgument(format!("jar {other:?}: use value"))),
    };
    // Client authentication adds client_id where its method needs it.
    let params: Vec<(&str, String)> = params
        .into_iter()
        .filter(|(k, _)| *k != "client_id")
        .collect();
    let mut request = authenticated_post(
        rp,
        session,
        AsEndpoint::PushedAuthorization,
        params,
        args,
        vary,
    )?;
    if !request.body.contains("client_id=") {
        let id = oauth_core::form::encode([("client_id", session.profile.client_id.as_str())]);
        request.body = format!("{}&{id}", request.body);
    }
    if let Some(sent) = session.authorization.as_mut() {
        sent.sent_as = SentAs::Pushed;
    }
    Ok(request)
}

/// RFC 9126 §2.2: 201, a request_uri, and how long it lives.
pub fn verify(response: &HttpResponse, body: Value, parsed: &mut Parsed, staged: &mut Staged) {
    parsed.must(
        CheckId::ParStatus,
        "HTTP status is 201 Created",
        response.status == 201,
        response.status.to_string(),
        "RFC 9126 §2.2",
    );
    let uri = body
        .get("request_uri")
        .and_then(Value::as_str)
        .unwrap_or("");
    // RFC 9126 §2.2: request_uri is REQUIRED; its format is the AS's
    // choice (a URN is only an example), so only its presence is checked.
    parsed.must(
        CheckId::ParRequestUri,
        "request_uri is issued",
        !uri.is_empty(),
        uri.to_owned(),
        "RFC 9126 §2.2",
    );
    // expires_in is REQUIRED, a positive integer; a short lifetime is
    // advice (RFC 9126 §2.2 "5 to 600 seconds", §7.2): a warning only.
    let expires_in = body.get("expires_in").and_then(Value::as_i64);
    parsed.must(
        CheckId::ParExpiresIn,
        "expires_in is a positive number of seconds",
        expires_in.is_some_and(|e| e > 0),
        expires_in.map_or("missing".into(), |e| format!("{e} s")),
        "RFC 9126 §2.2",
    );
    if let Some(e) = expires_in.filter(|e| *e > 0) {
        parsed.should(
            CheckId::ParShortLived,
            "the request_uri is short-lived",
            e <= MAX_SHORT_LIFETIME,
            format!("{e} s (at most {MAX_SHORT_LIFETIME} s advised)"),
            "RFC 9126 §2.2",
        );
    }
    crate::service::response::within_bound(
        parsed,
        "request_uri",
        uri.len(),
        crate::service::response::MAX_URL_BYTES,
    );
    staged.pushed_request_uri = Some(uri.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap as Map;

    fn answer(status: u16, body: Value) -> (HttpResponse, Value) {
        let response = HttpResponse {
            status,
            headers: Map::from([("content-type".to_owned(), "application/json".to_owned())]),
            body: body.to_string(),
            location: None,
        };
        (response, body)
    }

    #[test]
    fn a_long_lived_urn_uuid_request_uri_passes_with_a_warning() {
        let (response, body) = answer(
            201,
            serde_json::json!({"request_uri": "urn:uuid:5e1d2a4c-0b7e-4d3c-9f51-2d7c4a1b8e90", "expires_in": 3600}),
        );
        let (mut parsed, mut staged) = (Parsed::default(), Staged::default());
        verify(&response, body, &mut parsed, &mut staged);
        assert!(parsed.ok(), "{:?}", parsed.checks);
        assert_eq!(parsed.warnings(), 1);
        let warned: Vec<_> = parsed.checks.iter().filter(|c| c.warned()).collect();
        assert_eq!(warned[0].name, "the request_uri is short-lived");
        assert_eq!(
            staged.pushed_request_uri.as_deref(),
            Some("urn:uuid:5e1d2a4c-0b7e-4d3c-9f51-2d7c4a1b8e90")
        );
    }

    #[test]
    fn a_missing_expires_in_fails_the_step() {
        let (response, body) = answer(201, serde_json::json!({"request_uri": "urn:x"}));
        let (mut parsed, mut staged) = (Parsed::default(), Staged::default());
        verify(&response, body, &mut parsed, &mut staged);
        assert!(!parsed.ok());
        assert!(
            parsed
                .checks
                .iter()
                .any(|c| c.failed() && c.name == "expires_in is a positive number of seconds")
        );
    }
}
