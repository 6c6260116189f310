//! Client authentication at the token, introspection and revocation
//! endpoints (RFC 6749 §2.3, §3.2.1; RFC 7662 §2.1; RFC 7009 §2.1).
use std::sync::Arc;

use oauth_core::client_auth::{self, AuthMethod};
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::http::HttpRequest;
use oauth_core::secret::Secret;

use crate::AuthServer;
use crate::config::{Client, ClientSecret, Endpoint};

/// Longest `jti` accepted in a client assertion: a random identifier needs
/// no more, and the replay cache keeps only a fingerprint anyway.
pub(crate) const MAX_JTI_LENGTH: usize = 256;

/// Compared against when the client is unknown, so that an unknown id costs
/// the same time as a wrong secret.
const DECOY: &str = "decoy secret of a typical length";

/// Authenticates the client of a request at `endpoint` and returns its
/// registration.
pub async fn authenticate(
    server: &AuthServer,
    request: &HttpRequest,
    params: &Params,
    endpoint: Endpoint,
) -> Result<Arc<Client>, OAuthError> {
    let realm = server.realm();
    let fail = |why: &str| {
        OAuthError::invalid_client(format!("client authentication failed: {why}"), realm)
    };
    let presented = client_auth::presented(request.header("authorization"), params, realm)?
        .ok_or_else(|| fail("the request carries no client credentials"))?;
    let Some(client) = server.client(&presented.client_id).await? else {
        if let Some(secret) = &presented.secret {
            Secret::new(DECOY).matches(secret.expose());
        }
        return Err(fail("unknown client_id"));
    };
    if presented.method == AuthMethod::None {
        // A public client identifies itself only (RFC 6749 §2.1); its
        // protection is PKCE and the redirect URI, not a secret.
        if client.is_public() {
            return Ok(client);
        }
        return Err(fail(
            "this client must authenticate (client_secret_basic or client_secret_post)",
        ));
    }
    if !client.auth_methods.contains(&presented.method) {
        return Err(fail(&format!(
            "this client is not registered for {}",
            presented.method
        )));
    }
    if let Some(assertion) = &presented.assertion {
        verify_assertion(server, endpoint, &client, &presented.method, assertion)
            .await
            .map_err(|why| match why {
                AssertionError::Store(e) => e.into(),
                refused => fail(&refused.to_string()),
            })?;
        return Ok(client);
    }
    let ok = match (&client.secret, &presented.secret) {
        (Some(ClientSecret::Plain(expected)), Some(given)) => expected.matches(given.expose()),
        (Some(ClientSecret::Hashed(expected)), Some(given)) => {
            subtle::ConstantTimeEq::ct_eq(&server.secret_digest(given.expose())[..], &expected[..])
                .into()
        }
        _ => false,
    };
    if !ok {
        return Err(fail("the client secret does not match"));
    }
    // RFC 7591 §3.2.1: client_secret_expires_at.
    if client
        .secret_expires_at
        .is_some_and(|at| at <= server.clock.now())
    {
        return Err(fail("the client secret has expired"));
    }
    Ok(client)
}

/// Why an assertion was not accepted (RFC 7523 §3); `Display` is what
/// the client is told.
#[derive(Debug)]
enum AssertionError {
    NoKeys,
    /// client_secret_jwt needs the secret itself; a registered client's is
    /// kept only as a digest.
    NoPlainSecret,
    Signature(oauth_core::jose::JoseError),
    IssSub,
    /// The audiences it names, and this server's names for itself.
    Audience {
        named: Vec<String>,
        ours: String,
    },
    Claims(oauth_core::claims::ClaimsError),
    NoJti,
    JtiLength,
    Replayed,
    Store(crate::store::StoreError),
}

impl std::fmt::Display for AssertionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoKeys => f.write_str("the client has no registered keys"),
            Self::NoPlainSecret => {
                f.write_str("the server holds no secret to verify this client's HMAC with")
            }
            Self::Signature(e) => write!(f, "client assertion: {e}"),
            Self::IssSub => f.write_str("the assertion's iss and sub must be the client_id"),
            Self::Audience { named, ours } => write!(
                f,
                "the assertion's aud {named:?} does not name this server ({ours})"
            ),
            Self::Claims(e) => write!(f, "the assertion: {e}"),
            Self::NoJti => f.write_str("the assertion has no jti"),
            Self::JtiLength => write!(
                f,
                "the assertion's jti must be 1 to {MAX_JTI_LENGTH} characters"
            ),
            Self::Replayed => f.write_str("the assertion was already used (jti replay)"),
            Self::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AssertionError {}

/// RFC 7523 §3 items 4-6, for client assertions and JWT bearer grants
/// alike: exp present and not passed, and (the AS may refuse an
/// unreasonably far one) at most `assertion_max_lifetime` ahead, since its
/// jti is remembered that long; nbf and iat not ahead; on this server's
/// clock and leeway.
pub(crate) fn assertion_times(
    server: &AuthServer,
    claims: &serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> Result<(), oauth_core::claims::ClaimsError> {
    let settings = &server.config.client_authentication;
    oauth_core::claims::verify(
        claims,
        &oauth_core::claims::Expected {
            issuer: None,
            audiences: &[],
            now,
            leeway: settings.leeway,
            require_exp: true,
            max_lifetime: Some(settings.assertion_max_lifetime),
        },
    )
}

/// private_key_jwt and client_secret_jwt (RFC 7523 §3, OIDC Core §9):
/// signed by a key the client registered (or MACed with its secret), iss
/// and sub the client, aud this server, unexpired but not valid for longer
/// than the configured maximum, and its jti never seen before.
async fn verify_assertion(
    server: &AuthServer,
    endpoint: Endpoint,
    client: &Client,
    method: &AuthMethod,
    assertion: &str,
) -> Result<(), AssertionError> {
    use serde_json::Value;
    let verified = if *method == AuthMethod::ClientSecretJwt {
        let Some(ClientSecret::Plain(secret)) = &client.secret else {
            return Err(AssertionError::NoPlainSecret);
        };
        oauth_core::jose::verify_hs256(assertion, secret.expose().as_bytes())
    } else {
        let jwks = client.jwks.as_ref().ok_or(AssertionError::NoKeys)?;
        oauth_core::jose::verify(assertion, jwks, &crate::config::CLIENT_JWT_ALGS)
    }
    .map_err(AssertionError::Signature)?;
    let claims = &verified.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client.client_id.as_str())
        || text("sub") != Some(client.client_id.as_str())
    {
        return Err(AssertionError::IssSub);
    }
    // RFC 7523 §3 (3): the audience identifies this server: its issuer,
    // its token endpoint, or the endpoint the assertion is presented to —
    // each by its canonical URL, never by the URL the caller names.
    let endpoints = &server.config.endpoints;
    let ours = [
        server.config.issuer.clone(),
        endpoints.url(Endpoint::Token).to_string(),
        endpoints.url(endpoint).to_string(),
    ];
    let audiences = oauth_core::claims::audiences(claims);
    // FAPI 2.0 Security Profile (Final) §5.3.2.1 item 8: "shall only accept
    // its issuer identifier value ... as a string in the aud claim" — an
    // array, or an assertion made for any other URL, could be replayed here
    // (the audience injection the profile closes).
    if client.fapi2
        && claims.get("aud").and_then(Value::as_str) != Some(server.config.issuer.as_str())
    {
        return Err(AssertionError::Audience {
            named: audiences,
            ours: format!("{} alone, as a string (FAPI 2.0)", server.config.issuer),
        });
    }
    if !audiences.iter().any(|a| ours.iter().any(|o| o == a)) {
        return Err(AssertionError::Audience {
            named: audiences,
            ours: ours[..2].join(" or "),
        });
    }
    let now = server.clock.now();
    assertion_times(server, claims, now).map_err(AssertionError::Claims)?;
    let jti = text("jti").ok_or(AssertionError::NoJti)?;
    use_jti_once(
        server,
        &format!("assertion\n{}", client.client_id),
        jti,
        claims,
        now,
    )
    .await
    .map_err(|refused| match refused {
        JtiRefusal::Length => AssertionError::JtiLength,
        JtiRefusal::Replayed => AssertionError::Replayed,
        JtiRefusal::Store(e) => AssertionError::Store(e),
    })
}

/// Why a `jti` was not accepted.
pub(crate) enum JtiRefusal {
    /// Empty, or longer than [`MAX_JTI_LENGTH`].
    Length,
    Replayed,
    Store(crate::store::StoreError),
}

/// RFC 7523 §3 item 7, for client assertions and JWT bearer grants alike:
/// one use per `jti` (within `scope`, the issuer's), remembered by
/// fingerprint until the assertion could no longer be accepted — its
/// `exp` (checked present by [`assertion_times`]) plus the leeway.
pub(crate) async fn use_jti_once(
    server: &AuthServer,
    scope: &str,
    jti: &str,
    claims: &serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> Result<(), JtiRefusal> {
    if jti.is_empty() || jti.len() > MAX_JTI_LENGTH {
        return Err(JtiRefusal::Length);
    }
    let leeway = server.config.client_authentication.leeway;
    let exp = claims
        .get("exp")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(now)
        + leeway;
    match server
        .store
        .remember_once(&format!("{scope}\n{jti}"), exp, now)
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(JtiRefusal::Replayed),
        Err(e) => Err(JtiRefusal::Store(e)),
    }
}

#[cfg(test)]
mod tests;
