//! The text transcript, step by step: a banner per step, the request
//! (method, URL, headers, its form, query or JSON parameters), the response,
//! then what the RP checked and every JWT decoded (times with their UTC
//! dates), each line within 100 columns. Written step by step, so a long
//! story shows as it runs.
use std::borrow::Cow;
use std::fmt::Write;

use serde_json::Value;

use super::safe::{terminal, terminal_block};
use super::{Style, pretty};
use crate::catalog::{Kind, Story};
use crate::runner::{Ending, Level, Outcome, StepRecord, StoryRecord};

/// A check's level as the transcript names it.
pub(crate) fn level(level: Level) -> &'static str {
    match level {
        Level::Must => "MUST",
        Level::Should => "SHOULD",
        Level::Info => "info",
    }
}

/// `==== title ====`, as wide as fits in [`WIDTH`] (at least three marks a side).
fn banner(fill: char, title: &str) -> String {
    let room = WIDTH.saturating_sub(title.chars().count() + 2) / 2;
    let bar: String = std::iter::repeat_n(fill, room.clamp(3, 30)).collect();
    format!("{bar} {title} {bar}")
}

/// A value of many lines (a page, printed JSON), each line indented; its
/// controls escaped, so each of its lines is one of the transcript's.
fn indented(text: &str, by: &str) -> String {
    terminal_block(text)
        .lines()
        .map(|l| format!("{by}{l}\n"))
        .collect()
}

/// A value printed as JSON over lines, controls escaped (serde_json escapes
/// C0 controls in strings, not C1 or Unicode format characters).
fn json(value: &serde_json::Value) -> String {
    let printed = pretty(value);
    let escaped = match terminal_block(&printed) {
        Cow::Owned(escaped) => Some(escaped),
        Cow::Borrowed(_) => None,
    };
    let mut out = escaped.unwrap_or(printed);
    out.push('\n');
    out
}

/// The columns a transcript line fits in.
pub(crate) const WIDTH: usize = 100;

/// A line cut to `width` visible columns (terminal colour codes take none):
/// at the last space of a row where there is one, else mid-word (a URL, a
/// JWT); each continuation indented four columns past the line's own indent.
pub(crate) fn wrap_line(line: &str, width: usize) -> String {
    let visible = |s: &str| {
        let mut n = 0;
        let mut escape = false;
        for c in s.chars() {
            match (escape, c) {
                (false, '\x1b') => escape = true,
                (true, 'm') => escape = false,
                (true, _) => {}
                (false, _) => n += 1,
            }
        }
        n
    };
    if visible(line) <= width {
        return line.to_owned();
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    let continuation = " ".repeat((indent + 4).min(width / 2));
    let mut out = String::with_capacity(line.len() + 16);
    let mut row = String::new();
    let mut columns = 0;
    let mut escape = false;
    for c in line.chars() {
        row.push(c);
        match (escape, c) {
            (false, '\x1b') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, _) => columns += 1,
        }
        if columns >= width && !escape {
            // Prefer a space in the second half of the row.
            let cut = row
                .rfind(' ')
                .filter(|&i| i > row.len() / 2 && !row[i..].contains('\x1b'));
            let rest = match cut {
                Some(i) => {
                    let rest = row[i + 1..].to_owned();
                    row.truncate(i);
                    rest
                }
                None => String::new(),
            };
            out.push_str(row.trim_end());
            out.push('\n');
            row = format!("{continuation}{rest}");
            columns = visible(&row);
        }
    }
    if row.trim().is_empty() {
        if out.ends_with('\n') {
            out.pop();
        }
    } else {
        out.push_str(&row);
    }
    out
}

/// Every line of a text wrapped to [`WIDTH`], where the style wraps.
fn wrapped(text: &str, style: Style) -> String {
    if !style.wrap {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        out.push_str(&wrap_line(body, WIDTH));
        out.push_str(newline);
    }
    out
}

/// What a request's parameters are: a form body, a URL's query, or JSON.
fn params_label(step: &StepRecord) -> &'static str {
    let content_type = step
        .request
        .headers
        .get("content-type")
        .map(String::as_str)
        .unwrap_or("");
    if step.request.method.eq_ignore_ascii_case("GET") {
        "QUERY PARAMETERS"
    } else if content_type.contains("json") {
        "JSON BODY"
    } else {
        "FORM BODY (application/x-www-form-urlencoded)"
    }
}

/// The story's opening lines.
pub fn story_header(story: &Story, style: Style) -> String {
    let title = format!("{}: {} ({})", story.name, story.title, story.standard);
    let kind = match story.kind() {
        Kind::Usage => String::new(),
        kind => format!("{}\n", style.warned(&format!("ATTACK: {}", kind.says()))),
    };
    wrapped(
        &format!(
            "{}\n{}\n{kind}\n",
            style.header(&banner('#', &title)),
            story.summary
        ),
        style,
    )
}

/// The story's closing lines.
pub fn story_footer(record: &StoryRecord, style: Style) -> String {
    let mut out = String::new();
    // The summary's words for the result, so the two never disagree.
    let words = terminal(&crate::summary::StorySummary::of(record).result_text()).into_owned();
    if let Some(Ending::NotRefused(n)) = &record.ending {
        let line = format!(
            "NOT REFUSED: the attacker sent {}; the provider answered {} where {} requires {}",
            terminal(&n.sent),
            n.status,
            terminal(&n.clause),
            terminal(&n.expected)
        );
        let _ = writeln!(out, "{}", style.failed(&line));
        let _ = writeln!(
            out,
            "RESULT {}: {}\n",
            terminal(&record.story),
            style.failed(&words)
        );
        return out;
    }
    if let Some(ending) = &record.ending {
        // Neither side's fault: what stopped the story, then the result.
        let line = match ending {
            Ending::RefusedByServer { note, .. } => {
                note.as_deref().map(|n| format!("NOTE: {}", terminal(n)))
            }
            Ending::NeedsBrowser { what, .. } => Some(format!("STOPPED: {}", terminal(what))),
            Ending::Interrupted { why, .. } => Some(format!("STOPPED: {why}")),
            Ending::NotRefused(_) | Ending::Inconclusive { .. } => None,
        };
        if let Some(line) = line {
            let _ = writeln!(out, "{}", style.warned(&line));
        }
        let _ = writeln!(
            out,
            "RESULT {}: {}\n",
            terminal(&record.story),
            style.warned(&words)
        );
        return out;
    }
    if let Some(error) = &record.error {
        let _ = writeln!(
            out,
            "{}",
            style.failed(&format!("STOPPED: {}", terminal(error)))
        );
    }
    if record.skipped.is_some() {
        let _ = writeln!(
            out,
            "RESULT {}: {}\n",
            terminal(&record.story),
            style.dim(&words)
        );
        return out;
    }
    let verdict = match (record.ok, record.warnings) {
        (true, 0) => style.passed(&words),
        (true, _) => style.warned(&words),
        (false, _) => style.failed(&words),
    };
    let _ = writeln!(out, "RESULT {}: {verdict}\n", terminal(&record.story));
    out
}

/// A whole story.
pub fn story(story: Option<&Story>, record: &StoryRecord, style: Style) -> String {
    let mut out = match story {
        Some(s) => story_header(s, style),
        None if record.kind == Kind::Usage => {
            format!("{}\n", banner('#', &terminal(&record.story)))
        }
        None => format!(
            "{}\n{}\n\n",
            banner('#', &terminal(&record.story)),
            style.warned(&format!("ATTACK: {}", record.kind.says()))
        ),
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
    let _ = writeln!(
        out,
        "{}",
        style.header(&banner('=', &terminal(&step.service)))
    );
    if step.endpoint == crate::runner::BACKCHANNEL {
        let _ = writeln!(
            out,
            "-- REQUEST -- (the OP's notification to the RP, {})",
            terminal(&step.endpoint)
        );
    } else {
        let _ = writeln!(
            out,
            "-- REQUEST -- (AS endpoint {})",
            terminal(&step.endpoint)
        );
    }
    let _ = writeln!(out, "    METHOD: {}", terminal(&step.request.method));
    let _ = writeln!(out, "    URL: {}", terminal(&step.request.url));
    let _ = writeln!(out, "    HEADERS");
    out.push_str(&indented(&pretty(&step.request.headers), "    "));
    let has_params = match &*step.request.params {
        Value::Object(map) => !map.is_empty(),
        Value::Null => false,
        _ => true,
    };
    if has_params {
        let _ = writeln!(out, "    {}", params_label(step));
        out.push_str(&indented(&pretty(&step.request.params), "    "));
    }
    if !step.login.is_empty() {
        let _ = writeln!(
            out,
            "-- LOGIN -- (--login: the server's login, walked as a browser would)"
        );
        for hop in &step.login {
            let _ = writeln!(out, "    {}", terminal(&super::login_line(hop)));
        }
    }
    let _ = writeln!(out, "-- RESPONSE --");
    let _ = writeln!(out, "    STATUS: {}", step.response.status);
    let _ = writeln!(out, "    HEADERS");
    out.push_str(&indented(&pretty(&step.response.headers), "    "));
    if let Some(location) = &step.response.location {
        let _ = writeln!(out, "    LOCATION: {}", terminal(location));
    }
    match &*step.response.body {
        Value::Null => {
            let _ = writeln!(out, "    (no body)");
        }
        // A page (a form post) reads as the markup it is.
        Value::String(page) if step.is_form_post() => {
            out.push_str(&indented(page, "    "));
        }
        body => out.push_str(&json(body)),
    }
    // What the RP read, where it is not simply the body (e.g. a redirect's
    // parameters, a form's fields).
    if !step.parsed.is_null() && step.parsed != step.response.body {
        let _ = writeln!(
            out,
            "{}",
            if step.is_form_post() {
                "-- FORM FIELDS (the hidden inputs, decoded) --"
            } else {
                "-- PARSED --"
            }
        );
        out.push_str(&json(&step.parsed));
    }
    if let Some(t) = &step.tampered {
        let _ = writeln!(
            out,
            "{}",
            style.failed(&format!("-- ATTACKER -- {}", terminal(&t.what)))
        );
        if let Some(location) = &t.location {
            let _ = writeln!(out, "    THE RP RECEIVES: {}", terminal(location));
        }
        if let Some(page) = &t.page {
            let _ = writeln!(out, "    THE RP RECEIVES THE PAGE:");
            out.push_str(&indented(page, "    "));
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
                terminal(&check.name),
                terminal(&check.reference),
                terminal(&check.detail)
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
            terminal(&check.name),
            terminal(&check.detail),
            terminal(&check.reference)
        );
    }
    if let Some(error) = &step.error {
        let verdict = match &step.expected_error {
            Some(expected) if *expected == error.error => style.passed("refused as expected"),
            Some(_) => style.failed("refused, but not as expected"),
            // An error that tells the client to carry on (RFC 8628 §3.5).
            None if step.ok => style.passed("not yet, poll again"),
            None => style.failed("refused"),
        };
        let _ = writeln!(
            out,
            "    {verdict}: {} ({})",
            terminal(&error.error),
            terminal(&error.error_description)
        );
    } else if let Some(expected) = &step.expected_error {
        let _ = writeln!(
            out,
            "    {}",
            style.failed(&format!("NOT refused: expected {}", terminal(expected)))
        );
    } else if let Some(check) = &step.expected_refusal {
        let verdict = if step.ok {
            style.passed("refused by the RP as expected")
        } else {
            style.failed("NOT refused by the RP: expected a failing check")
        };
        let _ = writeln!(out, "    {verdict}: {}", terminal(check));
    }
    for jwt in &step.jwts {
        let _ = writeln!(
            out,
            "-- JWT {} -- {}",
            terminal(&jwt.name),
            style.dim(&terminal(&jwt.verification))
        );
        let _ = writeln!(out, "    HEADER");
        out.push_str(&indented(&pretty(&jwt.header), "    "));
        let _ = writeln!(out, "    CLAIMS");
        out.push_str(&indented(&pretty(&jwt.claims), "    "));
        for time in super::claim_times(&jwt.claims) {
            let _ = writeln!(out, "    TIME {}", terminal(&time));
        }
    }
    out.push('\n');
    wrapped(&out, style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_a_space_with_an_indent() {
        let line = format!("    {}", "word ".repeat(40));
        let wrapped = wrap_line(line.trim_end(), 100);
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 100),
            "{wrapped}"
        );
        assert!(
            wrapped
                .lines()
                .skip(1)
                .all(|l| l.starts_with("        word"))
        );
        assert_eq!(wrapped.split_whitespace().count(), 40, "no word lost");
    }

    #[test]
    fn a_long_token_is_cut_mid_word_and_kept_whole() {
        let token = "x".repeat(250);
        let wrapped = wrap_line(&format!("URL: {token}"), 100);
        assert!(wrapped.lines().all(|l| l.chars().count() <= 100));
        assert_eq!(wrapped.replace(['\n', ' '], "").replace("URL:", ""), token);
    }

    #[test]
    fn colour_codes_take_no_columns() {
        let line = format!("\x1b[32m{}\x1b[0m", "a".repeat(100));
        assert_eq!(wrap_line(&line, 100), line);
    }
}
