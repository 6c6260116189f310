//! OpenID Connect pieces both sides need: the token hashes of an ID token
//! (`at_hash`, `c_hash`), the claims that scope values stand for, and the
//! `claims` request parameter.
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

/// The JOSE `typ` ID tokens carry.
pub const ID_TOKEN_TYP: &str = "JWT";

/// OIDC Core §3.1.3.6 (`at_hash`) and §3.3.2.11 (`c_hash`): the
/// base64url of the left-most half of the hash of the ASCII value, with
/// the hash of the ID token's `alg` (SHA-256 for RS256/ES256/PS256, ...).
pub fn left_hash(alg: Algorithm, value: &str) -> Option<String> {
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512, digest};
    let algorithm = match alg {
        Algorithm::RS256 | Algorithm::ES256 | Algorithm::PS256 | Algorithm::HS256 => &SHA256,
        Algorithm::RS384 | Algorithm::ES384 | Algorithm::PS384 | Algorithm::HS384 => &SHA384,
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::HS512 => &SHA512,
        _ => return None,
    };
    let d = digest(algorithm, value.as_bytes());
    let half = &d.as_ref()[..d.as_ref().len() / 2];
    Some(URL_SAFE_NO_PAD.encode(half))
}

/// OIDC Core §5.4: the claims a scope value requests.
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// Every standard claim a scope can stand for.
pub fn standard_claims() -> Vec<&'static str> {
    ["profile", "email", "address", "phone"]
        .iter()
        .flat_map(|s| scope_claims(s).iter().copied())
        .collect()
}

/// One member of a `claims` request (OIDC Core §5.5.1): null, or an
/// object with `essential`, `value`, `values`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimRequest {
    pub essential: bool,
    pub value: Option<Value>,
    pub values: Option<Vec<Value>>,
}

/// Why a `claims` parameter (OIDC Core §5.5) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimsRequestError {
    /// Not JSON text, with the parser's reason.
    NotJson(String),
    NotAnObject,
    /// `id_token` or `userinfo` is not an object.
    MemberNotAnObject(String),
    ValuesNotAnArray,
    BadClaim,
}

impl std::fmt::Display for ClaimsRequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotJson(why) => write!(f, "claims is not JSON: {why}"),
            Self::NotAnObject => f.write_str("claims must be a JSON object"),
            Self::MemberNotAnObject(member) => write!(f, "claims.{member} must be a JSON object"),
            Self::ValuesNotAnArray => f.write_str("a claim's values must be an array"),
            Self::BadClaim => f.write_str("each requested claim must be null or an object"),
        }
    }
}

impl std::error::Error for ClaimsRequestError {}

/// The message, for an `error_description`.
impl From<ClaimsRequestError> for String {
    fn from(e: ClaimsRequestError) -> Self {
        e.to_string()
    }
}

/// The `claims` request parameter (OIDC Core §5.5): which claims go in the
/// ID token and which come from the UserInfo endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimsRequest {
    pub id_token: BTreeMap<String, ClaimRequest>,
    pub userinfo: BTreeMap<String, ClaimRequest>,
}

impl ClaimsRequest {
    /// Parses the JSON text of a `claims` parameter.
    pub fn parse(text: &str) -> Result<Self, ClaimsRequestError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ClaimsRequestError::NotJson(e.to_string()))?;
        let Value::Object(top) = value else {
            return Err(ClaimsRequestError::NotAnObject);
        };
        let mut request = Self::default();
        for (member, target) in top {
            let slot = match member.as_str() {
                "id_token" => &mut request.id_token,
                "userinfo" => &mut request.userinfo,
                // Unknown members are ignored (OIDC Core §5.5).
                _ => continue,
            };
            let Value::Object(claims) = target else {
                return Err(ClaimsRequestError::MemberNotAnObject(member));
            };
            for (name, spec) in claims {
                slot.insert(name, parse_claim(&spec)?);
            }
        }
        Ok(request)
    }

    /// Back to JSON, for storage and transcripts.
    pub fn to_json(&self) -> Value {
        let side = |m: &BTreeMap<String, ClaimRequest>| {
            Value::Object(
                m.iter()
                    .map(|(k, c)| {
                        let spec = if c == &ClaimRequest::default() {
                            Value::Null
                        } else {
                            let mut o = Map::new();
                            if c.essential {
                                o.insert("essential".into(), Value::Bool(true));
                            }
                            if let Some(v) = &c.value {
                                o.insert("value".into(), v.clone());
                            }
                            if let Some(vs) = &c.values {
                                o.insert("values".into(), Value::Array(vs.clone()));
                            }
                            Value::Object(o)
                        };
                        (k.clone(), spec)
                    })
                    .collect(),
            )
        };
        let mut top = Map::new();
        if !self.id_token.is_empty() {
            top.insert("id_token".into(), side(&self.id_token));
        }
        if !self.userinfo.is_empty() {
            top.insert("userinfo".into(), side(&self.userinfo));
        }
        Value::Object(top)
    }
}

fn parse_claim(spec: &Value) -> Result<ClaimRequest, ClaimsRequestError> {
    match spec {
        Value::Null => Ok(ClaimRequest::default()),
        Value::Object(o) => Ok(ClaimRequest {
            essential: o.get("essential").and_then(Value::as_bool).unwrap_or(false),
            value: o.get("value").cloned(),
            values: match o.get("values") {
                Some(Value::Array(vs)) => Some(vs.clone()),
                Some(_) => return Err(ClaimsRequestError::ValuesNotAnArray),
                None => None,
            },
        }),
        _ => Err(ClaimsRequestError::BadClaim),
    }
}

/// The user's claims that a set of names selects, `sub` excluded.
pub fn select(
    user_claims: &Map<String, Value>,
    names: impl IntoIterator<Item = impl AsRef<str>>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for name in names {
        let name = name.as_ref();
        if name == "sub" {
            continue;
        }
        if let Some(v) = user_claims.get(name) {
            out.insert(name.to_owned(), v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_of_the_oidc_core_example() {
        // OIDC Core Appendix A.3: access token and at_hash of an RS256 ID token.
        assert_eq!(
            left_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            )
            .as_deref(),
            Some("77QmUPtjPfzWtF2AnpK9RQ")
        );
        // OIDC Core Appendix A.6: the code and c_hash.
        assert_eq!(
            left_hash(
                Algorithm::RS256,
                "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
            )
            .as_deref(),
            Some("LDktKdoQak3Pk0cnXxCltA")
        );
    }

    #[test]
    fn parses_the_claims_request_of_the_stories() {
        let r = ClaimsRequest::parse(
            r#"{"id_token": {"nickname": null}, "userinfo": {"name": null, "email": {"essential": true}}}"#,
        )
        .unwrap();
        assert!(r.id_token.contains_key("nickname"));
        assert!(r.userinfo["email"].essential);
        assert_eq!(ClaimsRequest::parse(&r.to_json().to_string()).unwrap(), r);
        assert!(ClaimsRequest::parse("[1]").is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo": {"name": 3}}"#).is_err());
    }

    #[test]
    fn scope_email_stands_for_email_and_email_verified() {
        assert_eq!(scope_claims("email"), ["email", "email_verified"]);
        assert!(scope_claims("foobar").is_empty());
    }
}
