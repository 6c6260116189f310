//! A run cut short: Ctrl-C, or `q` at a `--step` pause. The story under
//! way is abandoned where it stands and recorded as interrupted; the run
//! then writes its summary (and index) of what ran, and says so.
use std::io::Read;

use crate::catalog::Story;
use crate::record::{Ending, StepRecord, StoryRecord};

/// Who cut the run short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// `q` at a `--step` pause.
    Quit,
    /// Ctrl-C (SIGINT).
    CtrlC,
}

impl Stop {
    pub(super) fn says(self) -> &'static str {
        match self {
            Self::Quit => "stopped at your request (q)",
            Self::CtrlC => "interrupted (Ctrl-C)",
        }
    }
}

/// The record of a story abandoned after the steps it completed.
pub(super) fn record(story: &Story, steps: Vec<StepRecord>, stop: Stop) -> StoryRecord {
    let mut record = StoryRecord::skipped(story.name, "");
    record.skipped = None;
    record.kind = story.kind();
    record.ok = false;
    record.warnings = steps.iter().map(|s| s.warnings).sum();
    record.ending = Some(Ending::Interrupted {
        step: steps.len() + 1,
        why: stop.says().to_owned(),
    });
    record.steps = steps;
    record
}

/// Shows the prompt and waits for one key on the terminal (no Enter):
/// `true` for `q`. Elsewhere (not a terminal), a line.
pub(super) fn pause(prompt: &str) -> bool {
    eprint!("{prompt}");
    let key = read_key();
    eprintln!();
    matches!(key, Some(b'q' | b'Q'))
}

fn read_key() -> Option<u8> {
    let stdin = std::io::stdin();
    let saved = rustix::termios::tcgetattr(&stdin).ok();
    if let Some(saved) = &saved {
        // Out of line mode, without echo: one byte is one key.
        let mut raw = saved.clone();
        raw.local_modes
            .remove(rustix::termios::LocalModes::ICANON | rustix::termios::LocalModes::ECHO);
        raw.special_codes[rustix::termios::SpecialCodeIndex::VMIN] = 1;
        raw.special_codes[rustix::termios::SpecialCodeIndex::VTIME] = 0;
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw);
    }
    let mut byte = [0u8; 1];
    let read = stdin.lock().read(&mut byte);
    if let Some(saved) = &saved {
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, saved);
    }
    match (read, saved) {
        (Ok(1), Some(_)) => Some(byte[0]),
        // Not a terminal: the rest of the line is the answer.
        (Ok(1), None) => {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut stdin.lock(), &mut line);
            Some(byte[0])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{StoryResult, StorySummary};

    #[test]
    fn a_story_cut_short_is_neither_passed_nor_failed_and_says_where() {
        let story = crate::catalog::find("oauth2_code").unwrap();
        let record = record(story, Vec::new(), Stop::Quit);
        let summary = StorySummary::of(&record);
        assert!(matches!(
            summary.result,
            StoryResult::Interrupted { step: 1, .. }
        ));
        assert!(summary.passed(false), "no failure: the person stopped it");
        assert_eq!(
            summary.result_text(),
            "stopped at your request (q) at step 1"
        );
    }
}
