//! Resource indicators (RFC 8707) from the client's side: the `resource`
//! values a step asks for, and whether the access token obtained is
//! restricted to them.
use std::collections::BTreeSet;

use oauth_core::jose;
use serde_json::Value;

use crate::service::check_id::CheckId;
use crate::service::outcome::Parsed;

/// A step's `resource` argument: absolute URIs separated by spaces, each
/// sent as its own `resource` parameter (RFC 8707 §2).
pub(crate) fn values(arg: Option<&str>) -> Vec<String> {
    arg.unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// RFC 8707 §2 and RFC 9068 §3: the AS SHOULD restrict the token's `aud`
/// to the resources asked for. A JWT access token shows it (as decoded:
/// the check is the client's view); an opaque one leaves it to the AS.
pub(crate) fn check_audience(parsed: &mut Parsed, token: &str, requested: &[String]) {
    if requested.is_empty() {
        return;
    }
    let asked: BTreeSet<&str> = requested.iter().map(String::as_str).collect();
    let Ok(decoded) = jose::decode_unverified(token) else {
        parsed.info(
            CheckId::AccessTokenAudience,
            "the access token is restricted to the resources asked for",
            "opaque token: its audience is known to the AS and the resource alone",
            "RFC 8707 §2",
        );
        return;
    };
    let aud: BTreeSet<&str> = match decoded.claims.get("aud") {
        Some(Value::String(one)) => BTreeSet::from([one.as_str()]),
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => BTreeSet::new(),
    };
    let shown = aud.iter().copied().collect::<Vec<_>>().join(" ");
    parsed.should(
        CheckId::AccessTokenAudience,
        "the access token is restricted to the resources asked for (aud)",
        aud == asked,
        if aud.is_empty() {
            "no aud in the token".to_owned()
        } else {
            format!("aud {shown}")
        },
        "RFC 8707 §2, RFC 9068 §3",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(aud: Value) -> String {
        let key = jose::SigningKey::generate(jose::JwsAlgorithm::ES256).unwrap();
        key.sign("at+jwt", &serde_json::json!({ "aud": aud }))
            .unwrap()
    }

    fn level_of(parsed: &Parsed) -> Option<(bool, crate::service::outcome::Level)> {
        parsed
            .checks
            .iter()
            .find(|c| c.id == CheckId::AccessTokenAudience)
            .map(|c| (c.ok, c.level))
    }

    /// RFC 8707 §2: a token for exactly the resource asked for passes.
    #[test]
    fn a_token_for_the_resource_asked_for_passes() {
        let mut parsed = Parsed::default();
        let asked = vec!["https://backend.example.org/".to_owned()];
        check_audience(
            &mut parsed,
            &token(Value::from("https://backend.example.org/")),
            &asked,
        );
        assert_eq!(
            level_of(&parsed),
            Some((true, crate::service::outcome::Level::Should))
        );
    }

    /// RFC 8707 §2 is a SHOULD: a wider audience is a warning, not a refusal.
    #[test]
    fn a_wider_audience_is_a_warning() {
        let mut parsed = Parsed::default();
        let asked = vec!["https://backend.example.org/".to_owned()];
        let wide = serde_json::json!(["https://backend.example.org/", "https://example.org/appl"]);
        check_audience(&mut parsed, &token(wide), &asked);
        assert_eq!(
            level_of(&parsed),
            Some((false, crate::service::outcome::Level::Should))
        );
        assert!(parsed.ok(), "a SHOULD failure does not refuse the answer");
    }

    #[test]
    fn the_argument_splits_on_spaces() {
        assert_eq!(
            values(Some("https://a.example/ https://b.example/")).len(),
            2
        );
        assert!(values(None).is_empty());
    }
}
