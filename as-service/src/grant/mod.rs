//! One module per grant type. A grant handler checks the grant-specific
//! parameters and says who the access token is for, with what scope, in
//! which grant, and which refresh token (already stored) goes with it; the
//! token endpoint then mints the access token. Where the token may be used
//! (audience, authorization details) every grant has decided by `target`.
pub mod authorization_code;
pub(crate) mod authorization_details;
pub mod client_credentials;
pub mod device_code;
pub mod jwt_bearer;
pub mod password;
pub mod refresh_token;
pub(crate) mod resource;
pub mod target;
pub mod token_exchange;

use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::scope::Scope;

use crate::config::Client;

/// What a grant authorises.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// The resource owner, or the client itself when it acts on its own behalf.
    pub subject: String,
    /// The scope of the access token.
    pub scope: Scope,
    /// The grant (token family) the access token belongs to.
    pub grant_id: Option<String>,
    /// A refresh token to hand out with the access token, already stored.
    pub refresh_token: Option<oauth_core::secret::Secret>,
    /// Its audience and authorization details (RFC 8707, RFC 9396).
    pub target: target::TokenFor,
    /// `issued_token_type`, for token exchange responses (RFC 8693 §2.2.1).
    pub issued_token_type: Option<&'static str>,
    /// Set when an ID token goes with the access token (OIDC Core §3.1.3.3).
    pub oidc: Option<OidcGrant>,
    /// The access token may not outlive this (a token exchange's subject token).
    pub expires_at_most: Option<i64>,
}

/// What an ID token minted at the token endpoint is about.
#[derive(Debug, Clone, PartialEq)]
pub struct OidcGrant {
    pub user: String,
    pub auth_time: i64,
    pub acr: Option<String>,
    pub nonce: Option<String>,
    pub claims: Option<oauth_core::oidc::ClaimsRequest>,
    /// The login session (OIDC Back-Channel Logout §2.1).
    pub sid: Option<String>,
}

impl Grant {
    /// A grant of just an access token.
    pub fn access_only(subject: String, scope: Scope, target: target::TokenFor) -> Self {
        Self {
            subject,
            scope,
            grant_id: None,
            refresh_token: None,
            target,
            issued_token_type: None,
            oidc: None,
            expires_at_most: None,
        }
    }
}

/// How long a new token family lasts: whether the client gets a refresh
/// token, when that token expires, and how long the grant must be kept
/// (until its longest-lived token expires).
pub(crate) struct FamilyLifetime {
    pub(crate) refresh: bool,
    pub(crate) refresh_expires_at: i64,
    pub(crate) kept_until: i64,
}

impl FamilyLifetime {
    pub(crate) fn new(server: &crate::AuthServer, client: &Client, now: i64) -> Self {
        let refresh = client
            .grant_types
            .contains(&crate::config::GrantType::RefreshToken);
        let refresh_expires_at = now + server.config.refresh_token_lifetime;
        let access_expires_at = now + client.access_token_lifetime;
        Self {
            refresh,
            refresh_expires_at,
            kept_until: if refresh {
                refresh_expires_at.max(access_expires_at)
            } else {
                access_expires_at
            },
        }
    }

    /// The family's first refresh token, stored, when the client may have
    /// one; a public client's is bound to its DPoP key (RFC 9449 §5).
    pub(crate) async fn first_refresh_token(
        &self,
        server: &crate::AuthServer,
        client: &Client,
        grant_id: &str,
        dpop_jkt: Option<&str>,
    ) -> Result<Option<String>, OAuthError> {
        if !self.refresh {
            return Ok(None);
        }
        let token = crate::tokens::new_refresh_token();
        server
            .store
            .put_refresh(
                oauth_core::secret::fingerprint(&token),
                crate::store::RefreshRecord {
                    grant_id: grant_id.to_owned(),
                    expires_at: self.refresh_expires_at,
                    rotated: false,
                    jkt: if client.is_public() {
                        dpop_jkt.map(str::to_owned)
                    } else {
                        None
                    },
                },
            )
            .await?;
        Ok(Some(token))
    }
}

/// The scope of a request (RFC 6749 §3.3): the requested scope, which must
/// lie within `allowed`, or else `default`.
pub(crate) fn requested_scope(
    params: &Params,
    allowed: &Scope,
    default: &Scope,
) -> Result<Scope, OAuthError> {
    let Some(raw) = params.get("scope") else {
        return Ok(default.clone());
    };
    let scope = Scope::parse(raw).map_err(OAuthError::invalid_scope)?;
    if scope.is_empty() {
        return Ok(default.clone());
    }
    let refused: Vec<&str> = scope.not_in(allowed).collect();
    if !refused.is_empty() {
        return Err(OAuthError::invalid_scope(format!(
            "scope not allowed here: {}",
            refused.join(" ")
        )));
    }
    Ok(scope)
}

/// The scope a client asks for, within what it may have.
pub(crate) fn client_scope(client: &Client, params: &Params) -> Result<Scope, OAuthError> {
    requested_scope(params, &client.scopes, &client.default_scope)
}

#[cfg(test)]
mod tests;
