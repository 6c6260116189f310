//! Transcript renderers: text (step by step, default), Markdown (with a
//! Mermaid sequence diagram), JSON Lines, an HTML report (with SVG
//! diagrams); the provider scorecard in each; redaction for sharing. `sequence` is the diagram both draw;
//! `safe` makes a server's values safe in each output (CWE-150).
pub mod html;
pub mod json;
pub mod markdown;
pub mod redact;
pub mod safe;
pub mod scorecard;
pub mod sequence;
pub mod text;

use serde::Serialize;

/// JSON indented by four spaces, as the seed prints it.
/// One request of a walked login and its answer, as every format shows it:
/// `POST URL [field, …] → 302 LOCATION`, the form's values left out. Not
/// yet escaped: each format escapes it for its context.
pub(crate) fn login_line(hop: &crate::runner::LoginHop) -> String {
    let mut line = format!("{} {}", hop.method, hop.url);
    if !hop.fields.is_empty() {
        line.push_str(&format!(" [{}]", hop.fields.join(", ")));
    }
    line.push_str(&format!(" → {}", hop.status));
    if !hop.location.is_empty() {
        line.push_str(&format!(" {}", hop.location));
    }
    line
}

pub(crate) fn pretty(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    if value.serialize(&mut ser).is_err() {
        return String::from("<unprintable>");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Text styling: ANSI colours or none, and whether lines are wrapped to
/// 100 columns. The default is neither: the logical lines, as the snapshot
/// tests compare them (where a wrap would move with every random value).
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub wrap: bool,
}

impl Style {
    /// For stdout: lines wrapped; colour on a terminal, unless NO_COLOR is
    /// set (no-color.org).
    pub fn for_stdout() -> Self {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: terminal && !no_color,
            wrap: true,
        }
    }

    /// For files: lines wrapped, no colour.
    pub fn for_files() -> Self {
        Self {
            color: false,
            wrap: true,
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

/// The claims whose values are times (seconds since the epoch, RFC 7519
/// §2 NumericDate), shown with a UTC date beside them.
pub(crate) const TIME_CLAIMS: [&str; 5] = ["exp", "iat", "nbf", "auth_time", "updated_at"];

/// A NumericDate as a UTC date and time, e.g. `2026-12-01 22:59:35 UTC`;
/// `None` out of the years 1970–9999.
pub(crate) fn utc(seconds: i64) -> Option<String> {
    if !(0..253_402_300_800).contains(&seconds) {
        return None;
    }
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian), counting
    // in 400-year eras that start on 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Some(format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    ))
}

/// The time claims of a JWT's claims set with their UTC dates, e.g.
/// `exp 1764633575 = 2025-12-02 00:00:00 UTC`.
pub(crate) fn claim_times(claims: &serde_json::Value) -> Vec<String> {
    TIME_CLAIMS
        .iter()
        .filter_map(|name| {
            let seconds = claims.get(name)?.as_i64()?;
            Some(format!("{name} {seconds} = {}", utc(seconds)?))
        })
        .collect()
}

/// The pieces of a check's reference (`RFC 6749 §4.1.2, RFC 9700 §2.1`),
/// each with the address of the section on the standard's site where it
/// is one we know.
pub(crate) fn clauses(reference: &str) -> Vec<(String, Option<String>)> {
    reference
        .split(", ")
        .map(|piece| (piece.to_owned(), clause_url(piece)))
        .collect()
}

fn clause_url(piece: &str) -> Option<String> {
    let (document, section) = match piece.split_once(" §") {
        Some((d, s)) => (d.trim(), Some(s.trim().trim_end_matches('.'))),
        None => (piece.trim(), None),
    };
    let section = section
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'));
    if let Some(number) = document.strip_prefix("RFC ")
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
    {
        let base = format!("https://www.rfc-editor.org/rfc/rfc{number}.html");
        return Some(match section {
            Some(s) if s.starts_with(|c: char| c.is_ascii_digit()) => {
                format!("{base}#section-{s}")
            }
            Some(s) => format!("{base}#appendix-{s}"),
            None => base,
        });
    }
    // The OpenID Foundation's OAuth 2.0 specifications, by their titles.
    let oauth_page = match document {
        "OAuth 2.0 Form Post Response Mode" => Some("oauth-v2-form-post-response-mode-1_0"),
        "OAuth 2.0 Multiple Response Types" => Some("oauth-v2-multiple-response-types-1_0"),
        _ => None,
    };
    if let Some(page) = oauth_page {
        let base = format!("https://openid.net/specs/{page}.html");
        return Some(match section {
            Some(s) => format!("{base}#rfc.section.{s}"),
            None => base,
        });
    }
    // JARM: the final text, linked whole (its sections are cited with
    // their processing steps, "§2.4 (6)", which no anchor names).
    if document == "JARM" {
        return Some("https://openid.net/specs/oauth-v2-jarm-final.html".into());
    }
    let page = match document.split(' ').take(2).collect::<Vec<_>>().as_slice() {
        ["OIDC", "Core"] => "openid-connect-core-1_0",
        ["OIDC", "Discovery"] => "openid-connect-discovery-1_0",
        ["OIDC", "Registration"] => "openid-connect-registration-1_0",
        ["OIDC", "RP-Initiated"] => "openid-connect-rpinitiated-1_0",
        ["OIDC", "Back-Channel"] => "openid-connect-backchannel-1_0",
        _ => return None,
    };
    let base = format!("https://openid.net/specs/{page}.html");
    Some(match section {
        Some(s) => format!("{base}#rfc.section.{s}"),
        None => base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_dates_read_as_utc() {
        assert_eq!(utc(0).as_deref(), Some("1970-01-01 00:00:00 UTC"));
        // RFC 7519 §3.1's example: "exp":1300819380.
        assert_eq!(
            utc(1_300_819_380).as_deref(),
            Some("2011-03-22 18:43:00 UTC")
        );
        assert_eq!(utc(951_782_400).as_deref(), Some("2000-02-29 00:00:00 UTC"));
        assert_eq!(utc(-1), None);
    }

    #[test]
    fn references_link_to_their_sections() {
        let links = clauses("RFC 6749 §4.1.2, OIDC Core §3.1.3.7");
        assert_eq!(
            links[0].1.as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2")
        );
        assert_eq!(
            links[1].1.as_deref(),
            Some("https://openid.net/specs/openid-connect-core-1_0.html#rfc.section.3.1.3.7")
        );
        assert_eq!(
            clauses("RFC 9449")[0].1.as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc9449.html")
        );
        assert_eq!(clauses("a private convention")[0].1, None);
        assert_eq!(
            clauses("OAuth 2.0 Form Post Response Mode §2")[0]
                .1
                .as_deref(),
            Some(
                "https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#rfc.section.2"
            )
        );
        assert_eq!(
            clauses("JARM §2.4 (6)")[0].1.as_deref(),
            Some("https://openid.net/specs/oauth-v2-jarm-final.html")
        );
    }
}
