//! What every POST endpoint checks before its own parameters (RFC 6749
//! §3.1, §3.2), and the GET-only endpoints (RFC 9110 §15.5.6).
use oauth_core::http::HttpRequest;

use super::{plain_get, post_form};

const URL: &str = "https://example.com/token";

fn request(method: &str, content_type: Option<&str>, body: &str) -> HttpRequest {
    let headers: Vec<(&str, &str)> = content_type
        .map(|t| ("Content-Type", t))
        .into_iter()
        .collect();
    HttpRequest::new(method, URL, headers, body).unwrap()
}

/// RFC 6749 §3.2: the token endpoint takes POST; anything else is 405
/// naming what it takes (RFC 9110 §15.5.6).
#[test]
fn refuses_another_method_with_405_and_allow() {
    let e = post_form(&request("GET", None, "")).unwrap_err();
    assert_eq!(e.status, 405);
    assert_eq!(e.code.as_str(), "invalid_request");
    assert!(e.extra_headers.contains(&("allow".into(), "POST".into())));
    let e = plain_get(&request("POST", None, "")).unwrap_err();
    assert_eq!(e.status, 405);
    assert!(e.extra_headers.contains(&("allow".into(), "GET".into())));
    assert!(plain_get(&request("GET", None, "")).is_ok());
}

/// RFC 6749 §3.2: the body is application/x-www-form-urlencoded; another
/// media type, or none, is invalid_request saying which to use.
#[test]
fn refuses_another_media_type() {
    let e = post_form(&request("POST", Some("application/json"), "{}")).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_request");
    assert_eq!(
        e.description,
        "the body must be application/x-www-form-urlencoded, not application/json"
    );
    let e = post_form(&request("POST", None, "a=b")).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_request");
    assert!(
        e.description.contains("no Content-Type"),
        "{}",
        e.description
    );
}

/// RFC 6749 §3.2 with RFC 9110 §8.3.1: media type parameters (a charset)
/// do not change the media type.
#[test]
fn accepts_the_form_media_type_with_a_charset() {
    let params = post_form(&request(
        "POST",
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        "grant_type=client_credentials&scope=a+b",
    ))
    .unwrap();
    assert_eq!(params.get("grant_type"), Some("client_credentials"));
    assert_eq!(params.get("scope"), Some("a b"));
}

/// RFC 6749 §3.1: parameters must not be included more than once.
#[test]
fn refuses_a_repeated_parameter() {
    let e = post_form(&request(
        "POST",
        Some("application/x-www-form-urlencoded"),
        "scope=a&scope=b",
    ))
    .unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_request");
    assert!(e.description.contains("scope"), "{}", e.description);
}

/// RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
#[test]
fn treats_an_empty_parameter_as_omitted() {
    let params = post_form(&request(
        "POST",
        Some("application/x-www-form-urlencoded"),
        "grant_type=client_credentials&scope=",
    ))
    .unwrap();
    assert_eq!(params.get("scope"), None);
}
