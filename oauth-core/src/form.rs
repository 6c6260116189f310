//! Strict `application/x-www-form-urlencoded` parsing and encoding.
//!
//! OAuth asks more of a form than browsers do: a parameter must not appear
//! twice (RFC 6749 §3.1, §3.2) and a parameter without a value counts as
//! omitted (RFC 6749 §3.1). Bad percent-escapes and bytes that do not decode
//! to UTF-8 are refused instead of being patched up.
use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::percent_decode_str;

use crate::error::OAuthError;

/// Why a form body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    Malformed(String),
    Duplicate(String),
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed form body: {why}"),
            Self::Duplicate(name) => write!(f, "parameter {name:?} is included more than once"),
        }
    }
}

impl From<FormError> for OAuthError {
    fn from(e: FormError) -> Self {
        OAuthError::invalid_request(e.to_string())
    }
}

/// Parameters that a later RFC lets appear more than once: `audience` and
/// `resource` in a token exchange (RFC 8693 §2.1) and resource indicators
/// (RFC 8707 §2).
pub const REPEATABLE: [&str; 2] = ["audience", "resource"];

/// Parsed parameters; values are kept as sent, empty ones included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>, BTreeMap<String, Vec<String>>);

impl Params {
    /// The value of a parameter; an empty value is treated as absent. For a
    /// repeatable parameter, its first value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Parameters from name/value pairs that cannot repeat (a JSON object's
    /// members, a stored request).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(pairs.into_iter().collect(), BTreeMap::new())
    }

    /// The parameters as name/value pairs.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Without the named parameters.
    pub fn without(&self, names: &[&str]) -> Self {
        let keep = |k: &String| !names.contains(&k.as_str());
        Self(
            self.0
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            self.1
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// Every non-empty value of a parameter, in the order sent.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        match self.1.get(name) {
            Some(values) => values
                .iter()
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .collect(),
            None => self.get(name).into_iter().collect(),
        }
    }

    /// Whether a parameter was sent with a value.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parameters as a JSON object (for transcripts).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| {
                    let value = match self.1.get(k) {
                        Some(all) if all.len() > 1 => serde_json::json!(all),
                        _ => serde_json::Value::String(v.clone()),
                    };
                    (k.clone(), value)
                })
                .collect(),
        )
    }
}

/// At most this many parameters in one form or query.
pub const MAX_PARAMS: usize = 100;

/// Parses a form body (or a URL query string).
pub fn parse(body: &str) -> Result<Params, FormError> {
    let mut map = BTreeMap::new();
    let mut repeated: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut count = 0usize;
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        count += 1;
        if count > MAX_PARAMS {
            return Err(FormError::Malformed(format!(
                "more than {MAX_PARAMS} parameters"
            )));
        }
        let Some((raw_name, raw_value)) = pair.split_once('=') else {
            return Err(FormError::Malformed(format!(
                "{:?} has no '='",
                truncate(pair)
            )));
        };
        let name = decode_component(raw_name)?;
        if name.is_empty() {
            return Err(FormError::Malformed("a parameter has an empty name".into()));
        }
        let value = decode_component(raw_value)?;
        if REPEATABLE.contains(&name.as_str()) {
            repeated
                .entry(name.clone())
                .or_default()
                .push(value.clone());
            map.entry(name).or_insert(value);
            continue;
        }
        if map.contains_key(&name) {
            return Err(FormError::Duplicate(name));
        }
        map.insert(name, value);
    }
    Ok(Params(map, repeated))
}

fn decode_component(raw: &str) -> Result<String, FormError> {
    let bytes = raw.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_control() || b == b' ' {
            return Err(FormError::Malformed(
                "unencoded space or control character".into(),
            ));
        }
        if b == b'%' {
            let ok = bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !ok {
                return Err(FormError::Malformed(format!(
                    "bad percent-escape in {:?}",
                    truncate(raw)
                )));
            }
        }
    }
    // One copy at most when there is nothing to undo (no '+', no escape).
    let plus_as_space = if raw.contains('+') {
        std::borrow::Cow::Owned(raw.replace('+', " "))
    } else {
        std::borrow::Cow::Borrowed(raw)
    };
    let decoded = percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map_err(|_| FormError::Malformed("a value does not decode to UTF-8".into()))?;
    Ok(match decoded {
        std::borrow::Cow::Owned(unescaped) => unescaped,
        std::borrow::Cow::Borrowed(_) => plus_as_space.into_owned(),
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Encodes parameters as a form body, in the order given.
pub fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

/// Form-encodes one value (RFC 6749 §2.3.1 applies this to the client id and
/// secret before they enter HTTP Basic).
pub fn encode_component(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Reverses [`encode_component`], strictly.
pub fn decode_value(raw: &str) -> Result<String, FormError> {
    decode_component(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes_plus_and_percent() {
        let p = parse("grant_type=client_credentials&scope=a+b%20c&x=%C3%B6").unwrap();
        assert_eq!(p.get("grant_type"), Some("client_credentials"));
        assert_eq!(p.get("scope"), Some("a b c"));
        assert_eq!(p.get("x"), Some("ö"));
    }

    #[test]
    fn empty_value_counts_as_omitted() {
        let p = parse("scope=&grant_type=password").unwrap();
        assert_eq!(p.get("scope"), None);
        assert!(!p.has("scope"));
    }

    #[test]
    fn rejects_duplicated_parameters() {
        assert_eq!(
            parse("grant_type=password&grant_type=client_credentials"),
            Err(FormError::Duplicate("grant_type".into()))
        );
        assert_eq!(parse("a=&a=1"), Err(FormError::Duplicate("a".into())));
    }

    #[test]
    fn audience_may_repeat_in_a_token_exchange() {
        let p = parse("audience=a&audience=b&scope=x").unwrap();
        assert_eq!(p.get_all("audience"), vec!["a", "b"]);
        assert_eq!(p.get("audience"), Some("a"));
        assert_eq!(p.get_all("scope"), vec!["x"]);
        assert_eq!(p.to_json()["audience"], serde_json::json!(["a", "b"]));
    }

    #[test]
    fn rejects_malformed_bodies() {
        for body in [
            "grant_type",
            "=x",
            "a=%zz",
            "a=%4",
            "a=%FF",
            "a=b c",
            "{\"a\":1}",
        ] {
            assert!(
                matches!(parse(body), Err(FormError::Malformed(_))),
                "{body:?} should be refused"
            );
        }
    }

    #[test]
    fn encode_then_parse_round_trips_non_ascii() {
        let body = encode([("client_secret", "SUPERhemligtlösenord"), ("s", "a b&c=d")]);
        let p = parse(&body).unwrap();
        assert_eq!(p.get("client_secret"), Some("SUPERhemligtlösenord"));
        assert_eq!(p.get("s"), Some("a b&c=d"));
    }
}
