//! Protocol logic shared by the oidc-story Authorization Server and Relying
//! Party, free of any transport: nothing here knows gRPC or sockets.
//!
//! - [`http`]: the HTTP message as it crosses the wire (method, URL, headers, body).
//! - [`canonical`]: values the server minted, read back in the one spelling it writes.
//! - [`form`]: strict `application/x-www-form-urlencoded` parsing (RFC 6749 §3.1, §3.2).
//! - [`html`]: text escaped for HTML pages and reports.
//! - [`error`]: the RFC error codes and the error response (RFC 6749 §5.2).
//! - [`claims`]: the registered JWT claims (iss, aud, exp, nbf, iat), one verifier.
//! - [`client_auth`]: client authentication by secret (RFC 6749 §2.3.1).
//! - [`scope`]: scope syntax (RFC 6749 §3.3).
//! - [`jose`]: signing keys, JWK sets, JWT signing and verification (RFC 7515, 7517, 7519, 7638).
//! - [`oidc`]: ID token hashes, claims by scope, the claims request (OIDC Core).
//! - [`pkce`]: Proof Key for Code Exchange (RFC 7636).
//! - [`token`]: access token claims (RFC 9068) and the token response (RFC 6749 §5.1).
//! - [`discovery`]: metadata and endpoint URLs (RFC 8414 §3).
//! - [`dpop`]: DPoP proofs, built and checked (RFC 9449).
//! - [`clock`]: injected time, so expiry is tested without sleeping.
//! - [`registry`]: registered values as enums (grant types, response types, subject types).
//! - [`secret`]: a string whose `Debug` never shows it.

pub mod canonical;
pub mod claims;
pub mod client_auth;
pub mod clock;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod form;
pub mod html;
pub mod http;
pub mod jose;
pub mod oidc;
pub mod pkce;
pub mod random;
pub mod registry;
pub mod scope;
pub mod secret;
pub mod token;
