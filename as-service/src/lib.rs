//! The oidc-story Authorization Server.
//!
//! - [`config`]: the validated configuration (clients, users, lifetimes).
//! - [`keys`]: the signing key set, loaded from or written to a private JWKS file.
//! - [`store`]: what the AS remembers (codes, grants, refresh tokens,
//!   revocations, pushed requests, replay caches, registered clients,
//!   throttles, opaque tokens) behind narrow async traits whose every
//!   operation can fail; in memory, or in Redis shared by replicas.
//! - [`tokens`]: minting and validating this server's access tokens.
//! - [`discovery`]: the metadata document, built once from the configuration.
//! - [`id_token`]: OpenID Connect ID tokens (OIDC Core §2) and the user's claims.
//! - [`endpoint`]: one module per OAuth endpoint, HTTP message in, HTTP message out.
//! - [`grant`]: one module per grant type the token endpoint serves.
//! - [`client_authn`]: authenticating a client against its registration.
//! - [`dpop`]: DPoP proof validation, replay cache and nonces (RFC 9449).
//! - [`request_object`]: signed authorization requests (RFC 9101).
//! - [`grpc`]: the only module that knows tonic: the `AuthorizationServer`
//!   service, reflection, health, and [`run`] (TCP) / [`serve`] (any connections).
//! - [`http`]: the same endpoints over plain HTTP at their published URLs
//!   (axum), through the same handlers.
//!
//! Endpoints are plain async functions of [`AuthServer`] and an
//! [`oauth_core::http::HttpRequest`], so every RFC check is testable
//! without a socket.

pub mod client_authn;
pub mod config;
pub mod discovery;
pub mod dpop;
pub mod endpoint;
pub mod grant;
pub mod grpc;
pub mod http;
pub mod id_token;
pub mod keys;
pub mod request_object;
pub mod store;
pub mod tokens;

#[cfg(test)]
pub(crate) mod test_support;

use std::sync::{Arc, PoisonError, RwLock};

use oauth_core::clock::{SharedClock, SystemClock};
use oauth_core::jose::KeySet;

pub use grpc::{Upkeep, routes, run, run_sharded, serve};

/// Everything an endpoint needs: configuration, keys, store, clock, and the
/// documents that never change while the server runs.
pub struct AuthServer {
    pub config: config::Config,
    pub store: Arc<dyn store::Store>,
    pub clock: SharedClock,
    /// The signing keys; replaced whole when the key file changes (rotation).
    keys: RwLock<Arc<keys::KeyState>>,
    /// The metadata document, as the JSON text the endpoints answer.
    metadata_text: String,
    /// The server secret: the configured `pairwise_secret`, or the key set's.
    secret: oauth_core::secret::Secret,
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
        let metadata_text = discovery::document(&config).to_string();
        let secret = config
            .pairwise_secret
            .clone()
            .unwrap_or_else(|| keys::server_secret(&keys));
        let state = Self::key_state(&config, keys)?;
        Ok(Arc::new(Self {
            config,
            store,
            clock,
            keys: RwLock::new(Arc::new(state)),
            metadata_text,
            secret,
        }))
    }

    fn key_state(
        config: &config::Config,
        keys: KeySet,
    ) -> Result<keys::KeyState, config::ConfigError> {
        if keys.signing_key(config.access_token_alg).is_none() {
            return Err(config::ConfigError(format!(
                "the key set has no key for {}",
                oauth_core::jose::alg_name(config.access_token_alg)
            )));
        }
        keys::KeyState::new(keys).map_err(|e| config::ConfigError(e.to_string()))
    }

    /// The current keys.
    pub fn keys(&self) -> Arc<keys::KeyState> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Swaps in a new key set (a rotated key file); a set that cannot serve
    /// is refused and the current keys stay.
    pub fn replace_keys(&self, keys: KeySet) -> Result<(), config::ConfigError> {
        let state = Arc::new(Self::key_state(&self.config, keys)?);
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = state;
        Ok(())
    }

    /// The metadata document (RFC 8414 §2, OIDC Discovery §3) as JSON
    /// text, written once.
    pub fn metadata_text(&self) -> &str {
        &self.metadata_text
    }

    /// The server secret (the configured `pairwise_secret`, or the key
    /// file's server secret).
    pub fn secret(&self) -> &oauth_core::secret::Secret {
        &self.secret
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.config.issuer
    }

    /// The keyed digest kept instead of a registered client's secret.
    pub fn secret_digest(&self, secret: &str) -> [u8; 32] {
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            format!("client-secret\n{}", self.secret.expose()).as_bytes(),
        );
        let tag = aws_lc_rs::hmac::sign(&key, secret.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// A client by id: configured, or registered at the registration
    /// endpoint. A registered client in use is kept for another
    /// `registration.unused_lifetime`; one left unused is forgotten.
    pub async fn client(
        &self,
        client_id: &str,
    ) -> Result<Option<Arc<config::Client>>, store::StoreError> {
        if let Some(client) = self.config.clients.get(client_id) {
            return Ok(Some(client.clone()));
        }
        let now = self.clock.now();
        let keep_until = now + self.config.registration.unused_lifetime;
        self.store
            .registered_client(client_id, now, keep_until)
            .await
    }

    /// The `sub` a client knows a user by (OIDC Core §8): the local name
    /// for public subjects; for pairwise ones a hash of the client's sector,
    /// the local name and the server secret, so two sectors cannot correlate
    /// their users (OIDC Core §8.1).
    pub fn subject_for(&self, client: &config::Client, user: &str) -> String {
        match client.subject_type {
            config::SubjectType::Public => user.to_owned(),
            config::SubjectType::Pairwise => oauth_core::secret::fingerprint(&format!(
                "{}\n{}\n{}",
                client.sector,
                user,
                self.secret.expose()
            )),
        }
    }
}
