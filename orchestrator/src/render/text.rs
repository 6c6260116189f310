//! The text transcript, step by step: a banner per step, the request
//! (method, URL, headers, parameters as JSON), the response, then what the
//! RP checked and every JWT decoded. Written step by step, so a long story
//! shows as it runs.
use std::fmt::Write;

use super::{Style, pretty};
use crate::catalog::Story;
use crate::runner::{Level, Outcome, StepRecord, StoryRecord};

/// A check's level as the transcript names it.
pub(crate) fn level(level: Level) -> &'static str {
    match level {
        Level::Must => "MUST",
        Level::Should => "SHOULD",
        Level::Info => "info",
    }
}

fn banner(fill: char, title: &str) -> String {
    let bar: String = std::iter::repeat_n(fill, 30).collect();
    format!("{bar} {title} {bar}")
}

fn indented(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

/// The story's opening lines.
pub fn story_header(story: &Story, style: Style) -> String {
    let title = format!("{}: {} ({})", story.name, story.title, story.standard);
    format!(
        "{}\n{}\n\n",
        style.header(&banner('#', &title)),
        story.summary
    )
}

/// The story's closing lines.
pub fn story_footer(record: &StoryRecord, style: Style) -> String {
    let mut out = String::new();
    if let Some(error) = &record.error {
        let _ = writeln!(out, "{}", style.failed(&format!("STOPPED: {error}")));
    }
    let verdict = match (record.ok, record.warnings) {
        (true, 0) => style.passed("ok"),
        (true, 1) => style.warned("ok with 1 warning"),
        (true, n) => style.warned(&format!("ok with {n} warnings")),
        (false, _) => style.failed("FAILED"),
    };
    let _ = writeln!(out, "RESULT {}: {verdict}\n", record.story);
    out
}

/// A whole story.
pub fn story(story: Option<&Story>, record: &StoryRecord, style: Style) -> String {
    let mut out = match story {
        Some(s) => story_header(s, style),
        None => format!("{}\n", banner('#', &record.story)),
    };
    for s in &record.steps {
        out.push_str(&step(s, style));
    }
    out.push_str(&story_footer(record, style));
    out
}

/// One step.
pub fn step(step: &StepRecord, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.header(&banner('=', &step.service)));
    let _ = writeln!(out, "-- REQUEST -- (AS endpoint {})", step.endpoint);
    let _ = writeln!(out, "    METHOD: {}", step.request.method);
    let _ = writeln!(out, "    URL: {}", step.request.url);
    let _ = writeln!(out, "    HEADERS");
    out.push_str(&indented(&pretty(&step.request.headers), "    "));
    out.push_str(&pretty(&step.request.params));
    out.push('\n');
    let _ = writeln!(out, "-- RESPONSE --");
    let _ = writeln!(out, "    STATUS: {}", step.response.status);
    let _ = writeln!(out, "    HEADERS");
    out.push_str(&indented(&pretty(&step.response.headers), "    "));
    if let Some(location) = &step.response.location {
        let _ = writeln!(out, "    LOCATION: {location}");
    }
    if step.response.body.is_null() {
        let _ = writeln!(out, "    (no body)");
    } else {
        out.push_str(&pretty(&step.response.body));
        out.push('\n');
    }
    // What the RP read, where it is not simply the body (e.g. a redirect's parameters).
    if !step.parsed.is_null() && step.parsed != step.response.body {
        let _ = writeln!(out, "-- PARSED --");
        out.push_str(&pretty(&step.parsed));
        out.push('\n');
    }
    if let Some(t) = &step.tampered {
        let _ = writeln!(
            out,
            "{}",
            style.failed(&format!("-- ATTACKER -- {}", t.what))
        );
        if let Some(location) = &t.location {
            let _ = writeln!(out, "    THE RP RECEIVES: {location}");
        }
    }
    let _ = writeln!(out, "-- RP CHECKS --");
    for check in &step.checks {
        // A defence that held reads as one: "refused: NAME — REFERENCE".
        if check.outcome == Outcome::Refused {
            let _ = writeln!(
                out,
                "    {} {} — {} ({})",
                style.passed("[defence held] refused:"),
                check.name,
                check.reference,
                check.detail
            );
            continue;
        }
        let mark = match check.outcome {
            Outcome::Passed => style.passed("[passed]"),
            Outcome::Info => style.dim("[info]"),
            Outcome::Warning => style.warned("[warning]"),
            Outcome::Refused | Outcome::Failed => style.failed("[FAILED]"),
        };
        let weight = match check.level {
            Level::Info => String::new(),
            l => format!(", {}", level(l)),
        };
        let _ = writeln!(
            out,
            "    {mark} {}: {} ({}{weight})",
            check.name, check.detail, check.reference
        );
    }
    if let Some(error) = &step.error {
        let verdict = match &step.expected_error {
            Some(expected) if *expected == error.error => style.passed("refused as expected"),
            Some(_) => style.failed("refused, but not as expected"),
            None => style.failed("refused"),
        };
        let _ = writeln!(
            out,
            "    {verdict}: {} ({})",
            error.error, error.error_description
        );
    } else if let Some(expected) = &step.expected_error {
        let _ = writeln!(
            out,
            "    {}",
            style.failed(&format!("NOT refused: expected {expected}"))
        );
    } else if let Some(check) = &step.expected_refusal {
        let verdict = if step.ok {
            style.passed("refused by the RP as expected")
        } else {
            style.failed("NOT refused by the RP: expected a failing check")
        };
        let _ = writeln!(out, "    {verdict}: {check}");
    }
    for jwt in &step.jwts {
        let _ = writeln!(
            out,
            "-- JWT {} -- {}",
            jwt.name,
            style.dim(&jwt.verification)
        );
        let _ = writeln!(out, "    HEADER");
        out.push_str(&indented(&pretty(&jwt.header), "    "));
        let _ = writeln!(out, "    CLAIMS");
        out.push_str(&indented(&pretty(&jwt.claims), "    "));
    }
    out.push('\n');
    out
}
