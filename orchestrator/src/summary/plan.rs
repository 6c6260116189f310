//! A plan run's table: one row per module of the plan — its clause, its
//! story and that story's outcome — and the count of each outcome over the
//! modules; in text (within 100 columns) and Markdown. The HTML index draws
//! it too (`render::html::plan`), and the JSON summary carries it as
//! `plan`.
use std::fmt::Write;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{StoryResult, StorySummary, wrap};
use crate::catalog;
use crate::plan::Plan;
use crate::render::Style;
use crate::render::safe::{markdown_cell, markdown_cell_code, markdown_text, terminal};

/// A module's outcome: its story's result, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleResult {
    Passed,
    PassedWithWarnings,
    RefusedAsExpected,
    RefusedByServer,
    NeedsBrowser,
    Skipped,
    Failed,
    NotRefused,
    Interrupted,
    /// The run was cut short before the module's story.
    NotRun,
    /// The plan names a story the catalog does not hold: a fault of ours.
    NotInCatalog,
}

/// Every outcome, in the order the counts name them.
const ORDER: [ModuleResult; 11] = [
    ModuleResult::Passed,
    ModuleResult::PassedWithWarnings,
    ModuleResult::RefusedAsExpected,
    ModuleResult::RefusedByServer,
    ModuleResult::NeedsBrowser,
    ModuleResult::Skipped,
    ModuleResult::Failed,
    ModuleResult::NotRefused,
    ModuleResult::Interrupted,
    ModuleResult::NotRun,
    ModuleResult::NotInCatalog,
];

impl ModuleResult {
    fn of(result: &StoryResult) -> Self {
        match result {
            StoryResult::Passed => Self::Passed,
            StoryResult::PassedWithWarnings { .. } => Self::PassedWithWarnings,
            StoryResult::RefusedAsExpected => Self::RefusedAsExpected,
            StoryResult::RefusedByServer { .. } => Self::RefusedByServer,
            StoryResult::NeedsBrowser { .. } => Self::NeedsBrowser,
            StoryResult::Skipped { .. } => Self::Skipped,
            StoryResult::Failed { .. } => Self::Failed,
            StoryResult::NotRefused(_) => Self::NotRefused,
            StoryResult::Interrupted { .. } => Self::Interrupted,
        }
    }

    /// The outcome in the words of the counts.
    pub fn says(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::PassedWithWarnings => "passed with warnings",
            Self::RefusedAsExpected => "refused as expected",
            Self::RefusedByServer => "refused by the server",
            Self::NeedsBrowser => "needing a browser",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::NotRefused => "not refused",
            Self::Interrupted => "interrupted",
            Self::NotRun => "not run",
            Self::NotInCatalog => "not in the catalog",
        }
    }

    /// A module that did not pass: a failure, an attack let through, or a
    /// story of the plan the catalog lacks.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::NotRefused | Self::NotInCatalog)
    }
}

/// One module of the plan, as the run left it.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleRow {
    pub module: &'static str,
    pub clause: &'static str,
    pub story: &'static str,
    pub result: ModuleResult,
    /// The outcome in words: the story's `result_text`.
    #[serde(skip)]
    pub words: String,
    /// The story warned (a SHOULD not met).
    #[serde(skip)]
    pub warned: bool,
}

/// The plan of a plan run, module by module.
#[derive(Debug, Clone, Serialize)]
pub struct PlanTable {
    pub name: &'static str,
    pub title: &'static str,
    #[serde(skip)]
    pub source: &'static str,
    pub modules: Vec<ModuleRow>,
    /// How many modules had each outcome (only those some had), in the
    /// order of [`ModuleResult`].
    #[serde(serialize_with = "counts_map")]
    pub counts: Vec<(ModuleResult, usize)>,
}

fn counts_map<S: Serializer>(counts: &[(ModuleResult, usize)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(counts.len()))?;
    for (result, n) in counts {
        map.serialize_entry(result, n)?;
    }
    map.end()
}

/// The message for a module whose story the catalog lacks.
pub fn not_in_catalog(plan: &Plan, module: &str, story: &str) -> String {
    format!(
        "internal error: plan {}, module {module}: its story {story} is not in the catalog; the module is not run",
        plan.name
    )
}

impl PlanTable {
    /// The plan's modules with the outcomes of the stories run (a story
    /// that two modules name gives both its outcome).
    pub fn of(plan: &'static Plan, stories: &[StorySummary]) -> Self {
        let modules: Vec<ModuleRow> = plan
            .modules
            .iter()
            .map(|m| {
                let ran = stories.iter().find(|s| s.story == m.story);
                let (result, words, warned) = match ran {
                    _ if catalog::find(m.story).is_none() => (
                        ModuleResult::NotInCatalog,
                        "not in the catalog (internal error)".to_owned(),
                        false,
                    ),
                    Some(s) => (
                        ModuleResult::of(&s.result),
                        s.result_text(),
                        s.checks_warned > 0,
                    ),
                    None => (ModuleResult::NotRun, "not run".to_owned(), false),
                };
                ModuleRow {
                    module: m.name,
                    clause: m.clause,
                    story: m.story,
                    result,
                    words,
                    warned,
                }
            })
            .collect();
        let counts = ORDER
            .iter()
            .map(|o| (*o, modules.iter().filter(|m| m.result == *o).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        Self {
            name: plan.name,
            title: plan.title,
            source: plan.source,
            modules,
            counts,
        }
    }

    /// Every module's story ran (whatever its outcome).
    pub fn complete(&self) -> bool {
        self.modules
            .iter()
            .all(|m| !matches!(m.result, ModuleResult::NotRun | ModuleResult::NotInCatalog))
    }

    /// `33 modules: 30 passed, 3 refused as expected`.
    pub fn counts_text(&self) -> String {
        let each: Vec<String> = self
            .counts
            .iter()
            .map(|(o, n)| format!("{n} {}", o.says()))
            .collect();
        let n = self.modules.len();
        format!(
            "{n} module{}: {}",
            if n == 1 { "" } else { "s" },
            each.join(", ")
        )
    }

    /// The `PLAN` block: a row per module — its name and outcome, then its
    /// story and clause below — and the counts, every line within 100
    /// columns.
    pub fn text(&self, style: Style) -> String {
        let mut out = String::new();
        let heading = format!("{}: {}", self.name, self.title);
        let (first, rest) = wrap::wrap(&heading, 95);
        let _ = writeln!(out, "{} {first}", style.header("PLAN"));
        let (source, more) = wrap::wrap(self.source, 100);
        for line in rest.iter().chain([&source]).chain(&more) {
            let _ = writeln!(out, "{line}");
        }
        // A module name longer than its column has a line of its own; the
        // outcome keeps at least 30 columns, wrapped within them.
        let width = self
            .modules
            .iter()
            .map(|m| m.module.len())
            .filter(|n| *n <= 68)
            .max()
            .unwrap_or(0)
            .max("module".len());
        let column = 100 - width - 2;
        let story_width = self
            .modules
            .iter()
            .map(|m| m.story.len())
            .max()
            .unwrap_or(0)
            .max("story".len());
        let clause_column = 100usize.saturating_sub(4 + story_width + 2).max(20);
        let _ = writeln!(out, "{:width$}  outcome", "module");
        let _ = writeln!(out, "    {:story_width$}  clause", "story");
        for m in &self.modules {
            let (head, tail) = wrap::wrap(&terminal(&m.words), column);
            let paint = |text: &str| {
                if m.result.is_failure() {
                    style.failed(text)
                } else if m.warned {
                    style.warned(text)
                } else if matches!(
                    m.result,
                    ModuleResult::Passed | ModuleResult::RefusedAsExpected
                ) {
                    style.passed(text)
                } else {
                    style.dim(text)
                }
            };
            if m.module.len() > width {
                let _ = writeln!(out, "{}", m.module);
                let _ = writeln!(out, "{:width$}  {}", "", paint(&head));
            } else {
                let _ = writeln!(out, "{:width$}  {}", m.module, paint(&head));
            }
            for line in tail {
                let _ = writeln!(out, "{:width$}  {}", "", paint(&line));
            }
            let (clause, clause_rest) = wrap::wrap(m.clause, clause_column);
            let _ = writeln!(out, "    {:story_width$}  {clause}", m.story);
            for line in clause_rest {
                let _ = writeln!(out, "    {:story_width$}  {line}", "");
            }
        }
        let (counts, rest) = wrap::wrap(&self.counts_text(), 100);
        let _ = writeln!(out, "{counts}");
        for line in rest {
            let _ = writeln!(out, "    {line}");
        }
        out
    }

    /// The plan's Markdown section: the table, then the counts.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "\n## Plan {}\n\n{} — {}\n\n| module | clause | story | outcome |\n|---|---|---|---|\n",
            markdown_text(self.name),
            markdown_text(self.title),
            markdown_text(self.source)
        );
        for m in &self.modules {
            let mark = if m.result.is_failure() {
                "❌"
            } else if m.warned {
                "⚠️"
            } else if matches!(
                m.result,
                ModuleResult::Passed | ModuleResult::RefusedAsExpected
            ) {
                "✅"
            } else {
                "↩️"
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {mark} {} |",
                markdown_cell_code(m.module),
                markdown_cell(m.clause),
                markdown_cell_code(m.story),
                markdown_cell(&m.words)
            );
        }
        let _ = writeln!(out, "\n**{}**", markdown_text(&self.counts_text()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Kind;
    use crate::plan::{Module, OIDCC_BASIC};

    fn summary(story: &str, result: StoryResult) -> StorySummary {
        StorySummary {
            story: story.to_owned(),
            kind: Kind::Usage,
            result,
            checks_passed: 1,
            checks_failed: 0,
            checks_warned: 0,
            should_not_met: 0,
            time_ms: 1,
        }
    }

    static SMALL: Plan = Plan {
        name: "small",
        title: "A plan of three modules",
        source: "the tests",
        modules: &[
            Module {
                name: "first-module",
                story: "oidc_code",
                clause: "OIDC Core §3.1",
            },
            Module {
                name: "a-module-with-a-name-much-longer-than-the-column-it-is-given-in-the-table",
                story: "oidc_refresh_token",
                clause: "OIDC Core §12",
            },
            Module {
                name: "second-use-of-the-same-story",
                story: "oidc_code",
                clause: "OIDC Core §5.3.1",
            },
        ],
    };

    #[test]
    fn a_story_two_modules_name_gives_both_its_outcome_and_long_lines_wrap() {
        let refused = StoryResult::RefusedByServer {
            step: 2,
            service: "authorization".into(),
            error: "login_required".into(),
            description: "the End-User is not logged in and the request asked for no login page to be shown, so the server answers at once".into(),
            note: None,
        };
        let stories = [
            summary("oidc_code", refused),
            summary("oidc_refresh_token", StoryResult::Passed),
        ];
        let table = PlanTable::of(&SMALL, &stories);
        let results: Vec<_> = table.modules.iter().map(|m| m.result).collect();
        assert_eq!(
            results,
            [
                ModuleResult::RefusedByServer,
                ModuleResult::Passed,
                ModuleResult::RefusedByServer
            ]
        );
        assert!(table.complete());
        assert_eq!(
            table.counts_text(),
            "3 modules: 1 passed, 2 refused by the server"
        );
        let text = table.text(Style::default());
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{line}");
        }
        assert!(text.starts_with("PLAN small: A plan of three modules\nthe tests\n"));
        assert!(text.contains("so the server answers at once"), "{text}");
        let json = serde_json::to_value(&table).unwrap();
        assert_eq!(json["modules"][2]["story"], "oidc_code");
        assert_eq!(json["modules"][2]["result"], "refused_by_server");
        assert_eq!(json["counts"]["refused_by_server"], 2);
    }

    #[test]
    fn a_module_whose_story_did_not_run_leaves_the_plan_incomplete() {
        let table = PlanTable::of(&SMALL, &[summary("oidc_code", StoryResult::Passed)]);
        assert_eq!(table.modules[1].result, ModuleResult::NotRun);
        assert!(!table.complete());
        let gap = Plan {
            modules: &[Module {
                name: "gap",
                story: "no_such_story",
                clause: "none",
            }],
            ..OIDCC_BASIC
        };
        let gap: &'static Plan = Box::leak(Box::new(gap));
        let table = PlanTable::of(gap, &[]);
        assert_eq!(table.modules[0].result, ModuleResult::NotInCatalog);
        assert!(table.markdown().contains("| ❌ not in the catalog"));
        let message = not_in_catalog(gap, "gap", "no_such_story");
        assert!(message.starts_with("internal error: plan oidcc-basic, module gap"));
    }
}
