//! The badge of a story's result on the report's pages: its class (the
//! colour) and its words.
use crate::summary::{StoryResult, StorySummary};

/// The badge of a story's result: its class and words.
pub(super) fn badge(summary: &StorySummary) -> (&'static str, String) {
    let (result, warned) = (&summary.result, summary.checks_warned);
    match result {
        StoryResult::Passed => ("passed", "passed".into()),
        StoryResult::PassedWithWarnings { warnings } => (
            "warned",
            format!(
                "passed with {warnings} warning{}",
                if *warnings == 1 { "" } else { "s" }
            ),
        ),
        StoryResult::RefusedAsExpected if summary.should_not_met > 0 => {
            ("warned", summary.result_text())
        }
        StoryResult::RefusedAsExpected if warned > 0 => {
            ("warned", format!("refused as expected, {warned} warned"))
        }
        StoryResult::RefusedAsExpected => ("held", "refused as expected".into()),
        StoryResult::Skipped { why } => ("skipped", format!("skipped: {why}")),
        StoryResult::RefusedByServer { error, .. } => {
            ("skipped", format!("refused by the server: {error}"))
        }
        StoryResult::NeedsBrowser { .. } => ("skipped", "needs a browser".into()),
        StoryResult::Interrupted { .. } => ("skipped", summary.result_text()),
        StoryResult::NotRefused(n) => (
            "failed",
            format!("NOT REFUSED at step {} ({})", n.step, n.service),
        ),
        StoryResult::Failed { step, service } => (
            "failed",
            match service {
                Some(s) => format!("FAILED at step {step} ({s})"),
                None => format!("FAILED at step {step}"),
            },
        ),
    }
}
