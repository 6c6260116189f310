//! The HTML report: `index.html` (the provider scorecard, a plan run's
//! table of modules, the summary table, a link per story) and one page per story — what it shows and its
//! standards (and, for an attack, who must refuse it), the sequence diagram
//! as inline SVG, each step as raw HTTP with copy-as-curl and
//! copy-as-grpcurl, the checks with their clauses linked, every JWT decoded.
//!
//! Self-contained: the style and the few lines of script (copy buttons) are
//! inline; nothing is fetched, and every page reads without script.
mod badge;
mod copy;
mod icon;
mod login;
mod plan;
mod step;
mod svg;

use std::fmt::Write;

use super::safe::html;
use super::sequence::View;
use crate::catalog::{Kind, Story};
use crate::record::StoryRecord;
use crate::summary::Summary;

const STYLE: &str = r#"
:root { --ok: #2e7d32; --warn: #b26a00; --bad: #c62828; --held: #1565c0; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 4rem; color: #1f2328; }
h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.25rem; margin: 0 0 .5rem; } h3 { font-size: 1rem; margin: 1rem 0 .4rem; } h4 { margin: .5rem 0 .2rem; font-size: .9rem; }
a { color: #0969da; }
code, pre { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; overflow-x: auto; white-space: pre-wrap; margin: .3rem 0; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--soft); }
.result { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; font-weight: 600; color: #fff; }
.result.passed { background: var(--ok); } .result.skipped { background: #6e7781; } .result.warned { background: var(--warn); } .result.held { background: var(--held); } .result.failed { background: var(--bad); }
.totals { font-size: 1rem; margin: .5rem 0 1rem; }
.standard { color: #57606a; margin: 0; }
section.step { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 1.2rem 0; }
section.step.failed { border-color: var(--bad); }
pre.http { max-height: 32rem; overflow-y: auto; }
.exchange { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media (max-width: 900px) { .exchange { grid-template-columns: 1fr; } }
details.copy { margin: .2rem 0; } details summary { cursor: pointer; color: #57606a; font-size: .9rem; }
details.copy button { font-size: .8rem; }
.note { color: #57606a; font-size: .85rem; margin: .2rem 0; }
.attack { background: #fff4e5; border-left: 4px solid var(--warn); padding: .5rem .8rem; margin: .5rem 0; }
.changed, tr.changed td { background: #ffe0e0; }
code.changed { padding: .1rem .3rem; border-radius: 3px; }
tr.passed td:first-child { color: var(--ok); } tr.info td:first-child { color: #57606a; }
tr.warning td:first-child { color: var(--warn); font-weight: 600; } tr.refused td:first-child { color: var(--held); font-weight: 600; }
tr.failed td:first-child { color: var(--bad); font-weight: 700; } tr.failed { background: #fff0f0; }
.verdict { margin: .5rem 0; }
.jwt { border-top: 1px dashed var(--line); margin-top: 1rem; }
.compact { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; background: var(--soft); padding: .5rem; border-radius: 6px; }
span.jwt-header, div.jwt-header pre { color: #b5179e; } span.jwt-claims, div.jwt-claims code { color: #6f42c1; } span.jwt-signature, p.jwt-signature { color: #0077b6; }
.date { color: #57606a; font-size: .85rem; margin-left: .4rem; }
svg.sequence { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg .lifeline { stroke: #8c959f; stroke-dasharray: 4 4; }
svg rect.party { fill: #ddf4ff; stroke: #54aeff; } svg text.party { font-weight: 600; font-size: 13px; }
svg .message line { stroke: #333; stroke-width: 1.4; } svg .reply line { stroke-dasharray: 6 4; }
svg .refusal line { stroke: var(--bad); stroke-dasharray: 6 4; } svg .refusal text { fill: var(--bad); }
svg .note rect { fill: #fffbdd; stroke: #d4a72c; } svg .note.refused rect { fill: #ffebe9; stroke: var(--bad); }
svg .note.attack rect { fill: #ffe0e0; stroke: var(--bad); } svg .note.attack text { font-weight: 600; }
nav { font-size: .9rem; margin-bottom: .5rem; }
section.scorecard { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 1rem 0 1.5rem; }
section.scorecard ul { margin: .3rem 0; } section.scorecard .clean { margin: .5rem 0; }
section.plan { margin: 1rem 0 1.5rem; }
.kind { font-weight: 600; color: var(--warn); margin: .2rem 0; }
ol.toc { columns: 2; font-size: .9rem; }
"#;

/// How long text wraps: raw HTTP, JSON, commands, JWTs, URLs and values in
/// table cells. `white-space: pre-wrap` (on `pre`) keeps the lines and
/// indentation and breaks at spaces; `html_json` adds a break opportunity
/// after each `,` and `:` of compact JSON. `overflow-wrap: anywhere` then
/// breaks inside an unbroken run (a JWT, a base64 value, a long URL) only
/// when no other opportunity on the line fits — unlike `word-break:
/// break-all`, which breaks between any two letters even where a space
/// would do (a JSON line cut mid-word), and unlike `overflow-wrap:
/// break-word`, whose breaks do not count towards the box's narrowest
/// width, so a long JWT would widen its grid column (`.exchange`) and
/// overflow the page instead of wrapping. `word-break` stays `normal`.
const WRAP: &str = "
pre, td code, .compact, .note code { overflow-wrap: anywhere; word-break: normal; }
svg.icon { width: 1em; height: 1em; vertical-align: -.15em; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
";

const SCRIPT: &str = r#"
document.addEventListener('click', function (event) {
  var button = event.target.closest ? event.target.closest('button[data-copy]') : null;
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (!source) { return; }
  var done = function (word) {
    button.textContent = word;
    setTimeout(function () { button.textContent = button.getAttribute('data-label'); }, 1500);
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(source.textContent).then(function () { done('copied'); }, function () { done('select and copy'); });
  } else {
    done('select and copy');
  }
});
"#;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}{WRAP}</style>\n</head>\n<body>\n{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        html(title)
    )
}

/// One story's page.
pub fn story(story: Option<&Story>, record: &StoryRecord, view: View) -> String {
    let summary = crate::summary::StorySummary::of(record);
    let (class, words) = badge::badge(&summary);
    let mut body = String::from("<nav><a href=\"index.html\">← all stories</a></nav>");
    let attack_story = record.story.starts_with("attack_");
    match story {
        Some(s) => {
            let _ = write!(
                body,
                "<header><h1>{}: {}</h1><p class=\"standard\">{}</p><p>{}</p>",
                html(s.name),
                html(s.title),
                html(s.standard),
                html(s.summary)
            );
        }
        None => {
            let _ = write!(body, "<header><h1>{}</h1>", html(&record.story));
        }
    }
    let kind = story.map_or(record.kind, Story::kind);
    if kind != Kind::Usage {
        let _ = write!(body, "<p class=\"kind\">Attack: {}</p>", html(kind.says()));
    }
    let _ = write!(
        body,
        "<p><span class=\"result {class}\">{}</span> {} checks passed, {} failed, {} warned, {} ms</p></header>",
        html(&words),
        summary.checks_passed,
        summary.checks_failed,
        summary.checks_warned,
        summary.time_ms
    );
    if let Some(error) = &record.error {
        let _ = write!(body, "<p class=\"attack\">Stopped: {}</p>", html(error));
    }
    if let Some(why) = &record.skipped {
        let _ = write!(body, "<p class=\"note\">Not run: {}</p>", html(why));
    }
    let _ = write!(
        body,
        "<h2>Sequence</h2><figure>{}</figure>",
        svg::diagram(&view.of(record))
    );
    body.push_str("<ol class=\"toc\">");
    for (i, s) in record.steps.iter().enumerate() {
        let _ = write!(
            body,
            "<li><a href=\"#step-{}\">{} → {}</a></li>",
            i + 1,
            html(&s.service),
            html(&s.endpoint)
        );
    }
    body.push_str("</ol>");
    for (i, s) in record.steps.iter().enumerate() {
        let catalog_step = story.and_then(|st| st.steps.get(i));
        body.push_str(&step::section(
            i + 1,
            record.over_http,
            s,
            catalog_step,
            attack_story,
        ));
    }
    page(&format!("{} — oidc-story", record.story), &body)
}

/// The index of a report: the provider scorecard first (when the run has
/// one), the plan's table (in a plan run), then the totals and the summary
/// table, each story linked to its page.
pub fn index(entries: &[(String, String, bool)], summary: &Summary) -> String {
    let t = &summary.totals;
    let mut body = String::from("<h1>oidc-story report</h1>");
    if let Some(card) = &summary.scorecard {
        body.push_str(&super::scorecard::html_section(card, entries));
    }
    if let Some(table) = &summary.plan {
        body.push_str(&plan::section(table, summary, entries));
    }
    if summary.scorecard.is_some() || summary.plan.is_some() {
        body.push_str("<h2>Summary</h2>");
    }
    let _ = write!(
        body,
        "<p class=\"totals\"><span class=\"result {}\">{}</span> {} {}: {} passed, {} passed with warnings, {} refused as expected, {} refused by the server, {} needing a browser, {} failed{}, {} skipped · checks: {} passed, {} failed, {} warned · {} ms</p>",
        if summary.ok { "passed" } else { "failed" },
        if summary.ok { "all passed" } else { "FAILED" },
        t.stories,
        if t.stories == 1 { "story" } else { "stories" },
        t.passed,
        t.passed_with_warnings,
        t.refused_as_expected,
        t.refused_by_server,
        t.needs_browser,
        t.failed,
        if t.not_refused > 0 {
            format!(", {} not refused by the provider", t.not_refused)
        } else {
            String::new()
        },
        t.skipped,
        t.checks_passed,
        t.checks_failed,
        t.checks_warned,
        t.time_ms
    );
    body.push_str("<table class=\"summary\"><tr><th>story</th><th>result</th><th>checks passed</th><th>failed</th><th>warned</th><th>time</th></tr>");
    for s in &summary.stories {
        let (class, words) = badge::badge(s);
        let name = match entries.iter().find(|(name, _, _)| *name == s.story) {
            Some((_, file, _)) => format!("<a href=\"{}\">{}</a>", html(file), html(&s.story)),
            None => html(&s.story),
        };
        let title = crate::catalog::find(&s.story)
            .map(|st| format!("<br><span class=\"note\">{}</span>", html(st.title)))
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td>{name}{title}</td><td><span class=\"result {class}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td></tr>",
            html(&words),
            s.checks_passed,
            s.checks_failed,
            s.checks_warned,
            s.time_ms
        );
    }
    body.push_str("</table>");
    page("oidc-story report", &body)
}
