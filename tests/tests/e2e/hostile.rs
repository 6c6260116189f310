//! Limits and abuse: oversized requests are refused with invalid_request
//! (or ResourceExhausted for the gRPC envelope) and the server keeps
//! serving; garbage sent while stories run does not disturb them.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use e2e_tests::{Embedded, Services, as_client, basic, body, start, token_request};
use oidc_story_proto::v1::OAuthRequest;
use tonic::Code;

const CC: &str = "grant_type=client_credentials";

#[tokio::test]
async fn oversized_requests_are_refused_and_the_server_keeps_serving() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client_1", "another password");
    let big_body = format!("{CC}&padding={}", "a".repeat(70 * 1024));
    let many_params: String = (0..150).map(|i| format!("&p{i}=x")).collect();
    let long_header = "x".repeat(20 * 1024);
    let mut many_headers: Vec<(String, String)> = (0..80)
        .map(|i| (format!("x-h{i}"), "v".to_owned()))
        .collect();
    many_headers.push(("Authorization".into(), auth.clone()));
    let cases: Vec<(&str, OAuthRequest)> = vec![
        (
            "body over 64 KiB",
            token_request(&big_body, &[("Authorization", &auth)]),
        ),
        (
            "over 100 parameters",
            token_request(&format!("{CC}{many_params}"), &[("Authorization", &auth)]),
        ),
        (
            "a 20 KiB header",
            token_request(CC, &[("Authorization", &auth), ("X-Long", &long_header)]),
        ),
        ("80 headers", {
            let refs: Vec<(&str, &str)> = many_headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            token_request(CC, &refs)
        }),
        (
            "a 20 KiB JWT",
            token_request(
                &format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&subject_token=eyJ{}.e30.c2ln",
                    "A".repeat(20 * 1024)
                ),
                &[("Authorization", &basic("client", "SUPERhemligtlösenord"))],
            ),
        ),
    ];
    for (case, request) in cases {
        let response = client.token(request).await.unwrap().into_inner();
        assert_eq!(response.status, 400, "{case}: {}", response.body);
        assert_eq!(body(&response)["error"], "invalid_request", "{case}");
    }
    // A registration with too many redirect URIs.
    let uris: Vec<String> = (0..50)
        .map(|i| format!("https://rp.example/cb{i}"))
        .collect();
    let registration = client
        .registration(OAuthRequest {
            method: "POST".into(),
            url: "https://example.com/register".into(),
            headers: [("Content-Type".to_owned(), "application/json".to_owned())].into(),
            body: serde_json::json!({ "redirect_uris": uris }).to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registration.status, 400);
    // An envelope over the gRPC message limit (1 MiB).
    let huge = token_request(&"a".repeat(2 * 1024 * 1024), &[]);
    let status = client.token(huge).await.unwrap_err();
    assert_eq!(
        status.code(),
        Code::ResourceExhausted,
        "{}",
        status.message()
    );
    // Still serving.
    let ok = client
        .token(token_request(CC, &[("Authorization", &auth)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn garbage_sent_during_the_stories_does_not_disturb_them() {
    // The whole catalog three times in a row: the per-caller registration
    // limit is not what this test is about.
    let services = Embedded::start_for_load().await.unwrap();
    let clients = Services::connect(&services.as_addr.to_string(), &services.rp_addr.to_string())
        .await
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut noise = Vec::new();
    for worker in 0..4u8 {
        let mut client = as_client(services.as_addr).await;
        let stop = stop.clone();
        noise.push(tokio::spawn(async move {
            let mut sent = 0u64;
            let mut i = worker as usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let garbage = [
                    "%zz",
                    "grant_type=",
                    "a=1&a=2",
                    "\u{0}\u{1}",
                    "{\"x\":",
                    "code=x&grant_type=authorization_code",
                ][i % 6];
                let _ = client
                    .token(token_request(garbage, &[("Authorization", "Basic !!!")]))
                    .await;
                let _ = client
                    .authorization(OAuthRequest {
                        method: "GET".into(),
                        url: format!("https://example.com/authorization?{garbage}"),
                        ..Default::default()
                    })
                    .await;
                let _ = client
                    .registration(OAuthRequest {
                        method: "POST".into(),
                        url: "https://example.com/register".into(),
                        headers: [("content-type".to_owned(), "application/json".to_owned())]
                            .into(),
                        body: garbage.to_owned(),
                    })
                    .await;
                sent += 3;
            }
            sent
        }));
    }
    for _ in 0..3 {
        for story in orchestrator::catalog::all() {
            let record = orchestrator::runner::run_story(&clients, story).await;
            assert!(
                record.ok,
                "{} failed under noise: {:?}",
                story.name, record.error
            );
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut sent = 0;
    for n in noise {
        sent += n.await.unwrap();
    }
    assert!(sent > 100, "the noise really ran ({sent} requests)");
}
