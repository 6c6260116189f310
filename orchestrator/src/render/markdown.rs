//! Markdown transcripts: a Mermaid sequence diagram drawn from the steps
//! that ran, then each step with its request, response, checks (each citing
//! the section it enforces) and every JWT decoded.
use std::fmt::Write;

use serde_json::Value;

use super::pretty;
use super::safe::{
    markdown_cell as cell, markdown_cell_code, markdown_code, markdown_fence, markdown_text,
    mermaid,
};
use super::sequence::{Kind, Sequence, View};
use crate::catalog::Story;
use crate::runner::{Outcome, StepRecord, StoryRecord};

/// A label on a Mermaid arrow, cut to 90 characters, then made safe there.
fn label(text: &str) -> String {
    if text.chars().count() > 90 {
        mermaid(&format!("{}…", text.chars().take(89).collect::<String>()))
    } else {
        mermaid(text)
    }
}

/// The sequence diagram of the steps that ran, as Mermaid.
pub fn diagram(seq: &Sequence) -> String {
    let mut out = String::from("```mermaid\nsequenceDiagram\n");
    for party in &seq.parties {
        let _ = writeln!(out, "    participant {} as {}", party.id(), party.title());
    }
    for m in &seq.messages {
        let text = label(&m.label);
        let (from, to) = (m.from.id(), m.to.id());
        let over = if from == to {
            from.to_owned()
        } else {
            format!("{from},{to}")
        };
        let _ = match m.kind {
            Kind::Call => writeln!(out, "    {from}->>{to}: {text}"),
            Kind::Reply => writeln!(out, "    {from}-->>{to}: {text}"),
            Kind::Refusal if from == to => writeln!(out, "    Note over {over}: ✗ {text}"),
            Kind::Refusal => writeln!(out, "    {from}--x{to}: {text}"),
            Kind::Note => writeln!(out, "    Note over {over}: {text}"),
            Kind::Attack => writeln!(out, "    Note over {over}: ⚠️ {text}"),
        };
    }
    out.push_str("```\n");
    out
}

/// A check's reference with each clause linked to its section.
fn clause_links(reference: &str) -> String {
    super::clauses(reference)
        .into_iter()
        .map(|(text, url)| match url {
            Some(url) => format!("[{}]({url})", cell(&text)),
            None => cell(&text).into_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_block(value: &Value) -> String {
    markdown_fence("json", &pretty(value))
}

/// One story as a Markdown document, its diagram in protocol terms.
pub fn story(story: Option<&Story>, record: &StoryRecord) -> String {
    story_with(story, record, View::Protocol)
}

/// One story as a Markdown document, its diagram in the view asked for.
pub fn story_with(story: Option<&Story>, record: &StoryRecord, view: View) -> String {
    let mut out = String::new();
    match story {
        Some(s) => {
            let _ = writeln!(out, "# {}: {}\n", s.name, s.title);
            let _ = writeln!(out, "*{}* — {}\n", s.standard, s.summary);
        }
        None => {
            let _ = writeln!(out, "# {}\n", record.story);
        }
    }
    let kind = story.map_or(record.kind, Story::kind);
    if kind != crate::catalog::Kind::Usage {
        let _ = writeln!(out, "**Attack: {}**\n", kind.says());
    }
    let _ = writeln!(out, "**Result: {}**\n", {
        // The summary's words for it, so the two never disagree.
        let words =
            markdown_text(&crate::summary::StorySummary::of(record).result_text()).into_owned();
        let mark = match (record.ok, record.warnings) {
            _ if record.skipped.is_some() => "⏭️",
            _ if matches!(record.ending, Some(crate::record::Ending::NotRefused(_))) => "❌",
            _ if record.ending.is_some() => "↩️",
            (true, 0) => "✅",
            (true, _) => "⚠️",
            (false, _) => "❌",
        };
        format!("{mark} {words}")
    });
    if let Some(error) = &record.error {
        let _ = writeln!(out, "> Stopped: {}\n", markdown_text(error));
    }
    if let Some(why) = &record.skipped {
        let _ = writeln!(out, "> Not run: {}\n", markdown_text(why));
        return out;
    }
    out.push_str(&diagram(&view.of(record)));
    for (i, s) in record.steps.iter().enumerate() {
        out.push('\n');
        out.push_str(&step(i + 1, s));
    }
    out
}

fn step(number: usize, step: &StepRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Step {number}: {} → {}\n",
        markdown_text(&step.service),
        markdown_text(&step.endpoint)
    );
    let _ = writeln!(out, "### Request\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(
        out,
        "| method | {} |",
        markdown_cell_code(&step.request.method)
    );
    let _ = writeln!(out, "| URL | {} |", markdown_cell_code(&step.request.url));
    for (name, value) in &step.request.headers {
        let _ = writeln!(out, "| {} | {} |", cell(name), markdown_cell_code(value));
    }
    out.push('\n');
    if step
        .request
        .params
        .as_object()
        .is_some_and(|p| !p.is_empty())
    {
        let _ = writeln!(out, "Parameters:\n");
        out.push_str(&json_block(&step.request.params));
        out.push('\n');
    }
    if !step.login.is_empty() {
        let _ = writeln!(
            out,
            "### Login\n\nThe server's login, walked as a browser would (`--login`):\n"
        );
        for hop in &step.login {
            let _ = writeln!(out, "1. {}", markdown_code(&super::login_line(hop)));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "### Response\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| status | **{}** |", step.response.status);
    for (name, value) in &step.response.headers {
        let _ = writeln!(out, "| {} | {} |", cell(name), markdown_cell_code(value));
    }
    out.push('\n');
    match &*step.response.body {
        Value::Null => {}
        Value::String(page) if step.is_form_post() => {
            let _ = writeln!(out, "{}", markdown_fence("html", page.trim_end()));
        }
        body => {
            out.push_str(&json_block(body));
            out.push('\n');
        }
    }
    if !step.parsed.is_null() && step.parsed != step.response.body {
        let _ = writeln!(
            out,
            "{}\n",
            if step.is_form_post() {
                "The form's fields, decoded (what the RP read):"
            } else {
                "What the RP read:"
            }
        );
        out.push_str(&json_block(&step.parsed));
        out.push('\n');
    }
    if let Some(t) = &step.tampered {
        let _ = writeln!(out, "### ⚠️ Attacker\n\n{}\n", markdown_text(&t.what));
        if let Some(location) = &t.location {
            let _ = writeln!(out, "The RP receives {}\n", markdown_code(location));
        }
        if let Some(page) = &t.page {
            let _ = writeln!(
                out,
                "The RP receives the page:\n\n{}",
                markdown_fence("html", page.trim_end())
            );
        }
    }
    let _ = writeln!(out, "### Checks\n");
    let _ = writeln!(
        out,
        "| | level | check | found | enforces |\n|---|---|---|---|---|"
    );
    for c in &step.checks {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            match c.outcome {
                Outcome::Passed => "✅",
                Outcome::Info => "ℹ️",
                Outcome::Warning => "⚠️ warning",
                Outcome::Refused => "🛡️ refused (the defence held)",
                Outcome::Failed => "❌ FAILED",
            },
            super::text::level(c.level),
            cell(&c.name),
            cell(&c.detail),
            clause_links(&c.reference)
        );
    }
    if let Some(error) = &step.error {
        let verdict = match &step.expected_error {
            Some(e) if *e == error.error => "refused as expected",
            // An error that tells the client to carry on (RFC 8628 §3.5).
            None if step.ok => "not yet, poll again",
            _ => "refused",
        };
        let _ = writeln!(
            out,
            "\n**{verdict}:** {} — {}",
            markdown_code(&error.error),
            markdown_text(&error.error_description)
        );
    }
    if let Some(check) = &step.expected_refusal {
        let verdict = if step.ok {
            "refused by the RP as expected"
        } else {
            "NOT refused by the RP"
        };
        let _ = writeln!(out, "\n**{verdict}:** {}", markdown_text(check));
    }
    for jwt in &step.jwts {
        let _ = writeln!(out, "\n### JWT: {}\n", markdown_text(&jwt.name));
        let _ = writeln!(out, "*{}*\n", markdown_text(&jwt.verification));
        let _ = writeln!(out, "Header:\n");
        out.push_str(&json_block(&jwt.header));
        let _ = writeln!(out, "\nClaims:\n");
        out.push_str(&json_block(&jwt.claims));
        let times = super::claim_times(&jwt.claims);
        if !times.is_empty() {
            let _ = writeln!(out, "\nTimes: {}", markdown_text(&times.join(", ")));
        }
    }
    out
}

/// The index of a transcript directory: its title, what is to be read
/// first (`opening`: the provider scorecard, when there is one), then the
/// transcripts.
pub fn index(entries: &[(String, String, bool)], opening: &str) -> String {
    let mut out = format!("# oidc-story transcripts\n{opening}\n| story | result |\n|---|---|\n");
    for (name, file, ok) in entries {
        let _ = writeln!(
            out,
            "| [{}]({file}) | {} |",
            cell(name),
            if *ok { "✅" } else { "❌ FAILED" }
        );
    }
    out
}
