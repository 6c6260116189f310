//! Authorization Code Grant, token request (RFC 6749 §4.1.3), with PKCE
//! (RFC 7636 §4.5, §4.6).
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::secret::fingerprint;
use oauth_core::{pkce, random};

use super::target::{Granted, decide};
use super::{Grant, OidcGrant};
use crate::AuthServer;
use crate::config::Client;
use crate::store::{CodeTake, GrantRecord, SessionMember};

/// Redeems a code: single use (a replay revokes what the first use minted),
/// unexpired, issued to this client, for this redirect URI, with the PKCE
/// verifier that matches its challenge.
pub async fn grant(
    server: &AuthServer,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<Grant, OAuthError> {
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    // Looked up in the one spelling it was issued in (RFC 6749 §4.1.2: a
    // code is used once, so no respelling of it may count as another).
    if !crate::tokens::is_opaque(code) {
        return Err(OAuthError::invalid_grant("the code is unknown"));
    }
    let grant_id = random::token(16);
    let c = match server
        .store
        .take_code(&fingerprint(code), &grant_id)
        .await?
    {
        CodeTake::Fresh(c) => *c,
        CodeTake::Replayed { grant_id } => {
            tracing::warn!(client_id = %client.client_id, grant_id = %grant_id, "authorization code replayed; its grant is revoked");
            return Err(OAuthError::invalid_grant(
                "the code was already used; the tokens issued for it are revoked",
            ));
        }
        CodeTake::Unknown => return Err(OAuthError::invalid_grant("the code is unknown")),
    };
    let now = server.clock.now();
    if c.expires_at <= now {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    if c.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    match params.get("redirect_uri") {
        Some(uri) if uri != c.redirect_uri => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the one in the authorization request",
            ));
        }
        None if c.redirect_uri_sent => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri is required: the authorization request carried one",
            ));
        }
        _ => {}
    }
    match (&c.code_challenge, params.get("code_verifier")) {
        (Some((challenge, method)), Some(verifier)) => {
            if !pkce::verify(verifier, challenge, *method) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is missing: the authorization request carried a code_challenge",
            ));
        }
        // RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent, but the authorization request carried no code_challenge",
            ));
        }
        (None, None) => {}
    }
    // RFC 9449 §10.1: a code bound with dpop_jkt is redeemed with that key only.
    if let Some(bound) = &c.dpop_jkt
        && dpop_jkt != Some(bound.as_str())
    {
        return Err(OAuthError::invalid_grant(
            "the code is bound to a DPoP key (dpop_jkt): present a proof with that key",
        ));
    }
    // RFC 8707 §2.2, RFC 9396 §6: within the resources and details granted.
    let target = decide(server, client, params, Granted::Authorized(&c.target))?;
    let family = super::FamilyLifetime::new(server, client, now);
    server
        .store
        .put_grant(GrantRecord {
            grant_id: grant_id.clone(),
            client_id: client.client_id.clone(),
            subject: c.subject.clone(),
            user: c.user.clone(),
            scope: c.scope.clone(),
            claims: c.claims.clone(),
            auth_time: c.auth_time,
            acr: c.acr.clone(),
            target: c.target.clone(),
            sid: c.sid.clone(),
            expires_at: family.kept_until,
            revoked: false,
        })
        .await?;
    // OIDC Back-Channel Logout §2.7: the grant belongs to its login's
    // session; a session already ended takes no new grant.
    if let Some(sid) = &c.sid {
        let member = SessionMember {
            client_id: client.client_id.clone(),
            grant_id: grant_id.clone(),
            subject: c.subject.clone(),
        };
        if !server
            .store
            .join_session(sid, member, family.kept_until, now)
            .await?
        {
            server.store.revoke_grant(&grant_id).await?;
            return Err(OAuthError::invalid_grant(
                "the login this code was issued in has ended (logout)",
            ));
        }
    }
    let refresh_token = family
        .first_refresh_token(server, client, &grant_id, dpop_jkt)
        .await?
        .map(oauth_core::secret::Secret::new);
    // OIDC Core §3.1.3.3: an ID token when the scope asked for one.
    let oidc = if c.scope.contains("openid") {
        let claims = match c.claims.as_deref() {
            Some(text) => Some(oauth_core::oidc::ClaimsRequest::parse(text).map_err(|e| {
                OAuthError::server_error("the stored claims request cannot be read")
                    .with_cause(format!("stored claims request: {e}"))
            })?),
            None => None,
        };
        Some(OidcGrant {
            user: c.user,
            auth_time: c.auth_time,
            acr: c.acr,
            nonce: c.nonce,
            claims,
            sid: c.sid,
        })
    } else {
        None
    };
    Ok(Grant {
        subject: c.subject,
        scope: c.scope,
        grant_id: Some(grant_id),
        refresh_token,
        target,
        issued_token_type: None,
        oidc,
        expires_at_most: None,
    })
}

#[cfg(test)]
mod tests;
