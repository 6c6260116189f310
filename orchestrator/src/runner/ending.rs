//! How a story that stopped ended, when neither side broke anything: a
//! provider we do not run refusing a legitimate request with an OAuth error
//! it may give, or a person's part that could not be automated. Anything
//! else that stops a story is a failure.
use rp_service::service::CheckId;

use crate::catalog::{Attack, Step, Story};
use crate::fault::{HttpFault, StoryFault};
use crate::record::{Ending, NotRefused, Outcome, StoryRecord};
use crate::services::Services;

/// Errors no policy explains: the server failed, or gave no OAuth error.
fn is_policy(error: &str) -> bool {
    !(error.is_empty() || error == "server_error" || error.starts_with("http_"))
}

/// The ending of a story stopped by `fault`, if it is not a failure.
pub(super) fn of(
    services: &Services,
    story: &Story,
    steps: &[Step],
    record: &StoryRecord,
    fault: &StoryFault,
) -> Option<Ending> {
    // An attack let through is that, whoever runs the provider.
    if let StoryFault::StepFailed { index, .. } = fault
        && let Some(not_refused) = not_refused(story, steps.get(*index)?, record)
    {
        return Some(Ending::NotRefused(not_refused));
    }
    // Only against a server we do not run: our own AS refusing its own
    // story is a fault of ours.
    services.http.as_ref()?;
    match fault {
        StoryFault::Http(
            why @ (HttpFault::LoginPage
            | HttpFault::LoginRedirect(_)
            | HttpFault::NoLoginForm
            | HttpFault::Browser(_)),
        ) => {
            let at = record.steps.len();
            Some(Ending::NeedsBrowser {
                step: at + 1,
                service: steps
                    .get(at)
                    .map_or_else(String::new, |s| s.service.name().to_owned()),
                what: why.to_string(),
            })
        }
        // The attack needs what the provider's earlier answers lacked (a
        // refresh token rotated, to present the spent one): it cannot be
        // tried here, which says nothing against the provider.
        StoryFault::Prepare { service, message }
            if steps.get(record.steps.len())?.attack != Attack::None =>
        {
            Some(Ending::Inconclusive {
                step: record.steps.len() + 1,
                service: service.name().to_owned(),
                why: message.clone(),
            })
        }
        // A legitimate step refused: in an attack story, its control.
        StoryFault::StepFailed { index, .. } if steps.get(*index)?.attack == Attack::None => {
            let at = record.steps.len().checked_sub(1)?;
            let last = &record.steps[at];
            let error = last.error.as_ref()?;
            // A step whose answer the attacker was to change, refused
            // before any change: the control refused, not the attack. A
            // refusal the RP judged against the provider's own metadata
            // (declining what it offers) is no policy: a failure.
            let against_its_word = last.checks.iter().any(|c| {
                !c.ok && CheckId::parse(&c.id).is_some_and(CheckId::judges_refusal_lawful)
            });
            let refused_honestly = last.expected_error.is_none()
                && last.tampered.is_none()
                && !against_its_word
                && is_policy(&error.error);
            refused_honestly.then(|| Ending::RefusedByServer {
                step: at + 1,
                service: last.service.clone(),
                error: error.error.clone(),
                description: error.error_description.clone(),
                note: last
                    .checks
                    .iter()
                    .find(|c| c.id == CheckId::AuthorizationErrorEncoding.as_str())
                    .map(|c| format!("{}: no, {} ({})", c.name, c.detail, c.reference)),
            })
        }
        _ => None,
    }
}

/// The attack the provider let through at the story's last recorded step,
/// if that is how it stopped: the step carries the attack, and the
/// provider answered without an error.
fn not_refused(story: &Story, step: &Step, record: &StoryRecord) -> Option<NotRefused> {
    if step.attack != Attack::Must {
        return None;
    }
    let at = record.steps.len().checked_sub(1)?;
    let last = &record.steps[at];
    if last.error.is_some() {
        return None;
    }
    let expected = match &last.expected_error {
        Some(error) => format!("a refusal ({error})"),
        None => last
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .join("; "),
    };
    Some(NotRefused {
        step: at + 1,
        service: last.service.clone(),
        sent: format!("{} {}", last.request.method, last.request.url),
        status: last.response.status,
        expected,
        clause: story.standard.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::is_policy;

    #[test]
    fn a_server_error_or_no_error_code_is_no_policy() {
        assert!(is_policy("unauthorized_client"));
        assert!(is_policy("invalid_request"));
        assert!(!is_policy("server_error"));
        assert!(!is_policy("http_404"));
        assert!(!is_policy(""));
    }
}
