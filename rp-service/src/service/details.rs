//! Rich authorization requests (RFC 9396) from the client's side: the
//! `authorization_details` a step asks for, and what the token response
//! and introspection say was granted.
use std::collections::BTreeMap;

use serde_json::Value;

use crate::service::check_id::CheckId;
use crate::service::client_auth::arg;
use crate::service::outcome::{Parsed, StepError};

/// A step's `authorization_details` argument: a JSON array, sent as is.
pub(crate) fn asked(args: &BTreeMap<String, String>) -> Result<Option<Value>, StepError> {
    match arg(args, "authorization_details") {
        Some(text) => serde_json::from_str(text)
            .map(Some)
            .map_err(|e| StepError::BadArgument(format!("authorization_details: {e}"))),
        None => Ok(None),
    }
}

/// RFC 9396 §2: an array of objects, each with a string `type`.
fn well_formed(details: &Value) -> bool {
    details.as_array().is_some_and(|list| {
        !list.is_empty()
            && list
                .iter()
                .all(|d| d.get("type").and_then(Value::as_str).is_some())
    })
}

fn types(details: &Value) -> String {
    details
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|d| d.get("type").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// RFC 9396 §7: a token response to a request that asked for authorization
/// details MUST carry the details granted; they MAY differ from those asked.
pub(crate) fn check_token_response(parsed: &mut Parsed, body: &Value, asked: Option<&Value>) {
    let Some(asked) = asked else {
        return;
    };
    let granted = body.get("authorization_details");
    parsed.must(
        CheckId::TokenAuthorizationDetails,
        "authorization_details granted are in the response, each with its type",
        granted.is_some_and(well_formed),
        match granted {
            Some(g) if well_formed(g) => format!("types: {}", types(g)),
            Some(other) => format!("not an array of typed objects: {other}"),
            None => "missing".into(),
        },
        "RFC 9396 §7",
    );
    if let Some(granted) = granted.filter(|g| well_formed(g)) {
        parsed.info(
            CheckId::AuthorizationDetailsAsAsked,
            "the details granted are those asked for",
            if granted == asked {
                "as asked".to_owned()
            } else {
                format!("they differ (the AS MAY change them): asked {asked}")
            },
            "RFC 9396 §7",
        );
    }
}

/// RFC 9396 §9.2: introspecting a token granted authorization details
/// returns them: those the token shows (`exact`), or, for an opaque token
/// whose request asked for some, details of some kind.
pub(crate) fn check_introspection(
    parsed: &mut Parsed,
    body: &Value,
    granted: Option<&Value>,
    exact: bool,
) {
    let Some(granted) = granted else {
        return;
    };
    let returned = body.get("authorization_details");
    let holds = match returned {
        Some(r) if exact => r == granted,
        Some(r) => well_formed(r),
        None => false,
    };
    parsed.must(
        CheckId::IntrospectionAuthorizationDetails,
        "authorization_details of the token are returned",
        holds,
        match returned {
            Some(r) if holds => format!("types: {}", types(r)),
            Some(other) => format!("not the token's details: {other}"),
            None => "missing".into(),
        },
        "RFC 9396 §9.2",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(parsed: &Parsed, id: CheckId) -> Option<bool> {
        parsed.checks.iter().find(|c| c.id == id).map(|c| c.ok)
    }

    /// RFC 9396 §7: asked for, the details must come back.
    #[test]
    fn a_token_response_without_the_details_asked_for_fails() {
        let asked = json!([{"type": "customer_information"}]);
        let mut parsed = Parsed::default();
        check_token_response(&mut parsed, &json!({"access_token": "x"}), Some(&asked));
        assert_eq!(
            outcome(&parsed, CheckId::TokenAuthorizationDetails),
            Some(false)
        );
        assert!(!parsed.ok());
    }

    /// RFC 9396 §7: the AS may grant other details than asked: shown, not refused.
    #[test]
    fn different_details_granted_are_an_observation() {
        let asked = json!([{"type": "customer_information", "actions": ["read", "write"]}]);
        let granted = json!([{"type": "customer_information", "actions": ["read"]}]);
        let mut parsed = Parsed::default();
        check_token_response(
            &mut parsed,
            &json!({"authorization_details": granted}),
            Some(&asked),
        );
        assert!(parsed.ok());
        assert_eq!(
            outcome(&parsed, CheckId::AuthorizationDetailsAsAsked),
            Some(true)
        );
    }

    /// Nothing asked, nothing checked.
    #[test]
    fn no_details_asked_means_no_check() {
        let mut parsed = Parsed::default();
        check_token_response(&mut parsed, &json!({}), None);
        assert!(parsed.checks.is_empty());
    }
}
