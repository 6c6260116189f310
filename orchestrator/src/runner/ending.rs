//! How a story that stopped ended, when neither side broke anything: a
//! provider we do not run refusing a legitimate request with an OAuth error
//! it may give, or a person's part that could not be automated. Anything
//! else that stops a story is a failure.
use rp_service::service::CheckId;

use crate::catalog::{Step, Story};
use crate::fault::{HttpFault, StoryFault};
use crate::record::{Ending, StoryRecord};
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
    // Only against a server we do not run: our own AS refusing its own
    // story is a fault of ours.
    services.http.as_ref()?;
    let attack = story.name.starts_with("attack_");
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
        StoryFault::StepFailed { .. } if !attack => {
            let at = record.steps.len().checked_sub(1)?;
            let last = &record.steps[at];
            let error = last.error.as_ref()?;
            let refused_honestly = last.expected_error.is_none()
                && last.expected_refusal.is_none()
                && last.tampered.is_none()
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
