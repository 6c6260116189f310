//! The oidc-story Authorization Server.
//!
//! - [`config`]: the validated configuration (clients, users, lifetimes).
//! - [`keys`]: the signing key set, loaded from or written to a private JWKS file.
//! - [`store`]: what the AS remembers (codes, grants, refresh tokens,
//!   revocations) behind narrow async traits, with an in-memory implementation.
//! - [`tokens`]: minting and validating this server's access tokens.
//! - [`endpoint`]: one module per OAuth endpoint, HTTP message in, HTTP message out.
//! - [`grant`]: one module per grant type the token endpoint serves.
//! - [`client_authn`]: authenticating a client against its registration.
//! - [`grpc`]: the only module that knows tonic: the `AuthorizationServer`
//!   service, reflection, health, and [`run`].
//!
//! Endpoints are plain async functions of [`AuthServer`] and an
//! [`oauth_core::http::HttpRequest`], so every RFC check is testable
//! without a socket.

pub mod client_authn;
pub mod config;
pub mod endpoint;
pub mod grant;
pub mod grpc;
pub mod keys;
pub mod store;
pub mod tokens;

use std::sync::Arc;

use jsonwebtoken::jwk::JwkSet;
use oauth_core::clock::{SharedClock, SystemClock};
use oauth_core::jose::KeySet;

pub use grpc::run;

/// Everything an endpoint needs: configuration, keys, store, clock, and the
/// documents that never change while the server runs.
pub struct AuthServer {
    pub config: config::Config,
    pub keys: KeySet,
    pub store: Arc<dyn store::Store>,
    pub clock: SharedClock,
    metadata: serde_json::Value,
    jwks: serde_json::Value,
    /// The public keys, parsed, for validating this server's own tokens.
    verification_keys: JwkSet,
}

impl AuthServer {
    /// A server with an in-memory store and the system clock.
    pub fn new(config: config::Config, keys: KeySet) -> Result<Arc<Self>, config::ConfigError> {
        Self::build(
            config,
            keys,
            Arc::new(store::MemoryStore::new()),
            Arc::new(SystemClock),
        )
    }

    pub fn build(
        config: config::Config,
        keys: KeySet,
        store: Arc<dyn store::Store>,
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
        let verification_keys = oauth_core::jose::parse_jwks(&jwks.to_string())
            .map_err(|e| config::ConfigError(e.to_string()))?;
        Ok(Arc::new(Self {
            config,
            keys,
            store,
            clock,
            metadata,
            jwks,
            verification_keys,
        }))
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.config.issuer
    }
}
