//! RSS per RP session with the largest metadata the RP accepts (issue 20,
//! docs/PERFORMANCE.md): opens N sessions on a running rp-service, feeds
//! each a provider metadata answer of just under the body limit through
//! ParseResponse, and reads the server's VmRSS from /proc before, after,
//! and after EndSession of every one.
//!
//! `session_memory PID ADDRESS N SHAPE` — SHAPE is `unknown` (the filler is
//! unknown members: parsed, then dropped) or `urls` (the filler is in the
//! endpoint URLs the RP keeps: the most a session can hold).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_story_proto::v1::relying_party_client::RelyingPartyClient;
use oidc_story_proto::v1::{
    EndSessionRequest, OAuthResponse, ParseResponseRequest, PrepareRequestRequest,
    StartSessionRequest,
};
use rp_service::service::response::MAX_BODY_BYTES;
use serde_json::{Value, json};

fn vm_rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Provider metadata of just under `MAX_BODY_BYTES` that passes every check.
fn metadata(shape: &str) -> String {
    let issuer = "https://example.com/";
    let mut m = json!({
        "issuer": issuer,
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "authorization_response_iss_parameter_supported": true,
    });
    let endpoints = rp_service::service::discovery::ENDPOINT_MEMBERS;
    let budget = MAX_BODY_BYTES - 1024;
    match shape {
        "urls" => {
            // Each endpoint URL as long as the RP keeps (MAX_URL_BYTES).
            let each = rp_service::service::response::MAX_URL_BYTES - 64;
            for e in endpoints {
                let prefix = format!("https://example.com/{e}/");
                m[e] = json!(format!("{prefix}{}", "p".repeat(each + 64 - prefix.len())));
            }
            // The rest of the body: unknown members.
            let mut i = 0;
            while m.to_string().len() < budget - 64 {
                m[format!("x{i}")] = json!(i);
                i += 1;
            }
        }
        _ => {
            for e in endpoints {
                m[e] = json!(format!("https://example.com/{e}"));
            }
            // Many small unknown members: the costliest kind to parse.
            let mut i = 0;
            while m.to_string().len() < budget - 64 {
                for _ in 0..100 {
                    m[format!("x{i}")] = json!(i);
                    i += 1;
                }
            }
        }
    }
    let text = m.to_string();
    assert!(text.len() <= MAX_BODY_BYTES, "{}", text.len());
    text
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (pid, address, n, shape) = (
        &args[1],
        &args[2],
        args[3].parse::<usize>().unwrap(),
        &args[4],
    );
    let body = metadata(shape);
    let mut rp = RelyingPartyClient::connect(format!("http://{address}"))
        .await
        .unwrap();
    let answer = OAuthResponse {
        status: 200,
        headers: [("content-type".to_owned(), "application/json".to_owned())]
            .into_iter()
            .collect(),
        body: body.clone(),
        location: String::new(),
        outbound: Vec::new(),
    };
    // Warm up: one session through the whole path, so that the first
    // measurement does not include one-off allocations.
    let mut ids = Vec::new();
    let run = async |rp: &mut RelyingPartyClient<_>| {
        let id = rp
            .start_session(StartSessionRequest {
                profile: "client".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .session_id;
        rp.prepare_request(PrepareRequestRequest {
            session_id: id.clone(),
            service: "provider_info".into(),
            args: Default::default(),
        })
        .await
        .unwrap();
        let parsed = rp
            .parse_response(ParseResponseRequest {
                session_id: id.clone(),
                service: "provider_info".into(),
                response: Some(answer.clone()),
                inbound: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(
            parsed.ok,
            "refused: {:?}",
            parsed.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>()
        );
        id
    };
    let warm = run(&mut rp).await;
    rp.end_session(EndSessionRequest { session_id: warm })
        .await
        .unwrap();
    let before = vm_rss_kib(pid);
    for _ in 0..n {
        ids.push(run(&mut rp).await);
    }
    let after = vm_rss_kib(pid);
    for id in ids {
        rp.end_session(EndSessionRequest { session_id: id })
            .await
            .unwrap();
    }
    let ended = vm_rss_kib(pid);
    let per_session = (after.saturating_sub(before)) as f64 / n as f64;
    let parsed: Value = serde_json::from_str(&body).unwrap();
    println!(
        "shape {shape}: metadata {} bytes ({} members); {n} sessions: VmRSS {before} -> {after} KiB, {per_session:.1} KiB per session; after EndSession of all: {ended} KiB",
        body.len(),
        parsed.as_object().map_or(0, |o| o.len()),
    );
}
