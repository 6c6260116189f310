//! Registered JWT claims checked one at a time through the shared verifier
//! (`oauth_core::claims`), so that each is reported as its own check: the
//! ID token's and the access token's times.
use oauth_core::claims::{self, Expected};
use serde_json::{Map, Value};

use crate::service::check_id::CheckId;
use crate::service::outcome::Parsed;

/// Whether one registered claim passes the shared verifier
/// ([`oauth_core::claims::verify`]), the other claims left out: each is
/// reported as its own check, whatever else is wrong with the token.
pub(crate) fn claim_holds(
    claims: &Map<String, Value>,
    name: &str,
    expected: &Expected<'_>,
) -> bool {
    let only: Map<String, Value> = claims
        .get(name)
        .map(|v| (name.to_owned(), v.clone()))
        .into_iter()
        .collect();
    claims::verify(&only, expected).is_ok()
}

/// RFC 7519 §4.1.5: a JWT is not accepted before its `nbf` (with `leeway`
/// seconds of skew); a MUST check under `id` when the claim is present.
pub(crate) fn check_nbf(
    parsed: &mut Parsed,
    id: CheckId,
    claims: &Map<String, Value>,
    now: i64,
    leeway: i64,
) {
    let Some(v) = claims.get("nbf") else {
        return;
    };
    parsed.must(
        id,
        "nbf has passed",
        claim_holds(claims, "nbf", &times(now, leeway)),
        match v.as_i64() {
            Some(n) if n > now => format!("valid only in {} s", n - now),
            Some(_) => "passed".to_owned(),
            None => format!("not a number: {v}"),
        },
        "RFC 7519 §4.1.5",
    );
}

/// What the shared verifier expects of the times alone, with `leeway`
/// seconds of skew; `exp` optional unless a caller requires it.
pub(crate) fn times(now: i64, leeway: i64) -> Expected<'static> {
    Expected {
        issuer: None,
        audiences: &[],
        now,
        leeway,
        require_exp: false,
        max_lifetime: None,
    }
}
