//! `--redact`: a transcript that can be shared. Secrets and token values
//! are masked; what a JWT says (its decoded header and claims) is kept, so
//! the transcript still teaches what it taught.
use serde_json::Value;

use crate::runner::StoryRecord;

/// Parameters and members whose values are credentials or bearer tokens.
const SECRET_NAMES: [&str; 16] = [
    "client_secret",
    "password",
    "code",
    "code_verifier",
    "refresh_token",
    "access_token",
    "id_token",
    "token",
    "subject_token",
    "client_assertion",
    "request",
    "request_uri",
    "authorization",
    "dpop",
    "state",
    "nonce",
];

const MASK: &str = "[redacted]";

fn is_secret(name: &str) -> bool {
    SECRET_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// A JWS compact serialization: three base64url parts.
fn looks_like_jwt(s: &str) -> bool {
    s.starts_with("eyJ") && s.split('.').count() == 3
}

fn mask_value(name: &str, value: &mut Value) {
    match value {
        Value::String(s) if is_secret(name) || looks_like_jwt(s) => *s = MASK.into(),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                mask_value(k, v);
            }
        }
        Value::Array(items) => {
            for v in items {
                mask_value(name, v);
            }
        }
        _ => {}
    }
}

/// Masks secret query/fragment parameters of a URL, keeping the rest.
fn mask_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let mask_pairs = |raw: &str| -> String {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| {
                let v = if is_secret(&k) || looks_like_jwt(&v) {
                    MASK.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    };
    if let Some(query) = parsed.query().map(str::to_owned) {
        parsed.set_query(Some(&mask_pairs(&query)));
    }
    if let Some(fragment) = parsed.fragment().map(str::to_owned) {
        parsed.set_fragment(Some(&mask_pairs(&fragment)));
    }
    parsed.to_string()
}

/// Masks every secret in a story's record, in place.
pub fn redact(record: &mut StoryRecord) {
    for step in &mut record.steps {
        step.request.url = mask_url(&step.request.url);
        for (name, value) in step.request.headers.iter_mut() {
            if is_secret(name) {
                // Keep the scheme: it says how the client authenticated.
                let scheme = value.split(' ').next().unwrap_or("").to_owned();
                *value = if value.contains(' ') {
                    format!("{scheme} {MASK}")
                } else {
                    MASK.into()
                };
            }
        }
        mask_value("params", &mut step.request.params);
        mask_value("body", &mut step.response.body);
        mask_value("parsed", &mut step.parsed);
        for value in step.response.headers.values_mut() {
            if value.starts_with("https://") || value.starts_with("http://") {
                *value = mask_url(value);
            }
        }
        if let Some(location) = &step.response.location {
            step.response.location = Some(mask_url(location));
        }
        for jwt in &mut step.jwts {
            jwt.compact = MASK.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_their_shape_and_lose_their_secrets() {
        let masked =
            mask_url("https://example.com/cb?code=abc&state=xyz&iss=https%3A%2F%2Fexample.com%2F");
        assert!(masked.contains("code=%5Bredacted%5D"));
        assert!(masked.contains("iss=https%3A%2F%2Fexample.com%2F"));
        let masked = mask_url("https://example.com/cb#id_token=eyJa.eyJb.c&state=s");
        assert!(!masked.contains("eyJ"));
    }

    #[test]
    fn nested_secrets_and_stray_jwts_are_masked() {
        let mut v = serde_json::json!({"access_token": "t", "scope": "a", "x": ["eyJh.eyJi.c"], "keys": [{"kid": "k"}]});
        mask_value("body", &mut v);
        assert_eq!(v["access_token"], MASK);
        assert_eq!(v["scope"], "a");
        assert_eq!(v["x"][0], MASK);
        assert_eq!(v["keys"][0]["kid"], "k");
    }
}
