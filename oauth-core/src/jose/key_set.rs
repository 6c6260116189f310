//! A set of signing keys: the private JWK set, its public half, rotation.

use super::*;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::secret::Secret;

/// The server's signing keys. `Debug` shows kids and algorithms only: no
/// private key member and not the server secret.
#[derive(Debug)]
pub struct KeySet {
    pub(super) keys: Vec<SigningKey>,
    /// A random secret kept in the key file beside the keys (never
    /// published), from which the server derives its keyed digests; kept
    /// across rotations, shared by every replica reading the file.
    pub(super) server_secret: Option<Secret>,
}

impl KeySet {
    /// One RSA 2048 key (RS256) and one EC P-256 key (ES256).
    pub fn generate() -> Result<Self, JoseError> {
        Ok(Self {
            keys: vec![
                SigningKey::generate(Algorithm::RS256)?,
                SigningKey::generate(Algorithm::ES256)?,
            ],
            server_secret: Some(Secret::new(crate::random::token(32))),
        })
    }

    /// One EC P-256 key (ES256): the set a client needs to sign requests.
    ///
    /// # Panics
    /// Only if the system cannot generate a key, which leaves nothing to run.
    #[allow(clippy::expect_used)]
    pub fn generate_ec() -> Self {
        Self {
            keys: vec![SigningKey::generate(Algorithm::ES256).expect("EC key generation")],
            server_secret: None,
        }
    }

    /// Reads a private JWK set (`{"keys": [...]}`).
    pub fn from_private_jwks(text: &str) -> Result<Self, JoseError> {
        #[derive(Deserialize)]
        struct Set {
            keys: Vec<PrivateJwk>,
            #[serde(default)]
            server_secret: Option<Secret>,
        }
        let set: Set = serde_json::from_str(text)
            .map_err(|e| JoseError::BadKey(format!("not a JWK set: {e}")))?;
        let keys = set
            .keys
            .into_iter()
            .map(SigningKey::from_private_jwk)
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(JoseError::BadKey("the key set is empty".into()));
        }
        let mut kids: Vec<&str> = keys.iter().map(SigningKey::kid).collect();
        kids.sort_unstable();
        if kids.windows(2).any(|w| w[0] == w[1]) {
            return Err(JoseError::BadKey("two keys share a kid".into()));
        }
        Ok(Self {
            keys,
            server_secret: set.server_secret,
        })
    }

    /// The private JWK set, for the key file.
    pub fn to_private_jwks(&self) -> String {
        let keys: Vec<&PrivateJwk> = self.keys.iter().map(|k| &k.private).collect();
        let mut file = json!({ "keys": keys });
        if let Some(secret) = &self.server_secret {
            file["server_secret"] = Value::String(secret.expose().to_owned());
        }
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// The public JWK set (RFC 7517 §5): no private member ever leaves.
    pub fn public_jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(SigningKey::public_jwk).collect::<Vec<_>>() })
    }

    /// The key that signs with `alg`, ignoring rotation times.
    pub fn signing_key(&self, alg: Algorithm) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.alg == alg)
    }

    /// The key that signs with `alg` at `now`: of the keys active then, the
    /// one activated last (key rotation).
    pub fn signing_key_at(&self, alg: Algorithm, now: i64) -> Option<&SigningKey> {
        self.keys
            .iter()
            .filter(|k| k.alg == alg && k.signs_at(now))
            .max_by_key(|k| k.activates_at().unwrap_or(i64::MIN))
    }

    /// The public JWK set at `now`: every key not yet retired, including
    /// keys published ahead of their activation.
    pub fn public_jwks_at(&self, now: i64) -> Value {
        json!({ "keys": self.keys.iter().filter(|k| k.published_at(now)).map(SigningKey::public_jwk).collect::<Vec<_>>() })
    }

    /// Keeps `secret` as the server secret unless the set already has one.
    pub fn keep_server_secret(&mut self, secret: Secret) {
        self.server_secret.get_or_insert(secret);
    }

    /// The secret kept beside the keys, if the file has one.
    pub fn server_secret(&self) -> Option<&Secret> {
        self.server_secret.as_ref()
    }

    /// Key rotation: adds a fresh key for `alg` that starts signing at
    /// `activates_at`, and retires the current keys of that algorithm at
    /// `retires_at` (after every token they signed has expired).
    pub fn rotate(
        &mut self,
        alg: Algorithm,
        activates_at: i64,
        retires_at: i64,
    ) -> Result<String, JoseError> {
        let mut key = SigningKey::generate(alg)?;
        key.private.activates_at = Some(activates_at);
        for old in self
            .keys
            .iter_mut()
            .filter(|k| k.alg == alg && k.private.retires_at.is_none())
        {
            old.private.retires_at = Some(retires_at);
        }
        let kid = key.kid.clone();
        self.keys.push(key);
        Ok(kid)
    }

    /// Drops keys retired before `now`.
    pub fn prune(&mut self, now: i64) {
        self.keys.retain(|k| k.published_at(now));
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }
}
