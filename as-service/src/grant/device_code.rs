//! Device Authorization Grant, token request (RFC 8628 §3.4, §3.5): the
//! client polls with its device code until the user has decided. Each poll
//! is one atomic store step: judged against the interval, and an approved
//! device code spent by the poll that redeems it.
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::Params;
use oauth_core::random;
use oauth_core::secret::fingerprint;

use super::target::{Granted, decide};
use super::{Grant, OidcGrant};
use crate::AuthServer;
use crate::config::Client;
use crate::store::{DevicePoll, DeviceState, GrantRecord};

pub async fn grant(
    server: &AuthServer,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<Grant, OAuthError> {
    let device_code = params
        .get("device_code")
        .ok_or_else(|| OAuthError::invalid_request("device_code is missing"))?;
    // Looked up in the one spelling it was issued in: a redeemed device
    // code has no second spelling (RFC 8628 §3.5).
    if !crate::tokens::is_opaque(device_code) {
        return Err(OAuthError::invalid_grant("the device code is unknown"));
    }
    let poll = server
        .store
        .poll_device(
            &fingerprint(device_code),
            &client.client_id,
            server.clock.now_millis(),
        )
        .await?;
    let device = match poll {
        DevicePoll::Approved(device) => *device,
        DevicePoll::Pending => {
            return Err(OAuthError::new(
                ErrorCode::AuthorizationPending,
                "the user has not yet approved; poll again after the interval",
            ));
        }
        DevicePoll::SlowDown { interval } => {
            return Err(OAuthError::new(
                ErrorCode::SlowDown,
                format!(
                    "polled sooner than the interval allows; the interval is now {interval} seconds"
                ),
            ));
        }
        DevicePoll::Denied => {
            return Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "the user denied the request",
            ));
        }
        DevicePoll::Expired => {
            return Err(OAuthError::new(
                ErrorCode::ExpiredToken,
                "the device code has expired; start a new device authorization",
            ));
        }
        DevicePoll::WrongClient => {
            return Err(OAuthError::invalid_grant(
                "the device code was issued to another client",
            ));
        }
        DevicePoll::Unknown => {
            return Err(OAuthError::invalid_grant(
                "the device code is unknown or was already used",
            ));
        }
    };
    let DeviceState::Approved(approval) = device.state else {
        return Err(
            OAuthError::server_error("the device authorization cannot be read")
                .with_cause("an approved poll without an approval"),
        );
    };
    // RFC 8707 §2.2, RFC 9396 §6: within the resources and details the
    // device authorization request named, as for a code.
    let target = decide(server, client, params, Granted::Authorized(&device.target))?;
    let now = server.clock.now();
    let grant_id = random::token(16);
    let family = super::FamilyLifetime::new(server, client, now);
    server
        .store
        .put_grant(GrantRecord {
            grant_id: grant_id.clone(),
            client_id: client.client_id.clone(),
            subject: approval.subject.clone(),
            user: approval.user.clone(),
            scope: device.scope.clone(),
            claims: None,
            auth_time: approval.auth_time,
            acr: approval.acr.clone(),
            target: device.target.clone(),
            // The device flow's login is at the verification URI, in no
            // session the end_session endpoint could end.
            sid: None,
            expires_at: family.kept_until,
            revoked: false,
        })
        .await?;
    let refresh_token = family
        .first_refresh_token(server, client, &grant_id, dpop_jkt)
        .await?
        .map(oauth_core::secret::Secret::new);
    // OIDC Core §3.1.3.3, as for a code: an ID token when openid was asked.
    let oidc = device.scope.contains("openid").then(|| OidcGrant {
        user: approval.user.clone(),
        auth_time: approval.auth_time,
        acr: approval.acr.clone(),
        nonce: None,
        claims: None,
        sid: None,
    });
    tracing::debug!(client_id = %client.client_id, grant_id = %grant_id, "device code redeemed");
    Ok(Grant {
        subject: approval.subject,
        scope: device.scope,
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
