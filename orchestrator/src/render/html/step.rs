//! One step of a story page: the request and the response as raw HTTP (with
//! copy-as-curl and copy-as-grpcurl), what the attacker changed, the checks
//! with their clauses linked, and every JWT decoded.
use std::fmt::Write;

use base64::Engine;
use serde_json::Value;

use super::copy::{copy_block, curl, grpcurl, request_body};
use super::icon::Icon;
use crate::catalog::Step;
use crate::record::{JwtRecord, Outcome, StepRecord};
use crate::render::safe::{html, html_block, html_json, terminal, terminal_block};
use crate::render::{TIME_CLAIMS, clauses, pretty, text, utc};

fn reason(status: u32) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// The request as it crosses HTTP/1.1, each value on its line (its
/// controls escaped), the body over lines.
fn http_request(step: &StepRecord) -> String {
    let (target, host) = match url::Url::parse(&step.request.url) {
        Ok(u) => {
            let mut target = u.path().to_owned();
            if let Some(q) = u.query() {
                target.push('?');
                target.push_str(q);
            }
            let host = match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_owned(),
                _ => String::new(),
            };
            (target, host)
        }
        Err(_) => (step.request.url.clone(), String::new()),
    };
    let mut out = format!(
        "{} {} HTTP/1.1\nhost: {}\n",
        terminal(&step.request.method),
        terminal(&target),
        terminal(&host)
    );
    for (name, value) in &step.request.headers {
        let _ = writeln!(out, "{}: {}", terminal(name), terminal(value));
    }
    let body = request_body(step);
    if !body.is_empty() {
        let _ = write!(out, "\n{}", terminal_block(&body));
    }
    out
}

/// The response as it crosses HTTP/1.1, as the request.
fn http_response(step: &StepRecord) -> String {
    let status = step.response.status;
    let mut out = format!("HTTP/1.1 {status} {}\n", reason(status));
    for (name, value) in &step.response.headers {
        let _ = writeln!(out, "{}: {}", terminal(name), terminal(value));
    }
    if let Some(location) = &step.response.location
        && !step.response.headers.contains_key("location")
    {
        let _ = writeln!(out, "location: {}", terminal(location));
    }
    match &*step.response.body {
        Value::Null => {}
        Value::String(s) => {
            let _ = write!(out, "\n{}", terminal_block(s));
        }
        body => {
            let _ = write!(out, "\n{}", terminal_block(&pretty(body)));
        }
    }
    out
}

/// `Basic czZCaGRS…` decoded: `client_id : secret` (RFC 6749 §2.3.1:
/// both form-urlencoded before encoding).
fn basic_credentials(step: &StepRecord) -> Option<(String, String)> {
    let value = step.request.headers.get("authorization")?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unform = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unform(id), unform(secret)))
}

/// Parameters of a URL's query and fragment, in order.
fn url_params(url: &str) -> Vec<(String, String)> {
    let Ok(u) = url::Url::parse(url) else {
        return Vec::new();
    };
    [u.query(), u.fragment()]
        .into_iter()
        .flatten()
        .flat_map(|raw| {
            url::form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What the attacker did, with the redirect as the AS sent it beside the
/// redirect as the RP received it, the changed parameters highlighted.
fn attack(out: &mut String, record: &StepRecord, step: Option<&Step>, attack_story: bool) {
    let variation: Vec<String> = step
        .map(|s| s.args.iter().map(|(k, v)| format!("{k}={v}")).collect())
        .unwrap_or_default();
    if attack_story && !variation.is_empty() {
        let _ = write!(
            out,
            "<div class=\"attack\"><strong>The attack:</strong> this request is the honest one but for <code class=\"changed\">{}</code></div>",
            html(&variation.join(" "))
        );
    } else if !variation.is_empty() {
        let _ = write!(
            out,
            "<p class=\"args\">Step arguments: <code>{}</code></p>",
            html(&variation.join(" "))
        );
    }
    let Some(t) = &record.tampered else {
        return;
    };
    let _ = write!(
        out,
        "<div class=\"attack\"><strong>The attacker:</strong> {}",
        html(&t.what)
    );
    if let (Some(sent), Some(received)) = (&record.response.location, &t.location) {
        let sent = url_params(sent);
        let received = url_params(received);
        out.push_str("<table class=\"diff\"><tr><th>parameter</th><th>the AS sent</th><th>the RP received</th></tr>");
        let mut names: Vec<&String> = sent.iter().chain(&received).map(|(k, _)| k).collect();
        names.dedup();
        let mut seen = Vec::new();
        for name in names {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let find = |list: &[(String, String)]| {
                list.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "(absent)".into())
            };
            let (a, b) = (find(&sent), find(&received));
            let class = if a == b { "" } else { " class=\"changed\"" };
            let _ = write!(
                out,
                "<tr{class}><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                html(name),
                html(&a),
                html(&b)
            );
        }
        out.push_str("</table>");
    }
    if let Some(page) = &t.page {
        let _ = write!(
            out,
            "<details open><summary>The page as the RP received it</summary><pre>{}</pre></details>",
            html_block(page)
        );
    }
    out.push_str("</div>");
}

/// A check's class and its result: a mark drawn in SVG (no emoji, which
/// a machine without an emoji font shows as an empty box) and its word.
fn outcome(o: Outcome) -> (&'static str, String) {
    let (class, icon, word) = match o {
        Outcome::Passed => ("passed", Icon::Check, "passed"),
        Outcome::Info => ("info", Icon::Info, "info"),
        Outcome::Warning => ("warning", Icon::Warning, "warning"),
        Outcome::Refused => ("refused", Icon::Shield, "refused (the defence held)"),
        Outcome::Failed => ("failed", Icon::Cross, "FAILED"),
    };
    (class, format!("{} {word}", icon.svg()))
}

fn checks(out: &mut String, record: &StepRecord) {
    if record.checks.is_empty() {
        return;
    }
    out.push_str("<h3>Checks</h3><table class=\"checks\"><tr><th>result</th><th>level</th><th>check</th><th>found</th><th>clause</th></tr>");
    for c in &record.checks {
        let (class, word) = outcome(c.outcome);
        let links: Vec<String> = clauses(&c.reference)
            .into_iter()
            .map(|(text, url)| match url {
                Some(url) => format!("<a href=\"{}\">{}</a>", html(&url), html(&text)),
                None => html(&text),
            })
            .collect();
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td>{word}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text::level(c.level),
            html(&c.name),
            html(&c.detail),
            links.join(", ")
        );
    }
    out.push_str("</table>");
}

fn jwt(out: &mut String, j: &JwtRecord) {
    let _ = write!(out, "<div class=\"jwt\"><h3>JWT: {}</h3>", html(&j.name));
    let parts: Vec<&str> = j.compact.split('.').collect();
    if parts.len() == 3 {
        let _ = write!(
            out,
            "<p class=\"compact\"><span class=\"jwt-header\">{}</span>.<span class=\"jwt-claims\">{}</span>.<span class=\"jwt-signature\">{}</span></p>",
            html(parts[0]),
            html(parts[1]),
            html(parts[2])
        );
    }
    let _ = write!(
        out,
        "<p class=\"jwt-signature\">{} {}</p>",
        if j.verified {
            format!("{} signature verified:", Icon::Check.svg())
        } else {
            format!("{} not verified:", Icon::Cross.svg())
        },
        html(&j.verification)
    );
    let _ = write!(
        out,
        "<div class=\"jwt-header\"><h4>Header</h4><pre>{}</pre></div>",
        html_block(&pretty(&j.header))
    );
    out.push_str(
        "<div class=\"jwt-claims\"><h4>Claims</h4><table><tr><th>claim</th><th>value</th></tr>",
    );
    if let Value::Object(claims) = &*j.claims {
        for (name, value) in claims {
            let shown = match value {
                Value::String(s) => html(s),
                other => html_json(&other.to_string()),
            };
            let date = TIME_CLAIMS
                .contains(&name.as_str())
                .then(|| value.as_i64().and_then(utc))
                .flatten()
                .map(|d| format!(" <span class=\"date\">{d}</span>"))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td><code>{shown}</code>{date}</td></tr>",
                html(name)
            );
        }
    }
    out.push_str("</table></div></div>");
}

/// One step's section.
pub(crate) fn section(
    number: usize,
    over_http: bool,
    record: &StepRecord,
    step: Option<&Step>,
    attack_story: bool,
) -> String {
    let mut out = String::new();
    let class = if record.ok { "step" } else { "step failed" };
    let _ = write!(
        out,
        "<section class=\"{class}\" id=\"step-{number}\"><h2>Step {number}: {} → {}</h2>",
        html(&record.service),
        html(&record.endpoint)
    );
    attack(&mut out, record, step, attack_story);
    out.push_str("<div class=\"exchange\"><div><h3>Request</h3>");
    let _ = write!(
        out,
        "<pre class=\"http\">{}</pre>",
        html_block(&http_request(record))
    );
    if let Some((id, secret)) = basic_credentials(record) {
        let _ = write!(
            out,
            "<p class=\"note\">Basic credentials decoded (RFC 6749 §2.3.1): client_id <code>{}</code>, secret <code>{}</code></p>",
            html(&id),
            html(&secret)
        );
    }
    // Over HTTP the command goes where the run went, credentials and all
    // (the user's own server); over gRPC to the AS's HTTP front at $AS,
    // secrets left out, and the gRPC call to the AS the run used.
    copy_block(
        &mut out,
        &format!("curl-{number}"),
        if over_http {
            "copy as curl (HTTP, to the server this run used, with its credentials)"
        } else {
            "copy as curl (HTTP, to the AS's --http-listen URL in $AS; secrets left out)"
        },
        &html_block(&curl(record, over_http)),
    );
    if !over_http {
        copy_block(
            &mut out,
            &format!("grpcurl-{number}"),
            if record.endpoint == crate::runner::BACKCHANNEL {
                "copy as grpcurl (the RP RPC)"
            } else {
                "copy as grpcurl (the AS RPC)"
            },
            &html_json(&grpcurl(record)),
        );
    }
    super::login::section(&mut out, &record.login);
    out.push_str("</div><div><h3>Response</h3>");
    let _ = write!(
        out,
        "<pre class=\"http\">{}</pre></div></div>",
        html_block(&http_response(record))
    );
    if !record.parsed.is_null() && record.parsed != record.response.body {
        let _ = write!(
            out,
            "<details><summary>{}</summary><pre>{}</pre></details>",
            if record.is_form_post() {
                "The form's fields, decoded (what the RP read)"
            } else {
                "What the RP read"
            },
            html_block(&pretty(&record.parsed))
        );
    }
    checks(&mut out, record);
    if let Some(error) = &record.error {
        let verdict = match &record.expected_error {
            Some(e) if *e == error.error => "refused as expected",
            // An error that tells the client to carry on (RFC 8628 §3.5).
            None if record.ok => "not yet, poll again",
            _ => "refused",
        };
        let _ = write!(
            out,
            "<p class=\"verdict\"><strong>{verdict}:</strong> <code>{}</code> — {}</p>",
            html(&error.error),
            html(&error.error_description)
        );
    }
    if let Some(check) = &record.expected_refusal {
        let verdict = if record.ok {
            "refused by the RP as expected"
        } else {
            "NOT refused by the RP"
        };
        let _ = write!(
            out,
            "<p class=\"verdict\"><strong>{verdict}:</strong> {}</p>",
            html(check)
        );
    }
    for j in &record.jwts {
        jwt(&mut out, j);
    }
    out.push_str("</section>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases_for_the_statuses_oauth_uses() {
        assert_eq!(reason(302), "Found");
        assert_eq!(reason(401), "Unauthorized");
    }
}
