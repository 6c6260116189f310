//! The HTTP message an OAuth endpoint sees, independent of how it travelled.
use std::collections::BTreeMap;
use std::fmt;

use url::Url;

/// Why an envelope could not be understood as an HTTP request at all. This
/// is not an OAuth error: the transport reports it (gRPC `InvalidArgument`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeError {
    MissingMethod,
    BadMethod(String),
    BadUrl(String),
    DuplicateHeader(String),
    BadHeaderName(String),
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingMethod => f.write_str("the request has no HTTP method"),
            Self::BadMethod(m) => write!(f, "{m:?} is not an HTTP method"),
            Self::BadUrl(e) => write!(f, "the request URL is not an absolute URL: {e}"),
            Self::DuplicateHeader(h) => {
                write!(
                    f,
                    "header {h:?} appears twice (header names are case-insensitive)"
                )
            }
            Self::BadHeaderName(h) => write!(f, "{h:?} is not a valid header name"),
        }
    }
}

impl std::error::Error for EnvelopeError {}

/// What one request may carry. Far above any honest OAuth message, far
/// below what would let one request cost the server real memory.
pub mod limits {
    /// Body, bytes.
    pub const BODY: usize = 64 * 1024;
    /// URL (query included), bytes.
    pub const URL: usize = 16 * 1024;
    /// Header fields.
    pub const HEADERS: usize = 64;
    /// One header value, bytes (a DPoP proof or a JWT bearer fits easily).
    pub const HEADER_VALUE: usize = 16 * 1024;
}

/// Which size limit of [`limits`] a request is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverLimit {
    Body,
    Url,
    HeaderCount,
    /// The header (its lower-cased name) whose value is too long.
    HeaderValue(String),
}

impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Body => write!(f, "the body is larger than {} bytes", limits::BODY),
            Self::Url => write!(f, "the URL is longer than {} bytes", limits::URL),
            Self::HeaderCount => write!(f, "more than {} header fields", limits::HEADERS),
            Self::HeaderValue(name) => write!(
                f,
                "header {name} is longer than {} bytes",
                limits::HEADER_VALUE
            ),
        }
    }
}

impl std::error::Error for OverLimit {}

/// The message, for an `error_description`.
impl From<OverLimit> for String {
    fn from(e: OverLimit) -> Self {
        e.to_string()
    }
}

/// An HTTP request: method, absolute URL, headers (names lower-cased), body.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: String,
    pub url: Url,
    headers: BTreeMap<String, String>,
    pub body: String,
    /// The network peer the request came from, where the transport knows
    /// it (for per-caller rate limits).
    pub peer: Option<std::net::IpAddr>,
}

impl HttpRequest {
    /// Validates an envelope: a method token, an absolute URL, and header
    /// names that stay distinct once case is folded (RFC 9110 §5.1).
    pub fn new<'a>(
        method: &str,
        url: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: impl Into<String>,
    ) -> Result<Self, EnvelopeError> {
        let headers = headers
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()));
        Self::with_owned_headers(method, url, headers, body)
    }

    /// [`Self::new`] with headers already owned (an envelope's): moved into
    /// the request, not copied.
    pub fn with_owned_headers(
        method: &str,
        url: &str,
        headers: impl IntoIterator<Item = (String, String)>,
        body: impl Into<String>,
    ) -> Result<Self, EnvelopeError> {
        if method.is_empty() {
            return Err(EnvelopeError::MissingMethod);
        }
        if !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(EnvelopeError::BadMethod(method.to_owned()));
        }
        let url = parse_url(url).map_err(|e| EnvelopeError::BadUrl(e.to_string()))?;
        let mut map = BTreeMap::new();
        for (mut name, value) in headers {
            if name.is_empty() || !name.bytes().all(is_token_char) {
                return Err(EnvelopeError::BadHeaderName(name));
            }
            name.make_ascii_lowercase();
            match map.entry(name) {
                std::collections::btree_map::Entry::Occupied(taken) => {
                    return Err(EnvelopeError::DuplicateHeader(taken.key().clone()));
                }
                std::collections::btree_map::Entry::Vacant(free) => {
                    free.insert(value);
                }
            }
        }
        Ok(Self {
            method: method.to_ascii_uppercase(),
            url,
            headers: map,
            body: body.into(),
            peer: None,
        })
    }

    /// The same request, from `peer`.
    pub fn with_peer(mut self, peer: Option<std::net::IpAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// Refuses a request over the size limits of [`limits`], saying which.
    pub fn check_limits(&self) -> Result<(), OverLimit> {
        if self.body.len() > limits::BODY {
            return Err(OverLimit::Body);
        }
        if self.url.as_str().len() > limits::URL {
            return Err(OverLimit::Url);
        }
        if self.headers.len() > limits::HEADERS {
            return Err(OverLimit::HeaderCount);
        }
        if let Some((name, _)) = self
            .headers
            .iter()
            .find(|(_, v)| v.len() > limits::HEADER_VALUE)
        {
            return Err(OverLimit::HeaderValue(name.clone()));
        }
        Ok(())
    }

    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        // Names are kept lower-cased; one asked for in lower case (as the
        // code does) is looked up as it is.
        let found = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.headers.get(&name.to_ascii_lowercase())
        } else {
            self.headers.get(name)
        };
        found.map(String::as_str)
    }

    pub fn headers(&self) -> &BTreeMap<String, String> {
        &self.headers
    }

    /// The media type of the body, without parameters, lower-cased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }
}

/// `Url::parse`, remembering the last text each thread parsed: a server is
/// sent the same few endpoint URLs over and over, and a clone of the URL
/// parsed from the very same text costs a tenth of parsing it again.
fn parse_url(text: &str) -> Result<Url, url::ParseError> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, Url)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        if let Some((_, url)) = last.as_ref().filter(|(seen, _)| seen == text) {
            return Ok(url.clone());
        }
        let url = Url::parse(text)?;
        *last = Some((text.to_owned(), url.clone()));
        Ok(url)
    })
}

fn is_token_char(b: u8) -> bool {
    // RFC 9110 §5.6.2 tchar
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// An HTTP response as an endpoint answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// For endpoints that answer by redirect.
    pub location: Option<String>,
}

impl HttpResponse {
    /// A JSON response that no cache may keep, as RFC 6749 §5.1 requires of
    /// token responses (and which does no harm elsewhere).
    pub fn json_no_store(status: u16, body: &serde_json::Value) -> Self {
        Self::json_text_no_store(status, body.to_string())
    }

    /// [`Self::json_no_store`] of a body already encoded as JSON text.
    pub fn json_text_no_store(status: u16, body: String) -> Self {
        let mut response = Self::json_text(status, body);
        response
            .headers
            .insert("cache-control".into(), "no-store".into());
        response.headers.insert("pragma".into(), "no-cache".into());
        response
    }

    /// A response with no body, that no cache may keep.
    pub fn empty_no_store(status: u16) -> Self {
        let mut headers = BTreeMap::new();
        headers.insert("cache-control".into(), "no-store".into());
        Self {
            status,
            headers,
            body: String::new(),
            location: None,
        }
    }

    /// A redirect (302 Found) to `location`, not to be cached.
    pub fn redirect(location: String) -> Self {
        let mut response = Self::empty_no_store(302);
        response.headers.insert("location".into(), location.clone());
        response.location = Some(location);
        response
    }

    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::json_text(status, body.to_string())
    }

    /// A response whose body is JSON text.
    pub fn json_text(status: u16, body: String) -> Self {
        let mut headers = BTreeMap::new();
        headers.insert("content-type".into(), "application/json".into());
        Self {
            status,
            headers,
            body,
            location: None,
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL remembered from one request is never another's: each text
    /// reads as what it says, a bad one is refused after a good one, and
    /// the same text twice reads the same.
    #[test]
    fn request_urls_parse_alike_whether_remembered_or_not() {
        let token = |url: &str| HttpRequest::new("POST", url, [], "").map(|r| r.url);
        let first = token("https://example.com/token").unwrap();
        let again = token("https://example.com/token").unwrap();
        assert_eq!(first, again);
        assert_eq!(again.as_str(), "https://example.com/token");
        let other = token("https://example.com/token?x=1").unwrap();
        assert_eq!(other.query(), Some("x=1"));
        assert!(matches!(token("/token"), Err(EnvelopeError::BadUrl(_))));
        assert!(matches!(token("/token"), Err(EnvelopeError::BadUrl(_))));
        let back = token("https://example.com/token").unwrap();
        assert_eq!(back, first);
        // Normalised as Url::parse normalises, remembered or not.
        let upper = token("HTTPS://EXAMPLE.COM/token").unwrap();
        assert_eq!(upper.as_str(), "https://example.com/token");
        assert_eq!(token("HTTPS://EXAMPLE.COM/token").unwrap(), upper);
    }

    #[test]
    fn header_lookup_ignores_case() {
        let r = HttpRequest::new(
            "post",
            "https://example.com/token",
            [(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )],
            "",
        )
        .unwrap();
        assert_eq!(r.method, "POST");
        assert!(r.header("CONTENT-TYPE").is_some());
        assert!(r.header("content-type").is_some());
        assert!(r.header("Content-Length").is_none());
        assert_eq!(
            r.media_type().as_deref(),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn rejects_headers_differing_only_in_case() {
        let e = HttpRequest::new(
            "POST",
            "https://example.com/token",
            [("Authorization", "a"), ("authorization", "b")],
            "",
        )
        .unwrap_err();
        assert_eq!(e, EnvelopeError::DuplicateHeader("authorization".into()));
    }

    #[test]
    fn rejects_relative_url_and_missing_method() {
        assert!(matches!(
            HttpRequest::new("POST", "/token", [], ""),
            Err(EnvelopeError::BadUrl(_))
        ));
        assert_eq!(
            HttpRequest::new("", "https://example.com/", [], "").unwrap_err(),
            EnvelopeError::MissingMethod
        );
        assert!(matches!(
            HttpRequest::new("PO ST", "https://example.com/", [], ""),
            Err(EnvelopeError::BadMethod(_))
        ));
    }
}
