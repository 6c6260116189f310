//! A sequence diagram drawn as inline SVG: one column per party, one row per
//! message, notes in boxes. No script and no fonts beyond the page's.
use std::fmt::Write;

use crate::render::safe::html;
use crate::render::sequence::{Kind, Sequence};

const MARGIN: usize = 160;
const COLUMN: usize = 300;
const HEAD: usize = 56;
const ROW: usize = 34;
/// Pixels per character of a label, at the diagram's font size. A label
/// longer than its room goes on two lines, broken at a space; only what does
/// not fit on two is cut, and the whole label is the element's title.
const CHAR_WIDTH: usize = 7;
/// The distance between two lines of a label (12px text).
const LINE: usize = 14;
/// Half the width of a note over one party.
const NOTE_HALF: usize = 145;

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() > chars {
        let kept: String = text.chars().take(chars.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    } else {
        text.to_owned()
    }
}

/// A label in the room of `chars` characters a line: whole on one line if
/// it fits; else on two, the first ending at its last space that fits (at
/// the room's end for a label with none there), the second cut only if it
/// does not fit either.
fn lines(text: &str, chars: usize) -> Vec<String> {
    let chars = chars.max(2);
    let all: Vec<char> = text.chars().collect();
    if all.len() <= chars {
        return vec![text.to_owned()];
    }
    let (first, rest) = match all[..=chars].iter().rposition(|c| *c == ' ') {
        Some(space) if space > 0 => (&all[..space], &all[space + 1..]),
        _ => (&all[..chars], &all[chars..]),
    };
    let rest: String = rest.iter().collect();
    vec![first.iter().collect(), cut(rest.trim_start(), chars)]
}

/// A `<text>` of one line, or of a `<tspan>` per line; the last line's
/// baseline at `y`, the others above it. Every line escaped.
fn text(x: usize, y: usize, lines: &[String]) -> String {
    match lines {
        [one] => format!(
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\">{}</text>",
            html(one)
        ),
        _ => {
            let top = y - LINE * (lines.len() - 1);
            let spans: String = lines
                .iter()
                .enumerate()
                .map(|(i, line)| {
                    format!(
                        "<tspan x=\"{x}\" y=\"{}\">{}</tspan>",
                        top + LINE * i,
                        html(line)
                    )
                })
                .collect();
            format!("<text x=\"{x}\" y=\"{top}\" text-anchor=\"middle\">{spans}</text>")
        }
    }
}

/// Whether a message is drawn as an arrow (else as a note).
fn arrow(kind: Kind, x1: usize, x2: usize) -> bool {
    matches!(kind, Kind::Call | Kind::Reply | Kind::Refusal) && x1 != x2
}

/// A note's box: left and right edges, and the characters a line holds.
fn note_box(kind: Kind, label: &str, x1: usize, x2: usize, width: usize) -> (usize, usize, usize) {
    // As wide as its text needs, at least the parties it spans, at most
    // the diagram; centred on them, kept inside.
    let span = x1.abs_diff(x2) + 2 * NOTE_HALF;
    // An attacker's note is bold: its letters are wider.
    let per_char = if kind == Kind::Attack {
        CHAR_WIDTH + 1
    } else {
        CHAR_WIDTH
    };
    let wanted = label.chars().count() * per_char + 24;
    let box_width = wanted.max(span).min(width - 20);
    let centre = (x1 + x2) / 2;
    let left = centre
        .saturating_sub(box_width / 2)
        .clamp(10, width - 10 - box_width);
    (left, left + box_width, (box_width - 16) / per_char)
}

/// The diagram as an `<svg>` element.
pub(crate) fn diagram(seq: &Sequence) -> String {
    let columns = seq.parties.len().max(1);
    let width = MARGIN * 2 + COLUMN * (columns - 1);
    let x = |party| {
        let i = seq.parties.iter().position(|p| *p == party).unwrap_or(0);
        MARGIN + COLUMN * i
    };
    // Each message's lines; a row of two lines is a line taller.
    let labels: Vec<Vec<String>> = seq
        .messages
        .iter()
        .map(|m| {
            let (x1, x2) = (x(m.from), x(m.to));
            if arrow(m.kind, x1, x2) {
                lines(&m.label, x1.abs_diff(x2) / CHAR_WIDTH)
            } else {
                lines(&m.label, note_box(m.kind, &m.label, x1, x2, width).2)
            }
        })
        .collect();
    let extra: usize = labels.iter().map(|l| l.len() - 1).sum();
    let height = HEAD + ROW * (seq.messages.len() + 1) + LINE * extra + 20;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"sequence diagram\">"
    );
    out.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker>\
<marker id=\"refused\" viewBox=\"0 0 10 10\" refX=\"5\" refY=\"5\" markerWidth=\"10\" markerHeight=\"10\"><path d=\"M1,1 L9,9 M9,1 L1,9\" stroke=\"#c62828\" stroke-width=\"2\"/></marker></defs>",
    );
    for party in &seq.parties {
        let cx = x(*party);
        let _ = write!(
            out,
            "<line class=\"lifeline\" x1=\"{cx}\" y1=\"{}\" x2=\"{cx}\" y2=\"{}\"/>\
<rect class=\"party\" x=\"{}\" y=\"8\" width=\"180\" height=\"32\" rx=\"4\"/>\
<text class=\"party\" x=\"{cx}\" y=\"29\" text-anchor=\"middle\">{}</text>",
            HEAD - 16,
            height - 10,
            cx - 90,
            html(party.title())
        );
    }
    let mut y = HEAD;
    for (m, label) in seq.messages.iter().zip(&labels) {
        let more = LINE * (label.len() - 1);
        y += ROW + more;
        let (x1, x2) = (x(m.from), x(m.to));
        let title = html(&m.label);
        if arrow(m.kind, x1, x2) {
            let class = match m.kind {
                Kind::Call => "call",
                Kind::Reply => "reply",
                _ => "refusal",
            };
            let end = if m.kind == Kind::Refusal {
                "url(#refused)"
            } else {
                "url(#arrow)"
            };
            let _ = write!(
                out,
                "<g class=\"message {class}\"><title>{title}</title>\
<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" marker-end=\"{end}\"/>{}</g>",
                text((x1 + x2) / 2, y - 6, label)
            );
        } else {
            let class = match m.kind {
                Kind::Attack => "note attack",
                Kind::Refusal => "note refused",
                _ => "note",
            };
            let (left, right, _) = note_box(m.kind, &m.label, x1, x2, width);
            let _ = write!(
                out,
                "<g class=\"{class}\"><title>{title}</title>\
<rect x=\"{left}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>{}</g>",
                y - 17 - more,
                right - left,
                24 + more,
                text((left + right) / 2, y, label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sequence::{Message, Party};

    #[test]
    fn every_message_is_drawn_and_escaped() {
        let seq = Sequence {
            parties: vec![Party::Client, Party::Server],
            messages: vec![
                Message {
                    from: Party::Client,
                    to: Party::Server,
                    kind: Kind::Call,
                    label: "Token: POST /token <&>".into(),
                },
                Message {
                    from: Party::Server,
                    to: Party::Client,
                    kind: Kind::Refusal,
                    label: "400 invalid_grant".into(),
                },
                Message {
                    from: Party::Client,
                    to: Party::Client,
                    kind: Kind::Note,
                    label: "3 checks passed".into(),
                },
            ],
        };
        let svg = diagram(&seq);
        assert_eq!(svg.matches("<g class=\"message").count(), 2);
        assert_eq!(svg.matches("<g class=\"note").count(), 1);
        assert!(svg.contains("&lt;&amp;&gt;"));
        assert!(!svg.contains("<&>"));
        assert!(svg.contains("url(#refused)"));
    }

    fn call(label: &str) -> Sequence {
        Sequence {
            parties: vec![Party::Client, Party::Server],
            messages: vec![Message {
                from: Party::Client,
                to: Party::Server,
                kind: Kind::Call,
                label: label.into(),
            }],
        }
    }

    #[test]
    fn the_discovery_label_goes_whole_onto_two_lines() {
        let svg = diagram(&call(
            "ProviderConfiguration: GET /.well-known/openid-configuration",
        ));
        assert!(
            svg.contains(
                "<tspan x=\"310\" y=\"84\">ProviderConfiguration: GET</tspan>\
<tspan x=\"310\" y=\"98\">/.well-known/openid-configuration</tspan>"
            ),
            "{svg}"
        );
        assert!(!svg.contains('…'), "nothing cut: {svg}");
        // The row is a line taller, and so is the diagram.
        assert!(svg.contains("y1=\"104\" x2=\"460\" y2=\"104\""), "{svg}");
        assert!(svg.contains("height=\"158\""), "{svg}");
    }

    #[test]
    fn a_label_that_fits_stays_on_one_line() {
        let svg = diagram(&call("Token: POST /token"));
        assert!(svg.contains(">Token: POST /token</text>"), "{svg}");
        assert!(!svg.contains("<tspan"));
    }

    #[test]
    fn only_what_two_lines_cannot_hold_is_cut() {
        let long = format!("Authorization: GET /authorization?{}", "x".repeat(120));
        let two = lines(&long, 42);
        assert_eq!(two[0], "Authorization: GET");
        assert_eq!(two[1].chars().count(), 42);
        assert!(two[1].ends_with('…'), "{}", two[1]);
        // A label without a space to break at is broken where the room ends.
        let token = "a".repeat(60);
        assert_eq!(lines(&token, 42), vec!["a".repeat(42), "a".repeat(18)]);
    }

    #[test]
    fn a_long_note_goes_onto_two_lines_in_a_taller_box() {
        let seq = Sequence {
            parties: vec![Party::Client, Party::Server],
            messages: vec![Message {
                from: Party::Client,
                to: Party::Client,
                kind: Kind::Note,
                label: "word ".repeat(20).trim_end().to_owned(),
            }],
        };
        let svg = diagram(&seq);
        assert_eq!(svg.matches("<tspan").count(), 2, "{svg}");
        assert!(svg.contains("height=\"38\""), "{svg}");
        assert!(!svg.contains('…'), "{svg}");
    }
}
