//! OpenID Connect against real servers: the RP refuses every kind of bad
//! ID token, userinfo refuses dead tokens, registration refuses bad
//! metadata, and the hybrid and implicit responses are what OIDC Core says.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use e2e_tests::{
    as_client, authorization_request, body, client_basic, form_post, redirect_params, rp_client,
    start, start_with_clock, start_with_keys,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oauth_core::clock::ManualClock;
use oauth_core::jose::KeySet;
use oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient;
use oidc_story_proto::v1::relying_party_client::RelyingPartyClient;
use oidc_story_proto::v1::{
    OAuthRequest, OAuthResponse, ParseResponseRequest, ParsedResponse, PrepareRequestRequest,
    StartSessionRequest,
};
use serde_json::{Value, json};
use tonic::transport::Channel;

type As = AuthorizationServerClient<Channel>;
type Rp = RelyingPartyClient<Channel>;

const CB: &str = "https%3A%2F%2Fexample.com%2Fcb";

/// One RP session driven by hand, step by step.
struct Session {
    rp: Rp,
    op: As,
    id: String,
}

impl Session {
    async fn start(rp: Rp, op: As, profile: &str) -> Self {
        let mut rp = rp;
        let id = rp
            .start_session(StartSessionRequest {
                profile: profile.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .session_id;
        Self { rp, op, id }
    }

    async fn prepare(&mut self, service: &str, args: &[(&str, &str)]) -> OAuthRequest {
        self.rp
            .prepare_request(PrepareRequestRequest {
                session_id: self.id.clone(),
                service: service.into(),
                args: args
                    .iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect(),
            })
            .await
            .unwrap()
            .into_inner()
            .request
            .unwrap()
    }

    async fn parse(&mut self, service: &str, response: OAuthResponse) -> ParsedResponse {
        self.rp
            .parse_response(ParseResponseRequest {
                session_id: self.id.clone(),
                service: service.into(),
                response: Some(response),
                inbound: None,
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// Prepares, sends to the OP, parses.
    async fn step(
        &mut self,
        service: &str,
        args: &[(&str, &str)],
    ) -> (OAuthResponse, ParsedResponse) {
        let request = self.prepare(service, args).await;
        let response = match service {
            "provider_info" => self.op.provider_configuration(request).await,
            "jwks" => self.op.jwks(request).await,
            "authorization" => self.op.authorization(request).await,
            "accesstoken" => self.op.token(request).await,
            "userinfo" => self.op.userinfo(request).await,
            "registration" => self.op.registration(request).await,
            other => panic!("no step {other}"),
        }
        .unwrap()
        .into_inner();
        let parsed = self.parse(service, response.clone()).await;
        (response, parsed)
    }
}

fn failed_checks(parsed: &ParsedResponse) -> Vec<String> {
    parsed
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.clone())
        .collect()
}

/// Runs discovery, keys and the authorization of an OIDC code flow, then
/// redeems the code; returns the session and the genuine token response.
async fn up_to_the_token_response(
    private_jwks: &str,
) -> (Session, OAuthResponse, e2e_tests::Embedded) {
    let services = start_with_keys(private_jwks).await;
    let mut s = Session::start(
        rp_client(services.rp_addr).await,
        as_client(services.as_addr).await,
        "client",
    )
    .await;
    for service in ["provider_info", "jwks"] {
        assert!(s.step(service, &[]).await.1.ok, "{service}");
    }
    assert!(
        s.step("authorization", &[("scope", "openid foobar")])
            .await
            .1
            .ok
    );
    let (response, parsed) = s.step("accesstoken", &[]).await;
    assert!(parsed.ok, "{:?}", failed_checks(&parsed));
    (s, response, services)
}

/// The genuine response with its id_token replaced.
fn with_id_token(response: &OAuthResponse, id_token: &str) -> OAuthResponse {
    let mut b = body(response);
    b["id_token"] = Value::String(id_token.to_owned());
    OAuthResponse {
        body: b.to_string(),
        ..response.clone()
    }
}

fn claims_of(response: &OAuthResponse) -> Value {
    oauth_core::jose::decode_unverified(body(response)["id_token"].as_str().unwrap())
        .unwrap()
        .claims
}

#[tokio::test]
async fn the_rp_refuses_bad_id_tokens() {
    let op_keys = KeySet::generate().unwrap().to_private_jwks();
    let (mut s, genuine, _services) = up_to_the_token_response(&op_keys).await;
    let keys = KeySet::from_private_jwks(&op_keys).unwrap();
    let rs256 = keys.signing_key(Algorithm::RS256).unwrap();
    let claims = claims_of(&genuine);

    let mut cases: Vec<(&str, String, &str)> = Vec::new();
    // Re-signed by the OP's own key, claims intact: must pass (the harness works).
    cases.push(("genuine claims", rs256.sign("JWT", &claims).unwrap(), ""));
    let mut wrong_nonce = claims.clone();
    wrong_nonce["nonce"] = json!("someone-elses-nonce");
    cases.push((
        "wrong nonce",
        rs256.sign("JWT", &wrong_nonce).unwrap(),
        "nonce is the one sent",
    ));
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("another-client");
    wrong_aud.as_object_mut().unwrap().remove("azp");
    cases.push((
        "wrong audience",
        rs256.sign("JWT", &wrong_aud).unwrap(),
        "aud contains this client",
    ));
    let mut expired = claims.clone();
    expired["exp"] = json!(claims["iat"].as_i64().unwrap() - 10);
    cases.push((
        "expired",
        rs256.sign("JWT", &expired).unwrap(),
        "exp is in the future",
    ));
    let stranger = KeySet::generate().unwrap();
    cases.push((
        "unknown key",
        stranger
            .signing_key(Algorithm::RS256)
            .unwrap()
            .sign("JWT", &claims)
            .unwrap(),
        "signature verifies with the OP's key",
    ));
    let b64 = |v: &Value| {
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            v.to_string(),
        )
    };
    cases.push((
        "alg none",
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims)
        ),
        "signature verifies with the OP's key",
    ));
    // HS256 keyed with the OP's public key set: the classic confusion attack.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(rs256.kid().to_owned());
    let public = keys.public_jwks().to_string();
    let confused = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    cases.push((
        "HS256 with the public key",
        confused,
        "signature verifies with the OP's key",
    ));

    for (case, token, failing) in cases {
        let request = s.prepare("accesstoken", &[]).await;
        let _ = request;
        let parsed = s
            .parse("accesstoken", with_id_token(&genuine, &token))
            .await;
        if failing.is_empty() {
            assert!(parsed.ok, "{case}: {:?}", failed_checks(&parsed));
        } else {
            assert!(!parsed.ok, "{case} was accepted");
            assert!(
                failed_checks(&parsed).iter().any(|c| c == failing),
                "{case}: failed {:?}",
                failed_checks(&parsed)
            );
            let jwt = parsed.jwts.iter().find(|j| j.name == "id_token").unwrap();
            assert!(!jwt.verified, "{case}");
        }
    }
}

#[tokio::test]
async fn userinfo_sub_must_match_the_id_token() {
    let (mut s, _, _services) =
        up_to_the_token_response(&KeySet::generate().unwrap().to_private_jwks()).await;
    let request = s.prepare("userinfo", &[]).await;
    let mut response = s.op.userinfo(request).await.unwrap().into_inner();
    assert_eq!(response.status, 200);
    let mut b = body(&response);
    b["sub"] = json!("mallory");
    response.body = b.to_string();
    let parsed = s.parse("userinfo", response).await;
    assert!(!parsed.ok);
    assert_eq!(failed_checks(&parsed), ["sub is the ID token's sub"]);
}

/// Tokens of an OIDC code flow, straight from the OP: (access_token, id_token).
async fn oidc_tokens(op: &mut As, scope: &str) -> (String, String) {
    let response = op
        .authorization(authorization_request(&format!(
            "response_type=code&client_id=client&redirect_uri={CB}&scope={scope}&state=s&nonce=n"
        )))
        .await
        .unwrap()
        .into_inner();
    let code = redirect_params(&response)["code"].clone();
    let auth = client_basic();
    let response = op
        .token(form_post(
            "https://example.com/token",
            &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
            &[("Authorization", &auth)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.status, 200, "{}", response.body);
    let b = body(&response);
    (
        b["access_token"].as_str().unwrap().into(),
        b["id_token"].as_str().unwrap().into(),
    )
}

fn userinfo_request(token: &str) -> OAuthRequest {
    OAuthRequest {
        method: "GET".into(),
        url: "https://example.com/userinfo".into(),
        headers: [("Authorization".to_owned(), format!("Bearer {token}"))].into(),
        body: String::new(),
    }
}

fn challenge(response: &OAuthResponse) -> String {
    response
        .headers
        .get("www-authenticate")
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn userinfo_with_a_revoked_or_expired_token_is_invalid_token() {
    let clock = ManualClock::new(1_800_000_000);
    let services = start_with_clock(&clock).await;
    let mut op = as_client(services.as_addr).await;
    let (access, _) = oidc_tokens(&mut op, "openid+email").await;
    let ok = op
        .userinfo(userinfo_request(&access))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 200);
    assert_eq!(body(&ok)["email"], "diana@example.org");
    assert!(body(&ok).get("name").is_none(), "profile was not asked");

    let auth = client_basic();
    let revoked = op
        .revocation(form_post(
            "https://example.com/revocation",
            &format!("token={access}"),
            &[("Authorization", &auth)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revoked.status, 200);
    let refused = op
        .userinfo(userinfo_request(&access))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.status, 401);
    assert!(
        challenge(&refused).contains("error=\"invalid_token\""),
        "{}",
        challenge(&refused)
    );

    let (access, _) = oidc_tokens(&mut op, "openid").await;
    clock.advance(601);
    let refused = op
        .userinfo(userinfo_request(&access))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.status, 401);
    assert!(challenge(&refused).contains("invalid_token"));
}

#[tokio::test]
async fn userinfo_needs_a_bearer_token_with_openid_scope() {
    let services = start().await;
    let mut op = as_client(services.as_addr).await;
    let missing = op
        .userinfo(OAuthRequest {
            method: "GET".into(),
            url: "https://example.com/userinfo".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(missing.status, 401);
    assert!(challenge(&missing).starts_with("Bearer realm="));
    assert!(
        !challenge(&missing).contains("error="),
        "RFC 6750 §3.1: no error code without credentials"
    );

    let garbage = op
        .userinfo(userinfo_request("not-a-token"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(garbage.status, 401);
    assert!(challenge(&garbage).contains("invalid_token"));

    // A token without openid: insufficient_scope (RFC 6750 §3.1).
    let (access, _) = {
        let response = op
            .authorization(authorization_request(&format!(
                "response_type=code&client_id=client&redirect_uri={CB}&scope=foobar&state=s"
            )))
            .await
            .unwrap()
            .into_inner();
        let code = redirect_params(&response)["code"].clone();
        let auth = client_basic();
        let response = op
            .token(form_post(
                "https://example.com/token",
                &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
                &[("Authorization", &auth)],
            ))
            .await
            .unwrap()
            .into_inner();
        (
            body(&response)["access_token"].as_str().unwrap().to_owned(),
            (),
        )
    };
    let refused = op
        .userinfo(userinfo_request(&access))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.status, 403);
    assert!(challenge(&refused).contains("insufficient_scope"));

    // The token in the query string is refused; in a form body it works.
    let (access, _) = oidc_tokens(&mut op, "openid").await;
    let in_query = op
        .userinfo(OAuthRequest {
            method: "GET".into(),
            url: format!("https://example.com/userinfo?access_token={access}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_query.status, 400);
    let in_body = op
        .userinfo(form_post(
            "https://example.com/userinfo",
            &format!("access_token={access}"),
            &[],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_body.status, 200, "{}", in_body.body);
}

async fn register(op: &mut As, metadata: Value) -> OAuthResponse {
    op.registration(OAuthRequest {
        method: "POST".into(),
        url: "https://example.com/register".into(),
        headers: [("Content-Type".to_owned(), "application/json".to_owned())].into(),
        body: metadata.to_string(),
    })
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn registration_refuses_bad_redirect_uris_and_secret_keys() {
    let services = start().await;
    let mut op = as_client(services.as_addr).await;
    let public_key = KeySet::generate_ec().public_jwks();
    let private_key: Value =
        serde_json::from_str(&KeySet::generate_ec().to_private_jwks()).unwrap();
    let cases = [
        (
            json!({"redirect_uris": ["not a url"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://example.com/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["http://example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (json!({}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["https://example.com/cb"], "jwks": private_key}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://example.com/cb"],
                   "jwks": {"keys": [{"kty": "oct", "k": "U1VQRVJoZW1saWd0bMO2c2Vub3Jk", "kid": "x"}]}}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://example.com/cb"], "token_endpoint_auth_method": "tls_client_auth"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://example.com/cb"], "response_types": ["token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://example.com/cb"], "response_types": ["id_token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://example.com/cb"], "scope": "openid admin"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://example.com/cb"], "id_token_signed_response_alg": "none"}),
            "invalid_client_metadata",
        ),
    ];
    for (metadata, expected) in cases {
        let response = register(&mut op, metadata.clone()).await;
        assert_eq!(response.status, 400, "{metadata}: {}", response.body);
        assert_eq!(body(&response)["error"], expected, "{metadata}");
    }
    let ok = register(
        &mut op,
        json!({"redirect_uris": ["https://example.com/cb"], "jwks": public_key}),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
}

#[tokio::test]
async fn a_registered_client_works_at_once_and_pairwise_subjects_differ_by_sector() {
    let services = start().await;
    let mut op = as_client(services.as_addr).await;
    let mut subjects = Vec::new();
    for (host, subject_type) in [
        ("rp1.example", "pairwise"),
        ("rp1.example", "pairwise"),
        ("rp2.example", "pairwise"),
        ("rp3.example", "public"),
    ] {
        let redirect = format!("https://{host}/cb");
        let response = register(
            &mut op,
            json!({"redirect_uris": [redirect], "subject_type": subject_type, "token_endpoint_auth_method": "client_secret_post"}),
        )
        .await;
        assert_eq!(response.status, 201, "{}", response.body);
        let b = body(&response);
        let (id, secret) = (
            b["client_id"].as_str().unwrap().to_owned(),
            b["client_secret"].as_str().unwrap().to_owned(),
        );
        assert!(b["client_secret_expires_at"].as_i64().unwrap() > 0);
        let encoded = url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>();
        let authorized = op
            .authorization(authorization_request(&format!(
                "response_type=code&client_id={id}&redirect_uri={encoded}&scope=openid&state=s&nonce=n"
            )))
            .await
            .unwrap()
            .into_inner();
        let code = redirect_params(&authorized)["code"].clone();
        let token = op
            .token(form_post(
                "https://example.com/token",
                &format!("grant_type=authorization_code&code={code}&redirect_uri={encoded}&client_id={id}&client_secret={secret}"),
                &[],
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(token.status, 200, "{}", token.body);
        let sub = claims_of(&token)["sub"].as_str().unwrap().to_owned();
        // UserInfo speaks of the same subject.
        let info = op
            .userinfo(userinfo_request(
                body(&token)["access_token"].as_str().unwrap(),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(body(&info)["sub"], sub);
        subjects.push(sub);
    }
    assert_eq!(subjects[0], subjects[1], "same sector, same pairwise sub");
    assert_ne!(subjects[0], subjects[2], "another sector, another sub");
    assert_ne!(subjects[0], "diana");
    assert_eq!(subjects[3], "diana", "public");
}

#[tokio::test]
async fn hybrid_and_implicit_answer_in_the_fragment_with_the_right_hashes() {
    let services = start().await;
    let mut op = as_client(services.as_addr).await;
    let fragment = |response: &OAuthResponse| -> std::collections::HashMap<String, String> {
        let url = url::Url::parse(&response.location).unwrap();
        assert!(
            url.query().is_none(),
            "nothing in the query: {}",
            response.location
        );
        url::form_urlencoded::parse(url.fragment().unwrap_or("").as_bytes())
            .into_owned()
            .collect()
    };
    let hybrid = op
        .authorization(authorization_request(&format!(
            "response_type=code+id_token&client_id=client&redirect_uri={CB}&scope=openid&state=s&nonce=n1"
        )))
        .await
        .unwrap()
        .into_inner();
    let params = fragment(&hybrid);
    let claims = oauth_core::jose::decode_unverified(&params["id_token"])
        .unwrap()
        .claims;
    assert_eq!(claims["nonce"], "n1");
    assert_eq!(
        claims["c_hash"].as_str(),
        oauth_core::oidc::left_hash(Algorithm::RS256, &params["code"]).as_deref()
    );
    assert_eq!(params["state"], "s");
    assert_eq!(params["iss"], "https://example.com/");

    let implicit = op
        .authorization(authorization_request(&format!(
            "response_type=id_token&client_id=client&redirect_uri={CB}&scope=openid+email&state=s&nonce=n2"
        )))
        .await
        .unwrap()
        .into_inner();
    let params = fragment(&implicit);
    assert!(!params.contains_key("code"));
    let claims = oauth_core::jose::decode_unverified(&params["id_token"])
        .unwrap()
        .claims;
    assert_eq!(
        claims["email"], "diana@example.org",
        "no userinfo in the implicit flow: claims in the ID token"
    );
    assert!(claims.get("at_hash").is_none() && claims.get("c_hash").is_none());

    for (query, what) in [
        (
            format!(
                "response_type=id_token&client_id=client&redirect_uri={CB}&scope=openid&state=s"
            ),
            "nonce missing",
        ),
        (
            format!(
                "response_type=id_token&client_id=client&redirect_uri={CB}&scope=foobar&state=s&nonce=n"
            ),
            "no openid",
        ),
        (
            format!(
                "response_type=id_token&client_id=client&redirect_uri={CB}&scope=openid&state=s&nonce=n&response_mode=query"
            ),
            "ID token in the query",
        ),
    ] {
        let response = op
            .authorization(authorization_request(&query))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.status, 302, "{what}");
        assert_eq!(fragment(&response)["error"], "invalid_request", "{what}");
    }
}

#[tokio::test]
async fn provider_configuration_lists_what_the_op_supports() {
    let services = start().await;
    let mut op = as_client(services.as_addr).await;
    let response = op
        .provider_configuration(OAuthRequest {
            method: "GET".into(),
            url: "https://example.com/.well-known/openid-configuration".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let m = body(&response);
    assert_eq!(
        m["response_types_supported"],
        json!(["code", "id_token", "code id_token"])
    );
    assert_eq!(m["subject_types_supported"], json!(["public", "pairwise"]));
    assert_eq!(
        m["id_token_signing_alg_values_supported"],
        json!(["RS256", "ES256"])
    );
    assert_eq!(m["claims_parameter_supported"], true);
    for endpoint in ["userinfo_endpoint", "registration_endpoint", "jwks_uri"] {
        assert!(
            m[endpoint]
                .as_str()
                .unwrap()
                .starts_with("https://example.com/"),
            "{endpoint}"
        );
    }
}
