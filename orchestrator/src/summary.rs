//! The summary at the end of a run: the provider scorecard first (when the
//! run had attacks, or stories skipped or refused by the server), the plan's
//! table in a plan run (`plan`: a row per module), then per story its result, its checks passed / failed / warned and its time, then
//! the totals; rendered as a text table, a JSON Lines object of its own
//! kind, or a Markdown section.
use std::fmt::Write;

use serde::Serialize;

use crate::catalog::{Kind, Story};
use crate::runner::{Ending, Outcome, StoryRecord};

pub mod plan;
pub mod scorecard;
mod table;
mod wrap;

pub use plan::PlanTable;
pub use scorecard::Scorecard;

/// How a story ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum StoryResult {
    Passed,
    PassedWithWarnings {
        warnings: usize,
    },
    /// An attack story whose every attack was refused (by the AS or the RP).
    RefusedAsExpected,
    /// A server the project does not run answered a legitimate request
    /// with an OAuth error it may give (its policy): its right, not a fault.
    RefusedByServer {
        step: usize,
        service: String,
        error: String,
        description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A person's part (a login, a user code) could not be automated.
    NeedsBrowser {
        step: usize,
        service: String,
        what: String,
    },
    /// An attack the provider let through: its control went through, and
    /// the attacker's step was answered as if legitimate.
    NotRefused(crate::record::NotRefused),
    /// A MUST broken, or a fault of ours. `step` counts from 1; `service`
    /// names it (none when the story could not start or stopped before the
    /// step was recorded).
    Failed {
        step: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        service: Option<String>,
    },
    /// The run was cut short during the story (Ctrl-C, or `q` at a
    /// `--step` pause): neither passed nor failed.
    Interrupted {
        step: usize,
        why: String,
    },
    /// Not run: the server does not offer what the story needs.
    Skipped {
        why: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct StorySummary {
    pub story: String,
    /// Who the story tests: a usage story, or an attack the provider or
    /// our client must refuse.
    pub kind: Kind,
    #[serde(flatten)]
    pub result: StoryResult,
    pub checks_passed: usize,
    pub checks_failed: usize,
    pub checks_warned: usize,
    /// An attack story's defences its clause only recommends (SHOULD),
    /// let through: the story counts as refused, its warnings say which.
    #[serde(skip_serializing_if = "is_zero")]
    pub should_not_met: usize,
    pub time_ms: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub stories: usize,
    pub passed: usize,
    pub passed_with_warnings: usize,
    pub refused_as_expected: usize,
    pub refused_by_server: usize,
    pub needs_browser: usize,
    pub failed: usize,
    /// Attacks the provider let through.
    #[serde(skip_serializing_if = "is_zero")]
    pub not_refused: usize,
    /// A story cut short (Ctrl-C, `q` at --step).
    #[serde(skip_serializing_if = "is_zero")]
    pub interrupted: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped: usize,
    pub checks_passed: usize,
    pub checks_failed: usize,
    pub checks_warned: usize,
    pub time_ms: u64,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The run's summary. `strict`: warnings count as failures.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// What a provider's author reads first (see [`scorecard`] for its
    /// JSON); none in a run without attacks, skips or refusals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scorecard: Option<Scorecard>,
    /// In a plan run (`run --plan`): the plan, a row per module.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanTable>,
    pub stories: Vec<StorySummary>,
    pub totals: Totals,
    pub strict: bool,
    /// Every story passed (with warnings allowed unless `strict`).
    pub ok: bool,
    /// The second client of the attacks played by another client, when
    /// not the built-in one (`--client2`, or registered for the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_client: Option<String>,
    /// Clients registered at the provider during the run that could not
    /// be deleted (RFC 7592), and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_registered: Vec<LeftRegistered>,
}

impl StorySummary {
    pub fn of(record: &StoryRecord) -> Self {
        let count = |o: Outcome| {
            record
                .steps
                .iter()
                .flat_map(|s| &s.checks)
                .filter(|c| c.outcome == o)
                .count()
        };
        // A defence that held and an observation are checks that passed.
        let checks_passed = count(Outcome::Passed) + count(Outcome::Info) + count(Outcome::Refused);
        let attack = record.kind != Kind::Usage;
        let result = if let Some(why) = &record.skipped {
            StoryResult::Skipped { why: why.clone() }
        } else if let Some(ending) = &record.ending {
            match ending.clone() {
                Ending::RefusedByServer {
                    step,
                    service,
                    error,
                    description,
                    note,
                } => StoryResult::RefusedByServer {
                    step,
                    service,
                    error,
                    description,
                    note,
                },
                Ending::NeedsBrowser {
                    step,
                    service,
                    what,
                } => StoryResult::NeedsBrowser {
                    step,
                    service,
                    what,
                },
                Ending::NotRefused(not) => StoryResult::NotRefused(not),
                Ending::Interrupted { step, why } => StoryResult::Interrupted { step, why },
                Ending::Inconclusive { step, service, why } => StoryResult::Skipped {
                    why: format!("the attack cannot be made at step {step} ({service}): {why}"),
                },
            }
        } else if !record.ok {
            let at = record.steps.iter().position(|s| !s.ok);
            StoryResult::Failed {
                step: at.unwrap_or(record.steps.len()) + 1,
                service: at.map(|i| record.steps[i].service.clone()),
            }
        } else if attack {
            StoryResult::RefusedAsExpected
        } else if record.warnings > 0 {
            StoryResult::PassedWithWarnings {
                warnings: record.warnings,
            }
        } else {
            StoryResult::Passed
        };
        let should_not_met = record.should_not_met();
        Self {
            should_not_met,
            story: record.story.clone(),
            kind: crate::catalog::find(&record.story).map_or(Kind::Usage, Story::kind),
            result,
            checks_passed,
            checks_failed: count(Outcome::Failed),
            checks_warned: count(Outcome::Warning),
            time_ms: u64::try_from(record.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Whether the story counts as passed (`strict`: without warnings).
    pub fn passed(&self, strict: bool) -> bool {
        match self.result {
            StoryResult::Failed { .. } | StoryResult::NotRefused(_) => false,
            _ => !(strict && self.checks_warned > 0),
        }
    }

    pub fn result_text(&self) -> String {
        match &self.result {
            StoryResult::Skipped { why } => format!("skipped: {why}"),
            StoryResult::Passed => "passed".into(),
            StoryResult::PassedWithWarnings { warnings } => format!(
                "passed with {warnings} warning{}",
                if *warnings == 1 { "" } else { "s" }
            ),
            StoryResult::RefusedAsExpected if self.should_not_met > 0 => format!(
                "not refused where a SHOULD asks ({}), {} warning{}",
                self.should_not_met,
                self.checks_warned,
                if self.checks_warned == 1 { "" } else { "s" }
            ),
            StoryResult::RefusedAsExpected if self.checks_warned > 0 => format!(
                "refused as expected, {} warning{}",
                self.checks_warned,
                if self.checks_warned == 1 { "" } else { "s" }
            ),
            StoryResult::RefusedAsExpected => "refused as expected".into(),
            StoryResult::RefusedByServer {
                step,
                service,
                error,
                description,
                ..
            } if description.is_empty() => {
                format!("refused by the server at step {step} ({service}): {error}")
            }
            StoryResult::RefusedByServer {
                step,
                service,
                error,
                description,
                ..
            } => {
                format!("refused by the server at step {step} ({service}): {error}: {description}")
            }
            StoryResult::NeedsBrowser { step, service, .. } => {
                format!("needs a browser at step {step} ({service}): run with --browser")
            }
            StoryResult::Interrupted { step, why } => format!("{why} at step {step}"),
            StoryResult::NotRefused(n) => format!(
                "NOT REFUSED at step {} ({}): answered {} where {} requires {}",
                n.step, n.service, n.status, n.clause, n.expected
            ),
            StoryResult::Failed {
                step,
                service: Some(s),
            } => format!("FAILED at step {step} ({s})"),
            StoryResult::Failed {
                step,
                service: None,
            } => format!("FAILED at step {step}"),
        }
    }
}

impl Totals {
    /// `N stories` (or `1 story`).
    fn counted(&self) -> String {
        match self.stories {
            1 => "1 story".to_owned(),
            n => format!("{n} stories"),
        }
    }

    /// The results and the checks, as the text and Markdown totals say
    /// them.
    fn results(&self) -> String {
        format!(
            "{} passed, {} passed with warnings, {} refused as expected, {} failed{}; checks {} passed, {} failed, {} warned; {} ms",
            self.passed,
            self.passed_with_warnings,
            self.refused_as_expected,
            self.failed,
            self.skipped_text(),
            self.checks_passed,
            self.checks_failed,
            self.checks_warned,
            self.time_ms
        )
    }

    /// `, N refused by the server, N need a browser, N skipped`, each only
    /// when there is any.
    fn skipped_text(&self) -> String {
        let mut out = String::new();
        if self.interrupted > 0 {
            let _ = write!(out, ", {} cut short", self.interrupted);
        }
        if self.not_refused > 0 {
            let _ = write!(out, ", {} not refused by the provider", self.not_refused);
        }
        if self.refused_by_server > 0 {
            let _ = write!(out, ", {} refused by the server", self.refused_by_server);
        }
        if self.needs_browser > 0 {
            let _ = write!(
                out,
                ", {} {} a browser",
                self.needs_browser,
                if self.needs_browser == 1 {
                    "needs"
                } else {
                    "need"
                }
            );
        }
        if self.skipped > 0 {
            let _ = write!(out, ", {} skipped", self.skipped);
        }
        out
    }
}

impl Summary {
    pub fn new(records: &[StoryRecord], strict: bool) -> Self {
        let stories: Vec<StorySummary> = records.iter().map(StorySummary::of).collect();
        let mut totals = Totals {
            stories: stories.len(),
            ..Totals::default()
        };
        for s in &stories {
            match s.result {
                StoryResult::Passed => totals.passed += 1,
                StoryResult::PassedWithWarnings { .. } => totals.passed_with_warnings += 1,
                StoryResult::RefusedAsExpected => totals.refused_as_expected += 1,
                StoryResult::RefusedByServer { .. } => totals.refused_by_server += 1,
                StoryResult::NeedsBrowser { .. } => totals.needs_browser += 1,
                StoryResult::Failed { .. } => totals.failed += 1,
                StoryResult::NotRefused(_) => totals.not_refused += 1,
                StoryResult::Interrupted { .. } => totals.interrupted += 1,
                StoryResult::Skipped { .. } => totals.skipped += 1,
            }
            totals.checks_passed += s.checks_passed;
            totals.checks_failed += s.checks_failed;
            totals.checks_warned += s.checks_warned;
            totals.time_ms = totals.time_ms.saturating_add(s.time_ms);
        }
        let ok = stories.iter().all(|s| s.passed(strict));
        Self {
            scorecard: Scorecard::of(records),
            plan: None,
            stories,
            totals,
            strict,
            ok,
            second_client: None,
            left_registered: Vec::new(),
        }
    }

    /// The summary of a plan run: the plan's table beside the stories'.
    /// A module whose story did not run (the catalog lacks it, or the run
    /// was cut short) leaves the run not passed.
    #[must_use]
    pub fn with_plan(mut self, plan: &'static crate::plan::Plan) -> Self {
        let table = PlanTable::of(plan, &self.stories);
        self.ok &= table.complete();
        self.plan = Some(table);
        self
    }

    /// The JSON Lines object closing a run: `{"summary": {...}}`.
    pub fn json(&self) -> String {
        serde_json::json!({ "summary": self }).to_string()
    }

    /// The Markdown sections closing a run: the scorecard, the plan, then
    /// the summary.
    pub fn markdown(&self) -> String {
        format!("{}{}", self.markdown_opening(), self.markdown_table())
    }

    /// What a Markdown summary opens with: the scorecard and the plan's
    /// section, each when the run has one.
    pub fn markdown_opening(&self) -> String {
        let plan = self.plan.as_ref().map(PlanTable::markdown);
        format!("{}{}", self.markdown_scorecard(), plan.unwrap_or_default())
    }

    /// The scorecard's section, or nothing when the run has none.
    pub fn markdown_scorecard(&self) -> String {
        self.scorecard
            .as_ref()
            .map(crate::render::scorecard::markdown)
            .unwrap_or_default()
    }
}

/// A client registered at the provider during the run that is still
/// there: its id, and why it was not deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftRegistered {
    pub client_id: String,
    pub why: String,
}
