//! What an authorization request asks of the login (OIDC Core §3.1.2.1):
//! `prompt`, `max_age`, `display`, `login_hint`, and the user an
//! `id_token_hint` or a claims request (§5.5.1) names. Read and checked
//! here, for the authorization and PAR endpoints alike; acted on at the
//! authorization endpoint, once it knows who is logged in.
//!
//! `ui_locales` and `claims_locales` (§3.1.2.1, §5.2) are accepted and
//! change nothing: the pages are in English and the claims are released as
//! configured, untagged. `acr_values` is a voluntary request (§3.1.2.1):
//! the ID token's `acr` is the one of the login that took place.
use std::collections::BTreeSet;

use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::Params;
use oauth_core::oidc::ClaimsRequest;
use serde_json::Value;

use crate::AuthServer;
use crate::config::Client;

/// The `display` values OIDC Core §3.1.2.1 defines, as the metadata lists
/// them (OIDC Discovery §3 `display_values_supported`): each is answered
/// with the same plain page, which fits every one of them.
pub(crate) const DISPLAY_VALUES: [&str; 4] = ["page", "popup", "touch", "wap"];

/// What the request asks of the login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LoginAsk {
    /// `prompt=none`: no page and no authentication; only a session answers.
    pub(crate) none: bool,
    /// `prompt=login`: authenticate again, whatever session there is.
    pub(crate) login: bool,
    /// `prompt=consent`: ask the user to approve.
    pub(crate) consent: bool,
    /// `prompt=select_account`: let the user choose whom to sign in as.
    pub(crate) select_account: bool,
    /// `max_age`, seconds: the oldest login acceptable.
    pub(crate) max_age: Option<i64>,
    /// `login_hint`, as sent: a hint for the page, never a login.
    pub(crate) login_hint: Option<String>,
    /// The `sub` values the request names (an `id_token_hint`'s, a claims
    /// request's by value): whoever is logged in must be that user.
    pub(crate) subjects: Vec<Value>,
}

impl LoginAsk {
    /// Whether a login made at `auth_time` must be made again now:
    /// `prompt=login`, or more than `max_age` seconds since (§3.1.2.1: the
    /// OP MUST attempt to actively re-authenticate; `max_age=0` is
    /// `prompt=login`).
    pub(crate) fn needs_new_login(&self, auth_time: i64, now: i64) -> bool {
        self.login
            || self
                .max_age
                .is_some_and(|max| max == 0 || now.saturating_sub(auth_time) > max)
    }

    /// Whether the user known as `subject` is the one the request names
    /// (§3.1.2.2 item 4, §5.5.1: never answer for another user).
    pub(crate) fn accepts(&self, subject: &str) -> bool {
        self.subjects.iter().all(|s| s.as_str() == Some(subject))
    }
}

/// `prompt`, `max_age`, `display` and `login_hint`, checked.
pub(crate) fn read(params: &Params) -> Result<LoginAsk, OAuthError> {
    let prompt: BTreeSet<&str> = params
        .get("prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect();
    // §3.1.2.1: `none` stands alone.
    if prompt.contains("none") && prompt.len() > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    // The values §3.1.2.1 defines; no other is understood here, and one
    // that is not could ask for more than this server would do.
    if let Some(unknown) = prompt
        .iter()
        .find(|p| !matches!(**p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(OAuthError::invalid_request(format!(
            "prompt value {unknown:?} is not supported; use none, login, consent or select_account"
        )));
    }
    let max_age = match params.get("max_age") {
        None => None,
        // A non-negative integer; one too large for the clock is no limit.
        Some(text) if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => {
            Some(text.parse::<i64>().unwrap_or(i64::MAX))
        }
        Some(text) => {
            return Err(OAuthError::invalid_request(format!(
                "max_age {text:?} is not a number of seconds (OIDC Core §3.1.2.1: a non-negative integer)"
            )));
        }
    };
    // `display` says how the pages should look, nothing about what is
    // done: §3.1.2.1 lets the server pick a display suited to the user
    // agent anyway, so a value it does not know leaves that choice to it
    // and is ignored, as RFC 6749 §3.1 ignores what is not understood,
    // rather than failing a request that can be served in full.
    Ok(LoginAsk {
        none: prompt.contains("none"),
        login: prompt.contains("login"),
        consent: prompt.contains("consent"),
        select_account: prompt.contains("select_account"),
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        subjects: Vec::new(),
    })
}

/// The user an OpenID request names, and the login it needs (OIDC Core
/// §3.1.2.2 item 4, §5.5.1, §5.5.1.1): the `sub` asked for by value, the
/// `sub` of an `id_token_hint` (one of this server's ID tokens for this
/// client, expired or not), and an essential `acr` this server's logins
/// must meet (else `access_denied`).
pub(crate) fn requested_subjects(
    server: &AuthServer,
    client: &Client,
    params: &Params,
    claims: Option<&ClaimsRequest>,
) -> Result<Vec<Value>, OAuthError> {
    let mut subjects = Vec::new();
    if let Some(claims) = claims {
        for requested in [&claims.id_token, &claims.userinfo] {
            if let Some(sub) = requested.get("sub").and_then(|r| r.value.as_ref()) {
                subjects.push(sub.clone());
            }
            if let Some(acr) = requested.get("acr").filter(|r| r.essential) {
                let wanted: Vec<&Value> = acr
                    .value
                    .iter()
                    .chain(acr.values.iter().flatten())
                    .collect();
                if !wanted.is_empty()
                    && !wanted
                        .iter()
                        .any(|v| v.as_str() == Some(server.config.login_acr.as_str()))
                {
                    return Err(OAuthError::new(
                        ErrorCode::AccessDenied,
                        "the essential acr asked for cannot be met by this login",
                    ));
                }
            }
        }
    }
    if let Some(hint) = params.get("id_token_hint") {
        let verified = oauth_core::jose::verify(
            hint,
            &server.keys().verification,
            &[
                oauth_core::jose::JwsAlgorithm::RS256,
                oauth_core::jose::JwsAlgorithm::ES256,
            ],
        )
        .map_err(|e| OAuthError::invalid_request(format!("id_token_hint: {e}")))?;
        let text = |name: &str| verified.claims.get(name).and_then(Value::as_str);
        let for_client =
            oauth_core::claims::audiences(&verified.claims).contains(&client.client_id);
        if text("iss") != Some(server.config.issuer.as_str()) || !for_client {
            return Err(OAuthError::invalid_request(
                "id_token_hint is not an ID token this server issued to this client",
            ));
        }
        subjects.push(verified.claims.get("sub").cloned().unwrap_or(Value::Null));
    }
    Ok(subjects)
}

/// §3.1.2.6: the request names another user than the one logged in.
pub(crate) fn another_user() -> OAuthError {
    OAuthError::new(
        ErrorCode::LoginRequired,
        "the request asks for another user than the one who is logged in",
    )
}
