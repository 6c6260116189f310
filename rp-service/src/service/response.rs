//! Reading the AS's answers: the RP's size limits, JSON bodies, OAuth
//! error responses and `WWW-Authenticate` challenges, and the JWTs the RP
//! itself sent, shown beside the answer.

use oauth_core::error::ErrorCode;
use oauth_core::http::HttpResponse;
use serde_json::Value;

use crate::service::check_id::CheckId;
use crate::service::outcome::{Parsed, SeenJwt};
use crate::session::{Pending, Session};

/// The largest response body the RP reads, bytes. Metadata, key sets and
/// token responses are a few KiB; anything bigger is refused before it is
/// parsed, so an AS cannot make a session (or one call) cost megabytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest redirect location the RP reads, bytes.
pub const MAX_LOCATION_BYTES: usize = 16 * 1024;
/// The longest DPoP nonce kept from an AS (RFC 9449 §8 sets no bound).
pub const MAX_DPOP_NONCE_BYTES: usize = 512;
/// The longest endpoint URL or request_uri the RP keeps, bytes.
pub const MAX_URL_BYTES: usize = 1024;
/// The longest token the RP keeps, bytes (as long as the longest JWS it reads).
pub const MAX_TOKEN_BYTES: usize = oauth_core::jose::MAX_JWS;

/// A value the session would keep must be within the RP's bound: a check,
/// shown only when it fails (no standard sets these; the RP's memory does).
pub(crate) fn within_bound(parsed: &mut Parsed, what: &str, len: usize, max: usize) {
    if len > max {
        parsed.must(
            CheckId::ValueWithinBound,
            format!("{what} is within the RP's size limits"),
            false,
            format!("{len} bytes, at most {max}"),
            "the RP's own limit (docs/SECURITY.md)",
        );
    }
}

/// Claims asked for by name, and which of them came back (OIDC Core §5.5):
/// shown, not judged — a user may lack a claim.
pub(crate) fn report_requested_claims(
    parsed: &mut Parsed,
    id: CheckId,
    name: &str,
    requested: Option<&Vec<String>>,
    present: impl Fn(&str) -> bool,
) {
    if let Some(requested) = requested {
        let released: Vec<&str> = requested
            .iter()
            .map(String::as_str)
            .filter(|c| present(c))
            .collect();
        parsed.info(
            id,
            name,
            format!(
                "asked {}; released {}",
                requested.join(", "),
                released.join(", ")
            ),
            "OIDC Core §5.5",
        );
    }
}

/// The RP's size limits: a body over [`MAX_BODY_BYTES`] or a redirect over
/// [`MAX_LOCATION_BYTES`] is refused unread.
pub(crate) fn within_limits(response: &HttpResponse, parsed: &mut Parsed) -> bool {
    let location = response
        .location
        .as_deref()
        .or_else(|| response.headers.get("location").map(String::as_str))
        .map_or(0, str::len);
    let ok = response.body.len() <= MAX_BODY_BYTES && location <= MAX_LOCATION_BYTES;
    if !ok {
        parsed.must(
            CheckId::AnswerWithinLimits,
            "the answer is within the RP's size limits",
            false,
            format!(
                "body {} bytes (at most {MAX_BODY_BYTES}), location {location} bytes (at most {MAX_LOCATION_BYTES})",
                response.body.len()
            ),
            "the RP's own limit (docs/SECURITY.md)",
        );
    }
    ok
}

/// RFC 9449 §8: a nonce the AS hands out is used in the next proof, even
/// from an error response (that is how it is handed out) — the one thing a
/// response sets without passing every check; it is only ever sent back to
/// the AS, and kept only if it is a well-formed, short nonce.
pub(crate) fn keep_dpop_nonce(response: &HttpResponse, session: &mut Session) {
    if let Some(nonce) = response.headers.get("dpop-nonce")
        && nonce.len() <= MAX_DPOP_NONCE_BYTES
        && !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    {
        session.dpop_nonce = Some(nonce.clone());
    }
}

/// Reads a JSON response body. An error status is read as an OAuth error
/// response (RFC 6749 §5.2) and recorded; `None` means nothing more to check.
pub(crate) fn json_body(
    response: &HttpResponse,
    reference: &str,
    parsed: &mut Parsed,
) -> Option<Value> {
    let media_type = response.headers.get("content-type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let body: Result<Value, _> = serde_json::from_str(&response.body);
    if !(200..300).contains(&response.status) {
        record_error_per(response, body.ok(), parsed, error_clause(reference));
        return None;
    }
    let json_type = media_type
        .as_deref()
        .is_some_and(|t| t == "application/json" || t.ends_with("+json"));
    parsed.must(
        CheckId::ContentTypeJson,
        "Content-Type is JSON",
        json_type,
        media_type.unwrap_or_else(|| "no Content-Type".into()),
        reference,
    );
    match body {
        Ok(v @ Value::Object(_)) => {
            parsed.parsed = Value::Null;
            parsed.parsed_text = Some(response.body.clone());
            Some(v)
        }
        _ => {
            parsed.must(
                CheckId::BodyJsonObject,
                "body is a JSON object",
                false,
                "the body is not a JSON object",
                "RFC 8259",
            );
            None
        }
    }
}

/// Records an OAuth error response: from its JSON body (RFC 6749 §5.2), or
/// from a `WWW-Authenticate` challenge (RFC 6750 §3).
pub(crate) fn record_error(response: &HttpResponse, body: Option<Value>, parsed: &mut Parsed) {
    record_error_per(response, body, parsed, "RFC 6749 §5.2");
}

/// Where the error response of the endpoint whose answer `reference` cites
/// is defined: registration's own (RFC 7591 §3.2.2), else RFC 6749 §5.2.
fn error_clause(reference: &str) -> &'static str {
    if reference.starts_with("RFC 7591") {
        "RFC 7591 §3.2.2"
    } else {
        "RFC 6749 §5.2"
    }
}

/// [`record_error`], the error response's form as `clause` defines it.
fn record_error_per(
    response: &HttpResponse,
    body: Option<Value>,
    parsed: &mut Parsed,
    clause: &str,
) {
    let status = response.status;
    let challenge = response
        .headers
        .get("www-authenticate")
        .map(String::as_str)
        .unwrap_or("");
    let text = |name: &str| {
        body.as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| challenge_param(challenge, name))
            .unwrap_or_default()
    };
    let (error, description) = (text("error"), text("error_description"));
    parsed.must(
        CheckId::ErrorCodePresent,
        "error response carries an error code",
        !error.is_empty(),
        format!("HTTP {status}: {error} {description}"),
        clause,
    );
    parsed.parsed = body.unwrap_or(Value::Null);
    let code = if error.is_empty() {
        ErrorCode::Extension(format!("http_{status}"))
    } else {
        ErrorCode::parse(&error)
    };
    parsed.error = Some((code, description));
}

/// A parameter of a `WWW-Authenticate` challenge: `error="invalid_token"`.
pub(crate) fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The JWTs the RP itself sent (request object, client assertion, DPoP
/// proof), decoded for the transcript; the AS is the one that verifies them.
pub(crate) fn show_sent_jwts(pending: &Pending, parsed: &mut Parsed) {
    let sent = [
        (
            "request object (sent)",
            pending.params.get("request"),
            "signed by the RP; the AS verifies it (RFC 9101 §6)",
        ),
        (
            "client assertion (sent)",
            pending.params.get("client_assertion"),
            "signed by the RP; the AS verifies it (RFC 7523 §3)",
        ),
        (
            "grant assertion (sent)",
            pending.params.get("assertion"),
            "signed by the identity provider; the AS verifies it (RFC 7523 §3)",
        ),
        (
            "DPoP proof (sent)",
            pending.dpop.as_deref(),
            "signed by the RP's DPoP key; the AS verifies it (RFC 9449 §4.3)",
        ),
    ];
    for (name, compact, verification) in sent {
        if let Some(compact) = compact
            && let Ok(decoded) = oauth_core::jose::decode_unverified(compact)
        {
            // OIDC Core §9: client_secret_jwt MACs with the shared secret.
            let alg = decoded
                .header
                .get("alg")
                .and_then(serde_json::Value::as_str);
            let verification = match alg {
                Some("HS256") => {
                    "MACed with the client secret (HS256); the AS verifies it (OIDC Core §9)"
                }
                Some("none") => {
                    "unsigned (alg none): nothing for the AS to verify (OIDC Core §6.1)"
                }
                _ => verification,
            };
            parsed
                .jwts
                .push(SeenJwt::decoded(name, compact, &decoded, verification));
        }
    }
}
