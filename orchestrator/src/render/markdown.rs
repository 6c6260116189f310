//! Markdown transcripts: a Mermaid sequence diagram drawn from the steps
//! that ran, then each step with its request, response, checks (each citing
//! the section it enforces) and every JWT decoded.
use std::fmt::Write;

use serde_json::Value;

use super::pretty;
use crate::catalog::Story;
use crate::runner::{Outcome, StepRecord, StoryRecord};

/// Parameters worth naming on a diagram arrow.
const KEY_PARAMS: [&str; 8] = [
    "grant_type",
    "response_type",
    "scope",
    "token_type_hint",
    "request_uri",
    "subject_token_type",
    "audience",
    "code_challenge_method",
];

/// Response members worth naming on a diagram arrow.
const KEY_FIELDS: [&str; 6] = [
    "token_type",
    "issued_token_type",
    "active",
    "request_uri",
    "client_id",
    "sub",
];

/// Text safe on a Mermaid arrow: no statement separators, no entity codes.
fn label(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| match c {
            ';' | '#' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect();
    if cleaned.chars().count() > 90 {
        format!("{}…", cleaned.chars().take(89).collect::<String>())
    } else {
        cleaned
    }
}

fn path_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| url.to_owned())
}

fn short(value: &str) -> String {
    if value.len() > 24 {
        format!(
            "{}…",
            &value[..value.char_indices().nth(23).map_or(value.len(), |(i, _)| i)]
        )
    } else {
        value.to_owned()
    }
}

fn request_label(step: &StepRecord) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Value::Object(params) = &step.request.params {
        for key in KEY_PARAMS {
            if let Some(v) = params.get(key).and_then(Value::as_str) {
                parts.push(format!("{key}={}", short(v)));
            }
        }
        if params.contains_key("request") {
            parts.push("request=(signed request object)".into());
        }
    }
    if step.request.headers.contains_key("dpop") {
        parts.push("+ DPoP proof".into());
    }
    let params = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    label(&format!(
        "{}: {} {}{params}",
        step.endpoint,
        step.request.method,
        path_of(&step.request.url)
    ))
}

fn response_label(step: &StepRecord) -> String {
    if let Some(error) = &step.error {
        let verdict = match &step.expected_error {
            Some(e) if *e == error.error => " — refused as expected",
            _ => "",
        };
        return label(&format!(
            "{} {}{verdict}",
            step.response.status, error.error
        ));
    }
    let mut parts: Vec<String> = Vec::new();
    if let Value::Object(body) = &step.response.body {
        for key in KEY_FIELDS {
            if let Some(v) = body.get(key) {
                let shown = v.as_str().map(short).unwrap_or_else(|| v.to_string());
                parts.push(format!("{key}={shown}"));
            }
        }
        for token in ["access_token", "refresh_token", "id_token"] {
            if body.contains_key(token) {
                parts.push(token.into());
            }
        }
    }
    if let Value::Object(parsed) = &step.parsed
        && step.response.location.is_some()
    {
        parts.extend(
            parsed
                .keys()
                .filter(|k| *k != "state" && *k != "iss")
                .cloned(),
        );
        parts.push("state, iss".into());
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    label(&format!("{}{detail}", step.response.status))
}

/// The sequence diagram of the steps that ran.
pub fn diagram(record: &StoryRecord) -> String {
    let mut out = String::from(
        "```mermaid\nsequenceDiagram\n    participant O as Orchestrator\n    participant RP\n    participant AS\n",
    );
    for step in &record.steps {
        let _ = writeln!(out, "    O->>RP: PrepareRequest({})", step.service);
        let _ = writeln!(out, "    RP-->>O: request for {}", step.endpoint);
        let _ = writeln!(out, "    O->>AS: {}", request_label(step));
        let arrow = if step.error.is_some() { "--x" } else { "-->>" };
        let _ = writeln!(out, "    AS{arrow}O: {}", response_label(step));
        if let Some(t) = &step.tampered {
            let _ = writeln!(out, "    Note over O,AS: {}", label(&t.what));
        }
        let _ = writeln!(out, "    O->>RP: ParseResponse({})", step.service);
        let failed = step
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .count();
        let passed = step.checks.len() - failed - step.warnings;
        let (arrow, verdict) = match (
            &step.error,
            &step.expected_error,
            &step.expected_refusal,
            failed,
        ) {
            (Some(_), Some(_), _, _) if step.ok => ("-->>", "refused as expected".to_owned()),
            (None, _, Some(check), _) if step.ok => {
                ("--x", label(&format!("refused as expected: {check}")))
            }
            (_, _, _, 0) if step.warnings > 0 => (
                "-->>",
                format!("{passed} checks passed, {} warned", step.warnings),
            ),
            (_, _, _, 0) => ("-->>", format!("{passed} checks passed")),
            _ => (
                "-->>",
                format!("{failed} of {} checks FAILED", step.checks.len()),
            ),
        };
        let _ = writeln!(out, "    RP{arrow}O: {verdict}");
        if !step.ok {
            let _ = writeln!(out, "    Note over O,AS: the story stops here");
        }
    }
    out.push_str("```\n");
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn json_block(value: &Value) -> String {
    format!("```json\n{}\n```\n", pretty(value))
}

/// One story as a Markdown document.
pub fn story(story: Option<&Story>, record: &StoryRecord) -> String {
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
    let _ = writeln!(
        out,
        "**Result: {}**\n",
        match (record.ok, record.warnings) {
            (true, 0) => "✅ ok".to_owned(),
            (true, n) => format!("⚠️ ok with {n} warning{}", if n == 1 { "" } else { "s" }),
            (false, _) => "❌ FAILED".to_owned(),
        }
    );
    if let Some(error) = &record.error {
        let _ = writeln!(out, "> Stopped: {error}\n");
    }
    out.push_str(&diagram(record));
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
        step.service, step.endpoint
    );
    let _ = writeln!(out, "### Request\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| method | `{}` |", step.request.method);
    let _ = writeln!(out, "| URL | `{}` |", cell(&step.request.url));
    for (name, value) in &step.request.headers {
        let _ = writeln!(out, "| {} | `{}` |", cell(name), cell(value));
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
    let _ = writeln!(out, "### Response\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| status | **{}** |", step.response.status);
    for (name, value) in &step.response.headers {
        let _ = writeln!(out, "| {} | `{}` |", cell(name), cell(value));
    }
    out.push('\n');
    if !step.response.body.is_null() {
        out.push_str(&json_block(&step.response.body));
        out.push('\n');
    }
    if !step.parsed.is_null() && step.parsed != step.response.body {
        let _ = writeln!(out, "What the RP read:\n");
        out.push_str(&json_block(&step.parsed));
        out.push('\n');
    }
    if let Some(t) = &step.tampered {
        let _ = writeln!(out, "### ⚠️ Attacker\n\n{}\n", t.what);
        if let Some(location) = &t.location {
            let _ = writeln!(out, "The RP receives `{}`\n", cell(location));
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
            cell(&c.reference)
        );
    }
    if let Some(error) = &step.error {
        let verdict = match &step.expected_error {
            Some(e) if *e == error.error => "refused as expected",
            _ => "refused",
        };
        let _ = writeln!(
            out,
            "\n**{verdict}:** `{}` — {}",
            error.error, error.error_description
        );
    }
    if let Some(check) = &step.expected_refusal {
        let verdict = if step.ok {
            "refused by the RP as expected"
        } else {
            "NOT refused by the RP"
        };
        let _ = writeln!(out, "\n**{verdict}:** {check}");
    }
    for jwt in &step.jwts {
        let _ = writeln!(out, "\n### JWT: {}\n", jwt.name);
        let _ = writeln!(out, "*{}*\n", jwt.verification);
        let _ = writeln!(out, "Header:\n");
        out.push_str(&json_block(&jwt.header));
        let _ = writeln!(out, "\nClaims:\n");
        out.push_str(&json_block(&jwt.claims));
    }
    out
}

/// The index of a transcript directory.
pub fn index(entries: &[(String, String, bool)]) -> String {
    let mut out = String::from("# oidc-story transcripts\n\n| story | result |\n|---|---|\n");
    for (name, file, ok) in entries {
        let _ = writeln!(
            out,
            "| [{name}]({file}) | {} |",
            if *ok { "✅ ok" } else { "❌ FAILED" }
        );
    }
    out
}
