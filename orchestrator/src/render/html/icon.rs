//! The report's marks (passed, failed, warning, information, a defence
//! that held) as inline SVG drawn in the text's colour. An emoji or dingbat
//! character would need a font that has it: without one the reader sees an
//! empty box. Each mark stands beside its word, which says the same to a
//! screen reader, so the drawing is hidden from assistive technology.

/// A mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Icon {
    Check,
    Cross,
    Warning,
    Info,
    Shield,
}

impl Icon {
    /// The shapes inside a 16 x 16 box.
    fn shapes(self) -> &'static str {
        match self {
            Self::Check => "<path d=\"M3 8.5l3.2 3.2L13 4.5\"/>",
            Self::Cross => "<path d=\"M4 4l8 8M12 4l-8 8\"/>",
            Self::Warning => "<path d=\"M8 2L15 14H1z\"/><path d=\"M8 6.5v3.5M8 11.8v.4\"/>",
            Self::Info => "<circle cx=\"8\" cy=\"8\" r=\"6.5\"/><path d=\"M8 7.2v4.3M8 4.6v.4\"/>",
            Self::Shield => {
                "<path d=\"M8 1.5l5.5 2v4c0 3.6-2.4 6-5.5 7-3.1-1-5.5-3.4-5.5-7v-4z\"/>"
            }
        }
    }

    /// The mark as an `<svg>` element, about the height of a capital.
    pub(super) fn svg(self) -> String {
        format!(
            "<svg class=\"icon\" viewBox=\"0 0 16 16\" width=\"14\" height=\"14\" aria-hidden=\"true\">{}</svg>",
            self.shapes()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mark_is_svg_drawn_without_any_character() {
        for icon in [
            Icon::Check,
            Icon::Cross,
            Icon::Warning,
            Icon::Info,
            Icon::Shield,
        ] {
            let svg = icon.svg();
            assert!(svg.starts_with("<svg class=\"icon\""), "{svg}");
            assert!(svg.contains("aria-hidden=\"true\""));
            assert!(svg.is_ascii(), "{icon:?}: {svg}");
            assert!(!svg.contains("<text"), "{icon:?} draws no glyph");
        }
    }
}
