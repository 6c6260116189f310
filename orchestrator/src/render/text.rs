//! The text transcript, in the seed's shape: a banner per step, the request
//! (method, URL, headers, parameters as JSON), the response, then what the
//! RP checked and every JWT decoded.
use std::fmt::Write;

use super::pretty;
use crate::catalog::Story;
use crate::runner::{StepRecord, StoryRecord};

fn banner(fill: char, title: &str) -> String {
    let bar: String = std::iter::repeat_n(fill, 30).collect();
    format!("{bar} {title} {bar}")
}

fn indented(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

pub fn story(story: Option<&Story>, record: &StoryRecord) -> String {
    let mut out = String::new();
    let title = match story {
        Some(s) => format!("{}: {} ({})", record.story, s.title, s.standard),
        None => record.story.clone(),
    };
    let _ = writeln!(out, "{}", banner('#', &title));
    if let Some(s) = story {
        let _ = writeln!(out, "{}\n", s.summary);
    }
    for step in &record.steps {
        out.push_str(&self::step(step));
    }
    if let Some(error) = &record.error {
        let _ = writeln!(out, "STOPPED: {error}");
    }
    let _ = writeln!(
        out,
        "RESULT {}: {}\n",
        record.story,
        if record.ok { "ok" } else { "FAILED" }
    );
    out
}

fn step(step: &StepRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", banner('=', &step.service));
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
    let _ = writeln!(out, "-- RP CHECKS --");
    for check in &step.checks {
        let _ = writeln!(
            out,
            "    [{}] {}: {} ({})",
            if check.ok { "passed" } else { "FAILED" },
            check.name,
            check.detail,
            check.reference
        );
    }
    if let Some(error) = &step.error {
        let verdict = match &step.expected_error {
            Some(expected) if *expected == error.error => "refused as expected",
            Some(_) => "refused, but not as expected",
            None => "refused",
        };
        let _ = writeln!(
            out,
            "    {verdict}: {} ({})",
            error.error, error.error_description
        );
    } else if let Some(expected) = &step.expected_error {
        let _ = writeln!(out, "    NOT refused: expected {expected}");
    }
    for jwt in &step.jwts {
        let _ = writeln!(out, "-- JWT {} -- {}", jwt.name, jwt.verification);
        let _ = writeln!(out, "    HEADER");
        out.push_str(&indented(&pretty(&jwt.header), "    "));
        let _ = writeln!(out, "    CLAIMS");
        out.push_str(&indented(&pretty(&jwt.claims), "    "));
    }
    out.push('\n');
    out
}
