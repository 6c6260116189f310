//! Delivering what the OP sends the RP itself: a back-channel logout
//! notification, returned beside the OP's end_session answer — or, from a
//! server over HTTP, posted by it to the orchestrator's listener at the
//! client's back-channel logout URI (`--backchannel-uri`) and answered
//! there with the RP's verdict.
use std::time::Duration;

use oidc_story_proto::v1::{OAuthResponse, ParseResponseRequest};

use super::rp::RpSession;
use super::transcribe::step_record;
use crate::catalog::Step;
use crate::fault::StoryFault;
use crate::record::{StepRecord, TamperRecord};

/// Carries the OP's last notification (a back-channel logout request its
/// end_session answer returned) to the RP, changed by an attacker if the
/// step says so. The RP's answer to the OP (200 or 400, §2.8) is recorded
/// as the response; it goes no further.
pub(super) async fn deliver(
    services: &crate::services::Services,
    judge: &super::transcribe::Judge<'_>,
    rp: &mut RpSession<'_>,
    step: &Step,
    next: Option<&Step>,
    last: bool,
    memory: &mut crate::attacker::Memory,
) -> Result<StepRecord, StoryFault> {
    let started = std::time::Instant::now();
    let inbox = services.http.as_ref().and_then(|h| h.backchannel.clone());
    let (sent, arrival) = match (memory.notification().cloned(), inbox) {
        (Some(sent), _) => (sent, None),
        (None, Some(inbox)) => {
            let arrival = inbox.next(WAIT).await.ok_or(StoryFault::NoNotification {
                service: step.service,
            })?;
            memory.received(arrival.request.clone());
            (arrival.request.clone(), Some(arrival))
        }
        (None, None) => {
            return Err(StoryFault::NoNotification {
                service: step.service,
            });
        }
    };
    let mut delivered = sent.clone();
    let tampered = match step.tamper {
        Some(tamper) => Some(
            crate::attacker::apply_to_notification(tamper, &mut delivered).map_err(|why| {
                StoryFault::Attacker {
                    service: step.service,
                    why,
                }
            })?,
        ),
        None => None,
    };
    let (parsed, parsed_by) = rp
        .parse(
            step,
            ParseResponseRequest {
                session_id: String::new(),
                service: step.service.name().to_owned(),
                response: None,
                inbound: Some(delivered),
            },
            next,
            last,
        )
        .await?;
    // §2.8: 200 for a logout done, 400 for a token refused.
    let status = if parsed.ok { 200 } else { 400 };
    if let Some(arrival) = arrival {
        arrival.answer(status);
    }
    let answer = OAuthResponse {
        status: status.into(),
        headers: [("cache-control".to_owned(), "no-store".to_owned())].into(),
        ..Default::default()
    };
    let mut record = step_record(step, BACKCHANNEL, &sent, &answer, parsed, judge);
    record.parsed_by = parsed_by;
    record.tampered = tampered.map(|what| TamperRecord {
        what,
        location: None,
        page: None,
    });
    record.elapsed = started.elapsed();
    Ok(record)
}

/// How long a server over HTTP has to post its logout token after the
/// logout that makes it.
const WAIT: Duration = Duration::from_secs(10);

/// The endpoint name of a back-channel logout step: the RP's, not the AS's.
pub const BACKCHANNEL: &str = "BackchannelLogout";
