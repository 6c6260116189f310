//! The provider scorecard as each format shows it at the top of the
//! summary: the counts of the attacks, then per clause what the provider's
//! answers broke (or one line saying nothing did), then what it does not
//! offer. Every value that may come from a server (a check's reference, a
//! skip's reason, a story's error) is escaped for its output.
use std::fmt::Write;

use super::Style;
use super::safe::{html, markdown_cell, markdown_text, terminal};
use crate::summary::scorecard::{Clause, ClientDefences, NotOffered, ProviderAttacks, Scorecard};

/// How bad a line of a clause is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Weight {
    Must,
    Should,
}

/// One line of a clause, in the words every format uses.
struct Line {
    /// `NOT REFUSED`, `MUST broken`, `FAILED`, `SHOULD not met`.
    label: &'static str,
    /// The check not met, or a failed story's error.
    detail: Option<String>,
    weight: Weight,
    stories: Vec<String>,
}

fn lines(clause: &Clause) -> Vec<Line> {
    let mut out = Vec::new();
    if !clause.not_refused.is_empty() {
        out.push(Line {
            label: "NOT REFUSED",
            detail: None,
            weight: Weight::Must,
            stories: clause.not_refused.clone(),
        });
    }
    for broken in &clause.musts_broken {
        out.push(Line {
            label: "MUST broken",
            detail: Some(broken.check.clone()),
            weight: Weight::Must,
            stories: broken.stories.clone(),
        });
    }
    for failure in &clause.failed {
        out.push(Line {
            label: "FAILED",
            detail: Some(failure.why.clone()),
            weight: Weight::Must,
            stories: vec![failure.story.clone()],
        });
    }
    for warned in &clause.shoulds_warned {
        out.push(Line {
            label: "SHOULD not met",
            detail: Some(warned.check.clone()),
            weight: Weight::Should,
            stories: warned.stories.clone(),
        });
    }
    out
}

/// At most this many story names on a line of text or Markdown; the HTML
/// report and the JSON name them all.
const NAMED: usize = 5;

/// Story names for a line: the first few, then how many more.
fn names(stories: &[String]) -> String {
    if stories.len() <= NAMED {
        return stories.join(", ");
    }
    format!(
        "{} and {} more",
        stories[..NAMED].join(", "),
        stories.len() - NAMED
    )
}

/// A line's label and detail, `MUST broken: the check`.
fn what(line: &Line) -> String {
    match &line.detail {
        Some(detail) => format!("{}: {detail}", line.label),
        None => line.label.to_owned(),
    }
}

/// The two lists of stories not run: what the provider does not offer, and
/// what waits on an option of the run; each with its heading.
fn not_run(card: &Scorecard) -> [(&'static str, &[NotOffered]); 2] {
    [
        ("not offered by the provider", &card.not_offered),
        ("not run for want of an option", &card.needs_option),
    ]
}

/// `N run: N refused, …; N skipped`, each count only when there is any.
fn provider_counts(a: &ProviderAttacks) -> String {
    let mut parts = vec![format!("{} refused", a.refused)];
    if a.not_refused > 0 {
        parts.push(format!("{} NOT REFUSED", a.not_refused));
    }
    if a.not_refused_should > 0 {
        parts.push(format!(
            "{} not refused where a SHOULD asks",
            a.not_refused_should
        ));
    }
    if a.stopped > 0 {
        parts.push(format!("{} stopped before the verdict", a.stopped));
    }
    let mut out = format!("{} run: {}", a.run, parts.join(", "));
    if a.skipped > 0 {
        let _ = write!(out, "; {} skipped", a.skipped);
    }
    out
}

/// The same for our client's defences (its failures named apart).
fn client_counts(d: &ClientDefences) -> String {
    let mut parts = vec![format!("{} held", d.held)];
    if d.failed > 0 {
        parts.push(format!("{} FAILED", d.failed));
    }
    if d.stopped > 0 {
        parts.push(format!("{} stopped before the attack", d.stopped));
    }
    let mut out = format!("{} run: {}", d.run, parts.join(", "));
    if d.skipped > 0 {
        let _ = write!(out, "; {} skipped", d.skipped);
    }
    out
}

fn any_provider_attack(card: &Scorecard) -> bool {
    card.provider_attacks.run + card.provider_attacks.skipped > 0
}

fn any_client_defence(card: &Scorecard) -> bool {
    card.client_defences.run + card.client_defences.skipped > 0
}

/// The one line of a scorecard with nothing against the provider.
fn clean_line(card: &Scorecard) -> &'static str {
    let a = &card.provider_attacks;
    if a.run > 0 && a.refused == a.run {
        "every attack refused; no MUST broken, no SHOULD warned"
    } else if a.run > 0 {
        "no attack let through; no MUST broken, no SHOULD warned"
    } else {
        "no MUST broken, no SHOULD warned"
    }
}

/// A clause as the heading of its lines (an empty reference said so).
fn clause_name(clause: &str) -> &str {
    if clause.is_empty() {
        "(no clause cited)"
    } else {
        clause
    }
}

const PROVIDER: &str = "attacks on the provider";
const CLIENT: &str = "our client's defences (counted apart: not the provider's)";

/// The block above the text summary's table, ending with a blank line.
pub fn text(card: &Scorecard, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.header("PROVIDER SCORECARD"));
    if any_provider_attack(card) {
        let _ = writeln!(
            out,
            "{PROVIDER}: {}",
            provider_counts(&card.provider_attacks)
        );
    }
    if any_client_defence(card) {
        let d = &card.client_defences;
        let mut line = format!("{CLIENT}: {}", client_counts(d));
        if !d.failed_stories.is_empty() {
            let _ = write!(line, " ({})", terminal(&names(&d.failed_stories)));
        }
        let painted = if d.failed > 0 {
            style.failed(&line)
        } else {
            line
        };
        let _ = writeln!(out, "{painted}");
    }
    if card.clean() {
        let _ = writeln!(out, "{}", style.passed(clean_line(card)));
    }
    for clause in &card.clauses {
        let _ = writeln!(out, "{}", terminal(clause_name(&clause.clause)));
        for line in lines(clause) {
            let stories = terminal(&names(&line.stories)).into_owned();
            let text = match &line.detail {
                Some(detail) => format!("  {}: {} ({stories})", line.label, terminal(detail)),
                None => format!("  {}: {stories}", line.label),
            };
            let painted = match line.weight {
                Weight::Must => style.failed(&text),
                Weight::Should => style.warned(&text),
            };
            let _ = writeln!(out, "{painted}");
        }
    }
    for (heading, list) in not_run(card) {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{heading}:");
        for n in list {
            let _ = writeln!(
                out,
                "  {}: {}",
                terminal(&n.why),
                terminal(&names(&n.stories))
            );
        }
    }
    out.push('\n');
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The section above the Markdown summary.
pub fn markdown(card: &Scorecard) -> String {
    let mut out = String::from("\n## Provider scorecard\n\n");
    if any_provider_attack(card) {
        let _ = writeln!(
            out,
            "- **{}:** {}",
            capitalised(PROVIDER),
            provider_counts(&card.provider_attacks)
        );
    }
    if any_client_defence(card) {
        let d = &card.client_defences;
        let failed = if d.failed_stories.is_empty() {
            String::new()
        } else {
            format!(" ({})", markdown_text(&names(&d.failed_stories)))
        };
        let _ = writeln!(
            out,
            "- **Our client's defences** (counted apart: not the provider's): {}{failed}",
            client_counts(d)
        );
    }
    if any_provider_attack(card) || any_client_defence(card) {
        out.push('\n');
    }
    if card.clean() {
        let _ = writeln!(out, "✅ {}", capitalised(clean_line(card)));
    } else {
        out.push_str("| clause | | stories |\n|---|---|---|\n");
        for clause in &card.clauses {
            for line in lines(clause) {
                let _ = writeln!(
                    out,
                    "| {} | {} {} | {} |",
                    markdown_cell(clause_name(&clause.clause)),
                    if line.weight == Weight::Must {
                        "❌"
                    } else {
                        "⚠️"
                    },
                    markdown_cell(&what(&line)),
                    markdown_cell(&names(&line.stories))
                );
            }
        }
    }
    for (heading, list) in not_run(card) {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n**{}:**\n", capitalised(heading));
        for n in list {
            let _ = writeln!(
                out,
                "- {}: {}",
                markdown_text(&n.why),
                markdown_text(&names(&n.stories))
            );
        }
    }
    out
}

/// The section opening the HTML report's index; each story linked to its
/// page where the report has one.
pub fn html_section(card: &Scorecard, entries: &[(String, String, bool)]) -> String {
    let story = |name: &str| match entries.iter().find(|(n, _, _)| n == name) {
        Some((_, file, _)) => format!("<a href=\"{}\">{}</a>", html(file), html(name)),
        None => html(name),
    };
    let stories = |names: &[String]| {
        names
            .iter()
            .map(|n| story(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out =
        String::from("<section class=\"scorecard\" id=\"scorecard\"><h2>Provider scorecard</h2>");
    if any_provider_attack(card) || any_client_defence(card) {
        out.push_str("<ul class=\"counts\">");
        if any_provider_attack(card) {
            let _ = write!(
                out,
                "<li><strong>{}:</strong> {}</li>",
                capitalised(PROVIDER),
                html(&provider_counts(&card.provider_attacks))
            );
        }
        if any_client_defence(card) {
            let d = &card.client_defences;
            let failed = if d.failed_stories.is_empty() {
                String::new()
            } else {
                format!(" ({})", stories(&d.failed_stories))
            };
            let _ = write!(
                out,
                "<li><strong>Our client's defences</strong> (counted apart: not the provider's): {}{failed}</li>",
                html(&client_counts(d))
            );
        }
        out.push_str("</ul>");
    }
    if card.clean() {
        let _ = write!(
            out,
            "<p class=\"clean\"><span class=\"result passed\">{}</span></p>",
            html(clean_line(card))
        );
    } else {
        out.push_str(
            "<table class=\"scorecard\"><tr><th>clause</th><th>what</th><th>stories</th></tr>",
        );
        for clause in &card.clauses {
            let cited: Vec<String> = if clause.clause.is_empty() {
                vec![html(clause_name(""))]
            } else {
                super::clauses(&clause.clause)
                    .into_iter()
                    .map(|(piece, url)| match url {
                        Some(url) => format!("<a href=\"{}\">{}</a>", html(&url), html(&piece)),
                        None => html(&piece),
                    })
                    .collect()
            };
            for line in lines(clause) {
                let _ = write!(
                    out,
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                    if line.weight == Weight::Must {
                        "failed"
                    } else {
                        "warning"
                    },
                    cited.join(", "),
                    html(&what(&line)),
                    stories(&line.stories)
                );
            }
        }
        out.push_str("</table>");
    }
    for (heading, list) in not_run(card) {
        if list.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h3>{}</h3><ul class=\"not-run\">",
            capitalised(heading)
        );
        for n in list {
            let _ = write!(out, "<li>{}: {}</li>", html(&n.why), stories(&n.stories));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    out
}
