use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

fn user_code(body: &serde_json::Value) -> String {
    body["user_code"].as_str().unwrap().to_owned()
}

/// RFC 8628 §3.3.1: `verification_uri_complete` carries the code; the
/// configured user is logged in and approves, as at the authorization
/// endpoint without interaction.
#[tokio::test]
async fn the_complete_verification_uri_approves_the_device() {
    let server = server();
    let body = device_authorize(&server, "foobar").await;
    let complete = body["verification_uri_complete"].as_str().unwrap();
    let response = handle(&server, &get(complete)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(response.body.contains("Device approved"));
    let poll = poll_device(&server, body["device_code"].as_str().unwrap()).await;
    assert_eq!(poll.status, 200, "{}", poll.body);
}

/// RFC 8628 §6.1: the code as typed: lower case, without the dash, in a form.
#[tokio::test]
async fn a_code_typed_in_lower_case_without_the_dash_is_accepted() {
    let server = server();
    let body = device_authorize(&server, "foobar").await;
    let typed = user_code(&body).replace('-', "").to_lowercase();
    let request = post(
        &url(&server, Endpoint::DeviceVerification),
        &[("user_code", &typed)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
}

/// RFC 8628 §3.3: without a code, a page asks for one.
#[tokio::test]
async fn without_a_code_a_form_asks_for_one() {
    let server = server();
    let response = handle(&server, &get(&url(&server, Endpoint::DeviceVerification))).await;
    assert_eq!(response.status, 200);
    assert!(response.body.contains("name=\"user_code\""));
}

/// RFC 8628 §5.1: a user code is used once: entering it again is refused.
#[tokio::test]
async fn a_user_code_approves_once() {
    let server = server();
    let code = user_code(&device_authorize(&server, "foobar").await);
    assert_eq!(enter_user_code(&server, &code).await.status, 200);
    let again = enter_user_code(&server, &code).await;
    assert_eq!(again.status, 400);
    assert_eq!(error(&again), "invalid_request");
}

/// RFC 8628 §5.1: wrong codes are refused, and past the limit every code
/// from that caller is refused until the window ends, the right one too.
#[tokio::test]
async fn guessing_user_codes_is_throttled_per_caller() {
    let (server, clock) = server_with(config());
    let code = user_code(&device_authorize(&server, "foobar").await);
    let peer: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    let guess = |c: &str| {
        get_query(
            &url(&server, Endpoint::DeviceVerification),
            &[("user_code", c)],
        )
        .with_peer(Some(peer))
    };
    for _ in 0..server.config.device.max_user_code_failures {
        let response = handle(&server, &guess("BBBB-BBBB")).await;
        assert_eq!(error(&response), "invalid_request");
    }
    let throttled = handle(&server, &guess(&code)).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(error(&throttled), "invalid_request");
    assert!(header(&throttled, "retry-after").is_some());
    // Another caller is not held back.
    assert_eq!(enter_user_code(&server, &code).await.status, 200);
    // And the window ends.
    clock.advance(server.config.device.failure_window);
    let later = handle(&server, &guess("BBBB-BBBB")).await;
    assert_eq!(error(&later), "invalid_request");
}

/// RFC 8628 §5.1: guesses sent all at once get no more tries than guesses
/// sent one by one (each counts before it is judged); a right code entered
/// before them takes none of the caller's tries.
#[tokio::test]
async fn a_burst_of_guesses_gets_no_more_tries_and_a_right_code_costs_none() {
    let server = server();
    let code = user_code(&device_authorize(&server, "foobar").await);
    let peer: std::net::IpAddr = "192.0.2.9".parse().unwrap();
    let entry = |c: &str| {
        get_query(
            &url(&server, Endpoint::DeviceVerification),
            &[("user_code", c)],
        )
        .with_peer(Some(peer))
    };
    assert_eq!(handle(&server, &entry(&code)).await.status, 200);
    let burst: Vec<_> = (0..20)
        .map(|_| {
            let server = server.clone();
            let request = entry("BBBB-BBBB");
            tokio::spawn(async move { handle(&server, &request).await.status })
        })
        .collect();
    let mut judged = 0;
    for task in burst {
        if task.await.unwrap() == 400 {
            judged += 1;
        }
    }
    assert_eq!(judged, server.config.device.max_user_code_failures);
}

/// Interactive (`[authorization] interactive = true`): the approval page
/// of the authorization endpoint, posting back here; approve or deny.
#[tokio::test]
async fn interactive_the_person_approves_or_denies_on_the_approval_page() {
    let mut config = config();
    config.interactive = true;
    let (server, _clock) = server_with(config);
    for (decision, outcome) in [("approve", None), ("deny", Some("access_denied"))] {
        let body = device_authorize(&server, "foobar").await;
        let page = enter_user_code(&server, &user_code(&body)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("csrf_token"), "{}", page.body);
        assert!(page.body.contains(&format!(
            "action=\"{}\"",
            url(&server, Endpoint::DeviceVerification)
        )));
        let token = page
            .body
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let form = post(
            &url(&server, Endpoint::DeviceVerification),
            &[
                ("user_code", &user_code(&body)),
                ("scope", "foobar"),
                ("csrf_token", &token),
                ("user", "babs"),
                ("decision", decision),
            ],
        );
        let answer = handle(&server, &form).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let poll = poll_device(&server, body["device_code"].as_str().unwrap()).await;
        match outcome {
            None => {
                assert_eq!(poll.status, 200, "{}", poll.body);
                let token = json(&poll)["access_token"].as_str().unwrap().to_owned();
                let claims = crate::tokens::validate_access_token(&server, &token)
                    .await
                    .unwrap();
                assert_eq!(claims.sub, "babs");
            }
            Some(code) => assert_eq!(error(&poll), code),
        }
    }
}

/// An entry of `code` at the verification URI from `peer`.
fn entry_from(server: &crate::AuthServer, code: &str, peer: &str) -> oauth_core::http::HttpRequest {
    get_query(
        &url(server, Endpoint::DeviceVerification),
        &[("user_code", code)],
    )
    .with_peer(Some(peer.parse().unwrap()))
}

/// RFC 8628 §5.1: guesses spread over many addresses, each under its own
/// limit, still meet the limit of all callers together; past it every
/// entry is refused with 429 and Retry-After until its window ends, a
/// right code from a fresh address too.
#[tokio::test]
async fn guesses_from_many_addresses_meet_the_global_limit() {
    let (server, clock) = server_with(config());
    let settings = server.config.device.clone();
    assert!(settings.max_global_user_code_failures > settings.max_user_code_failures);
    let code = user_code(&device_authorize(&server, "foobar").await);
    let per_peer = settings.max_user_code_failures;
    let mut judged = 0;
    let mut peer = 0;
    while judged < settings.max_global_user_code_failures {
        peer += 1;
        for _ in 0..per_peer.min(settings.max_global_user_code_failures - judged) {
            let ip = format!("198.51.100.{peer}");
            let response = handle(&server, &entry_from(&server, "BBBB-BBBB", &ip)).await;
            assert_eq!(response.status, 400, "{ip}: {}", response.body);
            judged += 1;
        }
    }
    let guess = handle(&server, &entry_from(&server, "BBBB-BBBB", "203.0.113.1")).await;
    assert_eq!(guess.status, 429, "{}", guess.body);
    assert_eq!(error(&guess), "invalid_request");
    let wait: i64 = header(&guess, "retry-after").unwrap().parse().unwrap();
    assert_eq!(wait, settings.global_failure_window);
    let right = handle(&server, &entry_from(&server, &code, "203.0.113.2")).await;
    assert_eq!(right.status, 429, "{}", right.body);
    clock.advance(settings.global_failure_window);
    // The window outlasts the code (both 5 minutes): a new one.
    let code = user_code(&device_authorize(&server, "foobar").await);
    let later = handle(&server, &entry_from(&server, &code, "203.0.113.3")).await;
    assert_eq!(later.status, 200, "{}", later.body);
}

/// RFC 8628 §5.1: the addresses of one IPv6 /64 are one caller (a
/// subscriber's prefix, RFC 6177), and an IPv4-mapped address is its IPv4
/// address; another /64 has a count of its own.
#[tokio::test]
async fn addresses_in_one_ipv6_64_share_a_counter() {
    let server = server();
    let limit = server.config.device.max_user_code_failures;
    for i in 0..limit {
        let ip = format!("2001:db8:1:2::{:x}", i + 1);
        let response = handle(&server, &entry_from(&server, "BBBB-BBBB", &ip)).await;
        assert_eq!(response.status, 400, "{ip}");
    }
    let same = handle(
        &server,
        &entry_from(&server, "BBBB-BBBB", "2001:db8:1:2:ffff:1:2:3"),
    )
    .await;
    assert_eq!(same.status, 429, "{}", same.body);
    let other = handle(
        &server,
        &entry_from(&server, "BBBB-BBBB", "2001:db8:1:3::1"),
    )
    .await;
    assert_eq!(other.status, 400, "{}", other.body);
    for _ in 0..limit {
        let response = handle(&server, &entry_from(&server, "BBBB-BBBB", "192.0.2.44")).await;
        assert_eq!(response.status, 400);
    }
    let mapped = handle(
        &server,
        &entry_from(&server, "BBBB-BBBB", "::ffff:192.0.2.44"),
    )
    .await;
    assert_eq!(mapped.status, 429, "{}", mapped.body);
}

/// A caller throttled for its own wrong codes holds no one else back: a
/// right code from another address, below the limit of all callers, is
/// accepted.
#[tokio::test]
async fn a_right_code_from_another_address_works_after_one_is_throttled() {
    let server = server();
    let code = user_code(&device_authorize(&server, "foobar").await);
    for _ in 0..server.config.device.max_user_code_failures {
        let response = handle(&server, &entry_from(&server, "BBBB-BBBB", "192.0.2.50")).await;
        assert_eq!(response.status, 400);
    }
    let throttled = handle(&server, &entry_from(&server, &code, "192.0.2.50")).await;
    assert_eq!(throttled.status, 429);
    let other = handle(&server, &entry_from(&server, &code, "192.0.2.51")).await;
    assert_eq!(other.status, 200, "{}", other.body);
}

/// Right codes give their entries back to the count of all callers too:
/// only wrong ones use up its limit.
#[tokio::test]
async fn right_codes_do_not_use_up_the_global_limit() {
    let mut config = config();
    config.device.max_global_user_code_failures = 3;
    let (server, _) = server_with(config);
    for peer in ["192.0.2.60", "192.0.2.61"] {
        let wrong = handle(&server, &entry_from(&server, "BBBB-BBBB", peer)).await;
        assert_eq!(wrong.status, 400);
    }
    for i in 0..5 {
        let code = user_code(&device_authorize(&server, "foobar").await);
        let ip = format!("192.0.2.{}", 70 + i);
        let right = handle(&server, &entry_from(&server, &code, &ip)).await;
        assert_eq!(right.status, 200, "{ip}: {}", right.body);
    }
    let third = handle(&server, &entry_from(&server, "BBBB-BBBB", "192.0.2.62")).await;
    assert_eq!(third.status, 400, "{}", third.body);
    let code = user_code(&device_authorize(&server, "foobar").await);
    let past = handle(&server, &entry_from(&server, &code, "192.0.2.63")).await;
    assert_eq!(past.status, 429, "{}", past.body);
}

/// RFC 8707, RFC 9396: the approval page shows the person the resources the
/// device asked for, as the authorization endpoint's page does.
#[tokio::test]
async fn the_device_approval_page_shows_the_resources_asked_for() {
    let mut config = config();
    config.interactive = true;
    let (server, _clock) = server_with(config);
    let request = post_as(
        &url(&server, Endpoint::DeviceAuthorization),
        CODE_CLIENT,
        &[
            ("scope", "foobar"),
            ("resource", "https://backend.example.org/"),
        ],
    );
    let answer = crate::endpoint::device_authorization::handle(&server, &request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let page = enter_user_code(&server, &user_code(&json(&answer))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("https://backend.example.org/"),
        "{}",
        page.body
    );
}
