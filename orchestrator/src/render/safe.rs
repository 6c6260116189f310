//! Values that came from a server (codes, error descriptions, claims, URLs,
//! header values, pages) made safe for the place they are shown, one
//! function per output context (CWE-150: improper neutralization of escape,
//! meta or control sequences):
//!
//! - text on a terminal: [`terminal`] for a value on one line,
//!   [`terminal_block`] for one of many lines;
//! - Markdown: [`markdown_text`], [`markdown_cell`], [`markdown_code`],
//!   [`markdown_cell_code`], [`markdown_fence`], and [`mermaid`] for a
//!   label of the sequence diagram;
//! - HTML: [`html`] for text or a quoted attribute value, [`html_block`]
//!   for the content of a `<pre>`, [`html_json`] for compact JSON in
//!   either, with line-break opportunities between its tokens;
//! - a POSIX shell word (copy as curl): [`shell`].
//!
//! A control character is shown as a visible escape — `\n`, `\x1b`,
//! `\u{202e}` — never passed on: C0 controls and DEL (ECMA-48 §5, §8.3.1),
//! C1 controls (ECMA-48 §5.3, §8.3; U+009B is a CSI on its own) and the
//! Unicode format characters that reorder or hide text (UAX #9 bidi
//! controls; zero-width space; line and paragraph separators; word joiner;
//! byte order mark). Printable text, non-ASCII letters and emoji included,
//! passes unchanged; so do the joiners U+200C and U+200D, which some scripts
//! and emoji sequences need and which neither reorder nor erase anything.
//! A backslash is not doubled: JSON output already uses it for its own
//! escapes, and an escape only ever adds characters one can see.
use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character is shown escaped.
pub fn is_control(c: char) -> bool {
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

/// The byte offset of the first character to escape (a line break kept
/// where `keep_newline`). ASCII is checked byte by byte, the rest decoded.
fn first_control(text: &str, keep_newline: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0x20..0x7f).contains(&b) || (b == b'\n' && keep_newline) {
            i += 1;
            continue;
        }
        if b < 0x80 {
            return Some(i);
        }
        let c = text[i..].chars().next()?;
        if is_control(c) {
            return Some(i);
        }
        i += c.len_utf8();
    }
    None
}

/// A control character's visible escape.
fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_ascii() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

fn escape_controls(text: &str, keep_newline: bool) -> Cow<'_, str> {
    let Some(start) = first_control(text, keep_newline) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..start]);
    for c in text[start..].chars() {
        if is_control(c) && !(c == '\n' && keep_newline) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value on one line of the text transcript: every control character
/// escaped, a line break too, so a value never starts a line of its own.
/// Borrowed when nothing needed escaping.
pub fn terminal(text: &str) -> Cow<'_, str> {
    escape_controls(text, false)
}

/// A value of many lines in the text transcript (a page, JSON printed
/// over lines): its line breaks kept, every other control escaped.
pub fn terminal_block(text: &str) -> Cow<'_, str> {
    escape_controls(text, true)
}

/// A value in running Markdown text, on one line (CommonMark 0.31): the
/// punctuation that could open a code span (§6.1), emphasis with `*`
/// (§6.2), strikethrough (GFM §6.5) or a link or image (`](`, `][`: §6.3,
/// §6.4) backslash-escaped (§2.4), a backslash too; `<` and `&` as
/// entities, so no raw HTML (§6.6), autolink (§6.5) or entity (§2.5) of the
/// value's own; a first character that could open a heading, quote, list
/// or thematic break (§4, §5) escaped; controls as in [`terminal`].
///
/// An underscore is left as it is: it belongs to the base64url alphabet
/// (RFC 4648 §5) of the codes, tokens and key ids shown everywhere, and at
/// most it sets text in italics; it opens no link and no markup.
pub fn markdown_text(text: &str) -> Cow<'_, str> {
    let leading = starts_block(text);
    if !leading && !text.contains(markdown_special) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(markdown_escaped(text, leading, false))
}

/// A value in a cell of a Markdown table (GFM §4.10): as [`markdown_text`]
/// but for block markers, which mean nothing in a cell, and with a pipe
/// escaped so it does not end the cell.
pub fn markdown_cell(text: &str) -> Cow<'_, str> {
    if !text.contains(|c| c == '|' || markdown_special(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(markdown_escaped(text, false, true))
}

fn markdown_special(c: char) -> bool {
    matches!(c, '\\' | '`' | '*' | '~' | '<' | '&' | ']') || is_control(c)
}

/// Whether a text's first characters could open a block (an ATX heading,
/// a block quote, a bullet or ordered list item, a thematic break or a
/// setext underline: CommonMark §4.2, §4.3, §5.1, §5.2).
fn starts_block(text: &str) -> bool {
    if text.starts_with(['#', '>', '-', '+', '=']) {
        return true;
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    (1..=9).contains(&digits) && matches!(text.as_bytes().get(digits), Some(b'.' | b')'))
}

fn markdown_escaped(text: &str, leading: bool, cell: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let digits = if leading {
        chars.iter().take_while(|c| c.is_ascii_digit()).count()
    } else {
        0
    };
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            '\\' | '`' | '*' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '|' if cell => out.push_str("\\|"),
            ']' if matches!(next, Some('(' | '[')) => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            c if is_control(c) => push_escape(&mut out, c),
            // The first character of a block marker, or the `.`/`)` of an
            // ordered list's number.
            c if leading && ((digits == 0 && i == 0) || (digits > 0 && i == digits)) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The longest run of backticks in a text.
fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A value as a Markdown code span (CommonMark §6.1): delimited by more
/// backticks than any run inside it, padded with a space where it starts
/// or ends with a backtick or would lose a space of its own; controls as in
/// [`terminal`] (a backslash escape means nothing inside a code span, and
/// needs none).
pub fn markdown_code(text: &str) -> String {
    let content = terminal(text);
    if content.is_empty() {
        return "``".to_owned();
    }
    let fence = "`".repeat(longest_backtick_run(&content) + 1);
    let spaced = content.starts_with(' ') && content.ends_with(' ') && !content.trim().is_empty();
    let pad = if content.starts_with('`') || content.ends_with('`') || spaced {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{content}{pad}{fence}")
}

/// A value as a code span in a Markdown table cell: as [`markdown_code`],
/// each pipe escaped, which GFM §4.10 reads as a pipe of the span.
pub fn markdown_cell_code(text: &str) -> String {
    markdown_code(text).replace('|', "\\|")
}

/// A value as a fenced code block with an info string (CommonMark §4.5):
/// its fence longer than any run of backticks in it, so nothing inside
/// closes it; controls as in [`terminal_block`].
pub fn markdown_fence(info: &str, content: &str) -> String {
    let content = terminal_block(content);
    let fence = "`".repeat((longest_backtick_run(&content) + 1).max(3));
    format!("{fence}{info}\n{content}\n{fence}\n")
}

/// A label on a Mermaid sequence diagram (one line of its source): no
/// statement separator (`;`) or entity code (`#`) of the value's own, `<`
/// and `>` as Mermaid's entity codes so no markup reaches the drawing,
/// controls as in [`terminal`].
pub fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' | '#' => out.push(' '),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            c if is_control(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A value in HTML text or a quoted attribute value: on one line, controls
/// as in [`terminal`] (most are not allowed in HTML at all: HTML Living
/// Standard §13.2.5), then markup escaped.
pub fn html(text: &str) -> String {
    oauth_core::html::escape(&terminal(text))
}

/// A value of many lines in HTML (a `<pre>`): its line breaks kept, as in
/// [`terminal_block`], then markup escaped.
pub fn html_block(text: &str) -> String {
    oauth_core::html::escape(&terminal_block(text))
}

/// JSON printed compactly (a claim's value, a grpcurl envelope) in HTML
/// text or a `<pre>`: as [`html_block`], with a line-break opportunity
/// after each `,` and `:` between tokens — a `<wbr>`, which is no character,
/// so the text copied is the text printed. A long line then wraps between
/// members and items before it has to break inside a value. Escaping is per
/// character, so each piece between two opportunities is escaped alone; a
/// string is followed to its closing quote (a backslash escapes the next
/// character), and what is inside stays whole.
pub fn html_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let (mut piece, mut in_string, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            ',' | ':' => {
                let end = i + c.len_utf8();
                out.push_str(&html_block(&text[piece..end]));
                out.push_str("<wbr>");
                piece = end;
            }
            _ => {}
        }
    }
    out.push_str(&html_block(&text[piece..]));
    out
}

/// A value as one word of a POSIX shell command, the same bytes once the
/// shell reads it: in single quotes; where it holds a control character,
/// as a dollar-single-quoted string (POSIX.1-2024 XCU §2.2.4) with each
/// byte of the control as `\xHH`, so a pasted command carries no raw
/// control to the terminal.
pub fn shell(text: &str) -> String {
    if first_control(text, false).is_none() {
        return format!("'{}'", text.replace('\'', "'\\''"));
    }
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str("$'");
    for c in text.chars() {
        match c {
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_control(c) => {
                for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests;
