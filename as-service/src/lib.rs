//! The oidc-story Authorization Server.
//!
//! - [`config`]: the validated configuration (clients, users, token settings).
//! - [`keys`]: the signing key set, loaded from or written to a private JWKS file.
//! - [`endpoint`]: one module per OAuth endpoint, HTTP message in, HTTP message out.
//! - [`grant`]: one module per grant type the token endpoint serves.
//! - [`client_authn`]: authenticating a client against its registration.
//! - [`grpc`]: the only module that knows tonic: the `AuthorizationServer`
//!   service, reflection, health, and [`run`].
//!
//! Endpoints are plain functions of [`AuthServer`] and an
//! [`oauth_core::http::HttpRequest`], so every RFC check is testable
//! without a socket.

pub mod client_authn;
pub mod config;
pub mod endpoint;
pub mod grant;
pub mod grpc;
pub mod keys;

use std::sync::Arc;

use oauth_core::clock::{SharedClock, SystemClock};
use oauth_core::jose::KeySet;

pub use grpc::run;

/// Everything an endpoint needs: configuration, keys, clock, and the
/// documents that never change while the server runs.
pub struct AuthServer {
    pub config: config::Config,
    pub keys: KeySet,
    pub clock: SharedClock,
    metadata: serde_json::Value,
    jwks: serde_json::Value,
}

impl AuthServer {
    pub fn new(config: config::Config, keys: KeySet) -> Result<Arc<Self>, config::ConfigError> {
        Self::with_clock(config, keys, Arc::new(SystemClock))
    }

    pub fn with_clock(
        config: config::Config,
        keys: KeySet,
        clock: SharedClock,
    ) -> Result<Arc<Self>, config::ConfigError> {
        if keys.signing_key(config.access_token_alg).is_none() {
            return Err(config::ConfigError(format!(
                "the key set has no key for {}",
                oauth_core::jose::alg_name(config.access_token_alg)
            )));
        }
        let metadata = endpoint::metadata::document(&config)?;
        let jwks = keys.public_jwks();
        Ok(Arc::new(Self {
            config,
            keys,
            clock,
            metadata,
            jwks,
        }))
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.config.issuer
    }
}
