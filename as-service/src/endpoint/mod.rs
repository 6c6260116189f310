//! One module per OAuth endpoint. Each takes the HTTP request and answers
//! the HTTP response, OAuth errors included.
pub mod authorization;
pub mod authorization_request;
pub mod authorization_response;
pub(crate) mod consent;
pub mod device_authorization;
pub mod device_verification;
pub mod end_session;
pub(crate) mod html;
pub mod introspection;
pub mod jwks;
pub mod metadata;
pub mod par;
pub mod registration;
pub mod revocation;
pub mod token;
pub mod userinfo;

use oauth_core::error::OAuthError;
use oauth_core::form::{self, Params};
use oauth_core::http::HttpRequest;

/// The form body of a POST endpoint (RFC 6749 §3.2: POST,
/// application/x-www-form-urlencoded, no repeated parameters).
pub(crate) fn post_form(request: &HttpRequest) -> Result<Params, OAuthError> {
    if request.method != "POST" {
        return Err(OAuthError::method_not_allowed("POST"));
    }
    match request.media_type().as_deref() {
        Some("application/x-www-form-urlencoded") => {}
        Some(other) => {
            return Err(OAuthError::invalid_request(format!(
                "the body must be application/x-www-form-urlencoded, not {other}"
            )));
        }
        None => {
            return Err(OAuthError::invalid_request(
                "the request has no Content-Type; use application/x-www-form-urlencoded",
            ));
        }
    }
    Ok(form::parse(&request.body)?)
}

/// Logs a refusal with its log-only cause: a fault of the server's own
/// (5xx: the store out of reach, a key that cannot sign) at error level,
/// a refused request at info.
pub(crate) fn log_refusal(
    endpoint: &'static str,
    client_id: Option<&str>,
    e: &OAuthError,
    how: &'static str,
) {
    if e.status >= 500 {
        tracing::error!(endpoint, client_id, status = e.status, error = %e.code, cause = e.cause(), "{how}");
    } else {
        tracing::info!(endpoint, client_id, status = e.status, error = %e.code, cause = e.cause(), "{how}");
    }
}

/// A GET endpoint that takes no parameters.
pub(crate) fn plain_get(request: &HttpRequest) -> Result<(), OAuthError> {
    if request.method != "GET" {
        return Err(OAuthError::method_not_allowed("GET"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fapi2_tests;

#[cfg(test)]
mod single_use_tests;
