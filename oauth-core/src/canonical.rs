//! Values a server minted, read back in the one spelling it writes them in.
//!
//! A value the server made and later checks (a signed token, a single-use
//! code) must have one spelling per identity: if `+5`, `05` and `5` all
//! read as the same number, or `QQ` and `QR` as the same byte, then a
//! check that keys on the text (a replay set, a store) sees three values
//! where the signature sees one. Each reader here accepts exactly the text
//! the matching writer produces and nothing else, so the text is the
//! identity.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Digits in the longest number [`decimal`] reads: 10^18 - 1 fits in an
/// `i64`, so callers may convert without a check that can fail.
pub const MAX_DIGITS: usize = 18;

/// A non-negative decimal as Rust's `Display` writes it: ASCII digits only,
/// no sign, no leading zero (except `0` itself), no space, at most
/// `max_digits` digits (never more than [`MAX_DIGITS`]).
pub fn decimal(text: &str, max_digits: usize) -> Option<u64> {
    let bytes = text.as_bytes();
    let fits = !bytes.is_empty() && bytes.len() <= max_digits.min(MAX_DIGITS);
    let digits = bytes.iter().all(u8::is_ascii_digit);
    let no_leading_zero = bytes.len() == 1 || bytes.first() != Some(&b'0');
    if !(fits && digits && no_leading_zero) {
        return None;
    }
    Some(bytes.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// Base64url without padding (RFC 4648 §5, RFC 7515 §2), strictly: no `=`,
/// no whitespace, no characters of the other alphabet, and the unused low
/// bits of the last character zero (RFC 4648 §3.5), so that the bytes
/// encode back to this very text.
pub fn base64url(text: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    // The engine already refuses padding and stray trailing bits; encoding
    // back makes the one-spelling rule hold whatever its settings become.
    (URL_SAFE_NO_PAD.encode(&bytes) == text).then_some(bytes)
}

/// A random token as [`crate::random::token`] mints it: the canonical
/// base64url of exactly `len` bytes.
pub fn token(text: &str, len: usize) -> Option<Vec<u8>> {
    base64url(text).filter(|bytes| bytes.len() == len)
}

/// A random UUID as written in lower case (RFC 9562 §4: hexadecimal digits
/// are output in lower case; an upper-case spelling names the same UUID, so
/// only the one form the server writes is read).
pub fn uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(b),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_reads_only_the_displayed_form() {
        assert_eq!(decimal("0", 12), Some(0));
        assert_eq!(decimal("1700000000", 12), Some(1_700_000_000));
        for other in [
            "",
            "+1700000000",
            "-1700000000",
            "01700000000",
            "00",
            "00",
            " 17",
            "17 ",
            "1_7",
            "1e3",
            "17\n",
            "٣",
            "0x1F",
        ] {
            assert_eq!(decimal(other, 12), None, "{other:?}");
        }
    }

    #[test]
    fn decimal_refuses_more_digits_than_allowed() {
        assert_eq!(decimal("1234", 3), None);
        assert_eq!(
            decimal("999999999999999999", 40),
            Some(999_999_999_999_999_999)
        );
        assert_eq!(decimal("1000000000000000000", 40), None);
    }

    #[test]
    fn base64url_refuses_padding_and_stray_bits() {
        // 32 bytes: 43 characters, the last carrying 2 unused bits.
        let bytes = [0xA5u8; 32];
        let text = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(base64url(&text).as_deref(), Some(&bytes[..]));
        let last = text.chars().last().unwrap();
        let pos = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            .iter()
            .position(|c| char::from(*c) == last)
            .unwrap();
        for bits in 1..4 {
            let stray = char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[pos ^ bits],
            );
            let spelled = format!("{}{stray}", &text[..text.len() - 1]);
            assert_eq!(base64url(&spelled), None, "{spelled}");
        }
        for other in [
            format!("{text}="),
            format!("{text}=="),
            format!("{text} "),
            format!(" {text}"),
            format!("{text}\n"),
            text.replace('-', "+").replace('_', "/"),
        ] {
            if other != text {
                assert_eq!(base64url(&other), None, "{other:?}");
            }
        }
    }

    #[test]
    fn a_token_has_its_length() {
        let minted = crate::random::token(16);
        assert!(token(&minted, 16).is_some());
        assert!(token(&minted, 32).is_none());
        assert!(token(&minted[1..], 16).is_none());
    }

    #[test]
    fn a_uuid_is_read_in_lower_case_only() {
        assert!(uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!uuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
        assert!(!uuid("0f8fad5bd9cb469fa16570867728950e"));
        assert!(!uuid("{0f8fad5b-d9cb-469f-a165-70867728950e}"));
        assert!(!uuid("0f8fad5b-d9cb-469f-a165-70867728950e "));
    }
}
