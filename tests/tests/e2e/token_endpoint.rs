//! The token endpoint over gRPC: the two grants, client authentication, and
//! every RFC 6749 §5.2 error the foundation promises — each answered inside
//! an OAuthResponse with its HTTP status, none of them hurting the server.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use e2e_tests::{as_client, basic, body, start, start_with_as_config, token_request};
use oidc_story_proto::v1::OAuthRequest;
use tonic::Code;

const CC: &str = "grant_type=client_credentials";

async fn assert_still_serving(
    client: &mut oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient<
        tonic::transport::Channel,
    >,
) {
    let auth = basic("client_1", "another password");
    let ok = client
        .token(token_request(CC, &[("Authorization", &auth)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 200, "the server stopped answering: {}", ok.body);
}

/// Sends a token request and returns (status, error code, response).
async fn refused(
    client: &mut oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient<
        tonic::transport::Channel,
    >,
    request: OAuthRequest,
) -> (u32, String, oidc_story_proto::v1::OAuthResponse) {
    let response = client.token(request).await.unwrap().into_inner();
    let code = body(&response)["error"].as_str().unwrap_or("").to_owned();
    (response.status, code, response)
}

#[tokio::test]
async fn client_credentials_with_basic_issues_a_bearer_jwt() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client_1", "another password");
    let response = client
        .token(token_request(CC, &[("Authorization", &auth)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.status, 200);
    assert_eq!(response.headers["cache-control"], "no-store");
    let b = body(&response);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3600);
    assert_eq!(b["scope"], "resourceA");
    assert_eq!(b["access_token"].as_str().unwrap().split('.').count(), 3);
    assert!(
        b.get("refresh_token").is_none(),
        "RFC 6749 §4.4.3: no refresh token for CC"
    );
}

#[tokio::test]
async fn client_secret_post_and_password_grant_work() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let response = client
        .token(token_request(
            "grant_type=password&username=diana&password=krall&client_id=client_1&client_secret=another+password&scope=resourceA",
            &[],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.status, 200, "{}", response.body);
    let token = body(&response)["access_token"].as_str().unwrap().to_owned();
    let claims = oauth_core::jose::decode_unverified(&token).unwrap().claims;
    assert_eq!(claims["sub"], "diana");
    assert_eq!(claims["client_id"], "client_1");
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_401_with_a_challenge() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client_1", "wrong");
    let (status, code, response) =
        refused(&mut client, token_request(CC, &[("Authorization", &auth)])).await;
    assert_eq!((status, code.as_str()), (401, "invalid_client"));
    assert!(response.headers["www-authenticate"].starts_with("Basic realm="));
    // client_secret_post with a wrong secret: the same answer.
    let (status, code, _) = refused(
        &mut client,
        token_request(&format!("{CC}&client_id=client_1&client_secret=nope"), &[]),
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "invalid_client"));
    assert_still_serving(&mut client).await;
}

#[tokio::test]
async fn unknown_client_is_invalid_client() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("nobody", "another password");
    let (status, code, _) =
        refused(&mut client, token_request(CC, &[("Authorization", &auth)])).await;
    assert_eq!((status, code.as_str()), (401, "invalid_client"));
    let (status, code, _) = refused(&mut client, token_request(CC, &[])).await;
    assert_eq!(
        (status, code.as_str()),
        (401, "invalid_client"),
        "no credentials at all"
    );
    assert_still_serving(&mut client).await;
}

#[tokio::test]
async fn unsupported_grant_type_is_refused() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client_1", "another password");
    let (status, code, _) = refused(
        &mut client,
        token_request("grant_type=urn:example:magic", &[("Authorization", &auth)]),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "unsupported_grant_type"));
    assert_still_serving(&mut client).await;
}

#[tokio::test]
async fn a_grant_the_client_may_not_use_is_unauthorized_client() {
    let config = as_service::config::DEFAULT_CONFIG.replace(
        "grant_types = [\"client_credentials\", \"password\", \"urn:ietf:params:oauth:grant-type:jwt-bearer\"]",
        "grant_types = [\"client_credentials\"]",
    );
    let services = start_with_as_config(&config).await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client_1", "another password");
    let (status, code, _) = refused(
        &mut client,
        token_request(
            "grant_type=password&username=diana&password=krall",
            &[("Authorization", &auth)],
        ),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "unauthorized_client"));
}

#[tokio::test]
async fn scope_not_allowed_is_invalid_scope() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client_1", "another password");
    let (status, code, response) = refused(
        &mut client,
        token_request(
            &format!("{CC}&scope=resourceA+admin"),
            &[("Authorization", &auth)],
        ),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "invalid_scope"));
    assert!(
        body(&response)["error_description"]
            .as_str()
            .unwrap()
            .contains("admin")
    );
    let (_, code, _) = refused(
        &mut client,
        token_request(&format!("{CC}&scope=a%22b"), &[("Authorization", &auth)]),
    )
    .await;
    assert_eq!(code, "invalid_scope", "a malformed scope token");
    assert_still_serving(&mut client).await;
}

#[tokio::test]
async fn wrong_password_or_unknown_user_is_invalid_grant() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client_1", "another password");
    for body in [
        "grant_type=password&username=diana&password=howes",
        "grant_type=password&username=mallory&password=krall",
    ] {
        let (status, code, _) = refused(
            &mut client,
            token_request(body, &[("Authorization", &auth)]),
        )
        .await;
        assert_eq!((status, code.as_str()), (400, "invalid_grant"), "{body}");
    }
    let (_, code, _) = refused(
        &mut client,
        token_request(
            "grant_type=password&username=diana",
            &[("Authorization", &auth)],
        ),
    )
    .await;
    assert_eq!(code, "invalid_request", "missing password");
    assert_still_serving(&mut client).await;
}

#[tokio::test]
async fn malformed_requests_are_invalid_request() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client_1", "another password");
    let cases: &[(&str, &str)] = &[
        ("malformed form body", "grant_type=client_credentials&%zz=1"),
        (
            "body not form-encoded",
            "{\"grant_type\":\"client_credentials\"}",
        ),
        (
            "invalid UTF-8 after decoding",
            "grant_type=client_credentials&x=%FF",
        ),
        ("missing grant_type", "scope=resourceA"),
        (
            "duplicated parameter",
            "grant_type=client_credentials&grant_type=password",
        ),
        (
            "duplicated scope",
            "grant_type=client_credentials&scope=resourceA&scope=resourceA",
        ),
    ];
    for (case, body_text) in cases {
        let (status, code, _) = refused(
            &mut client,
            token_request(body_text, &[("Authorization", &auth)]),
        )
        .await;
        assert_eq!((status, code.as_str()), (400, "invalid_request"), "{case}");
    }
    // Two authentication methods at once (RFC 6749 §2.3).
    let (_, code, _) = refused(
        &mut client,
        token_request(
            &format!("{CC}&client_id=client_1&client_secret=another+password"),
            &[("Authorization", &auth)],
        ),
    )
    .await;
    assert_eq!(code, "invalid_request", "Basic and client_secret together");
    // Wrong media type.
    let (_, code, _) = refused(
        &mut client,
        token_request(
            CC,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
        ),
    )
    .await;
    assert_eq!(code, "invalid_request", "JSON content type");
    assert_still_serving(&mut client).await;
}

#[tokio::test]
async fn get_on_the_token_endpoint_is_405() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let mut request = token_request(CC, &[]);
    request.method = "GET".into();
    let (status, code, response) = refused(&mut client, request).await;
    assert_eq!((status, code.as_str()), (405, "invalid_request"));
    assert_eq!(response.headers["allow"], "POST");
}

#[tokio::test]
async fn a_malformed_envelope_is_a_grpc_invalid_argument() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let mut relative = token_request(CC, &[]);
    relative.url = "/token".into();
    let mut no_method = token_request(CC, &[]);
    no_method.method.clear();
    let mut twice = token_request(CC, &[("authorization", "a"), ("Authorization", "b")]);
    twice.method = "POST".into();
    for request in [relative, no_method, twice] {
        let status = client.token(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    }
    assert_still_serving(&mut client).await;
}

#[tokio::test]
async fn a_non_ascii_secret_works_in_basic_and_post() {
    // STORIES.md: client "client" has the secret SUPERhemligtlösenord;
    // RFC 6749 §2.3.1 form-encodes it (UTF-8) inside HTTP Basic.
    // Let the default "client" use client_credentials too, to test it alone.
    let config = as_service::config::DEFAULT_CONFIG.replace(
        "  \"urn:ietf:params:oauth:grant-type:device_code\",\n]",
        "  \"urn:ietf:params:oauth:grant-type:device_code\",\n  \"client_credentials\",\n]",
    );
    assert_ne!(config, as_service::config::DEFAULT_CONFIG);
    let services = start_with_as_config(&config).await;
    let mut client = as_client(services.as_addr).await;
    let auth = basic("client", "SUPERhemligtlösenord");
    let ok = client
        .token(token_request(CC, &[("Authorization", &auth)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 200, "{}", ok.body);
    let post = format!("{CC}&client_id=client&client_secret=SUPERhemligtl%C3%B6senord");
    let ok = client
        .token(token_request(&post, &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Clients that skip the form-encoding send raw UTF-8; it decodes to the same secret.
    let raw = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "client:SUPERhemligtlösenord"
        )
    );
    let ok = client
        .token(token_request(CC, &[("Authorization", &raw)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 200, "{}", ok.body);
    // The secret in Latin-1 is not the same secret: not UTF-8, refused.
    let mut latin1 = b"client:SUPERhemligtl".to_vec();
    latin1.push(0xF6);
    latin1.extend_from_slice(b"senord");
    let latin1 = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, latin1)
    );
    let (status, code, _) = refused(
        &mut client,
        token_request(CC, &[("Authorization", &latin1)]),
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "invalid_client"));
}

#[tokio::test]
async fn metadata_lists_only_what_the_server_has() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let request = OAuthRequest {
        method: "GET".into(),
        url: "https://example.com/.well-known/oauth-authorization-server".into(),
        ..Default::default()
    };
    let response = client.server_metadata(request).await.unwrap().into_inner();
    assert_eq!(response.status, 200);
    let m = body(&response);
    assert_eq!(m["issuer"], "https://example.com/");
    assert_eq!(m["token_endpoint"], "https://example.com/token");
    assert_eq!(
        m["grant_types_supported"],
        serde_json::json!([
            "authorization_code",
            "implicit",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "client_credentials",
            "password",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    // RFC 8628 §4.
    assert_eq!(
        m["device_authorization_endpoint"],
        "https://example.com/device_authorization"
    );
    assert_eq!(
        m["authorization_endpoint"],
        "https://example.com/authorization"
    );
    assert_eq!(
        m["introspection_endpoint"],
        "https://example.com/introspection"
    );
    assert_eq!(m["revocation_endpoint"], "https://example.com/revocation");
    assert_eq!(
        m["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        m["response_types_supported"],
        serde_json::json!(["code", "id_token", "code id_token"])
    );
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    // Not (yet) offered, so not announced.
    assert_eq!(
        m["pushed_authorization_request_endpoint"],
        "https://example.com/par"
    );
    assert_eq!(m["dpop_signing_alg_values_supported"][0], "ES256");
    assert_eq!(
        m["response_modes_supported"],
        serde_json::json!([
            "query",
            "fragment",
            "form_post",
            "jwt",
            "query.jwt",
            "fragment.jwt",
            "form_post.jwt"
        ])
    );
    assert_eq!(
        m["authorization_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256"])
    );
    for absent in [
        "backchannel_authentication_endpoint",
        "mtls_endpoint_aliases",
    ] {
        assert!(m.get(absent).is_none(), "{absent}");
    }
}
