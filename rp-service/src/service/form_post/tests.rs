//! Form Post §2: the page read strictly.
use std::collections::BTreeMap;

use super::*;

const CB: &str = "https://example.com/cb";

fn page(body: &str) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: BTreeMap::from([(
            "content-type".to_owned(),
            "text/html; charset=utf-8".to_owned(),
        )]),
        body: body.to_owned(),
        location: None,
    }
}

fn read_page(body: &str) -> (Option<Params>, Parsed) {
    let mut parsed = Parsed::default();
    let params = read(&page(body), CB, &mut parsed);
    (params, parsed)
}

fn failed(parsed: &Parsed) -> Vec<CheckId> {
    parsed
        .checks
        .iter()
        .filter(|c| c.failed())
        .map(|c| c.id)
        .collect()
}

const GOOD: &str = "<!DOCTYPE html>\n<html><head><title>x</title></head><body>\n\
    <!-- the response -->\n\
    <form method=\"post\" action=\"https://example.com/cb\">\n\
    <input type=\"hidden\" name=\"code\" value=\"a&amp;b&#x3c;&#62;\">\n\
    <input type=hidden name='state' value='s t'>\n\
    <button type=\"submit\">Continue</button>\n</form>\n\
    <script>document.forms[0].submit();</script></body></html>";

#[test]
fn the_hidden_fields_of_the_one_form_are_the_parameters() {
    let (params, parsed) = read_page(GOOD);
    let params = params.unwrap();
    assert_eq!(params.get("code"), Some("a&b<>"));
    assert_eq!(params.get("state"), Some("s t"));
    assert!(failed(&parsed).is_empty());
}

#[test]
fn a_form_posting_elsewhere_is_refused() {
    let (params, parsed) = read_page(&GOOD.replace(CB, "https://attacker.example/cb"));
    assert!(params.is_none());
    assert_eq!(failed(&parsed), vec![CheckId::FormPostAction]);
}

#[test]
fn a_form_sent_by_get_is_refused() {
    let (_, parsed) = read_page(&GOOD.replace("method=\"post\"", "method=\"get\""));
    assert_eq!(failed(&parsed), vec![CheckId::FormPostMethod]);
}

/// RFC 6749 §3.1: a parameter sent twice is refused, as in a query.
#[test]
fn a_second_code_input_is_refused_as_a_repeated_parameter() {
    let twice = GOOD.replace(
        "<button",
        "<input type=\"hidden\" name=\"code\" value=\"evil\">\n<button",
    );
    let (params, parsed) = read_page(&twice);
    assert!(params.is_none());
    assert_eq!(failed(&parsed), vec![CheckId::ResponseParamsParse]);
}

#[test]
fn inputs_that_are_not_hidden_or_redirect_the_form_are_refused() {
    for control in [
        "<input name=\"code\" value=\"typed\">",
        "<button name=\"state\" value=\"x\">go</button>",
        "<button formaction=\"https://attacker.example/\">go</button>",
        "<textarea name=\"code\">x</textarea>",
    ] {
        let (_, parsed) = read_page(&GOOD.replace("<button", &format!("{control}\n<button")));
        assert_eq!(
            failed(&parsed),
            vec![CheckId::FormPostHiddenOnly],
            "{control}"
        );
    }
}

#[test]
fn a_page_with_no_form_or_two_forms_is_refused() {
    let (_, parsed) = read_page("<p>no form here</p>");
    assert_eq!(failed(&parsed), vec![CheckId::FormPostForm]);
    let two = format!("{GOOD}{GOOD}");
    let (_, parsed) = read_page(&two);
    assert_eq!(failed(&parsed), vec![CheckId::FormPostForm]);
}

#[test]
fn markup_that_does_not_read_is_refused_not_guessed() {
    for bad in [
        GOOD.replace("&amp;", "&nbsp;"),
        GOOD.replace("&amp;", "&"),
        GOOD.replace("value=\"a", "value=\"a\" value=\"b"),
        GOOD.replace("</form>", ""),
        GOOD.replace("<!-- the response -->", "<!-- open"),
        GOOD.replace("name=\"code\"", "name=\"code"),
    ] {
        let (params, parsed) = read_page(&bad);
        assert!(params.is_none(), "{bad}");
        assert_eq!(failed(&parsed), vec![CheckId::FormPostForm], "{bad}");
    }
}

/// A form inside a script's text is not a form.
#[test]
fn script_text_is_not_read_as_markup() {
    let hidden = GOOD.replace(
        "document.forms[0].submit();",
        "var x = '<form action=\"https://attacker.example/\"><input type=hidden name=code value=z></form>';",
    );
    let (params, parsed) = read_page(&hidden);
    assert_eq!(params.unwrap().get("code"), Some("a&b<>"));
    assert!(failed(&parsed).is_empty());
}

#[test]
fn an_answer_that_is_not_an_html_page_is_refused() {
    let mut parsed = Parsed::default();
    let mut response = page(GOOD);
    response
        .headers
        .insert("content-type".into(), "text/plain".into());
    assert!(read(&response, CB, &mut parsed).is_none());
    assert_eq!(failed(&parsed), vec![CheckId::FormPostPage]);
}

/// HTML §4.10.18.3: a control anywhere in the page joins a form by its
/// `form` attribute; one outside the form the reader reads would post a
/// value (or send the form elsewhere) unseen: the page is refused.
#[test]
fn a_control_outside_the_form_joining_it_is_refused() {
    for outside in [
        "<input type=\"hidden\" name=\"code\" value=\"attacker\" form=\"f\">",
        "<button form=\"f\" formaction=\"https://attacker.example/\">Go</button>",
    ] {
        let body = format!(
            "<html><body>{outside}<form id=\"f\" method=\"post\" action=\"{CB}\">\
             <input type=\"hidden\" name=\"code\" value=\"c\"></form></body></html>"
        );
        let (params, parsed) = read_page(&body);
        assert!(params.is_none(), "{outside}");
        assert!(!failed(&parsed).is_empty(), "{outside}");
    }
}

/// Form Post §2: the parameters are form-encoded; another enctype is refused.
#[test]
fn a_form_posting_another_encoding_is_refused() {
    let body = format!(
        "<form method=\"post\" enctype=\"text/plain\" action=\"{CB}\">\
         <input type=\"hidden\" name=\"code\" value=\"c\"></form>"
    );
    let (params, _) = read_page(&body);
    assert!(params.is_none());
}

/// A tag with thousands of attributes is refused before the duplicate
/// check could cost quadratic time.
#[test]
fn a_tag_with_too_many_attributes_is_refused() {
    let many: String = (0..10_000).map(|i| format!(" a{i}=x")).collect();
    let body = format!("<form{many} method=\"post\" action=\"{CB}\"></form>");
    let (params, _) = read_page(&body);
    assert!(params.is_none());
}
