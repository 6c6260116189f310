//! ID tokens (OIDC Core §2, §3.1.3.6, §3.2.2.10, §3.3.2.11) and the user
//! claims they and the UserInfo endpoint release (OIDC Core §5.4, §5.5).
use oauth_core::error::OAuthError;
use oauth_core::oidc::{self, ClaimsRequest, ID_TOKEN_TYP};
use oauth_core::scope::Scope;
use serde_json::{Map, Value, json};

use crate::AuthServer;
use crate::config::Client;

/// Everything an ID token is about.
#[derive(Debug, Clone)]
pub struct IdTokenSpec<'a> {
    pub client: &'a Client,
    /// The `sub` the client knows the user by.
    pub subject: &'a str,
    /// The user's local name, to find their claims.
    pub user: &'a str,
    pub auth_time: i64,
    pub acr: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub scope: &'a Scope,
    pub claims: Option<&'a ClaimsRequest>,
    /// Put the claims the scope stands for in the ID token: only when no
    /// access token is issued to fetch them from UserInfo (OIDC Core §5.4).
    pub scope_claims: bool,
    /// The access token issued with it, for `at_hash`.
    pub access_token: Option<&'a str>,
    /// The code issued with it, for `c_hash`.
    pub code: Option<&'a str>,
    /// The login session (OIDC Back-Channel Logout §2.1, Front-Channel
    /// Logout §3): what a logout names.
    pub sid: Option<&'a str>,
}

/// Whether `client` may be given the claim `name` at all: a scope it may
/// have carries it (OIDC Core §5.4), or its configuration lists it. A
/// claims request (§5.5) asks within that, never beyond it.
pub fn client_may_have_claim(client: &Client, name: &str) -> bool {
    client.claims.iter().any(|c| c == name)
        || client
            .scopes
            .iter()
            .any(|s| oidc::scope_claims(s).contains(&name))
}

/// The user claims a scope and a claims request select (OIDC Core §5.4,
/// §5.5); requested claims the client may not have are withheld (logged).
pub fn user_claims(
    server: &AuthServer,
    client: &Client,
    user: &str,
    scope: Option<&Scope>,
    requested: Option<&std::collections::BTreeMap<String, oidc::ClaimRequest>>,
) -> Map<String, Value> {
    let Some(record) = server.config.users.get(user) else {
        return Map::new();
    };
    let mut names: Vec<&str> = Vec::new();
    if let Some(scope) = scope {
        names.extend(
            scope
                .iter()
                .flat_map(|s| oidc::scope_claims(s).iter().copied()),
        );
    }
    if let Some(requested) = requested {
        let (allowed, withheld): (Vec<&str>, Vec<&str>) = requested
            .keys()
            .map(String::as_str)
            .partition(|name| client_may_have_claim(client, name));
        if !withheld.is_empty() {
            tracing::info!(client_id = %client.client_id, ?withheld, "claims requested beyond the client's scopes were withheld");
        }
        names.extend(allowed);
    }
    oidc::select(&record.claims, names)
}

/// Signs an ID token with the client's registered algorithm.
pub fn mint(server: &AuthServer, spec: &IdTokenSpec<'_>) -> Result<String, OAuthError> {
    let now = server.clock.now();
    let alg = spec.client.id_token_alg;
    let mut claims = json!({
        "iss": server.config.issuer,
        "sub": spec.subject,
        "aud": spec.client.client_id,
        "exp": now + server.config.id_token_lifetime,
        "iat": now,
        "auth_time": spec.auth_time,
        // OIDC Core §2: the party the token was issued to.
        "azp": spec.client.client_id,
    });
    let extra = user_claims(
        server,
        spec.client,
        spec.user,
        spec.scope_claims.then_some(spec.scope),
        spec.claims.map(|c| &c.id_token),
    );
    let Value::Object(map) = &mut claims else {
        return Err(OAuthError::server_error("claims")
            .with_cause("the ID token claims are not a JSON object"));
    };
    // A user claim never stands in for a protocol claim (iss, sub, aud,
    // exp, ...): the protocol's are set first and kept; nonce, acr and the
    // hashes below overwrite.
    for (name, value) in extra {
        map.entry(name).or_insert(value);
    }
    if let Some(nonce) = spec.nonce {
        map.insert("nonce".into(), Value::String(nonce.to_owned()));
    }
    if let Some(sid) = spec.sid {
        map.insert("sid".into(), Value::String(sid.to_owned()));
    }
    if let Some(acr) = spec.acr {
        map.insert("acr".into(), Value::String(acr.to_owned()));
    }
    let hash = |value: &str| {
        oidc::left_hash(alg, value).ok_or_else(|| {
            OAuthError::server_error("no hash for the ID token alg")
                .with_cause(format!("no hash for {}", oauth_core::jose::alg_name(alg)))
        })
    };
    if let Some(token) = spec.access_token {
        map.insert("at_hash".into(), Value::String(hash(token)?));
    }
    if let Some(code) = spec.code {
        map.insert("c_hash".into(), Value::String(hash(code)?));
    }
    sign_as_id_tokens(server, alg, ID_TOKEN_TYP, &claims, "ID token")
}

/// Signs `claims` with the key that signs this client's ID tokens (`alg`)
/// now: ID tokens, and the logout tokens that must be signed as they are
/// (Back-Channel Logout §2.4). `what` names the token in errors.
pub(crate) fn sign_as_id_tokens(
    server: &AuthServer,
    alg: oauth_core::jose::JwsAlgorithm,
    typ: &str,
    claims: &Value,
    what: &str,
) -> Result<String, OAuthError> {
    let now = server.clock.now();
    let keys = server.keys();
    let key = keys.set.signing_key_at(alg, now).ok_or_else(|| {
        OAuthError::server_error("no key for the client's ID token alg").with_cause(format!(
            "no {} key of the key set signs at {now}",
            oauth_core::jose::alg_name(alg)
        ))
    })?;
    key.sign(typ, claims).map_err(|e| {
        OAuthError::server_error(format!("the {what} could not be signed"))
            .with_cause(format!("signing the {what} failed: {e}"))
    })
}
