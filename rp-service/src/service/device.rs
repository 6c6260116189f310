//! The device authorization grant (RFC 8628) as the client on the device
//! runs it: ask for a device code and a user code (§3.1), have the user
//! enter the code at the verification URI on another device (§3.3, the
//! user agent's request, built here as the authorization request is), and
//! poll the token endpoint no faster than the interval (§3.4, §3.5).
use std::collections::BTreeMap;
use std::time::Duration;

use oauth_core::error::ErrorCode;
use oauth_core::http::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::client_auth::{arg, authenticated_post};
use crate::service::discovery::endpoint_url_problem;
use crate::service::outcome::{Parsed, Staged, StepError};
use crate::service::registry::AsEndpoint;
use crate::service::variation::{GUESSED_USER_CODE, Variation, Variations};
use crate::session::{DeviceFlow, DevicePolled, Pending, Session};

/// The header of the answer an orchestrator gives for a user's step it
/// handed to a person (`--browser`): there is no page to read.
pub const HANDED_TO_A_PERSON: &str = "x-oidc-story-handed-to-a-person";

/// The grant type of a poll (RFC 8628 §3.4).
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 8628 §3.2: the interval when the AS names none, seconds.
const DEFAULT_INTERVAL: u64 = 5;

/// The longest wait the client accepts before a poll: an AS naming a huge
/// interval must not hold a story for hours. Past it the client stops: it
/// never polls sooner than asked (RFC 8628 §3.5).
pub const MAX_INTERVAL: u64 = 60;

/// The device authorization request (RFC 8628 §3.1): the client
/// authenticated as at the token endpoint, and the scope.
pub fn authorization_request(
    rp: &RelyingParty,
    session: &Session,
    args: &BTreeMap<String, String>,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
    let mut params = Vec::new();
    if let Some(scope) = arg(args, "scope").or(session.profile.scope.as_deref()) {
        params.push(("scope", scope.to_owned()));
    }
    target_params(&mut params, args)?;
    authenticated_post(
        rp,
        session,
        AsEndpoint::DeviceAuthorization,
        params,
        args,
        vary,
    )
}

/// The user agent at the verification URI with the user code (RFC 8628
/// §3.3.1: `verification_uri_complete`, else the code in the query as the
/// form would send it); a guessing one enters a code never issued.
pub fn user_request(session: &Session, vary: &Variations) -> Result<HttpRequest, StepError> {
    let flow = session.device.as_ref().ok_or_else(|| {
        StepError::MissingState("no device authorization: run device_authorization first".into())
    })?;
    let url = match (
        &flow.verification_uri_complete,
        vary.has(&Variation::GuessedUserCode),
    ) {
        (Some(complete), false) => complete.clone(),
        (_, guess) => {
            let code = if guess {
                GUESSED_USER_CODE
            } else {
                flow.user_code.as_str()
            };
            let mut url = url::Url::parse(&flow.verification_uri)
                .map_err(|e| StepError::MissingState(format!("verification_uri: {e}")))?;
            url.query_pairs_mut().append_pair("user_code", code);
            url.to_string()
        }
    };
    HttpRequest::new("GET", &url, std::iter::empty::<(&str, &str)>(), "")
        .map_err(|e| StepError::MissingState(format!("verification URI: {e}")))
}

/// A poll (RFC 8628 §3.4): the device code, the client authenticated.
pub fn token_request(
    rp: &RelyingParty,
    session: &Session,
    args: &BTreeMap<String, String>,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
    let device_code = if vary.has(&Variation::PreviousDeviceCode) {
        session
            .previous_device_code
            .clone()
            .ok_or_else(|| StepError::MissingState("no device code has been redeemed yet".into()))?
    } else {
        session
            .device
            .as_ref()
            .map(|f| f.device_code.clone())
            .ok_or_else(|| {
                StepError::MissingState("no device code: run device_authorization first".into())
            })?
    };
    let mut params = vec![
        ("grant_type", GRANT_TYPE.to_owned()),
        ("device_code", device_code),
    ];
    target_params(&mut params, args)?;
    authenticated_post(rp, session, AsEndpoint::Token, params, args, vary)
}

/// RFC 8707 §2 and RFC 9396 §2: the resources and authorization details a
/// device asks for, at the device authorization and again when polling.
fn target_params(
    params: &mut Vec<(&'static str, String)>,
    args: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    for resource in crate::service::resource::values(arg(args, "resource")) {
        params.push(("resource", resource));
    }
    if let Some(details) = crate::service::details::asked(args)? {
        params.push(("authorization_details", details.to_string()));
    }
    Ok(())
}

/// How long the client waits before this poll: the interval since the
/// last one (RFC 8628 §3.5), unless the story has it poll early.
pub fn send_after(rp: &RelyingParty, session: &Session, vary: &Variations) -> Duration {
    if vary.has(&Variation::EarlyPoll) {
        return Duration::ZERO;
    }
    session
        .device
        .as_ref()
        .map_or(Duration::ZERO, |f| f.wait(rp.clock.now_millis()))
}

/// RFC 8628 §3.2: the device authorization response.
pub fn verify_authorization(
    rp: &RelyingParty,
    pending: &Pending,
    response: &HttpResponse,
    body: &Value,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    const SECTION: &str = "RFC 8628 §3.2";
    parsed.must(
        CheckId::DeviceStatus,
        "HTTP status is 200",
        response.status == 200,
        response.status.to_string(),
        SECTION,
    );
    let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or("");
    let device_code = text("device_code");
    parsed.must(
        CheckId::DeviceCodeIssued,
        "device_code is issued",
        !device_code.is_empty(),
        if device_code.is_empty() {
            "missing".to_owned()
        } else {
            format!("{} characters", device_code.len())
        },
        SECTION,
    );
    let user_code = text("user_code");
    parsed.must(
        CheckId::DeviceUserCode,
        "user_code is issued",
        !user_code.is_empty(),
        if user_code.is_empty() {
            "missing"
        } else {
            user_code
        },
        SECTION,
    );
    let verification_uri = text("verification_uri");
    let problem = if verification_uri.is_empty() {
        Some("missing".to_owned())
    } else {
        endpoint_url_problem(verification_uri)
    };
    // Where the user authenticates, TLS is a MUST (RFC 6749 §3.1).
    parsed.must(
        CheckId::DeviceVerificationUri,
        "verification_uri is an https URL (http on loopback only)",
        problem.is_none(),
        problem.unwrap_or_else(|| verification_uri.to_owned()),
        "RFC 8628 §3.2, RFC 6749 §3.1",
    );
    let complete = body
        .get("verification_uri_complete")
        .and_then(Value::as_str);
    if let Some(complete) = complete {
        let problem = endpoint_url_problem(complete);
        parsed.must(
            CheckId::DeviceVerificationUriComplete,
            "verification_uri_complete is an https URL (http on loopback only)",
            problem.is_none(),
            problem.unwrap_or_else(|| complete.to_owned()),
            "RFC 8628 §3.3.1, RFC 6749 §3.1",
        );
    }
    let expires_in = body.get("expires_in").and_then(Value::as_u64);
    parsed.must(
        CheckId::DeviceExpiresIn,
        "expires_in is a positive number of seconds",
        expires_in.is_some_and(|e| e > 0),
        body.get("expires_in")
            .map_or("missing".to_owned(), Value::to_string),
        SECTION,
    );
    let interval = match body.get("interval") {
        None => {
            parsed.info(
                CheckId::DeviceInterval,
                "interval between polls",
                format!("not given: {DEFAULT_INTERVAL} s, the default"),
                SECTION,
            );
            DEFAULT_INTERVAL
        }
        Some(v) => {
            let seconds = v.as_u64().filter(|s| *s > 0);
            parsed.must(
                CheckId::DeviceInterval,
                "interval is a positive number of seconds",
                seconds.is_some(),
                v.to_string(),
                SECTION,
            );
            seconds.unwrap_or(DEFAULT_INTERVAL)
        }
    };
    // §3.5: the client waits the interval before each poll, and the device
    // code dies at expires_in: an interval as long leaves no poll at all.
    if let Some(lifetime) = expires_in.filter(|e| *e > 0) {
        parsed.must(
            CheckId::DeviceIntervalWithinLifetime,
            "the interval leaves time to poll before the device code expires",
            interval < lifetime,
            format!("interval {interval} s, expires_in {lifetime} s"),
            "RFC 8628 §3.2, §3.5",
        );
    }
    within_limit(parsed, interval, "");
    parsed.info(
        CheckId::DeviceUserCodeShown,
        "the device shows the user where to go and what to enter",
        format!("visit {verification_uri} and enter {user_code}"),
        "RFC 8628 §3.3",
    );
    for (name, value) in [
        ("device_code", device_code),
        ("user_code", user_code),
        ("verification_uri", verification_uri),
        ("verification_uri_complete", complete.unwrap_or("")),
    ] {
        crate::service::response::within_bound(
            parsed,
            name,
            value.len(),
            crate::service::response::MAX_URL_BYTES,
        );
    }
    staged.device = Some(DeviceFlow {
        device_code: device_code.to_owned(),
        user_code: user_code.to_owned(),
        verification_uri: verification_uri.to_owned(),
        verification_uri_complete: complete.map(str::to_owned),
        interval,
        // An AS may name any number: a lifetime past what a clock can hold
        // is as good as none.
        expires_at: rp.clock.now_millis().saturating_add(
            i64::try_from(expires_in.unwrap_or(0))
                .unwrap_or(i64::MAX)
                .saturating_mul(1000),
        ),
        last_poll: None,
        scope: pending.params.get("scope").map(str::to_owned),
    });
}

/// RFC 8628 §3.3: the verification URI answered the user agent (a page
/// for the person: the device is approved).
pub fn verify_user(response: &HttpResponse, parsed: &mut Parsed) {
    // The orchestrator handed the step to a person's browser (`--browser`):
    // nothing came back to see; the polls tell whether they approved.
    if response.status == 202 && response.headers.contains_key(HANDED_TO_A_PERSON) {
        parsed.info(
            CheckId::DeviceUserApproved,
            "the user's step is a person's, in their own browser",
            response.body.clone(),
            "RFC 8628 §3.3",
        );
        return;
    }
    parsed.must(
        CheckId::DeviceUserApproved,
        "the verification URI accepted the user code",
        response.status == 200,
        response.status.to_string(),
        "RFC 8628 §3.3",
    );
    let content_type = response
        .headers
        .get("content-type")
        .map_or("absent", String::as_str);
    parsed.info(
        CheckId::DeviceUserPage,
        "the user agent is shown a page",
        content_type,
        "RFC 8628 §3.3",
    );
}

/// A poll refused (RFC 8628 §3.5): authorization_pending and slow_down
/// tell the client to poll again, slow_down after an interval 5 s longer.
pub fn verify_poll_error(
    rp: &RelyingParty,
    session: &Session,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    let slow_down = match parsed.error.as_ref().map(|(code, _)| code) {
        Some(ErrorCode::AuthorizationPending) => false,
        Some(ErrorCode::SlowDown) => true,
        _ => return,
    };
    let interval = session
        .device
        .as_ref()
        .map_or(DEFAULT_INTERVAL, |f| f.interval);
    let next = if slow_down { interval + 5 } else { interval };
    if next > MAX_INTERVAL {
        within_limit(parsed, next, " after slow_down");
        return;
    }
    parsed.poll_again = true;
    parsed.info(
        CheckId::DevicePollAgain,
        if slow_down {
            "polling too fast: poll again, the interval 5 s longer"
        } else {
            "the user has not decided yet: poll again"
        },
        format!("next poll in {next} s"),
        "RFC 8628 §3.5",
    );
    staged.device_poll = Some(DevicePolled {
        at: rp.clock.now_millis(),
        slow_down,
        redeemed: false,
    });
}

/// RFC 8628 §3.5, the client's own bound: an interval it waits, else it
/// stops rather than poll sooner than asked. Checked on the interval first
/// named and on one grown by `slow_down` (`when` says which); `false` stops.
fn within_limit(parsed: &mut Parsed, interval: u64, when: &str) -> bool {
    let ok = interval <= MAX_INTERVAL;
    parsed.must(
        CheckId::DeviceIntervalWithinLimit,
        "the interval is one this client waits (at most 60 s)",
        ok,
        if ok {
            format!("{interval} s")
        } else {
            format!(
                "{interval} s asked{when}; this client waits at most {MAX_INTERVAL} s and never polls sooner than asked, so it stops"
            )
        },
        "RFC 8628 §3.5",
    )
}

/// Tokens came for the device code: it is spent.
pub fn redeemed(rp: &RelyingParty, staged: &mut Staged) {
    staged.device_poll = Some(DevicePolled {
        at: rp.clock.now_millis(),
        slow_down: false,
        redeemed: true,
    });
}
