//! `--redact`: a transcript that can be shared. Secrets and token values
//! are masked; what a JWT says (its decoded header and claims) is kept, so
//! the transcript still teaches what it taught.
use serde_json::Value;

use crate::runner::StoryRecord;

/// Parameters and members whose values are credentials or bearer tokens.
pub const SECRET_NAMES: [&str; 17] = [
    "client_secret",
    // RFC 7592 §3: the bearer token managing a registered client.
    "registration_access_token",
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

/// Secret values shorter than this are masked where they are named (a
/// parameter, a member) but not swept out of free text, where a short value
/// could match ordinary words.
const MIN_SWEPT_LEN: usize = 8;

/// Every secret value a record carries under a secret name, in a JSON
/// value (parameters, bodies) or a URL's query and fragment.
fn collect_value(name: &str, value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) if is_secret(name) || looks_like_jwt(s) => found.push(s.clone()),
        Value::Object(map) => map.iter().for_each(|(k, v)| collect_value(k, v, found)),
        Value::Array(items) => items.iter().for_each(|v| collect_value(name, v, found)),
        _ => {}
    }
}

fn collect_url(url: &str, found: &mut Vec<String>) {
    let Ok(parsed) = url::Url::parse(url) else {
        return;
    };
    for raw in [parsed.query(), parsed.fragment()].into_iter().flatten() {
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            if is_secret(&k) || looks_like_jwt(&v) {
                found.push(v.into_owned());
            }
        }
    }
}

/// The values of the cookies a header carries: a `Cookie` request header
/// (`a=1; b=2`, RFC 6265 §5.4) or `Set-Cookie` (`a=1; Path=/; …`, one per
/// line as the carrier joins them): a server's session cookie is as good as
/// the login it stands for.
fn cookie_values(name: &str, value: &str) -> Vec<String> {
    let pairs: Vec<&str> = if name.eq_ignore_ascii_case("cookie") {
        value.split(';').collect()
    } else if name.eq_ignore_ascii_case("set-cookie") {
        value
            .lines()
            .filter_map(|line| line.split(';').next())
            .collect()
    } else {
        return Vec::new();
    };
    pairs
        .iter()
        .filter_map(|pair| pair.split_once('='))
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Replaces every occurrence of a secret in free text (a check's detail, an
/// error description, the attacker's note, a header).
fn sweep(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), MASK);
        }
    }
}

fn sweep_value(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => sweep(s, secrets),
        Value::Object(map) => map.values_mut().for_each(|v| sweep_value(v, secrets)),
        Value::Array(items) => items.iter_mut().for_each(|v| sweep_value(v, secrets)),
        _ => {}
    }
}

/// The secrets a record carries: credentials, codes, tokens, state and
/// nonce values, wherever a step names them, and every JWT.
fn secrets_of(record: &StoryRecord) -> Vec<String> {
    let mut found = Vec::new();
    for step in &record.steps {
        collect_url(&step.request.url, &mut found);
        for (name, value) in &step.request.headers {
            found.extend(cookie_values(name, value));
            if is_secret(name) {
                // `Basic …`, `DPoP …`, `Bearer …`: the credential after the scheme.
                found.push(
                    value
                        .split_once(' ')
                        .map_or(value.as_str(), |(_, c)| c)
                        .to_owned(),
                );
            }
        }
        collect_value("params", &step.request.params, &mut found);
        collect_value("body", &step.response.body, &mut found);
        collect_value("parsed", &step.parsed, &mut found);
        for (name, value) in &step.response.headers {
            collect_url(value, &mut found);
            found.extend(cookie_values(name, value));
        }
        for url in [
            &step.response.location,
            &step.tampered.as_ref().and_then(|t| t.location.clone()),
        ]
        .into_iter()
        .flatten()
        {
            collect_url(url, &mut found);
        }
        found.extend(step.jwts.iter().map(|j| j.compact.clone()));
        // A secret-named claim (a nonce only a forged token carried) stays
        // in the decoded claims, by design, but nowhere else.
        for jwt in &step.jwts {
            collect_value("claims", &jwt.claims, &mut found);
        }
    }
    found.retain(|s| s.len() >= MIN_SWEPT_LEN && s != MASK);
    // Longest first, so a token is masked whole before any value inside it.
    found.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    found.dedup();
    found
}

/// Masks every secret in a story's record, in place: named parameters and
/// members, URLs (the redirect the RP received, the attacker's tampered
/// one), credentials in headers, JWTs — and then any of those values that
/// turn up in free text anywhere in the record. What a JWT says (its decoded
/// header and claims) is kept.
pub fn redact(record: &mut StoryRecord) {
    let secrets = secrets_of(record);
    if let Some(error) = &mut record.error {
        sweep(error, &secrets);
    }
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
            sweep(value, &secrets);
        }
        mask_value("params", &mut step.request.params);
        mask_value("body", &mut step.response.body);
        mask_value("parsed", &mut step.parsed);
        sweep_value(&mut step.request.params, &secrets);
        sweep_value(&mut step.response.body, &secrets);
        sweep_value(&mut step.parsed, &secrets);
        for value in step.response.headers.values_mut() {
            if value.starts_with("https://") || value.starts_with("http://") {
                *value = mask_url(value);
            }
            sweep(value, &secrets);
        }
        if let Some(location) = &mut step.response.location {
            *location = mask_url(location);
            sweep(location, &secrets);
        }
        // A walked login's URLs carry the request's own values, nested.
        for hop in &mut step.login {
            for url in [&mut hop.url, &mut hop.location] {
                *url = mask_url(url);
                sweep(url, &secrets);
            }
        }
        if let Some(tampered) = &mut step.tampered {
            if let Some(location) = &mut tampered.location {
                *location = mask_url(location);
                sweep(location, &secrets);
            }
            if let Some(page) = &mut tampered.page {
                sweep(page, &secrets);
            }
            sweep(&mut tampered.what, &secrets);
        }
        for check in &mut step.checks {
            sweep(&mut check.detail, &secrets);
        }
        if let Some(error) = &mut step.error {
            sweep(&mut error.error_description, &secrets);
        }
        for jwt in &mut step.jwts {
            jwt.compact = MASK.into();
            sweep(&mut jwt.verification, &secrets);
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

    #[test]
    fn a_registration_access_token_is_masked() {
        let mut v = serde_json::json!({"client_id": "c1", "registration_access_token": "rat", "registration_client_uri": "https://op.example/register/c1"});
        mask_value("body", &mut v);
        assert_eq!(v["registration_access_token"], MASK);
        assert_eq!(v["client_id"], "c1");
        assert_eq!(
            v["registration_client_uri"],
            "https://op.example/register/c1"
        );
    }

    #[test]
    fn a_session_cookie_value_is_a_secret_its_attributes_are_not() {
        assert_eq!(
            cookie_values(
                "set-cookie",
                "__Host-s=abcdefghij; Path=/; Max-Age=60; HttpOnly\nother=klmnopqrst; Secure"
            ),
            ["abcdefghij", "klmnopqrst"]
        );
        assert_eq!(
            cookie_values("Cookie", "a=abcdefghij; b=klmnopqrst"),
            ["abcdefghij", "klmnopqrst"]
        );
        assert!(cookie_values("location", "https://x.example/?a=b").is_empty());
    }
}
