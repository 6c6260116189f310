//! The scope of a token request (RFC 6749 §3.3), shared by every grant.
use oauth_core::form::Params;
use oauth_core::scope::Scope;

use super::requested_scope;

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<(String, String)>>(),
    )
}

fn scope(s: &str) -> Scope {
    Scope::parse(s).unwrap()
}

/// RFC 6749 §3.3: with no scope requested, the server uses a pre-defined
/// default.
#[test]
fn no_scope_is_the_default() {
    let allowed = scope("a b c");
    let default = scope("a");
    assert_eq!(
        requested_scope(&params(&[]), &allowed, &default).unwrap(),
        default
    );
}

/// RFC 6749 §3.3: a scope within what the client may have is granted as
/// asked, in any order.
#[test]
fn a_scope_within_the_allowed_is_granted_as_asked() {
    let allowed = scope("a b c");
    let got = requested_scope(&params(&[("scope", "c a")]), &allowed, &scope("a")).unwrap();
    assert_eq!(got, scope("a c"));
}

/// RFC 6749 §5.2: a scope beyond what the client may have is
/// invalid_scope, naming what was refused.
#[test]
fn a_scope_beyond_the_allowed_is_invalid_scope() {
    let e =
        requested_scope(&params(&[("scope", "a x y")]), &scope("a b"), &scope("a")).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_scope");
    assert_eq!(e.description, "scope not allowed here: x y");
}

/// RFC 6749 §3.3: scope tokens are %x21 / %x23-5B / %x5D-7E; a quote is
/// invalid_scope, naming the token.
#[test]
fn a_malformed_scope_token_is_invalid_scope() {
    let e =
        requested_scope(&params(&[("scope", "a \"b\"")]), &scope("a"), &scope("a")).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_scope");
    assert_eq!(e.description, "\"\\\"b\\\"\" is not a valid scope token");
}
