//! The attack stories against a provider that lets some attacks through:
//! our AS behind a proxy that weakens it, so that `run --attacks --issuer`
//! can be seen to name exactly what a weak provider does wrong, and the
//! clause it breaks, and nothing else. The weakness lives here, in the
//! test, never in the AS.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::common;

use common::*;
use orchestrator::catalog::{ATTACKS, Attack, Kind};
use rp_service::service::registry::ClientService;

/// A proxy in front of our AS that makes it a weak provider. It forwards
/// every request as it came (method, path and query, headers, body) and
/// brings the answer back as it came (status, headers, `location` among
/// them, body; redirects are not followed), except that
///
/// - it accepts a code twice: the first 200 answer to a token request
///   redeeming a code is remembered, and a later token request with the
///   same code gets that same answer without reaching the AS;
/// - it never checks PKCE (RFC 7636): whatever challenge a client sends
///   (in an authorization request's query, a pushed request's or a login
///   form's body), the AS is shown one of the proxy's own making, and a
///   token request is shown the proxy's verifier in place of any the
///   client sent, or, sending none, when it redeems a code the proxy saw
///   issued (in a redirect) to a request it set a challenge for. Taking the
///   parameters out instead would not do: the AS requires a challenge of
///   some clients (FAPI 2.0, public ones), and would refuse their requests
///   for the want of one, which is no weakness. (A challenge signed inside
///   a request object stays the client's; no attack story redeems the code
///   of one.)
mod weak {
    use std::collections::{HashMap, HashSet};
    use std::sync::{Arc, Mutex};

    use axum::body::{Body, Bytes};
    use axum::extract::{Request, State};
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::Response;
    use oauth_core::pkce;

    /// The verifier every code the proxy set a challenge for is redeemed with.
    const VERIFIER: &str = "the-weak-providers-own-verifier-for-every-code-it-issues";

    /// An answer as it came from the AS.
    #[derive(Clone)]
    struct Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    }

    impl Answer {
        fn to_response(&self) -> Response {
            let mut response = Response::new(Body::from(self.body.clone()));
            *response.status_mut() = self.status;
            *response.headers_mut() = self.headers.clone();
            response
        }
    }

    #[derive(Default)]
    struct Memory {
        /// The `state` of each request whose challenge the proxy replaced.
        challenged_states: HashSet<String>,
        /// The codes the AS issued to those requests.
        challenged_codes: HashSet<String>,
        /// The first successful token answer for each code redeemed.
        redeemed: HashMap<String, Answer>,
    }

    struct Proxy {
        /// The AS's own address, `http://127.0.0.1:PORT`.
        upstream: String,
        client: reqwest::Client,
        memory: Mutex<Memory>,
    }

    /// Serves the proxy on `listener`, forwarding to `upstream`.
    pub fn serve(listener: tokio::net::TcpListener, upstream: String) {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let proxy = Arc::new(Proxy {
            upstream,
            client,
            memory: Mutex::default(),
        });
        let app = axum::Router::new().fallback(forward).with_state(proxy);
        tokio::spawn(async move { axum::serve(listener, app).await });
    }

    fn pairs(form: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect()
    }

    fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    impl Memory {
        /// `form` (a query or a form body) with the PKCE parameters the
        /// AS is shown in place of the client's; `None` when it has none
        /// to replace.
        fn weakened(&mut self, form: &str) -> Option<String> {
            let mut pairs = pairs(form);
            let code = value(&pairs, "code")
                .filter(|_| value(&pairs, "grant_type") == Some("authorization_code"))
                .map(str::to_owned);
            let challenged = value(&pairs, "code_challenge").is_some();
            if challenged && let Some(state) = value(&pairs, "state") {
                self.challenged_states.insert(state.to_owned());
            }
            // A verifier sent stands for one of the proxy's challenges (it
            // replaced them all); none sent, the code may still have one.
            let verified = value(&pairs, "code_verifier").is_some()
                || code.is_some_and(|c| self.challenged_codes.contains(&c));
            if !challenged && !verified {
                return None;
            }
            pairs.retain(|(k, _)| {
                !["code_challenge", "code_challenge_method", "code_verifier"].contains(&k.as_str())
            });
            if challenged {
                let challenge = pkce::challenge(VERIFIER, pkce::Method::S256);
                pairs.push(("code_challenge".into(), challenge));
                pairs.push(("code_challenge_method".into(), "S256".into()));
            }
            if verified {
                pairs.push(("code_verifier".into(), VERIFIER.into()));
            }
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.extend_pairs(pairs);
            Some(form.finish())
        }

        /// Notes the code a redirect carries to a request the proxy set a
        /// challenge for.
        fn issued(&mut self, location: &str) {
            let Ok(url) = url::Url::parse(location) else {
                return;
            };
            let mut pairs = pairs(url.query().unwrap_or_default());
            pairs.extend(self::pairs(url.fragment().unwrap_or_default()));
            if let (Some(code), Some(state)) = (value(&pairs, "code"), value(&pairs, "state"))
                && self.challenged_states.contains(state)
            {
                self.challenged_codes.insert(code.to_owned());
            }
        }
    }

    /// The code a token request redeems, if it is one.
    fn code_redeemed(form: &str) -> Option<String> {
        let pairs = pairs(form);
        (value(&pairs, "grant_type") == Some("authorization_code"))
            .then(|| value(&pairs, "code").map(str::to_owned))
            .flatten()
    }

    /// The headers of a message, without those that belong to one
    /// connection (the other side sets them afresh).
    fn passed_on(headers: &HeaderMap) -> HeaderMap {
        let hop_by_hop = [
            header::HOST,
            header::CONNECTION,
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
        ];
        let mut kept = HeaderMap::new();
        for (name, value) in headers {
            if !hop_by_hop.contains(name) {
                kept.append(name, value.clone());
            }
        }
        kept
    }

    /// The query without `max_age`: the AS never hears of it, so a login
    /// of any age is kept (OIDC Core §3.1.2.1 ignored).
    fn without_max_age(query: &str) -> String {
        let mut pairs = pairs(query);
        pairs.retain(|(k, _)| k != "max_age");
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(pairs);
        form.finish()
    }

    async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, 1024 * 1024).await.unwrap();
        let form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let text = std::str::from_utf8(&body).ok().filter(|_| form);
        let code = text.and_then(code_redeemed);
        let (query, body) = {
            let mut memory = proxy.memory.lock().unwrap();
            if let Some(first) = code.as_ref().and_then(|c| memory.redeemed.get(c)) {
                return first.to_response();
            }
            let query = parts
                .uri
                .query()
                .map(|q| without_max_age(&memory.weakened(q).unwrap_or(q.to_owned())));
            let body = match text.and_then(|t| memory.weakened(t)) {
                Some(weakened) => Bytes::from(weakened),
                None => body,
            };
            (query, body)
        };
        let target = match query {
            Some(query) => format!("{}{}?{query}", proxy.upstream, parts.uri.path()),
            None => format!("{}{}", proxy.upstream, parts.uri.path()),
        };
        let sent = proxy
            .client
            .request(parts.method, target)
            .headers(passed_on(&parts.headers))
            .body(body)
            .send()
            .await
            .unwrap();
        let answer = Answer {
            status: sent.status(),
            headers: passed_on(sent.headers()),
            body: sent.bytes().await.unwrap(),
        };
        let mut memory = proxy.memory.lock().unwrap();
        if let Some(location) = answer
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        {
            memory.issued(location);
        }
        if let Some(code) = code
            && answer.status == StatusCode::OK
        {
            memory
                .redeemed
                .entry(code)
                .or_insert_with(|| answer.clone());
        }
        answer.to_response()
    }
}

/// Our AS behind the weakening proxy: the AS's issuer is the proxy's URL,
/// so its metadata sends every request through the proxy. The proxy's URL.
async fn weak_provider(edit: impl FnOnce(&mut Config)) -> String {
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let back = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", front.local_addr().unwrap().port());
    let upstream = format!("http://127.0.0.1:{}", back.local_addr().unwrap().port());
    as_serving(back, &issuer, edit);
    weak::serve(front, upstream);
    issuer
}

/// `run --attacks` against `issuer`, its client posting back-channel
/// logouts to `backchannel`.
async fn attacks_against(issuer: &str, backchannel: &str) -> Output {
    orchestrator(args(&[
        "run",
        "--attacks",
        "--issuer",
        issuer,
        "--backchannel-uri",
        backchannel,
        "--format",
        "json",
    ]))
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_taking_a_code_twice_and_ignoring_pkce_lets_three_attacks_through() {
    let strong_logouts = format!("http://127.0.0.1:{}/backchannel", free_port());
    let strong = as_over_http_with(posting_logouts_to(&strong_logouts)).await;
    let weak_logouts = format!("http://127.0.0.1:{}/backchannel", free_port());
    let weak = weak_provider(posting_logouts_to(&weak_logouts)).await;

    let out = attacks_against(&strong, &strong_logouts).await;
    let strong_summary = summary_of(&out);
    assert_eq!(out.status.code(), Some(0), "{strong_summary}");
    let out = attacks_against(&weak, &weak_logouts).await;
    let weak_summary = summary_of(&out);
    // An attack let through fails the run, with no fault of ours.
    assert_eq!(out.status.code(), Some(1), "{weak_summary}");

    let before = results(&strong_summary);
    let after = results(&weak_summary);
    assert_eq!(before.len(), ATTACKS.len(), "{strong_summary}");
    assert_eq!(after.len(), ATTACKS.len(), "{weak_summary}");
    let let_through = [
        // The second token request with the same code gets tokens.
        "attack_code_replay",
        // The AS checks the proxy's verifier against the proxy's
        // challenge: no verifier, or a wrong one, redeems the code.
        "attack_pkce_downgrade",
        "attack_pkce_mismatch",
    ];
    for attack in ATTACKS {
        let name = attack.name;
        if let_through.contains(&name) {
            assert_eq!(attack.kind(), Kind::Provider, "{name}");
            assert_eq!(before[name], "refused_as_expected", "{strong_summary}");
            let story = weak_summary["stories"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["story"] == name)
                .unwrap();
            assert_eq!(story["result"], "not_refused", "{name}: {story}");
            assert_eq!(story["clause"], attack.standard, "{name}: {story}");
            // At the attacker's token request, the step the clause is about.
            let step = &attack.steps[story["step"].as_u64().unwrap() as usize - 1];
            assert_eq!(step.attack, Attack::Must, "{name}: {story}");
            assert_eq!(step.service, ClientService::AccessToken, "{name}: {story}");
            assert_eq!(story["service"], step.service.name(), "{name}: {story}");
            assert_eq!(story["status"], 200, "{name}: {story}");
            assert_eq!(
                story["expected"], "a refusal (invalid_grant)",
                "{name}: {story}"
            );
            let sent = story["sent"].as_str().unwrap();
            assert!(
                sent.starts_with(&format!("POST {weak}/")),
                "{name}: {story}"
            );
        } else {
            assert_eq!(after[name], before[name], "{name} changed: {weak_summary}");
        }
    }
    assert_eq!(weak_summary["totals"]["not_refused"], let_through.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_taking_a_code_twice_and_ignoring_max_age_fails_exactly_those_plan_modules() {
    let weak = weak_provider(|_| {}).await;
    let out = orchestrator(args(&[
        "run",
        "--plan",
        "oidcc-basic",
        "--issuer",
        &weak,
        // The proxy cannot replace a challenge signed into a request
        // object: no PKCE where a story does not ask for it.
        "--pkce",
        "never",
        "--format",
        "json",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1), "modules failed: the run fails");
    let summary = summary_of(&out);
    let plan = &summary["plan"];
    let modules = plan["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 33, "{plan}");
    let expected = |module: &str| match module {
        // Its second login kept though older than max_age: a MUST broken.
        "oidcc-max-age-1" => "failed",
        // The code accepted twice, at once or 30 s later.
        "oidcc-codereuse" | "oidcc-codereuse-30seconds" => "not_refused",
        _ => "as against our AS",
    };
    for m in modules {
        let module = m["module"].as_str().unwrap();
        let result = m["result"].as_str().unwrap();
        match expected(module) {
            "as against our AS" => assert!(
                result == "passed" || result == "refused_as_expected",
                "{module}: {result}"
            ),
            due => assert_eq!(result, due, "{module}"),
        }
    }
}
