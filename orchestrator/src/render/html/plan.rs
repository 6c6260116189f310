//! The plan's table on the index of a plan run: a row per module — its
//! name, clause, story (linked to the story's page) and the story's outcome
//! as the summary's badge — then the counts.
use std::fmt::Write;

use super::badge::badge;
use crate::render::safe::html;
use crate::summary::Summary;
use crate::summary::plan::{ModuleResult, PlanTable};

/// The plan's section (`<section class="plan" id="plan">`).
pub(super) fn section(
    plan: &PlanTable,
    summary: &Summary,
    entries: &[(String, String, bool)],
) -> String {
    let mut out = format!(
        "<section class=\"plan\" id=\"plan\"><h2>Plan {}</h2><p class=\"standard\">{} · {}</p>",
        html(plan.name),
        html(plan.title),
        html(plan.source)
    );
    out.push_str("<table class=\"plan\"><tr><th>module</th><th>clause</th><th>story</th><th>outcome</th></tr>");
    for m in &plan.modules {
        let story = match entries.iter().find(|(name, _, _)| name == m.story) {
            Some((_, file, _)) => format!("<a href=\"{}\">{}</a>", html(file), html(m.story)),
            None => html(m.story),
        };
        let (class, words) = match summary.stories.iter().find(|s| s.story == m.story) {
            Some(s) => badge(s),
            None if m.result == ModuleResult::NotInCatalog => ("failed", m.words.clone()),
            None => ("skipped", m.words.clone()),
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{story}</td><td><span class=\"result {class}\">{}</span></td></tr>",
            html(m.module),
            html(m.clause),
            html(&words)
        );
    }
    let _ = write!(
        out,
        "</table><p class=\"totals\">{}</p></section>",
        html(&plan.counts_text())
    );
    out
}
