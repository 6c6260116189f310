//! Hostile input for every parser that takes bytes from outside: random
//! and mutated forms, queries, envelopes, headers, JWS/JWTs (request
//! objects, DPoP proofs, client assertions, ID tokens at the RP), JWK sets
//! and registration JSON. The property is the same everywhere: no panic,
//! and an answer the protocol allows.
//!
//! Each target runs for `FUZZ_SECONDS` (default 1) — `fuzz/run.sh` runs
//! them for longer and reports executions per target.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use as_service::AuthServer;
use as_service::config::Config;
use oauth_core::http::HttpRequest;
use oauth_core::jose::{self, KeySet, SigningKey};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn budget() -> Duration {
    let secs = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    Duration::from_secs_f64(secs)
}

/// Feeds values from `strategy` to `target` until the budget is spent;
/// reports the executions. A panic fails the test with its input.
fn fuzz<S: Strategy>(name: &str, strategy: S, mut target: impl FnMut(S::Value))
where
    S::Value: std::fmt::Debug + Clone,
{
    let mut runner = TestRunner::default();
    let deadline = Instant::now() + budget();
    let mut executions = 0u64;
    while Instant::now() < deadline {
        let value = strategy.new_tree(&mut runner).expect("a value").current();
        let kept = value.clone();
        if std::panic::catch_unwind(AssertUnwindSafe(|| target(value))).is_err() {
            panic!("{name}: panicked on {kept:?}");
        }
        executions += 1;
    }
    println!("fuzz {name}: {executions} executions, 0 crashes");
}

/// A valid example with random bytes overwritten, inserted or removed.
fn mutated(seed: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 0..8).prop_map(move |edits| {
        let mut bytes = seed.as_bytes().to_vec();
        for (at, byte, op) in edits {
            let i = if bytes.is_empty() {
                0
            } else {
                at % bytes.len()
            };
            match op {
                0 if !bytes.is_empty() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if !bytes.is_empty() => {
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Text that looks like what the parsers expect, and text that does not.
fn formish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}=[A-Za-z0-9%+._~:/-]{0,40}(&[a-z_]{1,12}=[A-Za-z0-9%+._~:/-]{0,40}){0,8}",
        mutated(
            "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&code_verifier=x"
        ),
        mutated(
            "response_type=code&client_id=client&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&scope=openid&state=s&nonce=n"
        ),
        ".{0,300}",
    ]
}

fn server() -> Arc<AuthServer> {
    AuthServer::new(
        Config::default_config().unwrap(),
        KeySet::generate().unwrap(),
    )
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn fuzz_form_and_query_parsing() {
    fuzz("form", formish(), |body| {
        if let Ok(params) = oauth_core::form::parse(&body) {
            let _ = params.to_json();
        }
    });
}

#[test]
fn fuzz_the_envelope() {
    let strategy = (
        "[A-Z]{0,8}|.{0,10}",
        "https://example.com/[a-z]{0,10}(\\?.{0,40})?|.{0,40}",
        prop::collection::vec((".{0,12}", ".{0,40}"), 0..6),
        ".{0,100}",
    );
    fuzz("envelope", strategy, |(method, url, headers, body)| {
        if let Ok(request) = HttpRequest::new(
            &method,
            &url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            body,
        ) {
            let _ = request.check_limits();
            let _ = request.media_type();
        }
    });
}

/// Every endpoint of the AS, fed random requests: each answers with a
/// status the protocol allows, never a panic.
#[test]
fn fuzz_every_as_endpoint() {
    let server = server();
    let rt = runtime();
    let basic = oauth_core::client_auth::basic_header(
        "client",
        &oauth_core::secret::Secret::new("SUPERhemligtlösenord"),
    );
    let strategy = (
        0usize..9,
        formish(),
        prop_oneof![
            Just(String::new()),
            Just(basic),
            ".{0,60}",
            mutated("Basic Y2xpZW50OnNlY3JldA==")
        ],
        prop_oneof![
            Just(String::new()),
            ".{0,80}",
            mutated("eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJqdGkiOiJ4In0.c2ln")
        ],
    );
    fuzz(
        "as endpoints",
        strategy,
        |(which, body, authorization, dpop)| {
            let post = |path: &str, content_type: &str| {
                let mut headers = vec![("Content-Type", content_type)];
                if !authorization.is_empty() {
                    headers.push(("Authorization", authorization.as_str()));
                }
                if !dpop.is_empty() {
                    headers.push(("DPoP", dpop.as_str()));
                }
                HttpRequest::new(
                    "POST",
                    &format!("https://example.com/{path}"),
                    headers,
                    body.clone(),
                )
            };
            let form = "application/x-www-form-urlencoded";
            let request = match which {
                0 => post("token", form),
                1 => post("introspection", form),
                2 => post("revocation", form),
                3 => post("par", form),
                4 => post("register", "application/json"),
                5 => post("userinfo", form),
                _ => HttpRequest::new(
                    "GET",
                    &format!(
                        "https://example.com/authorization?{}",
                        body.replace('#', "%23")
                    ),
                    [],
                    "",
                ),
            };
            let Ok(request) = request else { return };
            let response = rt.block_on(async {
                match which {
                    0 => as_service::endpoint::token::handle(&server, &request).await,
                    1 => as_service::endpoint::introspection::handle(&server, &request).await,
                    2 => as_service::endpoint::revocation::handle(&server, &request).await,
                    3 => as_service::endpoint::par::handle(&server, &request).await,
                    4 => as_service::endpoint::registration::handle(&server, &request).await,
                    5 => as_service::endpoint::userinfo::handle(&server, &request).await,
                    _ => as_service::endpoint::authorization::handle(&server, &request).await,
                }
            });
            assert!(
                matches!(
                    response.status,
                    200 | 201 | 302 | 400 | 401 | 403 | 405 | 429
                ),
                "endpoint {which} answered {}",
                response.status
            );
            if !response.body.is_empty() {
                assert!(
                    serde_json::from_str::<serde_json::Value>(&response.body).is_ok(),
                    "a JSON body"
                );
            }
        },
    );
}

#[test]
fn fuzz_jws_parsing_and_verification() {
    let key = SigningKey::generate(jsonwebtoken::Algorithm::ES256).unwrap();
    let jwks =
        jose::parse_jwks(&serde_json::json!({"keys": [key.public_jwk()]}).to_string()).unwrap();
    let valid: &'static str = Box::leak(
        key.sign("JWT", &serde_json::json!({"sub": "x", "exp": 1}))
            .unwrap()
            .into_boxed_str(),
    );
    let url = url::Url::parse("https://example.com/token").unwrap();
    let strategy = prop_oneof![
        mutated(valid),
        "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,40}",
        ".{0,200}"
    ];
    fuzz("jws", strategy, |compact| {
        let _ = jose::decode_unverified(&compact);
        let _ = jose::verify(
            &compact,
            &jwks,
            &[
                jsonwebtoken::Algorithm::ES256,
                jsonwebtoken::Algorithm::RS256,
            ],
        );
        let _ = oauth_core::dpop::check(
            &compact,
            &oauth_core::dpop::Expected {
                method: "POST",
                url: &url,
                now: 1,
                max_age: 300,
                leeway: 60,
                access_token: Some("t"),
            },
        );
    });
}

#[test]
fn fuzz_jwk_sets_and_registration_metadata() {
    let strategy = prop_oneof![
        mutated(
            r#"{"keys":[{"kty":"EC","crv":"P-256","x":"WbbZ-UP9hmiZ0Vc9CGdcKQlPVf2n4UBRpBJLm8I-dsI","y":"lmcOR8bXAxdRrDCcZl2uZ5ZV9sJ4T5NUxKXC9vTpCr8","kid":"k"}]}"#
        ),
        mutated(r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQ"}]}"#),
        mutated(
            r#"{"redirect_uris":["https://rp.example/cb"],"jwks":{"keys":[{"kty":"oct","k":"AA"}]},"scope":"openid"}"#
        ),
        ".{0,200}",
    ];
    fuzz("jwks", strategy, |text| {
        let _ = jose::parse_jwks(&text);
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            let _ = as_service::config::public_jwks(&value);
        }
        let _ = oauth_core::oidc::ClaimsRequest::parse(&text);
    });
}

#[test]
fn fuzz_client_authentication_headers() {
    let strategy = (
        prop_oneof![
            mutated("Basic Y2xpZW50OlNVUEVSaGVtbGlndGwlQzMlQjZzZW5vcmQ="),
            ".{0,80}"
        ],
        formish(),
    );
    fuzz("client auth", strategy, |(header, body)| {
        let _ = oauth_core::client_auth::parse_basic(&header, "realm");
        if let Ok(params) = oauth_core::form::parse(&body) {
            let _ = oauth_core::client_auth::presented(Some(&header), &params, "realm");
            let _ = oauth_core::client_auth::presented(None, &params, "realm");
        }
    });
}

/// The RP reading hostile token responses and redirects: ID tokens and
/// access tokens of any shape.
#[test]
fn fuzz_the_rp_reading_answers() {
    use oauth_core::http::HttpResponse;
    use rp_service::service::{self, ClientService};
    let rp = rp_service::RelyingParty::new(rp_service::config::Config::default_config().unwrap());
    let key = SigningKey::generate(jsonwebtoken::Algorithm::RS256).unwrap();
    let valid: &'static str = Box::leak(
        key.sign("JWT", &serde_json::json!({"sub": "diana", "nonce": "n"}))
            .unwrap()
            .into_boxed_str(),
    );
    let strategy = (
        prop_oneof![mutated(valid), ".{0,120}"],
        prop_oneof![
            mutated("https://example.com/cb#id_token=x&state=s&iss=https%3A%2F%2Fexample.com%2F"),
            ".{0,80}"
        ],
        0u16..600,
    );
    fuzz("rp", strategy, |(token, location, status)| {
        let profile = rp.config.profiles["client"].clone();
        let id = rp.sessions.start(profile).unwrap();
        rp.sessions
            .with(&id, |session| {
                let args = [("scope".to_owned(), "openid".to_owned()), ("response_type".to_owned(), "code id_token".to_owned())].into();
                let _ = service::prepare(&rp, session, ClientService::Authorization, &args);
                let redirect = HttpResponse { status: 302, headers: Default::default(), body: String::new(), location: Some(location.clone()) };
                let _ = service::parse(&rp, session, ClientService::Authorization, &redirect);
                session.code = Some("c".into());
                let _ = service::prepare(&rp, session, ClientService::AccessToken, &Default::default());
                let body = serde_json::json!({"access_token": token, "token_type": "Bearer", "id_token": token}).to_string();
                let answer = HttpResponse { status, headers: Default::default(), body, location: None };
                let _ = service::parse(&rp, session, ClientService::AccessToken, &answer);
            })
            .unwrap();
        rp.sessions.end(&id).unwrap();
    });
}

/// The RP reading hostile form post pages (OAuth 2.0 Form Post Response
/// Mode) and response JWTs (JARM): markup and tokens of any shape.
#[test]
fn fuzz_the_rp_reading_form_posts_and_response_jwts() {
    use oauth_core::http::HttpResponse;
    use rp_service::service::{self, ClientService};
    let rp = rp_service::RelyingParty::new(rp_service::config::Config::default_config().unwrap());
    const PAGE: &str = "<!DOCTYPE html><html><body><!-- c --><form method=\"post\" action=\"https://example.com/cb\">\n<input type=\"hidden\" name=\"code\" value=\"a&amp;b&#x3c;\">\n<input type=hidden name='response' value='eyJhbGciOiJSUzI1NiJ9.eyJ9.c'>\n<button type=\"submit\">Go</button></form><script>document.forms[0].submit();</script></body></html>";
    let strategy = (
        prop_oneof![
            mutated(PAGE),
            "(<[a-z/!]{0,8}[^>]{0,20}>?[^<]{0,10}){0,20}",
            ".{0,200}"
        ],
        prop_oneof![Just("form_post"), Just("form_post.jwt"), Just("jwt")],
    );
    fuzz("rp_form_post", strategy, |(page, mode)| {
        let profile = rp.config.profiles["client"].clone();
        let id = rp.sessions.start(profile).unwrap();
        rp.sessions
            .with(&id, |session| {
                let args = [("response_mode".to_owned(), mode.to_owned())].into();
                let _ = service::prepare(&rp, session, ClientService::Authorization, &args);
                let answer = HttpResponse {
                    status: 200,
                    headers: [("content-type".to_owned(), "text/html".to_owned())].into(),
                    body: page.clone(),
                    location: None,
                };
                let _ = service::parse(&rp, session, ClientService::Authorization, &answer);
                // No page carries the session's random state: nothing is kept.
                assert!(session.code.is_none());
                let _ = service::prepare(&rp, session, ClientService::Authorization, &args);
                let redirect = HttpResponse {
                    status: 302,
                    headers: Default::default(),
                    body: String::new(),
                    location: Some(format!("https://example.com/cb?response={page}")),
                };
                let _ = service::parse(&rp, session, ClientService::Authorization, &redirect);
                assert!(session.code.is_none());
            })
            .unwrap();
        rp.sessions.end(&id).unwrap();
    });
}
