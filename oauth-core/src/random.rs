//! Unguessable identifiers (token ids, session ids), from the system CSPRNG.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `bytes` random bytes, base64url-encoded without padding.
///
/// # Panics
/// Never in practice: the system random source failing is not a state the
/// server can continue from, so it aborts the request's task loudly.
#[allow(clippy::expect_used)]
pub fn token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buf).expect("system random source failed");
    URL_SAFE_NO_PAD.encode(buf)
}

/// `N` random bytes.
///
/// # Panics
/// As [`token`].
#[allow(clippy::expect_used)]
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    aws_lc_rs::rand::fill(&mut buf).expect("system random source failed");
    buf
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_differ_and_have_the_expected_length() {
        let a = super::token(32);
        let b = super::token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }
}
