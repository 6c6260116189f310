//! The client services' RFC cases without a socket: each test builds a
//! session, prepares a step through [`super::prepare`] or hands a crafted
//! `HttpResponse` to [`super::parse`] (or an ID token to
//! [`super::id_token::verify`]), and reads the checks by their `CheckId`.
//! The OP is pretend: an RS256 key whose public half the session holds.
mod authorization;
mod authorization_request;
mod device;
mod id_token;
mod logout;
mod response_modes;
mod token;
mod userinfo;

use std::collections::BTreeMap;
use std::sync::Arc;

use oauth_core::clock::ManualClock;
use oauth_core::http::HttpResponse;
use oauth_core::jose::{JwsAlgorithm, SigningKey};
use serde_json::{Value, json};

use super::{CheckId, ClientService, Level, Parsed, Prepared, StepError};
use crate::RelyingParty;
use crate::config::Config;
use crate::session::{Metadata, Session};

/// The issuer the RP is configured for (deploy/rp.toml).
const ISSUER: &str = "https://example.com/";
const REDIRECT: &str = "https://example.com/cb";

/// An RP session with a pretend OP: discovered, its key set fetched.
struct Harness {
    rp: Arc<RelyingParty>,
    id: String,
    key: SigningKey,
    now: i64,
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Harness {
    /// A session of `profile` that knows the OP's metadata and keys.
    fn new(profile: &str) -> Self {
        let now = system_now();
        let rp = RelyingParty::with_clock(
            Config::default_config().unwrap(),
            Arc::new(ManualClock::new(now)),
        );
        let id = rp
            .sessions
            .start(rp.config.profiles[profile].clone())
            .unwrap();
        let key = SigningKey::generate(JwsAlgorithm::RS256).unwrap();
        let harness = Self { rp, id, key, now };
        let jwks = serde_json::from_value(json!({"keys": [harness.key.public_jwk()]})).unwrap();
        harness.session(|s| {
            s.metadata = Some(Metadata::from_document(&json!({
                "issuer": ISSUER,
                "authorization_endpoint": "https://example.com/authorization",
                "token_endpoint": "https://example.com/token",
                "userinfo_endpoint": "https://example.com/userinfo",
                "authorization_response_iss_parameter_supported": true,
            })));
            s.jwks = Some(jwks);
        });
        harness
    }

    fn session<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        self.rp.sessions.with(&self.id, f).unwrap()
    }

    fn try_prepare(
        &self,
        service: ClientService,
        pairs: &[(&str, &str)],
    ) -> Result<Prepared, StepError> {
        let args: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.session(|s| super::prepare(&self.rp, s, service, &args))
    }

    fn prepare(&self, service: ClientService, pairs: &[(&str, &str)]) -> Prepared {
        self.try_prepare(service, pairs).unwrap()
    }

    fn parse(&self, service: ClientService, response: &HttpResponse) -> Parsed {
        self.session(|s| super::parse(&self.rp, s, service, response))
            .unwrap()
    }

    /// The state and nonce of the authorization request in flight.
    fn sent(&self) -> (String, Option<String>) {
        self.session(|s| {
            let a = s.authorization.as_ref().unwrap();
            (a.state.clone(), a.nonce.clone())
        })
    }

    /// Valid ID token claims for this client and the request in flight.
    fn claims(&self) -> Value {
        let mut claims = json!({
            "iss": ISSUER,
            "sub": "diana",
            "aud": "client",
            "iat": self.now,
            "exp": self.now + 600,
        });
        if let Some(nonce) = self.session(|s| s.authorization.as_ref()?.nonce.clone()) {
            claims["nonce"] = json!(nonce);
        }
        claims
    }

    /// The claims, changed (`Value::Null` removes one), signed by the OP.
    fn id_token(&self, changes: &[(&str, Value)]) -> String {
        self.sign(&json!({}), changes)
    }

    fn sign(&self, header: &Value, changes: &[(&str, Value)]) -> String {
        let mut claims = self.claims();
        for (name, value) in changes {
            match value {
                Value::Null => {
                    claims.as_object_mut().map(|m| m.remove(*name));
                }
                v => claims[*name] = v.clone(),
            }
        }
        let mut head = json!({"alg": "RS256", "typ": "JWT", "kid": self.key.kid()});
        if let Some(extra) = header.as_object() {
            for (k, v) in extra {
                head[k] = v.clone();
            }
        }
        self.key.sign_exact(&head, &claims).unwrap()
    }
}

fn json_answer(status: u16, body: &Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: [
            ("content-type".to_owned(), "application/json".to_owned()),
            ("cache-control".to_owned(), "no-store".to_owned()),
        ]
        .into_iter()
        .collect(),
        body: body.to_string(),
        location: None,
    }
}

fn redirect_to(location: String) -> HttpResponse {
    HttpResponse {
        status: 302,
        headers: BTreeMap::new(),
        body: String::new(),
        location: Some(location),
    }
}

/// The outcome of the check `id` in `parsed`: its `ok` and level, if made.
fn outcome(parsed: &Parsed, id: CheckId) -> Option<(bool, Level)> {
    parsed
        .checks
        .iter()
        .find(|c| c.id == id && !c.ok)
        .or_else(|| parsed.checks.iter().find(|c| c.id == id))
        .map(|c| (c.ok, c.level))
}

fn failed(parsed: &Parsed, id: CheckId) -> bool {
    outcome(parsed, id).is_some_and(|(ok, _)| !ok)
}

fn passed(parsed: &Parsed, id: CheckId) -> bool {
    parsed.checks.iter().filter(|c| c.id == id).all(|c| c.ok)
        && parsed.checks.iter().any(|c| c.id == id)
}
