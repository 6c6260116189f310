use oauth_core::http::HttpResponse;
use serde_json::Value;

use crate::config::Endpoint;
use crate::endpoint::authorization::handle;
use crate::test_support::*;

async fn authorize(server: &crate::AuthServer, extra: &[(&str, &str)]) -> HttpResponse {
    let mut pairs = vec![("client_id", CODE_CLIENT.0)];
    if !extra.iter().any(|(k, _)| *k == "response_type") {
        pairs.push(("response_type", "code"));
    }
    pairs.extend_from_slice(&[("redirect_uri", REDIRECT_URI), ("state", "s&<\"x\">")]);
    pairs.extend_from_slice(extra);
    handle(
        server,
        &get_query(&url(server, Endpoint::Authorization), &pairs),
    )
    .await
}

/// The hidden inputs of the page, in order, as the page writes them.
fn hidden_inputs(page: &str) -> Vec<String> {
    page.lines()
        .filter(|l| l.starts_with("<input type=\"hidden\""))
        .map(str::to_owned)
        .collect()
}

/// Form Post §2: a 200 page whose form posts code, state and iss to the
/// redirect URI, escaped, not cached, with only its own script allowed.
#[tokio::test]
async fn form_post_answers_a_page_that_posts_the_parameters_to_the_redirect_uri() {
    let server = server();
    let response = authorize(&server, &[("response_mode", "form_post")]).await;
    assert_eq!(response.status, 200);
    assert!(response.location.is_none());
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    let csp = header(&response, "content-security-policy").unwrap();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(csp.contains("form-action https://example.com;"), "{csp}");
    assert!(!csp.contains("unsafe-inline"));
    let body = &response.body;
    assert!(body.contains(&format!("<form method=\"post\" action=\"{REDIRECT_URI}\">")));
    assert!(
        body.contains("<button type=\"submit\">"),
        "works without script"
    );
    let inputs = hidden_inputs(body);
    assert_eq!(inputs.len(), 3, "{inputs:?}");
    assert!(inputs[0].contains("name=\"code\""));
    // The state comes back escaped: no markup of the client's making.
    assert_eq!(
        inputs[1],
        "<input type=\"hidden\" name=\"state\" value=\"s&amp;&lt;&quot;x&quot;&gt;\">"
    );
    assert!(inputs[2].contains(&format!("value=\"{}\"", server.config.issuer)));
}

/// Form Post §2 with an error: it goes back by the same page.
#[tokio::test]
async fn form_post_carries_a_redirected_error_too() {
    let server = server();
    let response = authorize(
        &server,
        &[("response_mode", "form_post"), ("scope", "no-such-scope")],
    )
    .await;
    assert_eq!(response.status, 200);
    let inputs = hidden_inputs(&response.body);
    assert!(
        inputs[0].contains("name=\"error\" value=\"invalid_scope\""),
        "{inputs:?}"
    );
}

/// An unknown response_mode is invalid_request, answered in the default mode.
#[tokio::test]
async fn refuses_an_unknown_response_mode() {
    let server = server();
    let response = authorize(&server, &[("response_mode", "web_message")]).await;
    assert_eq!(response.status, 302);
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("invalid_request")
    );
}

fn response_claims(server: &crate::AuthServer, jwt: &str) -> Value {
    let keys = server.keys();
    let verified = oauth_core::jose::verify(
        jwt,
        &keys.verification,
        &[oauth_core::jose::JwsAlgorithm::RS256],
    )
    .unwrap();
    Value::Object(verified.claims)
}

/// JARM §2.1, §2.3.4: response_mode=jwt for a code is query.jwt: only
/// `response`, a JWT signed with the server's RS256 key, holding code,
/// state and iss, for the client, expiring within ten minutes.
#[tokio::test]
async fn jwt_mode_signs_the_parameters_into_one_response_jwt() {
    let server = server();
    let response = authorize(&server, &[("response_mode", "jwt")]).await;
    assert_eq!(response.status, 302);
    let params = redirect_params(&response);
    assert_eq!(params.len(), 1, "{params:?}");
    assert_eq!(params[0].0, "response");
    let location = response.location.clone().unwrap();
    assert!(location.contains("?response="), "query.jwt for a code");
    let claims = response_claims(&server, &params[0].1);
    assert_eq!(claims["iss"], server.config.issuer.as_str());
    assert_eq!(claims["aud"], CODE_CLIENT.0);
    assert_eq!(claims["state"], "s&<\"x\">");
    assert!(claims["code"].as_str().is_some());
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > NOW && exp <= NOW + 600, "{exp}");
}

/// JARM §2.3.3: form_post.jwt posts the single `response` input.
#[tokio::test]
async fn form_post_jwt_posts_the_response_jwt() {
    let server = server();
    let response = authorize(&server, &[("response_mode", "form_post.jwt")]).await;
    assert_eq!(response.status, 200);
    let inputs = hidden_inputs(&response.body);
    assert_eq!(inputs.len(), 1);
    assert!(inputs[0].contains("name=\"response\""));
}

/// JARM §2.3.1: a query JWT, unencrypted, may not carry an ID token.
#[tokio::test]
async fn refuses_query_jwt_for_an_id_token() {
    let server = server();
    let response = authorize(
        &server,
        &[
            ("response_type", "code id_token"),
            ("scope", "openid"),
            ("nonce", "n"),
            ("response_mode", "query.jwt"),
        ],
    )
    .await;
    assert_eq!(response.status, 302, "{}", response.body);
    let location = response.location.clone().unwrap();
    assert!(
        location.contains("#response="),
        "the error goes in a fragment JWT: {location}"
    );
    let jwt = redirect_param(&response, "response").unwrap();
    assert_eq!(response_claims(&server, &jwt)["error"], "invalid_request");
}

/// The metadata lists every mode and the response signing algorithms.
#[test]
fn metadata_lists_the_response_modes_and_signing_algs() {
    let server = server();
    let doc = crate::discovery::document(&server.config);
    let modes: Vec<&str> = doc["response_modes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for mode in [
        "query",
        "fragment",
        "form_post",
        "jwt",
        "query.jwt",
        "fragment.jwt",
        "form_post.jwt",
    ] {
        assert!(modes.contains(&mode), "{mode}");
    }
    assert_eq!(
        doc["authorization_signing_alg_values_supported"][0],
        "RS256"
    );
}

const ES256_CLIENT: &str = r#"
client_id = "jarm_es256"
client_secret = "s"
token_endpoint_auth_methods = ["client_secret_basic"]
grant_types = ["authorization_code"]
response_types = ["code"]
redirect_uris = ["https://jarm.example.org/cb"]
authorization_signed_response_alg = "ES256"
"#;

/// JARM §3: a client's registered authorization_signed_response_alg signs
/// its response JWTs.
#[tokio::test]
async fn the_registered_alg_signs_the_response_jwt() {
    let mut config = config();
    add_client(&mut config, ES256_CLIENT);
    let (server, _) = server_with(config);
    let request = get_query(
        &url(&server, Endpoint::Authorization),
        &[
            ("response_type", "code"),
            ("client_id", "jarm_es256"),
            ("redirect_uri", "https://jarm.example.org/cb"),
            ("response_mode", "jwt"),
        ],
    );
    let response = handle(&server, &request).await;
    let jwt = redirect_param(&response, "response").unwrap();
    let header = oauth_core::jose::decode_unverified(&jwt).unwrap().header;
    assert_eq!(header["alg"], "ES256");
}

/// JARM §3: only algorithms this server signs with can be registered.
#[test]
fn an_unsupported_authorization_signed_response_alg_is_refused() {
    for alg in ["HS256", "none", "PS512"] {
        let file: crate::config::ClientFileConfig =
            toml::from_str(&ES256_CLIENT.replace("\"ES256\"", &format!("{alg:?}"))).unwrap();
        let config = config();
        let e = crate::config::validate_client(file, &config.audience, 600).unwrap_err();
        assert!(
            e.problem
                .to_string()
                .contains("authorization_signed_response_alg"),
            "{alg}"
        );
    }
}
