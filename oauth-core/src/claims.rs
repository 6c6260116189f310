//! One verifier for the registered JWT claims (RFC 7519 §4.1): issuer,
//! audience and the three times, against an injected `now` with a leeway.
//! Every signed JWT the AS or the RP reads (request objects, client
//! assertions, ID tokens, access tokens) checks these the same way; what
//! differs is only what each expects.
use std::fmt;

use serde_json::{Map, Value};

/// What a JWT's registered claims must say.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// `iss` must be exactly this (RFC 7519 §4.1.1), when set.
    pub issuer: Option<&'a str>,
    /// `aud` must contain one of these (RFC 7519 §4.1.3), when not empty.
    pub audiences: &'a [&'a str],
    /// The current time, seconds since the epoch.
    pub now: i64,
    /// Clock skew allowed on `exp`, `nbf` and `iat`, seconds.
    pub leeway: i64,
    /// `exp` must be present.
    pub require_exp: bool,
    /// `exp` may be at most this far ahead, seconds (RFC 7523 §3 item 4:
    /// an unreasonably far expiry may be refused).
    pub max_lifetime: Option<i64>,
}

/// Why the claims were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimsError {
    /// A claim that must be there is absent or not of its type.
    Missing(&'static str),
    Issuer(String),
    Audience(Vec<String>),
    Expired,
    TooLongLived {
        max: i64,
    },
    NotYetValid,
    IssuedInTheFuture,
}

impl fmt::Display for ClaimsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(name) => write!(f, "no {name}"),
            Self::Issuer(found) => write!(f, "iss {found:?} is not the one expected"),
            Self::Audience(found) => write!(f, "aud {found:?} does not name the recipient"),
            Self::Expired => f.write_str("expired (exp)"),
            Self::TooLongLived { max } => {
                write!(
                    f,
                    "exp is more than {max} s ahead (at most {max} s is accepted)"
                )
            }
            Self::NotYetValid => f.write_str("not valid yet (nbf)"),
            Self::IssuedInTheFuture => f.write_str("issued in the future (iat)"),
        }
    }
}

impl std::error::Error for ClaimsError {}

/// The `aud` values: a string or an array of strings (RFC 7519 §4.1.3);
/// non-string members are dropped, so they can never match.
pub fn audiences(claims: &Map<String, Value>) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks `iss`, `aud`, `exp`, `nbf` and `iat` as `expected` says.
pub fn verify(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<(), ClaimsError> {
    if let Some(issuer) = expected.issuer {
        let found = claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or(ClaimsError::Missing("iss"))?;
        if found != issuer {
            return Err(ClaimsError::Issuer(found.to_owned()));
        }
    }
    if !expected.audiences.is_empty() {
        let found = audiences(claims);
        if !found
            .iter()
            .any(|a| expected.audiences.contains(&a.as_str()))
        {
            return Err(ClaimsError::Audience(found));
        }
    }
    let time = |name: &'static str| -> Result<Option<i64>, ClaimsError> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or(ClaimsError::Missing(name)),
        }
    };
    let (now, leeway) = (expected.now, expected.leeway);
    match time("exp")? {
        Some(exp) => {
            if exp + leeway <= now {
                return Err(ClaimsError::Expired);
            }
            if let Some(max) = expected.max_lifetime
                && exp > now + max
            {
                return Err(ClaimsError::TooLongLived { max });
            }
        }
        None if expected.require_exp => return Err(ClaimsError::Missing("exp")),
        None => {}
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now + leeway) {
        return Err(ClaimsError::NotYetValid);
    }
    if time("iat")?.is_some_and(|iat| iat > now + leeway) {
        return Err(ClaimsError::IssuedInTheFuture);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn expected(now: i64) -> Expected<'static> {
        Expected {
            issuer: Some("https://as.example/"),
            audiences: &["client"],
            now,
            leeway: 0,
            require_exp: true,
            max_lifetime: Some(300),
        }
    }

    #[test]
    fn rfc7519_section_4_1_claims_pass_when_all_hold() {
        let c = claims(
            json!({"iss": "https://as.example/", "aud": ["x", "client"], "exp": 1100, "nbf": 1000, "iat": 1000}),
        );
        assert_eq!(verify(&c, &expected(1000)), Ok(()));
    }

    #[test]
    fn each_claim_is_refused_on_its_own() {
        let base = json!({"iss": "https://as.example/", "aud": "client", "exp": 1100});
        let case = |change: &dyn Fn(&mut Value), now: i64| {
            let mut v = base.clone();
            change(&mut v);
            verify(&claims(v), &expected(now)).unwrap_err()
        };
        assert_eq!(
            case(&|v| v["iss"] = json!("https://other/"), 1000),
            ClaimsError::Issuer("https://other/".into())
        );
        assert_eq!(
            case(&|v| v["aud"] = json!([1, "other"]), 1000),
            ClaimsError::Audience(vec!["other".into()])
        );
        assert_eq!(case(&|_| {}, 1100), ClaimsError::Expired);
        assert_eq!(
            case(&|v| v["exp"] = json!(999_999), 1000),
            ClaimsError::TooLongLived { max: 300 }
        );
        assert_eq!(
            case(&|v| v["nbf"] = json!(2000), 1000),
            ClaimsError::NotYetValid
        );
        assert_eq!(
            case(&|v| v["iat"] = json!(2000), 1000),
            ClaimsError::IssuedInTheFuture
        );
        assert_eq!(
            case(&|v| v["exp"] = json!("soon"), 1000),
            ClaimsError::Missing("exp")
        );
        assert_eq!(
            case(
                &|v| {
                    v.as_object_mut().map(|m| m.remove("exp"));
                },
                1000
            ),
            ClaimsError::Missing("exp")
        );
    }

    #[test]
    fn leeway_forgives_skew_on_every_time() {
        let c = claims(json!({"exp": 995, "nbf": 1030, "iat": 1030}));
        let e = Expected {
            issuer: None,
            audiences: &[],
            now: 1000,
            leeway: 60,
            require_exp: true,
            max_lifetime: None,
        };
        assert_eq!(verify(&c, &e), Ok(()));
    }
}
