//! Proof Key for Code Exchange (RFC 7636).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// `code_challenge_method` values (RFC 7636 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    S256,
    Plain,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
            Self::Plain => "plain",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S256" => Some(Self::S256),
            "plain" => Some(Self::Plain),
            _ => None,
        }
    }
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
/// The same syntax holds for a challenge (§4.2 gives its ABNF).
pub fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// A new code verifier: 48 random bytes, base64url, 64 characters.
pub fn new_verifier() -> String {
    crate::random::token(48)
}

/// RFC 7636 §4.2: `S256`: BASE64URL(SHA256(ASCII(code_verifier))).
pub fn challenge(verifier: &str, method: Method) -> String {
    match method {
        Method::S256 => {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
            URL_SAFE_NO_PAD.encode(digest.as_ref())
        }
        Method::Plain => verifier.to_owned(),
    }
}

/// RFC 7636 §4.6: recompute the challenge from the verifier and compare,
/// in constant time.
pub fn verify(verifier: &str, challenge_sent: &str, method: Method) -> bool {
    is_well_formed(verifier)
        && challenge(verifier, method)
            .as_bytes()
            .ct_eq(challenge_sent.as_bytes())
            .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            challenge(verifier, Method::S256),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(verify(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            Method::S256
        ));
    }

    #[test]
    fn a_wrong_or_malformed_verifier_fails() {
        let verifier = new_verifier();
        assert_eq!(verifier.len(), 64);
        let c = challenge(&verifier, Method::S256);
        assert!(verify(&verifier, &c, Method::S256));
        assert!(!verify(&new_verifier(), &c, Method::S256));
        assert!(!verify(
            "short",
            &challenge("short", Method::S256),
            Method::S256
        ));
        assert!(!verify(&format!("{verifier}!"), &c, Method::S256));
    }
}
