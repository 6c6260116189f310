//! Transcript renderers: text (step by step, default), Markdown (with a
//! Mermaid sequence diagram), JSON Lines; redaction for sharing.
pub mod json;
pub mod markdown;
pub mod redact;
pub mod text;

use serde::Serialize;

/// JSON indented by four spaces, as the seed prints it.
pub(crate) fn pretty(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    if value.serialize(&mut ser).is_err() {
        return String::from("<unprintable>");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Terminal styling: ANSI colours, or nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when writing to a terminal, unless NO_COLOR is set (no-color.org).
    pub fn for_stdout() -> Self {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: terminal && !no_color,
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn header(self, text: &str) -> String {
        self.paint("1;36", text)
    }

    pub fn passed(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn failed(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    pub fn warned(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}
