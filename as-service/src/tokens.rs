//! This server's tokens: JWT access tokens (RFC 9068) signed with the
//! configured key, opaque refresh tokens kept by fingerprint, and the
//! validation of an access token the server itself issued (for
//! introspection, revocation and token exchange).
use oauth_core::error::OAuthError;
use oauth_core::jose::{self, JwsAlgorithm};
use oauth_core::random;
use oauth_core::scope::Scope;
use oauth_core::token::{ACCESS_TOKEN_TYP, AccessTokenClaims, Audience};

use crate::AuthServer;

/// What an access token is for.
#[derive(Debug, Clone)]
pub struct AccessTokenSpec<'a> {
    pub client_id: &'a str,
    pub subject: &'a str,
    pub scope: &'a Scope,
    pub lifetime: i64,
    /// Overrides the configured default audience.
    pub audience: Option<&'a [String]>,
    /// The grant the token belongs to.
    pub grant_id: Option<&'a str>,
    /// The DPoP key it is bound to (RFC 9449 §6).
    pub jkt: Option<&'a str>,
    /// The authorization details it carries (RFC 9396 §9.1).
    pub authorization_details: Option<&'a serde_json::Value>,
}

/// Issues an access token: a signed JWT (RFC 9068), or, when so
/// configured, a random value whose claims are stored under its
/// fingerprint. Returns it with its expiry.
pub async fn mint_access_token(
    server: &AuthServer,
    spec: &AccessTokenSpec<'_>,
) -> Result<(String, i64), OAuthError> {
    let claims = access_token_claims(server, spec);
    let exp = claims.exp;
    if server.config.access_token_format == crate::config::AccessTokenFormat::Opaque {
        let token = random::token(OPAQUE_BYTES);
        let record = serde_json::to_string(&claims).map_err(|e| {
            OAuthError::server_error("the token could not be encoded").with_cause(e)
        })?;
        server
            .store
            .put_access_token(oauth_core::secret::fingerprint(&token), record, exp)
            .await?;
        return Ok((token, exp));
    }
    sign_access_token(server, &claims).map(|token| (token, exp))
}

/// Signs a JWT access token (RFC 9068); returns it with its expiry.
pub fn mint_jwt_access_token(
    server: &AuthServer,
    spec: &AccessTokenSpec<'_>,
) -> Result<(String, i64), OAuthError> {
    let claims = access_token_claims(server, spec);
    sign_access_token(server, &claims).map(|token| (token, claims.exp))
}

/// The RFC 9068 claims of an access token.
fn access_token_claims(server: &AuthServer, spec: &AccessTokenSpec<'_>) -> AccessTokenClaims {
    let now = server.clock.now();
    let exp = now + spec.lifetime;
    let mut audience = spec.audience.unwrap_or(&server.config.audience).to_vec();
    // RFC 9068 §4: a resource server accepts only tokens naming it. A token
    // for `openid` is also for this server's UserInfo endpoint (OIDC Core
    // §5.3), unless an exchange asked for other audiences.
    if spec.audience.is_none() && spec.scope.contains("openid") {
        audience.push(
            server
                .config
                .endpoints
                .url(crate::config::Endpoint::Userinfo)
                .to_string(),
        );
    }
    AccessTokenClaims {
        iss: server.config.issuer.clone(),
        sub: spec.subject.to_owned(),
        aud: Audience::from_list(audience),
        exp,
        iat: now,
        jti: random::token(16),
        client_id: spec.client_id.to_owned(),
        scope: (!spec.scope.is_empty()).then(|| spec.scope.to_string()),
        sid: spec.grant_id.map(str::to_owned),
        cnf: spec.jkt.map(|jkt| serde_json::json!({ "jkt": jkt })),
        authorization_details: spec.authorization_details.cloned(),
    }
}

fn sign_access_token(
    server: &AuthServer,
    claims: &AccessTokenClaims,
) -> Result<String, OAuthError> {
    let now = server.clock.now();
    let keys = server.keys();
    let key = keys
        .set
        .signing_key_at(server.config.access_token_alg, now)
        .ok_or_else(|| {
            OAuthError::server_error("no signing key").with_cause(format!(
                "no {} key of the key set signs at {now}",
                oauth_core::jose::alg_name(server.config.access_token_alg)
            ))
        })?;
    key.sign(ACCESS_TOKEN_TYP, claims).map_err(|e| {
        OAuthError::server_error("the token could not be signed")
            .with_cause(format!("signing an access token failed: {e}"))
    })
}

/// Random bytes in each opaque value this server issues and finds again
/// by fingerprint: codes, refresh tokens, device codes, opaque access tokens.
pub const OPAQUE_BYTES: usize = 32;

/// Whether `presented` is spelled as this server writes its opaque values:
/// the canonical base64url of [`OPAQUE_BYTES`] bytes (no padding, no stray
/// bits, no space). Only that spelling is looked up, so a spent code or
/// token has no second spelling to be found under.
pub fn is_opaque(presented: &str) -> bool {
    oauth_core::canonical::token(presented, OPAQUE_BYTES).is_some()
}

/// A new refresh token value: random bytes. Only its fingerprint is stored.
pub fn new_refresh_token() -> String {
    random::token(OPAQUE_BYTES)
}

/// Why an access token is not (or no longer) good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not a JWT this server signed; why (a signature that does not
    /// verify, another typ) is for the logs only.
    NotOurs(String),
    Expired,
    Revoked,
    /// The store could not say (a shared store out of reach).
    Store(crate::store::StoreError),
}

impl Invalid {
    /// The store's failure as the client's error; `None` for a token that
    /// is simply not good.
    pub fn store_failure(&self) -> Option<OAuthError> {
        match self {
            Self::Store(e) => Some(e.clone().into()),
            _ => None,
        }
    }

    /// What the client is not told: why a token is not ours.
    pub fn cause(&self) -> Option<&str> {
        match self {
            Self::NotOurs(why) => Some(why),
            _ => None,
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotOurs(_) => f.write_str("not an access token of this server"),
            Self::Expired => f.write_str("expired"),
            Self::Revoked => f.write_str("revoked"),
            Self::Store(e) => write!(f, "cannot be checked now ({})", e.operation),
        }
    }
}

/// Verifies an access token this server issued: signature with its own
/// keys, `typ`, issuer, expiry, and that neither the token nor its grant has
/// been revoked. Returns the claims even when expired or revoked (for
/// revocation, which must find the token all the same) alongside the verdict.
pub async fn inspect_access_token(
    server: &AuthServer,
    token: &str,
) -> Result<(AccessTokenClaims, Result<(), Invalid>), Invalid> {
    // Not a JWS (no dots): an opaque token, found by its fingerprint.
    if !token.contains('.') {
        if !is_opaque(token) {
            return Err(Invalid::NotOurs(
                "not an opaque token of this server".into(),
            ));
        }
        let now = server.clock.now();
        let record = server
            .store
            .access_token(&oauth_core::secret::fingerprint(token), now)
            .await
            .map_err(Invalid::Store)?
            .ok_or_else(|| Invalid::NotOurs("unknown opaque token".into()))?;
        let claims: AccessTokenClaims = serde_json::from_str(&record)
            .map_err(|e| Invalid::NotOurs(format!("stored claims: {e}")))?;
        let verdict = verdict(server, &claims).await?;
        return Ok((claims, verdict));
    }
    let algs = [JwsAlgorithm::ES256, JwsAlgorithm::RS256];
    let verified = jose::verify(token, &server.keys().verification, &algs)
        .map_err(|e| Invalid::NotOurs(e.to_string()))?;
    let typ = verified
        .header
        .get("typ")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if !typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) {
        return Err(Invalid::NotOurs(format!("typ {typ:?}")));
    }
    let claims: AccessTokenClaims =
        serde_json::from_value(serde_json::Value::Object(verified.claims))
            .map_err(|e| Invalid::NotOurs(format!("claims: {e}")))?;
    if claims.iss != server.config.issuer {
        return Err(Invalid::NotOurs("another issuer".into()));
    }
    let verdict = verdict(server, &claims).await?;
    Ok((claims, verdict))
}

/// Whether a token of this server is good now: unexpired, and neither it
/// nor its grant revoked.
async fn verdict(
    server: &AuthServer,
    claims: &AccessTokenClaims,
) -> Result<Result<(), Invalid>, Invalid> {
    Ok(if claims.exp <= server.clock.now() {
        Err(Invalid::Expired)
    } else if server
        .store
        .is_access_token_revoked(&claims.jti)
        .await
        .map_err(Invalid::Store)?
    {
        Err(Invalid::Revoked)
    } else {
        match &claims.sid {
            Some(grant_id) => match server.store.grant(grant_id).await.map_err(Invalid::Store)? {
                Some(grant) if !grant.revoked => Ok(()),
                _ => Err(Invalid::Revoked),
            },
            None => Ok(()),
        }
    })
}

/// An access token that is good now.
pub async fn validate_access_token(
    server: &AuthServer,
    token: &str,
) -> Result<AccessTokenClaims, Invalid> {
    let (claims, verdict) = inspect_access_token(server, token).await?;
    verdict.map(|()| claims)
}
