//! The summary as a table: in text (within 100 columns, results too long
//! for their column wrapped below their row) and in Markdown.
use std::fmt::Write;

use super::{StoryResult, Summary, wrap};
use crate::render::Style;
use crate::render::safe::{markdown_cell, markdown_text, terminal};

impl Summary {
    /// The scorecard, the plan's block in a plan run, the text table, then
    /// the totals; a skipped story's
    /// reason, from the server's metadata, with its controls escaped.
    pub fn text(&self, style: Style) -> String {
        let names: Vec<_> = self.stories.iter().map(|s| terminal(&s.story)).collect();
        let width = names
            .iter()
            .map(|s| s.len())
            .max()
            .unwrap_or(0)
            .max("story".len());
        // The table fits 100 columns: a result longer than its column (a
        // skip's reason, a refusal's description) keeps its first words
        // there and goes on, wrapped, on the lines below its row.
        let column = 100usize.saturating_sub(width + 36).max(24);
        let (results, rest): (Vec<String>, Vec<Vec<String>>) = self
            .stories
            .iter()
            .map(|s| wrap::split_result(&terminal(&s.result_text()), column))
            .unzip();
        let rwidth = results
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max("result".len());
        let mut out = self
            .scorecard
            .as_ref()
            .map(|card| crate::render::scorecard::text(card, style))
            .unwrap_or_default();
        if let Some(plan) = &self.plan {
            out.push_str(&plan.text(style));
            out.push('\n');
        }
        let _ = writeln!(out, "{}", style.header("SUMMARY"));
        let _ = writeln!(
            out,
            "{:width$}  {:rwidth$}  {:>6}  {:>6}  {:>6}  {:>8}",
            "story", "result", "passed", "failed", "warned", "time"
        );
        for (((s, result), name), more) in self.stories.iter().zip(&results).zip(&names).zip(&rest)
        {
            let padded = format!("{result:rwidth$}");
            let painted = if !s.passed(false) {
                style.failed(&padded)
            } else if s.checks_warned > 0 {
                style.warned(&padded)
            } else {
                style.passed(&padded)
            };
            let _ = writeln!(
                out,
                "{name:width$}  {painted}  {:>6}  {:>6}  {:>6}  {:>6}ms",
                s.checks_passed, s.checks_failed, s.checks_warned, s.time_ms
            );
            for line in more {
                let _ = writeln!(out, "    {}", style.dim(line));
            }
        }
        let t = &self.totals;
        let _ = writeln!(
            out,
            "TOTAL {}: {}{}",
            t.counted(),
            t.results(),
            if self.strict && t.checks_warned > 0 {
                " (--strict: warnings fail the run)"
            } else {
                ""
            }
        );
        if let Some(each) = self.left_registered_list() {
            let line = format!(
                "LEFT REGISTERED at the provider, not deleted: {}",
                terminal(&each)
            );
            let (first, rest) = wrap::wrap(&line, 100);
            let _ = writeln!(out, "{first}");
            for more in rest {
                let _ = writeln!(out, "    {more}");
            }
        }
        out
    }

    /// The summary's section: the table and the totals.
    pub fn markdown_table(&self) -> String {
        let mut out = String::from(
            "\n## Summary\n\n| story | result | checks passed | failed | warned | time |\n|---|---|---|---|---|---|\n",
        );
        for s in &self.stories {
            let mark = if matches!(s.result, StoryResult::Skipped { .. }) {
                "⏭️"
            } else if matches!(
                s.result,
                StoryResult::RefusedByServer { .. }
                    | StoryResult::NeedsBrowser { .. }
                    | StoryResult::Interrupted { .. }
            ) {
                "↩️"
            } else if !s.passed(false) {
                "❌"
            } else if s.checks_warned > 0 {
                "⚠️"
            } else {
                "✅"
            };
            let _ = writeln!(
                out,
                "| {} | {mark} {} | {} | {} | {} | {} ms |",
                markdown_cell(&s.story),
                markdown_cell(&s.result_text()),
                s.checks_passed,
                s.checks_failed,
                s.checks_warned,
                s.time_ms
            );
        }
        let t = &self.totals;
        let _ = writeln!(
            out,
            "\n**Total:** {} — {}.{}",
            t.counted(),
            t.results(),
            if self.strict {
                " Run with `--strict`: warnings fail."
            } else {
                ""
            }
        );
        if let Some(each) = self.left_registered_list() {
            let _ = writeln!(
                out,
                "\n**Left registered at the provider, not deleted:** {}",
                markdown_text(&each)
            );
        }
        out
    }

    /// The clients the run left registered at the provider, each with why
    /// it was not deleted; `None` when there are none.
    fn left_registered_list(&self) -> Option<String> {
        if self.left_registered.is_empty() {
            return None;
        }
        // One reason, with every client it kept: a run registering a dozen
        // clients at a provider without RFC 7592 says why once.
        let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
        for left in &self.left_registered {
            match reasons.iter_mut().find(|(why, _)| *why == left.why) {
                Some((_, ids)) => ids.push(&left.client_id),
                None => reasons.push((&left.why, vec![&left.client_id])),
            }
        }
        let each: Vec<String> = reasons
            .iter()
            .map(|(why, ids)| format!("{why}: {}", ids.join(", ")))
            .collect();
        Some(each.join("; "))
    }
}
