//! A server's values carrying terminal controls and markup reach every
//! transcript shown, never obeyed (CWE-150): a record holding a hostile
//! user code (RFC 8628 §3.2) in its body, a header, a redirect, a check, an
//! error description and a JWT, rendered as text, Markdown and HTML.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use orchestrator::record::{
    CheckRecord, ErrorRecord, Json, JwtRecord, Level, Outcome, RequestRecord, ResponseRecord,
    StepRecord, StoryRecord, TamperRecord,
};
use orchestrator::render::{self, Style};
use orchestrator::summary::Summary;
use serde_json::json;

/// Clear the screen, set the window title (ended by a bell), then a line of
/// its own with a fake instruction; a C1 CSI (ECMA-48 §5.3) and a
/// right-to-left override (UAX #9) after it.
const HOSTILE: &str =
    "\x1b[2J\x1b]0;pwned\x07\nCall +1-555-0100 and read out your bank PIN \u{9b}31m \u{202e}NIP";
/// Markup a viewer would obey.
const MARKUP: &str = "<img src=x onerror=alert(1)> [click](https://evil.example) `";
/// A colour code of the kind the renderer writes, from a value.
const FAKE_COLOUR: &str = "\x1b[32mfake ok\x1b[0m";

fn is_control(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200b}'
            | '\u{200e}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// The controls in a text but its line breaks.
fn controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| c != '\n' && is_control(c))
        .collect()
}

fn step(page: Option<&str>) -> StepRecord {
    let headers = |extra: &str| {
        BTreeMap::from([
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-note".to_owned(), format!("{extra}``{HOSTILE}|")),
        ])
    };
    StepRecord {
        login: Vec::new(),
        elapsed: Duration::ZERO,
        service: "device_authorization".into(),
        endpoint: "DeviceAuthorization".into(),
        request: RequestRecord {
            method: "POST".into(),
            url: "https://op.example/device_authorization".into(),
            headers: headers("sent "),
            params: Json::from(json!({"client_id": "client", "scope": HOSTILE})),
        },
        response: ResponseRecord {
            status: 400,
            headers: headers("answered "),
            body: Json::from(json!({
                "user_code": HOSTILE,
                "verification_uri": "https://op.example/device",
                "note": FAKE_COLOUR,
            })),
            location: Some(format!("https://rp.example/cb?code={HOSTILE}")),
        },
        parsed: Json::from(json!({"user_code": HOSTILE})),
        checks: vec![CheckRecord {
            id: String::new(),
            name: format!("user code is short {FAKE_COLOUR}"),
            ok: false,
            detail: format!("{HOSTILE} {MARKUP}"),
            reference: "RFC 8628 §6.1".into(),
            level: Level::Must,
            outcome: Outcome::Failed,
        }],
        jwts: vec![JwtRecord {
            name: "id_token".into(),
            compact: "a.b.c".into(),
            header: Json::from(json!({"alg": "RS256", "kid": HOSTILE})),
            claims: Json::from(json!({"sub": HOSTILE, "exp": 1_300_819_380})),
            verified: false,
            verification: format!("not verified: {HOSTILE} {MARKUP}"),
        }],
        error: Some(ErrorRecord {
            error: format!("invalid_request<br>{HOSTILE}"),
            error_description: format!("{HOSTILE} {MARKUP}"),
        }),
        expected_error: None,
        expected_refusal: None,
        tampered: Some(TamperRecord {
            what: format!("# the attacker {MARKUP}"),
            location: Some(format!("https://rp.example/cb?code={HOSTILE}")),
            page: page.map(str::to_owned),
        }),
        ok: false,
        warnings: 0,
        sent_again: false,
        prepared_by: None,
        parsed_by: "Advance".into(),
    }
}

fn story(page: Option<&str>) -> StoryRecord {
    StoryRecord {
        story: "oauth2_device_code".into(),
        kind: orchestrator::catalog::Kind::Usage,
        ok: false,
        warnings: 0,
        elapsed: Duration::ZERO,
        over_http: false,
        error: Some(format!("the AS said: {HOSTILE}")),
        skipped: None,
        ending: None,
        steps: vec![step(page)],
    }
}

#[test]
fn text_without_colour_has_no_control_and_no_line_of_the_value() {
    let record = story(None);
    for style in [
        Style::default(),
        Style {
            color: false,
            wrap: true,
        },
    ] {
        let text = render::text::story(None, &record, style);
        assert_eq!(controls(&text), Vec::<char>::new(), "{text}");
        assert!(
            text.contains("read out your bank PIN"),
            "the value is shown"
        );
        assert!(text.contains("\\x1b[2J\\x1b]0;pwned\\x07\\nCall"));
        assert!(text.contains("\\u{9b}31m \\u{202e}NIP"));
        for line in text.lines() {
            assert!(
                !line.trim_start().starts_with("Call +1"),
                "a line of the value's own: {line:?}"
            );
        }
    }
}

#[test]
fn text_in_colour_has_only_the_renderers_own_colour_codes() {
    let text = render::text::story(
        None,
        &story(None),
        Style {
            color: true,
            wrap: true,
        },
    );
    assert!(
        text.contains("\x1b[1;31m[FAILED]\x1b[0m"),
        "colour still works"
    );
    assert!(
        text.contains("\\x1b[32mfake ok\\x1b[0m"),
        "a value's colour shown"
    );
    let mut rest = text.clone();
    for code in ["1;36", "32", "1;31", "33", "2", "0"] {
        rest = rest.replace(&format!("\x1b[{code}m"), "");
    }
    assert_eq!(controls(&rest), Vec::<char>::new(), "{text}");
}

#[test]
fn a_page_keeps_its_lines_indented_under_the_step_with_no_control() {
    let page = format!("<form>\n{HOSTILE}\n</form>");
    let text = render::text::story(None, &story(Some(&page)), Style::default());
    assert_eq!(controls(&text), Vec::<char>::new());
    let at = text.find("THE RP RECEIVES THE PAGE:").unwrap();
    for line in text[at..].lines().skip(1).take(3) {
        assert!(line.starts_with("    "), "{line:?}");
    }
}

#[test]
fn markdown_has_no_markup_of_the_value_and_fences_hold() {
    let page = "<form>\n```\n# Injected heading\n````\n</form>";
    let md = render::markdown::story(None, &story(Some(page)));
    assert_eq!(controls(&md), Vec::<char>::new(), "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert!(md.contains("&lt;img"));
    // Mermaid reads no Markdown in a message: the link's text stays there.
    let after_diagram = md
        .split("```mermaid")
        .nth(1)
        .unwrap()
        .split_once("\n```\n")
        .unwrap()
        .1;
    assert!(
        !after_diagram.contains("[click](https"),
        "no link of the value's"
    );
    assert!(
        !md.contains("\n# the attacker"),
        "no heading of the value's"
    );
    for line in md.lines() {
        assert!(!line.trim_start().starts_with("Call +1"), "{line:?}");
    }
    // The diagram: the error code's markup as Mermaid's entity codes.
    let diagram = md
        .split("```mermaid")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert!(!diagram.contains('<'), "{diagram}");
    // The page's fence closes after the page, not inside it.
    let lines: Vec<&str> = md.lines().collect();
    let open = lines.iter().position(|l| l.ends_with("`html")).unwrap();
    let fence = lines[open].trim_end_matches("html");
    assert!(fence.len() > 4, "{fence}");
    let close = open + 1 + lines[open + 1..].iter().position(|l| *l == fence).unwrap();
    let heading = lines
        .iter()
        .position(|l| *l == "# Injected heading")
        .unwrap();
    assert!(open < heading && heading < close);
    assert_eq!(lines[close - 1], "</form>");
    // A header value with backticks and a pipe stays in its code span and cell.
    let header = lines
        .iter()
        .find(|l| l.starts_with("| x-note | ") && l.contains("sent"))
        .unwrap();
    assert!(header.starts_with("| x-note | ```sent ``"), "{header}");
    assert!(header.ends_with("NIP\\|``` |"), "{header}");
}

#[test]
fn html_has_no_markup_or_control_of_the_value() {
    let page = format!("<form>\n{HOSTILE}\n{MARKUP}\n</form>");
    let html = render::html::story(None, &story(Some(&page)), Default::default());
    assert_eq!(controls(&html), Vec::<char>::new());
    assert!(!html.contains("<img"), "markup of the value's");
    assert!(!html.contains("<br>"), "markup of the error code's");
    assert!(html.contains("&lt;img"));
    assert!(html.contains("Call +1-555-0100"));
    // The copy-as-curl text: the control carried as an escape of the shell's.
    assert!(
        html.contains("$&#39;x-note: sent ``\\x1b[2J"),
        "curl header as $'…'"
    );
}

#[test]
fn the_summary_shows_a_skip_reason_escaped() {
    let why = format!("the server offers no device grant {HOSTILE} {MARKUP}");
    let records = [StoryRecord::skipped("oauth2_device_code", why)];
    let summary = Summary::new(&records, false);
    let text = summary.text(Style::default());
    assert_eq!(controls(&text), Vec::<char>::new(), "{text}");
    // The scorecard, the reason on one line of its own; then the table.
    let (card, table) = text.split_once("SUMMARY\n").unwrap();
    // The header, the row, the reason wrapped below it, the totals.
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[1].starts_with("oauth2_device_code  skipped:"),
        "{table}"
    );
    assert!(lines.last().unwrap().starts_with("TOTAL"), "{table}");
    assert!(
        lines[2..lines.len() - 1]
            .iter()
            .all(|l| l.starts_with("    ") && l.chars().count() <= 100),
        "{table}"
    );
    assert_eq!(
        card.lines()
            .filter(|l| l.contains("no device grant"))
            .map(|l| l.starts_with("  the server offers no device grant")
                && l.ends_with(": oauth2_device_code"))
            .collect::<Vec<_>>(),
        [true],
        "{card}"
    );
    let md = summary.markdown();
    assert_eq!(controls(&md), Vec::<char>::new(), "{md}");
    assert!(!md.contains("<img"));
    let row = md
        .lines()
        .find(|l| l.starts_with("| oauth2_device_code"))
        .unwrap();
    assert_eq!(row.matches(" | ").count(), 5, "one row of six cells: {row}");
    let item = md
        .lines()
        .find(|l| l.starts_with("- the server offers no device grant"))
        .unwrap();
    assert!(item.ends_with(": oauth2_device_code"), "{item}");
    let html = render::html::index(&[], &summary);
    assert_eq!(controls(&html), Vec::<char>::new());
    assert!(!html.contains("<img"));
}
