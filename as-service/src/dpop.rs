//! DPoP at this server (RFC 9449): proof validation with the replay cache
//! and, when configured, server nonces (§8). The stateless checks live in
//! `oauth_core::dpop`.
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth_core::dpop::{self, CheckedProof};
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::http::HttpRequest;

use crate::AuthServer;
use crate::config::Endpoint;

/// How long one server nonce is issued for, seconds; the previous one is
/// still accepted, so a nonce lives one to two windows.
const NONCE_WINDOW: i64 = 300;

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpopError {
    /// RFC 9449 §4.3: the proof is malformed, mis-signed, stale or replayed.
    Invalid(InvalidProof),
    /// RFC 9449 §8: the proof must carry the server's current nonce.
    NonceRequired,
    /// The replay cache could not be consulted.
    Store(crate::store::StoreError),
}

/// Why a proof is invalid; `Display` is the reason the client is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidProof {
    /// RFC 9449 §4.3 item 1: one proof per request.
    Several,
    /// A stateless check of RFC 9449 §4.3 failed.
    Check(dpop::ProofError),
    /// RFC 9449 §11.1: the proof's jti was seen before.
    Replayed,
}

impl std::fmt::Display for InvalidProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Several => f.write_str("more than one DPoP proof"),
            Self::Check(e) => write!(f, "{e}"),
            Self::Replayed => f.write_str("the proof was already used (jti replay)"),
        }
    }
}

impl std::error::Error for InvalidProof {}

/// The server nonce of a time window: an HMAC of the window number under a
/// key derived from the server secret, so every replica sharing the
/// configuration issues and accepts the same nonces with no shared state.
fn nonce_for(server: &AuthServer, window: i64) -> String {
    let key = hmac::Key::new(
        hmac::HMAC_SHA256,
        format!("dpop-nonce\n{}", server.secret().expose()).as_bytes(),
    );
    URL_SAFE_NO_PAD.encode(hmac::sign(&key, &window.to_be_bytes()).as_ref())
}

/// The nonce a client should use now.
pub fn current_nonce(server: &AuthServer) -> String {
    nonce_for(server, server.clock.now().div_euclid(NONCE_WINDOW))
}

fn nonce_is_current(server: &AuthServer, nonce: &str) -> bool {
    let window = server.clock.now().div_euclid(NONCE_WINDOW);
    [window, window - 1]
        .iter()
        .any(|w| nonce_for(server, *w) == nonce)
}

/// Validates the request's DPoP proof, if it carries one. `htu` is
/// compared with the endpoint's canonical URL, never with the URL the
/// caller says it used (RFC 9449 §4.3 item 9). `access_token` is set at a
/// resource (UserInfo), where the proof must name it in `ath`.
pub async fn check_proof(
    server: &AuthServer,
    request: &HttpRequest,
    endpoint: Endpoint,
    access_token: Option<&str>,
) -> Result<Option<CheckedProof>, DpopError> {
    let Some(proof) = request.header("dpop") else {
        return Ok(None);
    };
    if proof.contains(',') {
        return Err(DpopError::Invalid(InvalidProof::Several));
    }
    let settings = &server.config.dpop;
    let now = server.clock.now();
    let checked = dpop::check(
        proof.trim(),
        &dpop::Expected {
            method: &request.method,
            url: server.config.endpoints.url(endpoint),
            now,
            max_age: settings.max_age,
            leeway: settings.leeway,
            access_token,
        },
    )
    .map_err(|e| DpopError::Invalid(InvalidProof::Check(e)))?;
    if settings.require_nonce
        && !checked
            .nonce
            .as_deref()
            .is_some_and(|n| nonce_is_current(server, n))
    {
        return Err(DpopError::NonceRequired);
    }
    // RFC 9449 §11.1: a proof is used once.
    let key = format!("dpop\n{}\n{}", checked.jkt, checked.jti);
    if !server
        .store
        .remember_once(&key, checked.iat + settings.max_age + 1, now)
        .await
        .map_err(DpopError::Store)?
    {
        return Err(DpopError::Invalid(InvalidProof::Replayed));
    }
    Ok(Some(checked))
}

/// The error at the token endpoint (RFC 9449 §5, §8): 400, with a fresh
/// nonce when one is wanted.
pub fn token_error(server: &AuthServer, e: DpopError) -> OAuthError {
    match e {
        DpopError::Store(e) => e.into(),
        DpopError::Invalid(why) => OAuthError::new(
            ErrorCode::InvalidDpopProof,
            format!("DPoP proof refused: {why}"),
        ),
        DpopError::NonceRequired => {
            let mut e = OAuthError::new(
                ErrorCode::UseDpopNonce,
                "a DPoP proof with the server's nonce is required",
            );
            e.extra_headers
                .push(("dpop-nonce".into(), current_nonce(server)));
            e
        }
    }
}

/// The `DPoP` challenge of a protected resource (RFC 9449 §7.1, §9).
pub fn resource_error(server: &AuthServer, code: &str, description: &str) -> OAuthError {
    let algs: Vec<&str> = dpop::ALGS
        .iter()
        .map(|a| oauth_core::jose::alg_name(*a))
        .collect();
    let mut e = OAuthError::new(ErrorCode::parse(code), description).with_status(401);
    e.challenge = Some(format!(
        "DPoP error=\"{code}\", error_description=\"{}\", algs=\"{}\"",
        description.replace('"', "'"),
        algs.join(" ")
    ));
    if code == "use_dpop_nonce" {
        e.extra_headers
            .push(("dpop-nonce".into(), current_nonce(server)));
    }
    e
}
