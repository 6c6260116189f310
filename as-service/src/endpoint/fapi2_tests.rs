//! FAPI 2.0 Security Profile §5.3 for a client under it (`client_fapi` of
//! the built-in configuration): pushed requests only, each naming its
//! redirect URI, private_key_jwt with the issuer as audience, DPoP-bound
//! tokens, codes for 60 s, refresh tokens not rotated.
use oauth_core::client_auth::{JWT_BEARER_ASSERTION, client_assertion};
use oauth_core::http::HttpResponse;
use oauth_core::jose::{JwsAlgorithm, PrivateJwk, SigningKey};

use crate::AuthServer;
use crate::config::Endpoint;
use crate::test_support::*;

const FAPI: &str = "client_fapi";
const REDIRECT: &str = "https://fapi.example.org/cb";

/// The demo key of deploy/rp.toml's fapi2 profile.
fn fapi_key() -> SigningKey {
    let jwk: PrivateJwk = serde_json::from_value(serde_json::json!({
        "kty": "EC", "crv": "P-256", "kid": "demo-fapi", "alg": "ES256",
        "x": "C86_FxqWXMoM_xAnVsT2647P2h-YlUBpmJ13bYiY_jY",
        "y": "gt7HIfF_T4AnuS9ldYKDLntNmAGekW3as3voRTMGrno",
        "d": "IaRJXdgecCcoAnIaavaQkTblFFUR9JRcVDHeFBz2Bcg"
    }))
    .unwrap();
    SigningKey::from_private_jwk(jwk).unwrap()
}

fn assertion(aud: &str, now: i64) -> String {
    client_assertion(&fapi_key(), FAPI, aud, now).unwrap()
}

/// The authorization request parameters `client_fapi` pushes.
fn request_params(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", FAPI.into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "foobar".into()),
        ("state", "s".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// A pushed request of `params` with an assertion for `aud`.
async fn push_params(
    server: &AuthServer,
    aud: &str,
    params: &[(&'static str, String)],
) -> HttpResponse {
    let assertion = assertion(aud, server.clock.now());
    let mut form: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    form.push(("client_assertion_type", JWT_BEARER_ASSERTION));
    form.push(("client_assertion", &assertion));
    let request = post(&url(server, Endpoint::PushedAuthorization), &form);
    super::par::handle(server, &request).await
}

async fn push(server: &AuthServer, aud: &str) -> HttpResponse {
    let challenge = oauth_core::pkce::challenge(&"v".repeat(43), oauth_core::pkce::Method::S256);
    push_params(server, aud, &request_params(&challenge)).await
}

/// A code for `client_fapi`, through PAR.
async fn code(server: &AuthServer) -> String {
    let pushed = push(server, &server.config.issuer).await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let uri = json(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let request = get_query(
        &url(server, Endpoint::Authorization),
        &[("client_id", FAPI), ("request_uri", &uri)],
    );
    let answer = super::authorization::handle(server, &request).await;
    redirect_param(&answer, "code").expect("a code")
}

async fn redeem(server: &AuthServer, code: &str, dpop: bool) -> HttpResponse {
    let token_url = url(server, Endpoint::Token);
    let now = server.clock.now();
    let proof = dpop.then(|| {
        let key = SigningKey::generate(JwsAlgorithm::ES256).unwrap();
        oauth_core::dpop::proof(&key, "POST", &token_url.parse().unwrap(), now, None, None).unwrap()
    });
    let assertion = assertion(&server.config.issuer, now);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &"v".repeat(43)),
        ("client_assertion_type", JWT_BEARER_ASSERTION),
        ("client_assertion", &assertion),
    ];
    let headers: Vec<(&str, &str)> = proof.as_deref().map(|p| ("DPoP", p)).into_iter().collect();
    super::token::handle(server, &post_with(&token_url, &headers, &form)).await
}

/// §5.3.2.1: sender-constrained tokens (RFC 9449 §5.2): no proof, no token;
/// with one, a DPoP-bound token.
#[tokio::test]
async fn a_token_request_without_dpop_is_refused_and_with_it_bound() {
    let server = server();
    let c = code(&server).await;
    let bare = redeem(&server, &c, false).await;
    assert_eq!(bare.status, 400);
    assert_eq!(error(&bare), "invalid_request");
    let c = code(&server).await;
    let bound = redeem(&server, &c, true).await;
    assert_eq!(bound.status, 200, "{}", bound.body);
    assert_eq!(json(&bound)["token_type"], "DPoP");
}

/// §5.3.2.1: codes live 60 s at most, whatever the server's default.
#[tokio::test]
async fn a_code_older_than_60_seconds_is_refused() {
    let (server, clock) = server_with(config());
    assert!(server.config.code_lifetime > 60);
    let c = code(&server).await;
    clock.advance(61);
    let late = redeem(&server, &c, true).await;
    assert_eq!(error(&late), "invalid_grant");
}

/// §5.3.2.1: the issuer, as a string, is the assertion's sole audience; the
/// endpoint's own URL (accepted from other clients) is refused.
#[tokio::test]
async fn an_assertion_for_the_endpoint_url_is_refused() {
    let server = server();
    let pushed = push(&server, &url(&server, Endpoint::PushedAuthorization)).await;
    assert_eq!(pushed.status, 401, "{}", pushed.body);
    assert_eq!(error(&pushed), "invalid_client");
}

/// §5.3.2.2, RFC 9126 §6: the browser's request must have been pushed.
#[tokio::test]
async fn an_unpushed_request_is_refused() {
    let server = server();
    let request = get_query(
        &url(&server, Endpoint::Authorization),
        &[
            ("response_type", "code"),
            ("client_id", FAPI),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
        ],
    );
    // Refused before any redirect: the request was never checked.
    let answer = super::authorization::handle(&server, &request).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(error(&answer), "invalid_request");
}

/// §5.3.2.1: a client under the profile authenticates with private_key_jwt
/// alone and uses the code flow alone.
#[test]
fn a_fapi2_client_with_a_secret_method_or_implicit_is_refused() {
    let mut config = config();
    for body in [
        "client_id = \"f1\"\nclient_secret = \"s\"\ntoken_endpoint_auth_methods = [\"client_secret_basic\"]\ngrant_types = [\"authorization_code\"]\nredirect_uris = [\"https://f.example/cb\"]\nresponse_types = [\"code\"]\nsecurity_profile = \"fapi2\"",
        "client_id = \"f2\"\ntoken_endpoint_auth_methods = [\"private_key_jwt\"]\ngrant_types = [\"authorization_code\", \"implicit\"]\nredirect_uris = [\"https://f.example/cb\"]\nresponse_types = [\"code\", \"id_token\"]\nsecurity_profile = \"fapi2\"\njwks = { keys = [{ kty = \"EC\", crv = \"P-256\", x = \"C86_FxqWXMoM_xAnVsT2647P2h-YlUBpmJ13bYiY_jY\", y = \"gt7HIfF_T4AnuS9ldYKDLntNmAGekW3as3voRTMGrno\" }] }",
    ] {
        let file: crate::config::ClientFileConfig = toml::from_str(body).unwrap();
        let refused =
            crate::config::validate_client(file, &config.audience, config.access_token_lifetime)
                .unwrap_err();
        assert!(refused.to_string().contains("FAPI 2.0"), "{refused}");
    }
    config.clients.clear();
}

/// `client_fapi`'s token request of `form`, with a fresh DPoP proof and an
/// assertion for the issuer.
async fn token_request(server: &AuthServer, form: &[(&str, &str)]) -> HttpResponse {
    let token_url = url(server, Endpoint::Token);
    let now = server.clock.now();
    let key = SigningKey::generate(JwsAlgorithm::ES256).unwrap();
    let proof = oauth_core::dpop::proof(&key, "POST", &token_url.parse().unwrap(), now, None, None)
        .unwrap();
    let assertion = assertion(&server.config.issuer, now);
    let mut form = form.to_vec();
    form.push(("client_assertion_type", JWT_BEARER_ASSERTION));
    form.push(("client_assertion", &assertion));
    super::token::handle(server, &post_with(&token_url, &[("DPoP", &proof)], &form)).await
}

/// §5.3.2.2 item 6: a pushed request must name its redirect URI, even
/// where the client's one registered URI could stand in (RFC 6749
/// §3.1.2.3); without it, invalid_request and no request_uri.
#[tokio::test]
async fn a_pushed_request_without_redirect_uri_is_refused() {
    let server = server();
    let challenge = oauth_core::pkce::challenge(&"v".repeat(43), oauth_core::pkce::Method::S256);
    let mut params = request_params(&challenge);
    params.retain(|(k, _)| *k != "redirect_uri");
    let pushed = push_params(&server, &server.config.issuer, &params).await;
    assert_eq!(pushed.status, 400, "{}", pushed.body);
    assert_eq!(error(&pushed), "invalid_request");
    assert!(json(&pushed)["request_uri"].is_null());
}

/// §5.3.2.2 items 3, 6: a stored pushed request without a redirect URI
/// (pushed before the client came under the profile) is no way around it:
/// refused at the authorization endpoint, not redirected, no code.
#[tokio::test]
async fn a_stored_request_without_redirect_uri_is_refused_at_the_authorization_endpoint() {
    let server = server();
    let challenge = oauth_core::pkce::challenge(&"v".repeat(43), oauth_core::pkce::Method::S256);
    let params: Vec<(String, String)> = request_params(&challenge)
        .into_iter()
        .filter(|(k, _)| *k != "redirect_uri")
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let uri = format!(
        "{}{}",
        super::par::REQUEST_URI_PREFIX,
        oauth_core::random::token(32)
    );
    server
        .store
        .put_pushed(
            uri.clone(),
            crate::store::PushedRequest {
                client_id: FAPI.into(),
                params,
                expires_at: server.clock.now() + 60,
            },
        )
        .await
        .unwrap();
    let request = get_query(
        &url(&server, Endpoint::Authorization),
        &[("client_id", FAPI), ("request_uri", &uri)],
    );
    let answer = super::authorization::handle(&server, &request).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.location.is_none());
    assert_eq!(error(&answer), "invalid_request");
}

/// §5.3.2.1 item 10, Note 2: no refresh token rotation for the profile's
/// clients, though the server rotates others': the answer carries no new
/// refresh token and the same one serves again.
#[tokio::test]
async fn a_fapi2_clients_refresh_token_is_not_rotated() {
    let server = server();
    assert!(server.config.refresh_token_rotation);
    let c = code(&server).await;
    let tokens = json(&redeem(&server, &c, true).await);
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    for _ in 0..2 {
        let answer = token_request(
            &server,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(json(&answer)["refresh_token"].is_null(), "{}", answer.body);
        assert_eq!(json(&answer)["token_type"], "DPoP");
    }
}

/// §5.3.2.1 item 2: the password grant is refused to the profile's clients.
#[tokio::test]
async fn a_fapi2_clients_password_request_is_refused() {
    let server = server();
    let answer = token_request(
        &server,
        &[
            ("grant_type", "password"),
            ("username", "diana"),
            ("password", "krall"),
        ],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(error(&answer), "unauthorized_client");
}

/// §5.3.2.1 item 8 (Final): only the issuer, as a string; the issuer inside
/// an array is refused too.
#[tokio::test]
async fn an_assertion_naming_the_issuer_in_an_array_is_refused() {
    let server = server();
    let now = server.clock.now();
    let claims = serde_json::json!({
        "iss": FAPI, "sub": FAPI, "aud": [server.config.issuer],
        "jti": oauth_core::random::token(16), "iat": now, "exp": now + 60,
    });
    let assertion = fapi_key().sign("JWT", &claims).unwrap();
    let challenge = oauth_core::pkce::challenge(&"v".repeat(43), oauth_core::pkce::Method::S256);
    let mut form: Vec<(&str, String)> = request_params(&challenge);
    form.push(("client_assertion_type", JWT_BEARER_ASSERTION.into()));
    form.push(("client_assertion", assertion));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let request = post(&url(&server, Endpoint::PushedAuthorization), &form);
    let pushed = super::par::handle(&server, &request).await;
    assert_eq!(pushed.status, 401, "{}", pushed.body);
    assert_eq!(error(&pushed), "invalid_client");
}

/// §5.3.2.2 item 12: a request_uri lives less than 600 s for the profile's
/// clients, even on a server whose pushed requests last an hour (lenient).
#[tokio::test]
async fn a_fapi2_request_uri_expires_in_less_than_600_seconds() {
    let config = crate::config::Config::lenient_config().unwrap();
    assert!(config.par.lifetime >= 600);
    let (server, clock) = server_with(config);
    let pushed = push(&server, &server.config.issuer).await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let body = json(&pushed);
    let expires_in = body["expires_in"].as_i64().unwrap();
    assert!(expires_in < 600, "{expires_in}");
    clock.advance(expires_in);
    let request = get_query(
        &url(&server, Endpoint::Authorization),
        &[
            ("client_id", FAPI),
            ("request_uri", body["request_uri"].as_str().unwrap()),
        ],
    );
    let late = super::authorization::handle(&server, &request).await;
    assert_eq!(late.status, 400, "{}", late.body);
    assert_eq!(error(&late), "invalid_request_uri");
}

/// §5.3.2.2 item 5: PKCE with S256 is required: a pushed request without
/// a challenge, or with `plain` where the server allows it to others, is
/// refused.
#[tokio::test]
async fn a_pushed_request_without_pkce_or_with_plain_is_refused() {
    let mut config = config();
    config.pkce_plain_allowed = true;
    let (server, _clock) = server_with(config);
    let mut bare = request_params("");
    bare.retain(|(k, _)| !k.starts_with("code_challenge"));
    let mut plain = request_params(&"p".repeat(43));
    for (k, v) in &mut plain {
        if *k == "code_challenge_method" {
            *v = "plain".into();
        }
    }
    for params in [bare, plain] {
        let pushed = push_params(&server, &server.config.issuer, &params).await;
        assert_eq!(pushed.status, 400, "{}", pushed.body);
        assert_eq!(error(&pushed), "invalid_request");
    }
}

/// §5.3.2.1 item 13 (RFC 9449 §10.1): a code bound to a DPoP key with
/// `dpop_jkt` in the pushed request is redeemed with a proof by that key
/// only.
#[tokio::test]
async fn a_code_bound_with_dpop_jkt_needs_a_proof_by_that_key() {
    let server = server();
    let key = SigningKey::generate(JwsAlgorithm::ES256).unwrap();
    let jkt = oauth_core::jose::thumbprint(key.public_jwk()).unwrap();
    let challenge = oauth_core::pkce::challenge(&"v".repeat(43), oauth_core::pkce::Method::S256);
    let mut params = request_params(&challenge);
    params.push(("dpop_jkt", jkt));
    let pushed = push_params(&server, &server.config.issuer, &params).await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let request = get_query(
        &url(&server, Endpoint::Authorization),
        &[
            ("client_id", FAPI),
            (
                "request_uri",
                json(&pushed)["request_uri"].as_str().unwrap(),
            ),
        ],
    );
    let answer = super::authorization::handle(&server, &request).await;
    let code = redirect_param(&answer, "code").expect("a code");
    // Another key (redeem draws a fresh one): refused, and the code is spent.
    let other = redeem(&server, &code, true).await;
    assert_eq!(error(&other), "invalid_grant");
    assert!(other.body.contains("dpop_jkt"), "{}", other.body);
}
