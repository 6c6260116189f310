//! Scope values (RFC 6749 §3.3): space-delimited, case-sensitive tokens.
use std::collections::BTreeSet;
use std::fmt;

/// Why a `scope` value does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    /// A token with a character outside `%x21 / %x23-5B / %x5D-7E`.
    InvalidToken(String),
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidToken(token) => write!(f, "{token:?} is not a valid scope token"),
        }
    }
}

impl std::error::Error for ScopeError {}

/// The message, for an `error_description` or a check's detail.
impl From<ScopeError> for String {
    fn from(e: ScopeError) -> Self {
        e.to_string()
    }
}

/// A set of scope tokens; order does not matter (RFC 6749 §3.3), so it is kept sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(BTreeSet<String>);

impl Scope {
    /// Parses a `scope` parameter. Tokens are `%x21 / %x23-5B / %x5D-7E`
    /// (RFC 6749 §3.3); anything else is refused with the offending token.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            if !token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
            {
                return Err(ScopeError::InvalidToken(token.to_owned()));
            }
            set.insert(token.to_owned());
        }
        Ok(Self(set))
    }

    pub fn from_tokens<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(tokens.into_iter().map(Into::into).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Tokens of `self` that `allowed` lacks.
    pub fn not_in<'a>(&'a self, allowed: &'a Scope) -> impl Iterator<Item = &'a str> {
        self.0.difference(&allowed.0).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// Stored as its `scope` parameter text.
impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Scope::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for t in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(t)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sorted() {
        let s = Scope::parse("openid email  foobar").unwrap();
        assert_eq!(s.to_string(), "email foobar openid");
    }

    #[test]
    fn refuses_quote_and_backslash() {
        assert!(Scope::parse("a\"b").is_err());
        assert!(Scope::parse("a\\b").is_err());
        assert!(Scope::parse("ok é").is_err());
    }

    #[test]
    fn subset_and_difference() {
        let allowed = Scope::parse("resourceA resourceB").unwrap();
        let asked = Scope::parse("resourceA other").unwrap();
        assert!(!asked.is_subset_of(&allowed));
        assert_eq!(asked.not_in(&allowed).collect::<Vec<_>>(), vec!["other"]);
    }
}
