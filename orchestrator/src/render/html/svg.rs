//! A sequence diagram drawn as inline SVG: one column per party, one row per
//! message, notes in boxes. No script and no fonts beyond the page's.
use std::fmt::Write;

use crate::render::safe::html;
use crate::render::sequence::{Kind, Sequence};

const MARGIN: usize = 160;
const COLUMN: usize = 300;
const HEAD: usize = 56;
const ROW: usize = 34;
/// Pixels per character of a label, at the diagram's font size; a label is
/// cut to the room it has, and the whole label is the element's title.
const CHAR_WIDTH: usize = 7;
/// Half the width of a note over one party.
const NOTE_HALF: usize = 145;

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() > chars {
        format!("{}…", text.chars().take(chars - 1).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// The diagram as an `<svg>` element.
pub(crate) fn diagram(seq: &Sequence) -> String {
    let columns = seq.parties.len().max(1);
    let width = MARGIN * 2 + COLUMN * (columns - 1);
    let height = HEAD + ROW * (seq.messages.len() + 1) + 20;
    let x = |party| {
        let i = seq.parties.iter().position(|p| *p == party).unwrap_or(0);
        MARGIN + COLUMN * i
    };
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
    for (row, m) in seq.messages.iter().enumerate() {
        let y = HEAD + ROW * (row + 1);
        let (x1, x2) = (x(m.from), x(m.to));
        let title = html(&m.label);
        match m.kind {
            Kind::Call | Kind::Reply | Kind::Refusal if x1 != x2 => {
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
<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" marker-end=\"{end}\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
                    (x1 + x2) / 2,
                    y - 6,
                    html(&cut(&m.label, x1.abs_diff(x2) / CHAR_WIDTH))
                );
            }
            _ => {
                let class = match m.kind {
                    Kind::Attack => "note attack",
                    Kind::Refusal => "note refused",
                    _ => "note",
                };
                // As wide as its text needs, at least the parties it spans,
                // at most the diagram; centred on them, kept inside.
                let span = x1.abs_diff(x2) + 2 * NOTE_HALF;
                // An attacker's note is bold: its letters are wider.
                let per_char = if m.kind == Kind::Attack {
                    CHAR_WIDTH + 1
                } else {
                    CHAR_WIDTH
                };
                let wanted = m.label.chars().count() * per_char + 24;
                let box_width = wanted.max(span).min(width - 20);
                let centre = (x1 + x2) / 2;
                let left = centre
                    .saturating_sub(box_width / 2)
                    .clamp(10, width - 10 - box_width);
                let right = left + box_width;
                let chars = (box_width - 16) / per_char;
                let _ = write!(
                    out,
                    "<g class=\"{class}\"><title>{title}</title>\
<rect x=\"{left}\" y=\"{}\" width=\"{}\" height=\"24\" rx=\"3\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
                    y - 17,
                    right - left,
                    (left + right) / 2,
                    y,
                    html(&cut(&m.label, chars))
                );
            }
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
}
