//! Refreshing an access token (RFC 6749 §6), with refresh token rotation
//! and reuse detection (RFC 9700 §4.14.2).
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::secret::fingerprint;

use super::target::{Granted, decide};
use super::{Grant, requested_scope};
use crate::AuthServer;
use crate::config::Client;
use crate::store::Rotation;
use crate::tokens;

/// The refresh token must be this client's; it is spent and replaced by a
/// new one; presenting a spent one revokes its whole family. The scope may
/// narrow, never widen (RFC 6749 §6); the grant keeps its original scope.
pub async fn grant(
    server: &AuthServer,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<Grant, OAuthError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    // Looked up in the one spelling it was issued in: a rotated token has
    // no second spelling that could pass for a fresh one.
    if !crate::tokens::is_opaque(presented) {
        return Err(OAuthError::invalid_grant("the refresh token is unknown"));
    }
    let old = fingerprint(presented);
    let record = server
        .store
        .refresh(&old)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the refresh token is unknown"))?;
    let grant = server
        .store
        .grant(&record.grant_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the refresh token's grant is gone"))?;
    // Checked before rotating, so another client cannot burn this one's token.
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if let Some(bound) = &record.jkt
        && dpop_jkt != Some(bound.as_str())
    {
        return Err(OAuthError::invalid_grant(
            "the refresh token is bound to a DPoP key: present a proof with that key",
        ));
    }
    let scope = requested_scope(params, &grant.scope, &grant.scope)?;
    // RFC 8707 §2.2, RFC 9396 §6: the target may narrow as the scope does.
    let target = decide(server, client, params, Granted::Authorized(&grant.target))?;
    let now = server.clock.now();
    // Without rotation (RFC 6749 §6 leaves it to the AS; FAPI 2.0 §5.3.2.1
    // item 10 forbids it for its clients) the token stays as it is — but a
    // public client's unbound one is rotated all the same (RFC 9700
    // §2.2.2: rotation or sender constraint).
    let public_unbound = client.is_public() && record.jkt.is_none() && dpop_jkt.is_none();
    let rotates = client.rotates_refresh_tokens(server.config.refresh_token_rotation);
    if !rotates && !public_unbound {
        if record.rotated {
            // Spent before rotation was turned off: reuse, as ever.
            server.store.revoke_grant(&grant.grant_id).await?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used: the whole token family is revoked",
            ));
        }
        if record.expires_at <= now {
            return Err(OAuthError::invalid_grant("the refresh token has expired"));
        }
        if grant.revoked {
            return Err(OAuthError::invalid_grant(
                "the refresh token has been revoked",
            ));
        }
        return Ok(Grant {
            subject: grant.subject,
            scope,
            grant_id: Some(grant.grant_id),
            refresh_token: None,
            target,
            issued_token_type: None,
            oidc: None,
            expires_at_most: None,
        });
    }
    let new = tokens::new_refresh_token();
    let expires_at = now + server.config.refresh_token_lifetime;
    match server
        .store
        .rotate_refresh(
            &old,
            fingerprint(&new),
            expires_at,
            now,
            dpop_jkt.filter(|_| client.is_public()),
        )
        .await?
    {
        Rotation::Rotated(grant) => {
            // OIDC Back-Channel Logout §2.7: the login's session must know
            // the grant as long as its newest refresh token lives.
            if let Some(sid) = &grant.sid {
                let member = crate::store::SessionMember {
                    client_id: grant.client_id.clone(),
                    grant_id: grant.grant_id.clone(),
                    subject: grant.subject.clone(),
                };
                let kept_until = expires_at.max(now + client.access_token_lifetime);
                if !server
                    .store
                    .join_session(sid, member, kept_until, now)
                    .await?
                {
                    server.store.revoke_grant(&grant.grant_id).await?;
                    return Err(OAuthError::invalid_grant(
                        "the login this grant belongs to has ended (logout)",
                    ));
                }
            }
            Ok(Grant {
                subject: grant.subject,
                scope,
                grant_id: Some(grant.grant_id),
                refresh_token: Some(oauth_core::secret::Secret::new(new)),
                target,
                issued_token_type: None,
                oidc: None,
                expires_at_most: None,
            })
        }
        Rotation::Reused { grant_id } => {
            tracing::warn!(client_id = %client.client_id, grant_id = %grant_id, "refresh token reuse; the token family is revoked");
            Err(OAuthError::invalid_grant(
                "the refresh token was already used: the whole token family is revoked",
            ))
        }
        Rotation::Expired => Err(OAuthError::invalid_grant("the refresh token has expired")),
        Rotation::Revoked => Err(OAuthError::invalid_grant(
            "the refresh token has been revoked",
        )),
        Rotation::Unknown => Err(OAuthError::invalid_grant("the refresh token is unknown")),
    }
}

#[cfg(test)]
mod tests;
