//! OAuth errors as values: an RFC error code, a description for the client,
//! and the HTTP status the endpoint answers with (RFC 6749 §5.2), with an
//! optional cause for the server's own logs that never reaches the wire.
use std::fmt;

use serde_json::json;

use crate::http::HttpResponse;

/// The registered error codes this server speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// RFC 6749 §5.2
    InvalidRequest,
    /// RFC 6749 §5.2
    InvalidClient,
    /// RFC 6749 §5.2
    InvalidGrant,
    /// RFC 6749 §5.2
    UnauthorizedClient,
    /// RFC 6749 §5.2
    UnsupportedGrantType,
    /// RFC 6749 §5.2
    InvalidScope,
    /// RFC 6749 §4.1.2.1
    AccessDenied,
    /// RFC 6749 §4.1.2.1
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1
    ServerError,
    /// RFC 6749 §4.1.2.1
    TemporarilyUnavailable,
    /// RFC 6750 §3.1
    InvalidToken,
    /// RFC 7009 §2.2.1
    UnsupportedTokenType,
    /// RFC 8693 §2.2.2
    InvalidTarget,
    /// RFC 9396 §5
    InvalidAuthorizationDetails,
    /// RFC 9101 §6.3
    InvalidRequestObject,
    /// RFC 9101 §6.3, RFC 9126 §2.3
    InvalidRequestUri,
    /// RFC 7591 §3.2.2
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2
    InvalidClientMetadata,
    /// RFC 6750 §3.1
    InsufficientScope,
    /// OIDC Core §3.1.2.6
    InteractionRequired,
    /// OIDC Core §3.1.2.6
    LoginRequired,
    /// OIDC Core §3.1.2.6
    ConsentRequired,
    /// RFC 9449 §5, §7.1
    InvalidDpopProof,
    /// RFC 9449 §8, §9
    UseDpopNonce,
    /// RFC 8628 §3.5: the user has not yet approved; poll again.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast; the interval grows by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the device code has expired.
    ExpiredToken,
    /// A code this library does not name, carried as is.
    Extension(String),
}

impl ErrorCode {
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidAuthorizationDetails => "invalid_authorization_details",
            Self::InvalidRequestObject => "invalid_request_object",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InsufficientScope => "insufficient_scope",
            Self::InteractionRequired => "interaction_required",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::Extension(s) => s,
        }
    }

    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "invalid_token" => Self::InvalidToken,
            "unsupported_token_type" => Self::UnsupportedTokenType,
            "invalid_target" => Self::InvalidTarget,
            "invalid_authorization_details" => Self::InvalidAuthorizationDetails,
            "invalid_request_object" => Self::InvalidRequestObject,
            "invalid_request_uri" => Self::InvalidRequestUri,
            "invalid_redirect_uri" => Self::InvalidRedirectUri,
            "invalid_client_metadata" => Self::InvalidClientMetadata,
            "insufficient_scope" => Self::InsufficientScope,
            "interaction_required" => Self::InteractionRequired,
            "login_required" => Self::LoginRequired,
            "consent_required" => Self::ConsentRequired,
            "invalid_dpop_proof" => Self::InvalidDpopProof,
            "use_dpop_nonce" => Self::UseDpopNonce,
            "authorization_pending" => Self::AuthorizationPending,
            "slow_down" => Self::SlowDown,
            "expired_token" => Self::ExpiredToken,
            other => Self::Extension(other.to_owned()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error response in the making.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    /// Human-readable text for the client developer (`error_description`).
    pub description: String,
    /// The HTTP status; 400 unless the RFC says otherwise.
    pub status: u16,
    /// `WWW-Authenticate` challenge, for 401 answers.
    pub challenge: Option<String>,
    /// Extra headers (e.g. `Allow` on 405).
    pub extra_headers: Vec<(String, String)>,
    /// What went wrong inside the server (a store failure, a key problem,
    /// why a signature did not verify), for the server's logs only: shown
    /// by `Debug` and [`OAuthError::cause`], never by [`OAuthError::to_response`]
    /// nor by `Display`.
    cause: Option<Box<str>>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            status: 400,
            challenge: None,
            extra_headers: Vec::new(),
            cause: None,
        }
    }

    /// The same error with a cause for the logs (see [`OAuthError::cause`]).
    /// A second cause is appended to the first.
    pub fn with_cause(mut self, cause: impl fmt::Display) -> Self {
        self.cause = Some(
            match self.cause.take() {
                Some(first) => format!("{first}; {cause}"),
                None => cause.to_string(),
            }
            .into_boxed_str(),
        );
        self
    }

    /// The log-only cause: what the server logs with the refusal, and what
    /// the client is never told.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// RFC 6749 §5.2: client authentication failed. Answered with 401 and a
    /// `WWW-Authenticate` challenge naming the scheme the server accepts.
    pub fn invalid_client(description: impl Into<String>, realm: &str) -> Self {
        let mut e = Self::new(ErrorCode::InvalidClient, description);
        e.status = 401;
        e.challenge = Some(format!("Basic realm=\"{realm}\""));
        e
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnsupportedGrantType, description)
    }

    pub fn server_error(description: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorCode::ServerError, description);
        e.status = 500;
        e
    }

    /// The server cannot serve the request now (RFC 6749 §4.1.2.1): 503,
    /// or 429 when the caller is over a rate limit, with `Retry-After`
    /// seconds (RFC 9110 §10.2.3).
    pub fn temporarily_unavailable(description: impl Into<String>, retry_after: i64) -> Self {
        let mut e = Self::new(ErrorCode::TemporarilyUnavailable, description);
        e.status = 503;
        e.extra_headers
            .push(("retry-after".into(), retry_after.max(1).to_string()));
        e
    }

    /// Too many requests from this caller (RFC 6585 §4): 429
    /// `temporarily_unavailable` with `Retry-After`.
    pub fn rate_limited(description: impl Into<String>, retry_after: i64) -> Self {
        let mut e = Self::temporarily_unavailable(description, retry_after);
        e.status = 429;
        e
    }

    /// The request used a method the endpoint does not accept (RFC 9110 §15.5.6).
    pub fn method_not_allowed(allowed: &str) -> Self {
        let mut e = Self::invalid_request(format!("this endpoint accepts {allowed} only"));
        e.status = 405;
        e.extra_headers.push(("allow".into(), allowed.into()));
        e
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The error response: JSON body `{error, error_description}`, no caching.
    pub fn to_response(&self) -> HttpResponse {
        let body = json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        });
        let mut response = HttpResponse::json_no_store(self.status, &body);
        if let Some(challenge) = &self.challenge {
            response = response.with_header("www-authenticate", challenge.clone());
        }
        for (name, value) in &self.extra_headers {
            response = response.with_header(name, value.clone());
        }
        response
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_is_401_with_a_challenge() {
        let r = OAuthError::invalid_client("bad secret", "https://example.com/").to_response();
        assert_eq!(r.status, 401);
        assert_eq!(
            r.headers.get("www-authenticate").map(String::as_str),
            Some("Basic realm=\"https://example.com/\"")
        );
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"], "invalid_client");
        assert_eq!(
            r.headers.get("cache-control").map(String::as_str),
            Some("no-store")
        );
    }

    #[test]
    fn the_cause_reaches_debug_but_never_the_wire() {
        let cause = "redis: connection refused (127.0.0.1:6379)";
        let e = OAuthError::temporarily_unavailable("try again shortly", 1).with_cause(cause);
        assert_eq!(e.cause(), Some(cause));
        assert!(format!("{e:?}").contains(cause));
        assert!(!e.to_string().contains(cause));
        let r = e.to_response();
        assert!(!r.body.contains("redis"), "{}", r.body);
        assert!(r.headers.values().all(|v| !v.contains("redis")));
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "error": "temporarily_unavailable",
                "error_description": "try again shortly",
            })
        );
    }

    #[test]
    fn causes_accumulate() {
        let e = OAuthError::server_error("x")
            .with_cause("a")
            .with_cause("b");
        assert_eq!(e.cause(), Some("a; b"));
        assert_eq!(OAuthError::server_error("x").cause(), None);
    }

    #[test]
    fn codes_round_trip() {
        for code in [
            "invalid_request",
            "invalid_grant",
            "invalid_scope",
            "authorization_pending",
            "slow_down",
            "expired_token",
            "x_custom",
        ] {
            assert_eq!(ErrorCode::parse(code).as_str(), code);
        }
    }
}
