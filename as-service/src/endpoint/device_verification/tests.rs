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
