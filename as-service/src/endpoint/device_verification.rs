//! The verification URI of the device authorization grant (RFC 8628 §3.3):
//! where a person, on a device with a browser, enters the user code the
//! client's device shows (a form, or `verification_uri_complete` with the
//! code in the query), is logged in, and approves. Without interaction the
//! configured user is logged in and approves, as at the authorization
//! endpoint; with `[authorization] interactive = true` the approval page
//! asks a person to pick a user and approve or deny.
//!
//! A user code is short, so guessable: wrong codes are counted per caller
//! (an IPv4 address, or an IPv6 /64, what one subscriber is commonly
//! given) and, past the limit, every code that caller enters is refused
//! until the window ends; they are also counted across all callers, and
//! past that limit every entry from anyone is refused until its window
//! ends, so that holding many addresses does not multiply a guesser's
//! tries (RFC 8628 §5.1).
use std::net::{IpAddr, Ipv6Addr};

use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::{self, Params};
use oauth_core::http::{HttpRequest, HttpResponse};

use super::consent::{self, Decision};
use super::device_authorization::{display_user_code, normalize_user_code, user_code_key};
use super::html::{self, escape, page};
use crate::AuthServer;
use crate::config::Endpoint;
use crate::store::{DeviceApproval, DeviceDecision, DeviceState};

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match verify(server, request).await {
        Ok(response) => response,
        Err(e) => {
            super::log_refusal("device_verification", None, &e, "refused");
            html::refusal(request, &e)
        }
    }
}

/// The throttle counter of wrong user codes from this caller.
fn failures_key(request: &HttpRequest) -> String {
    match request.peer {
        Some(ip) => format!("device-user-code\n{}", caller(ip)),
        None => "device-user-code\nunknown".to_owned(),
    }
}

/// The throttle counter of wrong user codes from every caller.
const GLOBAL_FAILURES_KEY: &str = "device-user-code\nall";

/// Who a peer address is, for counting: an IPv4 address as itself (an
/// IPv4-mapped IPv6 address too, RFC 4291 §2.5.5.2), an IPv6 address by
/// its /64, the prefix one subscriber is commonly given (RFC 6177 §2): a
/// guesser holding a whole /64 is one caller, not 2^64 of them.
fn caller(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
    }
}

async fn verify(server: &AuthServer, request: &HttpRequest) -> Result<HttpResponse, OAuthError> {
    // An answered approval page: its CSRF token says this server made it.
    if let Some(submission) =
        consent::submission(server, request, Endpoint::DeviceVerification).await
    {
        let consent::Submission { params, decision } = submission?;
        // RFC 8628 §5.1: every user code entered counts against the caller,
        // through the approval page too.
        check_throttle(server, request).await?;
        let state = match decision {
            Decision::Approve { user } => approved(server, user),
            Decision::Deny => DeviceState::Denied,
        };
        let entered = params.get("user_code").unwrap_or_default();
        return settle(server, request, decide(server, entered, state).await).await;
    }
    let params = match request.method.as_str() {
        "GET" => form::parse(request.url.query().unwrap_or(""))?,
        "POST" => super::post_form(request)?,
        _ => return Err(OAuthError::method_not_allowed("GET, POST")),
    };
    let Some(entered) = params.get("user_code") else {
        return Ok(entry_form(server));
    };
    check_throttle(server, request).await?;
    if server.config.interactive {
        let settings = &server.config.device;
        let pending = match normalize_user_code(entered, settings.user_code_length) {
            Some(code) => {
                server
                    .store
                    .device_by_user_code(&user_code_key(&code), server.clock.now())
                    .await?
            }
            None => None,
        };
        let Some(pending) = pending else {
            return Err(wrong_code());
        };
        // A right code: its entry is given back, the approval counts anew.
        forgive(server, request).await?;
        // The person approves what the device asked for: its scope, and the
        // resources and authorization details it named (RFC 8707, RFC 9396).
        let mut pairs = vec![
            ("user_code".into(), entered.to_owned()),
            ("scope".into(), pending.scope.to_string()),
        ];
        for resource in &pending.target.resources {
            pairs.push(("resource".into(), resource.clone()));
        }
        if let Some(details) = &pending.target.authorization_details {
            pairs.push(("authorization_details".into(), details.clone()));
        }
        let carried = Params::from_pairs(pairs);
        return Ok(consent::approval_page_at(
            server,
            Endpoint::DeviceVerification,
            &pending.client_id,
            "the device showing this code",
            &carried,
            &server.config.login_user,
        ));
    }
    let user = server.config.login_user.clone();
    settle(
        server,
        request,
        decide(server, entered, approved(server, user)).await,
    )
    .await
}

/// A right code gives back the entry `check_throttle` counted: only wrong
/// ones add up to the limit.
async fn settle(
    server: &AuthServer,
    request: &HttpRequest,
    outcome: Result<HttpResponse, OAuthError>,
) -> Result<HttpResponse, OAuthError> {
    if outcome.is_ok() {
        forgive(server, request).await?;
    }
    outcome
}

/// Gives back the entry `check_throttle` counted, to the caller and to the
/// count of all callers.
async fn forgive(server: &AuthServer, request: &HttpRequest) -> Result<(), OAuthError> {
    let now = server.clock.now();
    server.store.forgive(&failures_key(request), now).await?;
    server.store.forgive(GLOBAL_FAILURES_KEY, now).await?;
    Ok(())
}

/// The approval of `user`, authenticated now with the configured acr. The
/// subject is filled in once the client is known.
fn approved(server: &AuthServer, user: String) -> DeviceState {
    DeviceState::Approved(DeviceApproval {
        subject: String::new(),
        user,
        auth_time: server.clock.now(),
        acr: Some(server.config.login_acr.clone()),
    })
}

/// Refused while the caller is over its limit of wrong user codes, or all
/// callers together over theirs. The entry counts before it is judged (one
/// atomic increment each), so requests sent at once cannot all slip under
/// a limit; a right code gives its counts back (`settle`, `forgive`). An
/// entry refused for its caller's limit is not counted for all: one caller
/// alone can spend no more of the shared limit than its own allows.
async fn check_throttle(server: &AuthServer, request: &HttpRequest) -> Result<(), OAuthError> {
    let settings = &server.config.device;
    let now = server.clock.now();
    let (entries, ends) = server
        .store
        .hit(&failures_key(request), now + settings.failure_window, now)
        .await?;
    if entries > settings.max_user_code_failures {
        tracing::warn!(peer = ?request.peer, entries, "user code entries throttled");
        return Err(throttled("from here", ends - now));
    }
    let (entries, ends) = server
        .store
        .hit(
            GLOBAL_FAILURES_KEY,
            now + settings.global_failure_window,
            now,
        )
        .await?;
    if entries > settings.max_global_user_code_failures {
        tracing::warn!(peer = ?request.peer, entries, "user code entries throttled for every caller");
        return Err(throttled("on this server", ends - now));
    }
    Ok(())
}

/// The same error as a wrong code (no page here is an OAuth protocol
/// message; RFC 8628 §3.3 leaves it to the server), with 429 and
/// Retry-After saying why (RFC 6585 §4).
fn throttled(whose: &str, wait: i64) -> OAuthError {
    let wait = wait.max(1);
    let mut refusal = OAuthError::invalid_request(format!(
        "too many wrong user codes {whose}; try again in {wait} s"
    ))
    .with_status(429);
    refusal
        .extra_headers
        .push(("retry-after".into(), wait.to_string()));
    refusal
}

/// A user code that is not one (already counted against the caller by
/// `check_throttle`).
fn wrong_code() -> OAuthError {
    OAuthError::invalid_request("the user code is unknown, used or expired")
}

/// Records the decision on the code entered, once.
async fn decide(
    server: &AuthServer,
    entered: &str,
    state: DeviceState,
) -> Result<HttpResponse, OAuthError> {
    let settings = &server.config.device;
    let Some(code) = normalize_user_code(entered, settings.user_code_length) else {
        return Err(wrong_code());
    };
    let key = user_code_key(&code);
    let now = server.clock.now();
    // The subject depends on the client (pairwise): look it up first.
    let state = match state {
        DeviceState::Approved(mut approval) => {
            let Some(pending) = server.store.device_by_user_code(&key, now).await? else {
                return Err(wrong_code());
            };
            let Some(client) = server.client(&pending.client_id).await? else {
                return Err(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the client that asked is no longer registered",
                ));
            };
            approval.subject = server.subject_for(&client, &approval.user);
            DeviceState::Approved(approval)
        }
        other => other,
    };
    let approve = matches!(state, DeviceState::Approved(_));
    match server.store.decide_device(&key, state, now).await? {
        DeviceDecision::Decided(grant) => {
            tracing::info!(endpoint = "device_verification", client_id = %grant.client_id, approved = approve, "device authorization decided");
            let shown = escape(&display_user_code(&code));
            let body = if approve {
                format!(
                    "<p>The device showing <code>{shown}</code> is signed in as you \
                     (client <strong>{}</strong>, scope <code>{}</code>). You may close this \
                     page and return to the device.</p>\n",
                    escape(&grant.client_id),
                    escape(&grant.scope.to_string())
                )
            } else {
                format!(
                    "<p>The request of the device showing <code>{shown}</code> was denied.</p>\n"
                )
            };
            let title = if approve {
                "Device approved"
            } else {
                "Device denied"
            };
            Ok(page(200, title, &body))
        }
        DeviceDecision::Unknown => Err(wrong_code()),
    }
}

/// The page asking for the user code (RFC 8628 §3.3, a person typing it).
fn entry_form(server: &AuthServer) -> HttpResponse {
    let action = server.config.endpoints.url(Endpoint::DeviceVerification);
    let body = format!(
        "<form method=\"post\" action=\"{}\">\n<label>Enter the code your device shows \
         <input name=\"user_code\" autocomplete=\"off\" autocapitalize=\"characters\" required></label>\n\
         <button type=\"submit\">Continue</button>\n</form>\n",
        escape(action.as_str())
    );
    page(200, "Connect a device", &body)
}

#[cfg(test)]
mod tests;
