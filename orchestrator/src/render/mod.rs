//! Transcript renderers: text (the seed's shape, default) and JSON Lines.
pub mod json;
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
