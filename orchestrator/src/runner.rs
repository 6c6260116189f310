//! Runs a story: for each step, the RP prepares the request and names the AS
//! endpoint; the orchestrator carries the request to that AS RPC and the
//! answer back to the RP, which parses and verifies it. Everything that
//! crossed is recorded for the transcript.
use oidc_story_proto::v1::{Endpoint, OAuthRequest, OAuthResponse, ParseResponseRequest};
use rp_service::service::registry::ClientService;

use crate::catalog::{Attack, Step, Story};
use crate::fault::StoryFault;
pub use crate::record::{
    CheckRecord, Ending, ErrorRecord, JwtRecord, Level, LoginHop, Outcome, RequestRecord,
    ResponseRecord, StepRecord, StoryRecord, TamperRecord,
};
pub use crate::services::{Services, channel, grpc_url};

/// The longest the runner waits before a step, whatever the RP asks
/// (milliseconds): a minute.
const MAX_WAIT_MS: u64 = 60_000;
mod deliver;
mod ending;
mod rp;
mod transcribe;

pub use rp::RpCalls;
use rp::RpSession;

pub use deliver::BACKCHANNEL;

/// Runs one story through the services. Never panics: a fault stops the
/// story and is recorded as its error.
pub async fn run_story(services: &Services, story: &Story) -> StoryRecord {
    run_story_observed(services, story, RpCalls::Advance, &mut |_| {}).await
}

/// Runs one story, handing each step to `observer` as soon as it is done
/// (for transcripts written as the story runs, and step-by-step mode).
pub async fn run_story_observed(
    services: &Services,
    story: &Story,
    calls: RpCalls,
    observer: &mut (dyn FnMut(&StepRecord) + Send),
) -> StoryRecord {
    run_story_within(services, story, calls, None, observer).await
}

/// [`run_story_observed`], stopped when `deadline` has passed since the
/// story began: the story fails, timed out at the step under way.
pub async fn run_story_within(
    services: &Services,
    story: &Story,
    calls: RpCalls,
    deadline: Option<std::time::Duration>,
    observer: &mut (dyn FnMut(&StepRecord) + Send),
) -> StoryRecord {
    let started = std::time::Instant::now();
    let mut record = StoryRecord {
        story: story.name.to_owned(),
        kind: story.kind(),
        ok: false,
        warnings: 0,
        elapsed: std::time::Duration::ZERO,
        over_http: services.http.is_some(),
        error: None,
        skipped: None,
        ending: None,
        steps: Vec::new(),
    };
    let steps: Vec<Step> = story
        .steps
        .iter()
        .filter(|step| !services.omits(step))
        .map(|step| services.adapt(step).unwrap_or_else(|| step.clone()))
        .collect();
    let first = steps
        .first()
        .filter(|s| s.service != ClientService::BackchannelLogout);
    let mut rp = match RpSession::open(services, story, calls, first).await {
        Ok(rp) => rp,
        Err(fault) => {
            record.error = Some(fault.to_string());
            record.elapsed = started.elapsed();
            return record;
        }
    };
    let mut under_way = 0;
    let judge = transcribe::Judge {
        exact: services.http.is_none(),
        clause: story.standard,
    };
    let running = run_steps(
        services,
        &judge,
        &steps,
        &mut rp,
        &mut record,
        &mut under_way,
        observer,
    );
    let outcome = match deadline {
        Some(limit) => tokio::time::timeout(limit.saturating_sub(started.elapsed()), running)
            .await
            .unwrap_or_else(|_| {
                Err(StoryFault::TimedOut {
                    after: limit,
                    step: under_way + 1,
                    service: steps.get(under_way).map(|s| s.service),
                })
            }),
        None => running.await,
    };
    // The session is the RP's memory of this story; free it whatever happened.
    rp.close().await;
    match outcome {
        Ok(()) => record.ok = record.steps.iter().all(|s| s.ok),
        Err(e) => {
            record.ending = ending::of(services, story, &steps, &record, &e);
            record.error = Some(e.to_string());
        }
    }
    record.warnings = record.steps.iter().map(|s| s.warnings).sum();
    record.elapsed = started.elapsed();
    record
}

async fn run_steps(
    services: &Services,
    judge: &transcribe::Judge<'_>,
    steps: &[Step],
    rp: &mut RpSession<'_>,
    record: &mut StoryRecord,
    under_way: &mut usize,
    observer: &mut (dyn FnMut(&StepRecord) + Send),
) -> Result<(), StoryFault> {
    let mut memory = crate::attacker::Memory::new(steps.iter().any(|s| s.tamper.is_some()));
    for (i, step) in steps.iter().enumerate() {
        *under_way = i;
        // What the RP may prepare with this step's parse: the next request
        // (a delivery of what the OP sent prepares none).
        let next = steps
            .get(i + 1)
            .filter(|s| s.service != ClientService::BackchannelLogout);
        let last = i + 1 == steps.len();
        // A person approves the device in their own browser (--browser):
        // the device polls on, at the interval, until they have decided
        // (RFC 8628 §3.5), each poll prepared on its own.
        let person_decides = services
            .http
            .as_ref()
            .is_some_and(|h| h.login == crate::services::Login::Browser)
            && step.service == ClientService::DeviceToken
            && step.expect_error.is_none()
            && steps[..i]
                .iter()
                .any(|s| s.service == ClientService::DeviceUser);
        let (next, last) = if person_decides {
            (None, false)
        } else {
            (next, last)
        };
        let (mut step_record, mut retry) =
            run_step(services, judge, rp, step, next, last, &mut memory).await?;
        while person_decides && step_record.ok && step_record.error.is_some() {
            observer(&step_record);
            record.steps.push(step_record);
            (step_record, retry) =
                run_step(services, judge, rp, step, next, last, &mut memory).await?;
        }
        if retry {
            // The AS asked for a DPoP nonce (RFC 9449 §8) and the RP now has
            // it: shown as an expected refusal, then the step once more.
            step_record.ok = true;
            step_record.sent_again = true;
            step_record.expected_error = step_record.error.as_ref().map(|e| e.error.clone());
            observer(&step_record);
            record.steps.push(step_record);
            (step_record, retry) =
                run_step(services, judge, rp, step, next, last, &mut memory).await?;
            let _ = retry;
        }
        let ok = step_record.ok;
        // Guessing stops at the provider's first throttle: its defence
        // held, and a real server is asked no more than it must.
        let left = steps[i + 1..]
            .iter()
            .take_while(|s| s.service == step.service && s.attack != Attack::None)
            .count();
        let throttled =
            ok && step.attack != Attack::None && left > 0 && step_record.response.status == 429;
        if throttled {
            step_record.checks.push(CheckRecord::verdict(
                crate::record::THROTTLED,
                Level::Info,
                "the provider throttles the guesses",
                true,
                format!("status 429: the {left} guesses left are not sent"),
                judge.clause,
            ));
        }
        observer(&step_record);
        record.steps.push(step_record);
        if !ok {
            return Err(StoryFault::StepFailed {
                index: i,
                service: step.service,
            });
        }
        if throttled && i + 1 + left == steps.len() {
            break;
        }
    }
    // A last answer that says "poll again" leaves the story unfinished.
    if let (Some(last), Some(step)) = (record.steps.last(), steps.last())
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
    judge: &transcribe::Judge<'_>,
    rp: &mut RpSession<'_>,
    step: &Step,
    next: Option<&Step>,
    last: bool,
    memory: &mut crate::attacker::Memory,
) -> Result<(StepRecord, bool), StoryFault> {
    let started = std::time::Instant::now();
    if step.service == ClientService::BackchannelLogout {
        return Ok((
            deliver::deliver(services, judge, rp, step, next, last, memory).await?,
            false,
        ));
    }
    let (prepared, prepared_by) = rp.prepare(step).await?;
    let endpoint = prepared.endpoint();
    // The client's own pace (a polling interval, RFC 8628 §3.5): the
    // story waits as the client would; past its bound it stops, never
    // sending sooner than asked.
    if prepared.send_after_ms > MAX_WAIT_MS {
        return Err(StoryFault::WaitTooLong {
            service: step.service,
            asked_ms: prepared.send_after_ms,
            limit_ms: MAX_WAIT_MS,
        });
    }
    if prepared.send_after_ms > 0 {
        services
            .wait(std::time::Duration::from_millis(prepared.send_after_ms))
            .await;
    }
    let request = prepared.request.ok_or(StoryFault::NoRequest {
        service: step.service,
    })?;
    // A request naming another URL than its endpoint's (an attack on the
    // proof's URL) reaches the endpoint over HTTP all the same, and is
    // recorded as sent.
    let request = match &services.http {
        Some(link) if step.args.iter().any(|(k, _)| *k == "request_url") => link
            .delivered_to_endpoint(endpoint, &request)
            .unwrap_or(request),
        _ => request,
    };
    // The story's browser: the endpoints a user agent visits get the
    // cookies the AS set there before (its login session), and keep what
    // it sets now.
    let browser = matches!(
        endpoint,
        Endpoint::Authorization | Endpoint::EndSession | Endpoint::DeviceVerification
    );
    let url = url::Url::parse(&request.url).ok();
    let mut request = request;
    if browser
        && !request.headers.contains_key("cookie")
        && let Some(cookie) = url.as_ref().and_then(|u| memory.jar.header_for(u))
    {
        request.headers.insert("cookie".to_owned(), cookie);
    }
    let (response, login) = call_as(services, endpoint, &request, step, &mut memory.jar).await?;
    if browser && let Some(url) = &url {
        memory.jar.keep(url, &response);
    }
    // An attack story's attacker may change the answer on its way to the RP.
    let (delivered, tampered) = match step.tamper {
        Some(tamper) => {
            let mut changed = response.clone();
            match crate::attacker::apply(tamper, memory, &mut changed) {
                Ok(what) => (changed, Some(what)),
                // A provider that refused the legitimate request (an
                // earlier one, or this) left the attacker nothing to work
                // with: its refusal goes on as it is, and ends the story as
                // the control's refusal (refused_by_server).
                Err(_) if services.http.is_some() && crate::attacker::is_refusal(&response) => {
                    memory.observe(endpoint == Endpoint::Jwks, &response);
                    (response.clone(), None)
                }
                Err(why) => {
                    return Err(StoryFault::Attacker {
                        service: step.service,
                        why,
                    });
                }
            }
        }
        None => {
            memory.observe(endpoint == Endpoint::Jwks, &response);
            (response.clone(), None)
        }
    };
    let (parsed, parsed_by) = rp
        .parse(
            step,
            ParseResponseRequest {
                session_id: String::new(),
                service: step.service.name().to_owned(),
                response: Some(delivered.clone()),
                inbound: None,
            },
            next,
            last,
        )
        .await?;
    let retry = parsed.retry;
    let name = endpoint_name(endpoint);
    let mut record = transcribe::step_record(step, name, &request, &response, parsed, judge);
    record.login = login;
    record.prepared_by = prepared_by;
    record.parsed_by = parsed_by;
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
    jar: &mut crate::link::Jar,
) -> Result<(OAuthResponse, Vec<LoginHop>), StoryFault> {
    if let Some(link) = &services.http {
        return Ok(link.send(endpoint, request, jar).await?);
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
        services.count_call();
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
            Endpoint::EndSession => authorization_server.end_session(call).await,
            Endpoint::Unspecified => {
                return Err(StoryFault::NoEndpoint {
                    service: step.service,
                });
            }
        };
        match answer {
            Ok(response) => return Ok((response.into_inner(), Vec::new())),
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
        Endpoint::EndSession => "EndSession",
        Endpoint::Unspecified => "Unspecified",
    }
}
