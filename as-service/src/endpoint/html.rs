//! HTML for people: the pages the authorization endpoint shows a browser —
//! the approval page, and the errors it must not redirect (RFC 6749
//! §4.1.2.1). No script, no external resources, every value escaped.
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};

pub(crate) use oauth_core::html::escape;

/// Whether the caller asks for HTML: its `Accept` names `text/html` with a
/// quality above zero (RFC 9110 §12.5.1), as a browser's does.
pub(crate) fn wants_html(request: &HttpRequest) -> bool {
    let Some(accept) = request.header("accept") else {
        return false;
    };
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            let q = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="));
            q.is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        media.eq_ignore_ascii_case("text/html") && !refused
    })
}

/// A page: `title` and `body` (HTML, its values already escaped), not to
/// be cached, framed or sniffed, and allowed to load nothing.
pub(crate) fn page(status: u16, title: &str, body: &str) -> HttpResponse {
    let title = escape(title);
    let mut response = HttpResponse::empty_no_store(status)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        )
        .with_header("x-frame-options", "DENY")
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer");
    response.body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n<title>{title}</title>\n\
         <style>body{{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}}\
         label{{display:block;margin:.3em 0}}button{{margin:1em .5em 0 0}}</style>\n\
         </head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n"
    );
    response
}

/// An error answered to the caller rather than redirected: a page for a
/// browser, the JSON error response (RFC 6749 §5.2 shape) otherwise. The
/// status and the error's own headers (`Allow`, `Retry-After`) are kept.
pub(crate) fn refusal(request: &HttpRequest, error: &OAuthError) -> HttpResponse {
    let json = error.to_response();
    if !wants_html(request) {
        return json;
    }
    let body = format!(
        "<p>This authorization request cannot be served, and the application \
         that sent you here cannot be told so safely.</p>\n\
         <p><strong>{}</strong>: {}</p>\n",
        escape(error.code.as_str()),
        escape(&error.description)
    );
    let mut html = page(error.status, "Authorization request refused", &body);
    for (name, value) in json.headers {
        html.headers.entry(name).or_insert(value);
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_accept(accept: &str) -> HttpRequest {
        HttpRequest::new("GET", "https://example.com/a", [("Accept", accept)], "").unwrap()
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn browsers_want_html_and_api_clients_do_not() {
        assert!(wants_html(&with_accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_html(&with_accept("application/json")));
        assert!(!wants_html(&with_accept("text/html;q=0, application/json")));
        assert!(!wants_html(&with_accept("*/*")));
    }

    #[test]
    fn a_refusal_page_keeps_status_and_escapes_the_description() {
        let e = OAuthError::invalid_request("unknown client_id \"<script>\"");
        let r = refusal(&with_accept("text/html"), &e);
        assert_eq!(r.status, 400);
        assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(r.headers["cache-control"], "no-store");
        assert!(r.body.contains("&lt;script&gt;"));
        assert!(!r.body.contains("<script>"));
        let json = refusal(&with_accept("application/json"), &e);
        assert_eq!(json.headers["content-type"], "application/json");
    }
}
