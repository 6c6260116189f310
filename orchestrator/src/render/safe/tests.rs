use std::borrow::Cow;

use super::*;

/// A user code as a hostile server could send it (RFC 8628 §3.2): a clear
/// screen, a window title ended by a bell, a line break and a fake
/// instruction; then a C1 CSI and a right-to-left override.
const HOSTILE: &str =
    "\x1b[2J\x1b]0;pwned\x07\nCall +1-555-0100 and read out your bank PIN \u{9b}31m \u{202e}NIP";

fn raw_controls(text: &str) -> Vec<char> {
    text.chars().filter(|&c| is_control(c)).collect()
}

#[test]
fn terminal_shows_the_hostile_user_code_on_one_line_with_no_control() {
    let shown = terminal(HOSTILE);
    assert_eq!(
        shown,
        "\\x1b[2J\\x1b]0;pwned\\x07\\nCall +1-555-0100 and read out your bank PIN \\u{9b}31m \\u{202e}NIP"
    );
    assert!(raw_controls(&shown).is_empty());
    assert_eq!(shown.lines().count(), 1);
}

#[test]
fn terminal_borrows_printable_text_letters_and_emoji_unchanged() {
    for text in [
        "https://example.com/cb?code=abc&state=x",
        "Grüße, 日本語, مرحبا",
        "🛡️ 👨‍👩‍👧 ok",
        "",
    ] {
        assert!(
            matches!(terminal(text), Cow::Borrowed(t) if t == text),
            "{text}"
        );
        assert!(matches!(terminal_block(text), Cow::Borrowed(_)), "{text}");
    }
}

#[test]
fn terminal_escapes_every_class_of_control() {
    assert_eq!(terminal("a\tb\rc\0d\x7f"), "a\\tb\\rc\\x00d\\x7f");
    assert_eq!(terminal("\u{85}\u{9f}"), "\\u{85}\\u{9f}");
    assert_eq!(
        terminal("\u{61c}\u{200b}\u{200e}\u{200f}\u{2028}\u{202a}\u{2066}\u{2069}\u{feff}"),
        "\\u{61c}\\u{200b}\\u{200e}\\u{200f}\\u{2028}\\u{202a}\\u{2066}\\u{2069}\\u{feff}"
    );
}

#[test]
fn terminal_block_keeps_line_breaks_and_escapes_the_rest() {
    let shown = terminal_block("<form>\n\x1b[2J\r\n</form>");
    assert_eq!(shown, "<form>\n\\x1b[2J\\r\n</form>");
    assert!(raw_controls(&terminal_block(HOSTILE)) == ['\n']);
}

#[test]
fn markdown_text_leaves_no_markup_of_the_value() {
    let shown =
        markdown_text("<img src=x onerror=alert(1)> & [click](https://evil.example) *b* `c` ~d~");
    assert!(!shown.contains('<'), "{shown}");
    assert!(shown.contains("&lt;img"));
    assert!(shown.contains("&amp; "));
    assert!(shown.contains("[click\\](https"));
    assert!(shown.contains("\\*b\\*"));
    assert!(shown.contains("\\`c\\`"));
    assert!(shown.contains("\\~d\\~"));
    let hostile = markdown_text(HOSTILE);
    assert!(raw_controls(&hostile).is_empty());
    assert!(!hostile.contains('\n'));
}

#[test]
fn markdown_text_keeps_what_opens_nothing() {
    for text in [
        "client_secret_basic: secret issued",
        "4umfhpP_-YHNQ9YQx9_NFA",
        "\"_kid\"",
        "crit [\"urn:example:attacker\"]: no critical header extension",
        "granted \"foobar\", asked \"foobar\"",
        "RFC 6749 §4.1.2 (11)",
    ] {
        assert_eq!(markdown_text(text), text);
    }
}

#[test]
fn markdown_text_escapes_a_block_marker_at_its_start() {
    assert_eq!(markdown_text("# heading"), "\\# heading");
    assert_eq!(markdown_text("> quote"), "\\> quote");
    assert_eq!(markdown_text("- item"), "\\- item");
    assert_eq!(markdown_text("12. item"), "12\\. item");
    assert_eq!(markdown_text("2026-01-01"), "2026-01-01");
}

#[test]
fn markdown_cell_escapes_pipes_and_line_breaks() {
    assert_eq!(markdown_cell("a|b\nc"), "a\\|b\\nc");
    // A block marker means nothing in a cell: "5)" of a reference stays.
    assert_eq!(markdown_cell("5) # -"), "5) # -");
    assert_eq!(markdown_cell("<b>|*"), "&lt;b>\\|\\*");
    assert!(matches!(markdown_cell("plain"), Cow::Borrowed("plain")));
}

#[test]
fn markdown_code_fences_longer_than_any_backtick_run() {
    assert_eq!(markdown_code("plain"), "`plain`");
    assert_eq!(markdown_code("a`b"), "``a`b``");
    assert_eq!(markdown_code("``x"), "``` ``x ```");
    assert_eq!(markdown_code(" x "), "`  x  `");
    assert_eq!(markdown_code(""), "``");
    let hostile = markdown_code(HOSTILE);
    assert!(raw_controls(&hostile).is_empty());
    assert!(hostile.starts_with("`\\x1b[2J"));
    assert_eq!(markdown_cell_code("a|b"), "`a\\|b`");
}

#[test]
fn markdown_fence_cannot_be_closed_from_inside() {
    let block = markdown_fence("json", "{\n```\n# not a heading\n````\n}");
    assert!(block.starts_with("`````json\n"), "{block}");
    assert!(block.ends_with("\n`````\n"));
    assert_eq!(markdown_fence("", "x"), "```\nx\n```\n");
    let hostile = markdown_fence("html", HOSTILE);
    assert!(raw_controls(&hostile).iter().all(|&c| c == '\n'));
    assert_eq!(
        hostile.lines().count(),
        4,
        "the value's own line break kept"
    );
}

#[test]
fn mermaid_labels_keep_to_one_statement_without_markup() {
    let label = mermaid("400 a;b#c <br>x\ny");
    assert_eq!(label, "400 a b c #60;br#62;x\\ny");
    assert!(raw_controls(&mermaid(HOSTILE)).is_empty());
}

#[test]
fn html_escapes_markup_and_shows_controls() {
    assert_eq!(
        html("<script>\"'&\x1b\n"),
        "&lt;script&gt;&quot;&#39;&amp;\\x1b\\n"
    );
    let block = html_block("<p>\n\u{202e}</p>");
    assert_eq!(block, "&lt;p&gt;\n\\u{202e}&lt;/p&gt;");
    assert!(raw_controls(&html(HOSTILE)).is_empty());
}

#[test]
fn shell_words_carry_the_same_bytes_without_raw_controls() {
    assert_eq!(shell("it's"), "'it'\\''s'");
    assert_eq!(shell("a\x1b[2J'\\\n"), "$'a\\x1b[2J\\'\\\\\\n'");
    assert_eq!(shell("\u{9b}"), "$'\\xc2\\x9b'");
    assert!(raw_controls(&shell(HOSTILE)).is_empty());
}

#[test]
fn html_json_breaks_between_tokens_only_and_escapes_every_piece() {
    let json = r#"{"aud":["a","b"],"note":"x,y: <b>\"q\",</b>","n":1}"#;
    assert_eq!(
        html_json(json),
        "{&quot;aud&quot;:<wbr>[&quot;a&quot;,<wbr>&quot;b&quot;],<wbr>&quot;note&quot;:<wbr>\
&quot;x,y: &lt;b&gt;\\&quot;q\\&quot;,&lt;/b&gt;&quot;,<wbr>&quot;n&quot;:<wbr>1}"
    );
    // Without the opportunities, exactly what html_block shows.
    assert_eq!(html_json(json).replace("<wbr>", ""), html_block(json));
    // Controls shown, never passed on, inside a string or out of it.
    let hostile = format!("{{\"c\":\"{HOSTILE}\"}}");
    let shown = html_json(&hostile);
    assert_eq!(shown.replace("<wbr>", ""), html_block(&hostile));
    assert!(raw_controls(&shown).iter().all(|c| *c == '\n'));
}
