//! Runs a story: for each step, the RP prepares the request and names the AS
//! endpoint; the orchestrator carries the request to that AS RPC and the
//! answer back to the RP, which parses and verifies it. Everything that
//! crossed is recorded for the transcript.
use oidc_story_proto::v1::{
    EndSessionRequest, Endpoint, OAuthRequest, OAuthResponse, ParseResponseRequest, ParsedResponse,
    PrepareRequestRequest, StartSessionRequest,
};
use serde_json::Value;

use crate::catalog::{Step, Story};
use crate::fault::StoryFault;
pub use crate::record::{
    CheckRecord, ErrorRecord, JwtRecord, Level, Outcome, RequestRecord, ResponseRecord, StepRecord,
    StoryRecord, TamperRecord,
};
pub use crate::services::{Services, channel, grpc_url};

/// The longest the runner waits before a step, whatever the RP asks
/// (milliseconds): a minute.
const MAX_WAIT_MS: u64 = 60_000;

/// Runs one story through the services. Never panics: a fault stops the
/// story and is recorded as its error.
pub async fn run_story(services: &Services, story: &Story) -> StoryRecord {
    run_story_observed(services, story, &mut |_| {}).await
}

/// Runs one story, handing each step to `observer` as soon as it is done
/// (for transcripts written as the story runs, and step-by-step mode).
pub async fn run_story_observed(
    services: &Services,
    story: &Story,
    observer: &mut (dyn FnMut(&StepRecord) + Send),
) -> StoryRecord {
    let started = std::time::Instant::now();
    let mut record = StoryRecord {
        story: story.name.to_owned(),
        ok: false,
        warnings: 0,
        elapsed: std::time::Duration::ZERO,
        error: None,
        skipped: None,
        steps: Vec::new(),
    };
    let mut rp = services.relying_party.clone();
    let session_id = match rp
        .start_session(StartSessionRequest {
            profile: story.profile.to_owned(),
        })
        .await
    {
        Ok(r) => r.into_inner().session_id,
        Err(status) => {
            record.error = Some(StoryFault::StartSession(status.message().to_owned()).to_string());
            record.elapsed = started.elapsed();
            return record;
        }
    };
    let outcome = run_steps(services, story, &session_id, &mut record, observer).await;
    // The session is the RP's memory of this story; free it whatever happened.
    let _ = rp
        .end_session(EndSessionRequest {
            session_id: session_id.clone(),
        })
        .await;
    match outcome {
        Ok(()) => record.ok = record.steps.iter().all(|s| s.ok),
        Err(e) => record.error = Some(e.to_string()),
    }
    record.warnings = record.steps.iter().map(|s| s.warnings).sum();
    record.elapsed = started.elapsed();
    record
}

async fn run_steps(
    services: &Services,
    story: &Story,
    session_id: &str,
    record: &mut StoryRecord,
    observer: &mut (dyn FnMut(&StepRecord) + Send),
) -> Result<(), StoryFault> {
    let mut memory = crate::attacker::Memory::default();
    for step in story.steps {
        let adapted = services.adapt(step);
        let step = adapted.as_ref().unwrap_or(step);
        let (mut step_record, mut retry) =
            run_step(services, session_id, step, &mut memory).await?;
        if retry {
            // The AS asked for a DPoP nonce (RFC 9449 §8) and the RP now has
            // it: shown as an expected refusal, then the step once more.
            step_record.ok = true;
            step_record.expected_error = step_record.error.as_ref().map(|e| e.error.clone());
            observer(&step_record);
            record.steps.push(step_record);
            (step_record, retry) = run_step(services, session_id, step, &mut memory).await?;
            let _ = retry;
        }
        let ok = step_record.ok;
        observer(&step_record);
        record.steps.push(step_record);
        if !ok {
            return Err(StoryFault::StepFailed {
                service: step.service,
            });
        }
    }
    // A last answer that says "poll again" leaves the story unfinished.
    if let (Some(last), Some(step)) = (record.steps.last(), story.steps.last())
        && last.expected_error.is_none()
        && let Some(error) = &last.error
    {
        return Err(StoryFault::StillPending {
            service: step.service,
            error: error.error.clone(),
        });
    }
    Ok(())
}

/// Runs one step; the flag says the RP asks for it to be sent once more.
async fn run_step(
    services: &Services,
    session_id: &str,
    step: &Step,
    memory: &mut crate::attacker::Memory,
) -> Result<(StepRecord, bool), StoryFault> {
    let started = std::time::Instant::now();
    let mut rp = services.relying_party.clone();
    let prepared = rp
        .prepare_request(PrepareRequestRequest {
            session_id: session_id.to_owned(),
            service: step.service.name().to_owned(),
            args: step
                .args
                .iter()
                .filter_map(|(k, v)| Some(((*k).to_owned(), services.argument(k, v)?)))
                .collect(),
        })
        .await
        .map_err(|s| StoryFault::Prepare {
            service: step.service,
            message: s.message().to_owned(),
        })?
        .into_inner();
    let endpoint = prepared.endpoint();
    // The client's own pace (a polling interval, RFC 8628 §3.5): the
    // story waits as the client would, bounded as the RP bounds it.
    if prepared.send_after_ms > 0 {
        let wait = std::time::Duration::from_millis(prepared.send_after_ms.min(MAX_WAIT_MS));
        tokio::time::sleep(wait).await;
    }
    let request = prepared.request.ok_or(StoryFault::NoRequest {
        service: step.service,
    })?;
    let response = call_as(services, endpoint, &request, step).await?;
    // An attack story's attacker may change the answer on its way to the RP.
    let (delivered, tampered) = match step.tamper {
        Some(tamper) => {
            let mut changed = response.clone();
            let what = crate::attacker::apply(tamper, memory, &mut changed).map_err(|why| {
                StoryFault::Attacker {
                    service: step.service,
                    why,
                }
            })?;
            (changed, Some(what))
        }
        None => {
            memory.observe(endpoint == Endpoint::Jwks, &response);
            (response.clone(), None)
        }
    };
    let parsed = rp
        .parse_response(ParseResponseRequest {
            session_id: session_id.to_owned(),
            service: step.service.name().to_owned(),
            response: Some(delivered.clone()),
        })
        .await
        .map_err(|s| StoryFault::Parse {
            service: step.service,
            message: s.message().to_owned(),
        })?
        .into_inner();
    let retry = parsed.retry;
    let mut record = step_record(step, endpoint, &request, &response, parsed);
    if let Some(what) = tampered {
        record.tampered = Some(TamperRecord {
            what,
            location: Some(delivered.location).filter(|l| !l.is_empty()),
            // A page the attacker changed (a form post), shown as received.
            page: Some(delivered.body).filter(|b| {
                *b != response.body
                    && response
                        .headers
                        .get("content-type")
                        .is_some_and(|t| t.starts_with("text/html"))
            }),
        });
    }
    record.elapsed = started.elapsed();
    Ok((record, retry))
}

/// Sends a request to the AS RPC of `endpoint`, on the next replica. A
/// replica that cannot be reached (UNAVAILABLE: the request never got to
/// it) is skipped for the next one; any other answer is final, since an
/// OAuth request must not be sent twice.
async fn call_as(
    services: &Services,
    endpoint: Endpoint,
    request: &OAuthRequest,
    step: &Step,
) -> Result<OAuthResponse, StoryFault> {
    if let Some(link) = &services.http {
        return Ok(link.send(endpoint, request).await?);
    }
    let mut last = String::new();
    let first = services
        .next
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let replicas = services.authorization_servers.len();
    for i in 0..replicas {
        let mut authorization_server =
            services.authorization_servers[(first + i) % replicas].clone();
        let call = request.clone();
        let answer = match endpoint {
            Endpoint::ServerMetadata => authorization_server.server_metadata(call).await,
            Endpoint::Jwks => authorization_server.jwks(call).await,
            Endpoint::Authorization => authorization_server.authorization(call).await,
            Endpoint::Token => authorization_server.token(call).await,
            Endpoint::Introspection => authorization_server.introspection(call).await,
            Endpoint::Revocation => authorization_server.revocation(call).await,
            Endpoint::ProviderConfiguration => {
                authorization_server.provider_configuration(call).await
            }
            Endpoint::Userinfo => authorization_server.userinfo(call).await,
            Endpoint::Registration => authorization_server.registration(call).await,
            Endpoint::PushedAuthorization => authorization_server.pushed_authorization(call).await,
            Endpoint::DeviceAuthorization => authorization_server.device_authorization(call).await,
            Endpoint::DeviceVerification => authorization_server.device_verification(call).await,
            Endpoint::Unspecified => {
                return Err(StoryFault::NoEndpoint {
                    service: step.service,
                });
            }
        };
        match answer {
            Ok(response) => return Ok(response.into_inner()),
            Err(s) if s.code() == tonic::Code::Unavailable => last = s.message().to_owned(),
            Err(s) => {
                return Err(StoryFault::As {
                    endpoint: endpoint_name(endpoint),
                    message: s.message().to_owned(),
                });
            }
        }
    }
    Err(StoryFault::NoReplica {
        endpoint: endpoint_name(endpoint),
        last,
    })
}

fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::ServerMetadata => "ServerMetadata",
        Endpoint::Jwks => "Jwks",
        Endpoint::Authorization => "Authorization",
        Endpoint::Token => "Token",
        Endpoint::Introspection => "Introspection",
        Endpoint::Revocation => "Revocation",
        Endpoint::ProviderConfiguration => "ProviderConfiguration",
        Endpoint::Userinfo => "Userinfo",
        Endpoint::Registration => "Registration",
        Endpoint::PushedAuthorization => "PushedAuthorization",
        Endpoint::DeviceAuthorization => "DeviceAuthorization",
        Endpoint::DeviceVerification => "DeviceVerification",
        Endpoint::Unspecified => "Unspecified",
    }
}

fn json_or_text(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// The parameters of a request: its form body, or else its query.
fn request_params(request: &OAuthRequest) -> Value {
    let source = if request.body.is_empty() {
        url_query(&request.url)
    } else {
        request.body.clone()
    };
    match oauth_core::form::parse(&source) {
        Ok(params) if !params.is_empty() => decode_json_params(params.to_json()),
        Ok(_) => Value::Object(Default::default()),
        Err(_) => json_or_text(&request.body),
    }
}

/// Parameters whose value is JSON text (OIDC Core §5.5 `claims`, RFC 9396
/// `authorization_details`) shown as the JSON they carry, so a reader sees
/// the structure; the raw request keeps the text as sent.
fn decode_json_params(mut params: Value) -> Value {
    for name in ["claims", "authorization_details"] {
        if let Some(value) = params.get_mut(name)
            && let Some(decoded) = value
                .as_str()
                .and_then(|text| serde_json::from_str::<Value>(text).ok())
                .filter(|v| v.is_object() || v.is_array())
        {
            *value = decoded;
        }
    }
    params
}

fn url_query(url: &str) -> String {
    url.split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or("").to_owned())
        .unwrap_or_default()
}

fn step_record(
    step: &Step,
    endpoint: Endpoint,
    request: &OAuthRequest,
    response: &OAuthResponse,
    parsed: ParsedResponse,
) -> StepRecord {
    let error = (!parsed.error.is_empty()).then(|| ErrorRecord {
        error: parsed.error.clone(),
        error_description: parsed.error_description.clone(),
    });
    // The RP check the story expects to fail, found by its id (its text
    // is for people): a failed MUST, since a warning is no refusal.
    let refusal = step.expect_refusal.and_then(|id| {
        parsed
            .checks
            .iter()
            .find(|c| c.id == id.as_str() && !c.ok && Level::from_proto(c.level) == Level::Must)
    });
    let ok = match (&step.expect_error, step.expect_refusal) {
        (Some(expected), _) => error.as_ref().is_some_and(|e| e.error == expected.as_str()),
        // The attack succeeds unless the RP's named check fails.
        (None, Some(_)) => error.is_none() && refusal.is_some(),
        (None, None) => parsed.ok,
    };
    // Shown as the check's own text when the RP made it, else by its id.
    let expected_refusal = step
        .expect_refusal
        .map(|id| refusal.map_or_else(|| id.as_str().to_owned(), |c| c.name.clone()));
    // In a step whose refusal was expected and came, failed MUSTs are the
    // defences that held, not failures.
    let refusal_expected = ok && (step.expect_error.is_some() || step.expect_refusal.is_some());
    let checks: Vec<CheckRecord> = parsed
        .checks
        .into_iter()
        .map(|c| CheckRecord::new(c, refusal_expected))
        .collect();
    let warnings = checks
        .iter()
        .filter(|c| c.outcome == Outcome::Warning)
        .count();
    StepRecord {
        elapsed: std::time::Duration::ZERO,
        service: step.service.name().to_owned(),
        endpoint: endpoint_name(endpoint).to_owned(),
        request: RequestRecord {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: request.headers.clone().into_iter().collect(),
            params: request_params(request),
        },
        response: ResponseRecord {
            status: response.status,
            headers: response.headers.clone().into_iter().collect(),
            body: json_or_text(&response.body),
            location: Some(response.location.clone()).filter(|l| !l.is_empty()),
        },
        parsed: json_or_text(&parsed.parsed_json),
        checks,
        jwts: parsed
            .jwts
            .into_iter()
            .map(|j| JwtRecord {
                name: j.name,
                compact: j.compact,
                header: json_or_text(&j.header_json),
                claims: json_or_text(&j.claims_json),
                verified: j.verified,
                verification: j.verification,
            })
            .collect(),
        error,
        expected_error: step.expect_error.as_ref().map(|e| e.as_str().to_owned()),
        expected_refusal,
        tampered: None,
        ok,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use oidc_story_proto::v1::{Check, CheckLevel};
    use rp_service::service::CheckId;
    use rp_service::service::registry::ClientService;

    use super::*;
    use crate::catalog::Tamper;

    fn answer(id: &str, name: &str) -> ParsedResponse {
        let check = |id: &str, name: &str, ok| Check {
            id: id.into(),
            name: name.into(),
            ok,
            level: CheckLevel::Must as i32,
            ..Default::default()
        };
        ParsedResponse {
            checks: vec![
                check("authorization.code", "code is present", true),
                check(id, name, false),
            ],
            ..Default::default()
        }
    }

    fn record(parsed: ParsedResponse) -> StepRecord {
        let step = Step {
            service: ClientService::Authorization,
            args: &[],
            expect_error: None,
            expect_refusal: Some(CheckId::State),
            tamper: Some(Tamper::RedirectParam("state", "x")),
        };
        let (request, response) = (OAuthRequest::default(), OAuthResponse::default());
        step_record(&step, Endpoint::Authorization, &request, &response, parsed)
    }

    #[test]
    fn an_expected_refusal_is_matched_by_id_whatever_the_check_says() {
        let reworded = record(answer("authorization.state", "the state differs"));
        assert!(reworded.ok, "the refusal is found by its id");
        assert_eq!(
            reworded.expected_refusal.as_deref(),
            Some("the state differs")
        );
        // The same text under another id is not the refusal expected.
        let other = record(answer("authorization.iss", "state is the one sent"));
        assert!(!other.ok);
        assert_eq!(
            other.expected_refusal.as_deref(),
            Some("authorization.state")
        );
    }
}
