//! A JSON value of a record, kept as the text that crossed the wire until
//! something reads it: a run that only counts outcomes (`bench`) never
//! builds the trees, and a renderer that reads one builds it once.
use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Json {
    source: Source,
    value: OnceLock<Value>,
}

#[derive(Debug, Clone)]
enum Source {
    /// JSON text; any other text is kept as a string.
    Text(String),
    /// A request's parameters: its form body, or else its URL's query.
    Params { body: String, url: String },
    /// Read already (or given as a value).
    Read,
}

impl Json {
    /// JSON text as the value it holds (text that is not JSON is a JSON
    /// string; empty text is null).
    pub fn text(text: impl Into<String>) -> Self {
        Self::from_source(Source::Text(text.into()))
    }

    /// A request's parameters, as an object of their values.
    pub fn params(body: impl Into<String>, url: impl Into<String>) -> Self {
        Self::from_source(Source::Params {
            body: body.into(),
            url: url.into(),
        })
    }

    fn from_source(source: Source) -> Self {
        Self {
            source,
            value: OnceLock::new(),
        }
    }

    /// The value, read on first use.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| self.source.read())
    }

    /// The value, to change (the redaction of secrets).
    pub fn value_mut(&mut self) -> &mut Value {
        if self.value.get().is_none() {
            self.value = OnceLock::from(self.source.read());
        }
        self.source = Source::Read;
        match self.value.get_mut() {
            Some(value) => value,
            None => unreachable!("the value was set just above"),
        }
    }
}

impl From<Value> for Json {
    fn from(value: Value) -> Self {
        Self {
            source: Source::Read,
            value: OnceLock::from(value),
        }
    }
}

impl std::ops::Deref for Json {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl std::ops::DerefMut for Json {
    fn deref_mut(&mut self) -> &mut Value {
        self.value_mut()
    }
}

impl PartialEq for Json {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

impl Source {
    fn read(&self) -> Value {
        match self {
            Self::Text(text) => json_or_text(text),
            Self::Params { body, url } => request_params(body, url),
            Self::Read => Value::Null,
        }
    }
}

fn json_or_text(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// The parameters of a request: its form body, or else its query.
fn request_params(body: &str, url: &str) -> Value {
    let source = if body.is_empty() {
        url_query(url)
    } else {
        body
    };
    match oauth_core::form::parse(source) {
        Ok(params) if !params.is_empty() => decode_json_params(params.to_json()),
        Ok(_) => Value::Object(Default::default()),
        Err(_) => json_or_text(body),
    }
}

/// Parameters whose value is JSON text (OIDC Core §5.5 `claims`, RFC 9396
/// `authorization_details`) shown as the JSON they carry, so a reader sees
/// the structure; the raw request keeps the text as sent.
fn decode_json_params(mut params: Value) -> Value {
    for name in ["claims", "authorization_details"] {
        if let Some(value) = params.get_mut(name)
            && let Some(decoded) = value
                .as_str()
                .and_then(|text| serde_json::from_str::<Value>(text).ok())
                .filter(|v| v.is_object() || v.is_array())
        {
            *value = decoded;
        }
    }
    params
}

fn url_query(url: &str) -> &str {
    url.split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(""))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Json;

    #[test]
    fn text_that_is_json_reads_as_its_value_and_other_text_as_a_string() {
        assert_eq!(*Json::text(r#"{"a":1}"#), json!({"a": 1}));
        assert_eq!(*Json::text("<html>"), json!("<html>"));
        assert!(Json::text("").is_null());
    }

    #[test]
    fn params_come_from_the_body_else_the_query_with_json_parameters_decoded() {
        let form = Json::params("grant_type=code&code=x", "https://as/token?ignored=1");
        assert_eq!(*form, json!({"grant_type": "code", "code": "x"}));
        let query = Json::params("", "https://as/authorize?claims=%7B%22a%22%3A1%7D&s=1#f");
        assert_eq!(*query, json!({"claims": {"a": 1}, "s": "1"}));
        assert_eq!(*Json::params("", "https://as/authorize"), json!({}));
    }

    #[test]
    fn a_changed_value_is_kept_and_serialized() {
        let mut body = Json::text(r#"{"secret":"s"}"#);
        body["secret"] = json!("***");
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"secret":"***"}"#);
        assert_eq!(body, Json::from(json!({"secret": "***"})));
    }
}
