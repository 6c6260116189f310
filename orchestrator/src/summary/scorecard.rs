//! The provider scorecard: what a provider's author reads first, above the
//! summary table. Per clause, what the provider's answers broke: the
//! MUSTs, the attacks it let through, the SHOULDs that warned; then what
//! it does not offer, each reason with the stories it kept from running;
//! and the counts of the attacks on the provider and of our client's own
//! defences, which say nothing of the provider and are counted apart.
//!
//! Only answers that are the provider's count: a step whose answer an
//! attacker changed, or whose refusal was our client's to make, is our
//! client's part.
//!
//! As JSON, `summary.scorecard` (left out when the run had no attack story
//! and nothing skipped or refused by the server):
//!
//! ```json
//! {
//!   "provider_attacks": {"run": 38, "refused": 36, "not_refused": 1,
//!                        "not_refused_should": 1, "stopped": 0, "skipped": 2},
//!   "client_defences": {"run": 29, "held": 29, "failed": 0, "stopped": 0,
//!                       "skipped": 0, "failed_stories": []},
//!   "clauses": [
//!     {"clause": "RFC 7636 §4.6, RFC 9700 §2.1.1",
//!      "not_refused": ["attack_pkce_downgrade"],
//!      "musts_broken": [{"check": "Cache-Control is no-store", "stories": ["oauth2_cc"]}],
//!      "failed": [{"story": "oauth2_code", "why": "…"}],
//!      "shoulds_warned": [{"check": "the provider refuses the attack",
//!                          "stories": ["attack_password_guessing"]}]}
//!   ],
//!   "not_offered": [{"why": "no revocation_endpoint",
//!                    "stories": ["oauth2_token_revocation", "attack_revocation_without_auth"]}],
//!   "needs_option": [{"why": "a second client: --client2 FILE",
//!                     "stories": ["attack_code_other_client"]}]
//! }
//! ```
//!
//! - `provider_attacks`: the stories of attacks the provider must refuse.
//!   `run` = `refused` + `not_refused` (a MUST: fails the run) +
//!   `not_refused_should` (a SHOULD: a warning) + `stopped` (the story
//!   ended before its verdict: a MUST broken on the way, a refusal of the
//!   legitimate part by the server's policy, a person's part); `skipped`:
//!   not run, the provider lacks what the attack needs.
//! - `client_defences`: the stories of attacks our client must refuse;
//!   `failed`: our client let the attack through (`failed_stories` names
//!   them); `stopped`: the story ended before the attack for another reason.
//! - `clauses`: by the clause cited (a check's reference, an attack story's
//!   standard), those with something against a MUST first, then in the
//!   order the run met them. `failed` holds the stories that failed with no
//!   check to name, with the story's error. Each list is empty when there
//!   is nothing of its kind; a clause with nothing at all is not listed.
//! - `not_offered`: why stories were not run (the skip's reason, or the
//!   server's refusal of their legitimate part by its policy), each reason
//!   once; `needs_option`: the same for the stories that wait on an option
//!   of the run rather than on the provider (a second client, a
//!   back-channel URI: the reason names the option).
use serde::Serialize;

use crate::catalog::Kind;
use crate::record::{Ending, Outcome, StepRecord, StoryRecord};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scorecard {
    pub provider_attacks: ProviderAttacks,
    pub client_defences: ClientDefences,
    pub clauses: Vec<Clause>,
    pub not_offered: Vec<NotOffered>,
    pub needs_option: Vec<NotOffered>,
}

/// The attacks the provider must refuse, by what came of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProviderAttacks {
    pub run: usize,
    pub refused: usize,
    /// Let through where a MUST forbids it.
    pub not_refused: usize,
    /// Let through where a SHOULD asks for a refusal.
    pub not_refused_should: usize,
    pub stopped: usize,
    pub skipped: usize,
}

/// The attacks our client must refuse: its defences, not the provider's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientDefences {
    pub run: usize,
    pub held: usize,
    pub failed: usize,
    pub stopped: usize,
    pub skipped: usize,
    pub failed_stories: Vec<String>,
}

/// What the provider's answers broke of one clause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Clause {
    pub clause: String,
    pub not_refused: Vec<String>,
    pub musts_broken: Vec<Broken>,
    pub failed: Vec<Failure>,
    pub shoulds_warned: Vec<Broken>,
}

/// A check the provider's answers broke, and the stories where they did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub check: String,
    pub stories: Vec<String>,
}

/// A story that failed without a check to name, and its error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub story: String,
    pub why: String,
}

/// Something the provider does not offer, and the stories it kept from
/// running.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotOffered {
    pub why: String,
    pub stories: Vec<String>,
}

/// How a story came out, as the scorecard sorts it.
enum Fate {
    /// Not run, or stopped by the server's policy: what is not offered.
    NotOffered {
        why: String,
        ran: bool,
    },
    NotRefused {
        clause: String,
    },
    /// Ended before its verdict, through nobody's fault (a person's part).
    Stopped,
    Failed,
    Passed,
}

fn fate(record: &StoryRecord) -> Fate {
    if let Some(why) = &record.skipped {
        return Fate::NotOffered {
            why: why.clone(),
            ran: false,
        };
    }
    match &record.ending {
        Some(Ending::Inconclusive { why, .. }) => Fate::NotOffered {
            why: format!("the attack cannot be made: {why}"),
            ran: false,
        },
        Some(Ending::RefusedByServer { service, error, .. }) => Fate::NotOffered {
            why: format!("the server refuses {service} by its policy: {error}"),
            ran: true,
        },
        Some(Ending::NeedsBrowser { .. } | Ending::Interrupted { .. }) => Fate::Stopped,
        Some(Ending::NotRefused(n)) => Fate::NotRefused {
            clause: n.clause.clone(),
        },
        None if !record.ok => Fate::Failed,
        None => Fate::Passed,
    }
}

/// Whether the answer of a step is the provider's own: not changed by an
/// attacker, and not one whose refusal was our client's to make.
fn is_providers_answer(step: &StepRecord) -> bool {
    step.tampered.is_none() && step.expected_refusal.is_none()
}

/// The story's own clause, from the catalog.
fn standard(story: &str) -> String {
    crate::catalog::find(story).map_or_else(String::new, |s| s.standard.to_owned())
}

/// Adds `story` to the list beside `key`, each key and story once.
fn add_to(list: &mut Vec<Broken>, key: &str, story: &str) {
    let at = match list.iter().position(|b| b.check == key) {
        Some(at) => at,
        None => {
            list.push(Broken {
                check: key.to_owned(),
                stories: Vec::new(),
            });
            list.len() - 1
        }
    };
    if !list[at].stories.iter().any(|s| s == story) {
        list[at].stories.push(story.to_owned());
    }
}

impl Scorecard {
    /// The scorecard of a run, or none when the run had no attack story
    /// and nothing skipped or refused by the server (a usage run's summary
    /// is the table alone).
    pub fn of(records: &[StoryRecord]) -> Option<Self> {
        let shown = records
            .iter()
            .any(|r| r.kind != Kind::Usage || matches!(fate(r), Fate::NotOffered { .. }));
        if !shown {
            return None;
        }
        let mut card = Self::default();
        for record in records {
            card.add(record);
        }
        // What broke a MUST first; otherwise in the order the run met them.
        card.clauses.sort_by_key(|c| {
            c.not_refused.is_empty() && c.musts_broken.is_empty() && c.failed.is_empty()
        });
        Some(card)
    }

    /// Whether the provider's answers broke nothing and let no attack
    /// through (what it does not offer aside).
    pub fn clean(&self) -> bool {
        self.clauses.is_empty()
    }

    fn clause(&mut self, clause: &str) -> &mut Clause {
        let at = match self.clauses.iter().position(|c| c.clause == clause) {
            Some(at) => at,
            None => {
                self.clauses.push(Clause {
                    clause: clause.to_owned(),
                    ..Clause::default()
                });
                self.clauses.len() - 1
            }
        };
        &mut self.clauses[at]
    }

    fn add(&mut self, record: &StoryRecord) {
        let story = record.story.as_str();
        let fate = fate(record);
        // Where the story stopped, and whether that was our client's part.
        let failed_at = record.steps.iter().find(|s| !s.ok);
        let clients_failure = matches!(fate, Fate::Failed)
            && record.kind == Kind::Client
            && failed_at.is_some_and(|s| !is_providers_answer(s));
        match record.kind {
            Kind::Provider => {
                let a = &mut self.provider_attacks;
                match &fate {
                    Fate::NotOffered { ran: false, .. } => a.skipped += 1,
                    Fate::NotRefused { .. } => a.not_refused += 1,
                    Fate::NotOffered { ran: true, .. } | Fate::Stopped | Fate::Failed => {
                        a.stopped += 1;
                    }
                    Fate::Passed if record.should_not_met() > 0 => a.not_refused_should += 1,
                    Fate::Passed => a.refused += 1,
                }
                a.run = a.refused + a.not_refused + a.not_refused_should + a.stopped;
            }
            Kind::Client => {
                let d = &mut self.client_defences;
                match &fate {
                    Fate::NotOffered { ran: false, .. } => d.skipped += 1,
                    Fate::Failed if clients_failure => {
                        d.failed += 1;
                        d.failed_stories.push(story.to_owned());
                    }
                    Fate::Passed => d.held += 1,
                    _ => d.stopped += 1,
                }
                d.run = d.held + d.failed + d.stopped;
            }
            Kind::Usage => {}
        }
        match fate {
            Fate::NotOffered { why, .. } => {
                // A reason naming an option of ours (`--client2 FILE`) is
                // the run's to mend, not the provider's.
                let list = if why.contains("--") {
                    &mut self.needs_option
                } else {
                    &mut self.not_offered
                };
                match list.iter_mut().find(|n| n.why == why) {
                    Some(n) => n.stories.push(story.to_owned()),
                    None => list.push(NotOffered {
                        why,
                        stories: vec![story.to_owned()],
                    }),
                }
            }
            // The attack the story is about; the checks its answer broke
            // are what `expected` names.
            Fate::NotRefused { clause } => {
                self.clause(&clause).not_refused.push(story.to_owned());
            }
            Fate::Failed if clients_failure => {}
            Fate::Failed => {
                let mut named = false;
                for step in record.steps.iter().filter(|s| is_providers_answer(s)) {
                    for check in step.checks.iter().filter(|c| c.outcome == Outcome::Failed) {
                        add_to(
                            &mut self.clause(&check.reference).musts_broken,
                            &check.name,
                            story,
                        );
                        named = true;
                    }
                }
                if !named {
                    let why = record.error.clone().unwrap_or_else(|| "failed".into());
                    self.clause(&standard(story)).failed.push(Failure {
                        story: story.to_owned(),
                        why,
                    });
                }
            }
            Fate::Stopped | Fate::Passed => {}
        }
        if record.skipped.is_none() {
            for step in record.steps.iter().filter(|s| is_providers_answer(s)) {
                for check in step.checks.iter().filter(|c| c.outcome == Outcome::Warning) {
                    add_to(
                        &mut self.clause(&check.reference).shoulds_warned,
                        &check.name,
                        story,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
