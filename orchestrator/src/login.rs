//! `--browser`: the authorization step done by a person. The authorization
//! URL is printed (and opened where a desktop is there); a listener on the
//! redirect URI's loopback port waits for the redirect the server sends the
//! browser to, and the story continues with it. A response in the fragment
//! (implicit, hybrid) never reaches a server, so the page at the redirect
//! URI sends it on in the query, whole, as one parameter
//! ([`FRAGMENT_PARAM`]), and it is handed to the RP as the fragment it
//! came in. A response posted
//! by a form (Form Post Response Mode §2) arrives as the form's body; it is
//! handed on as the page that posted it, for the RP to read as it reads
//! any form post.
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::Html;
use oidc_story_proto::v1::OAuthResponse;
use tokio::sync::mpsc;

use rp_service::service::discovery::is_loopback;

/// The redirect URI `--browser` uses unless one is given (as oauth2c does).
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:9876/callback";
/// How long a person has to log in.
const WAIT: Duration = Duration::from_secs(300);

const DONE_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>oidc-story</title></head><body><p>The orchestrator has the answer and goes on with the story. You can close this tab.</p></body></html>";

const FRAGMENT_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>oidc-story</title></head><body><p>Waiting for the authorization response…</p><script>if (location.hash.length > 1) { location.replace(location.pathname + '?oidc_story_fragment=' + encodeURIComponent(location.hash.substring(1))); }</script></body></html>";

/// The one query parameter the fragment page sends a fragment on in.
pub const FRAGMENT_PARAM: &str = "oidc_story_fragment";

/// The redirect URI of an authorization URL (its `redirect_uri` parameter).
pub(crate) fn redirect_uri_of(authorization_url: &str) -> Option<String> {
    let url = url::Url::parse(authorization_url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
}

/// Where to listen for a redirect URI: it must be `http` on a loopback host
/// with a port.
fn listen_address(redirect_uri: &str) -> Result<(String, u16, String), String> {
    let hint = "--browser listens on the redirect URI's loopback port: register http://127.0.0.1:PORT/PATH with the server and pass it as --redirect-uri";
    let url =
        url::Url::parse(redirect_uri).map_err(|e| format!("redirect URI {redirect_uri:?}: {e}"))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    if url.scheme() != "http" || !is_loopback(&url) {
        return Err(format!(
            "redirect URI {redirect_uri} is not http on a loopback host; {hint}"
        ));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    Ok((host, port, url.path().to_owned()))
}

/// The authorization step by a person in a browser: prints (and opens) the
/// URL, waits for the redirect, and returns it as the answer the server
/// gave the browser (302 with that Location).
/// A pushed request's URL names no redirect URI (RFC 9126 §4): then the
/// client's own, `client_redirect_uri`, is where the browser comes back.
pub async fn in_browser(
    authorization_url: &str,
    client_redirect_uri: Option<&str>,
) -> Result<OAuthResponse, String> {
    let redirect_uri = redirect_uri_of(authorization_url)
        .or_else(|| client_redirect_uri.map(str::to_owned))
        .unwrap_or_else(|| DEFAULT_REDIRECT_URI.to_owned());
    let (host, port, path) = listen_address(&redirect_uri)?;
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot listen on {host}:{port} for the redirect: {e}"))?;
    let (tx, mut rx) = mpsc::channel::<Delivered>(1);
    let app = axum::Router::new()
        .fallback(callback)
        .with_state((path, tx));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    eprintln!(
        "orchestrator: log in with a browser at the URL below; waiting {} minutes for the redirect to {redirect_uri}\n\n  {authorization_url}\n",
        WAIT.as_secs() / 60
    );
    open(authorization_url);
    let query = tokio::time::timeout(WAIT, rx.recv()).await;
    let _ = stop.send(());
    let _ = server.await;
    let delivered = match query {
        Ok(Some(d)) => d,
        _ => {
            return Err(format!(
                "no redirect to {redirect_uri} within {} minutes",
                WAIT.as_secs() / 60
            ));
        }
    };
    Ok(answer(&redirect_uri, delivered))
}

/// What the browser brought to the redirect URI.
#[derive(Debug)]
enum Delivered {
    /// A redirect's query.
    Query(String),
    /// A redirect's fragment, sent on by the page at the redirect URI.
    Fragment(String),
    /// A form's body, posted.
    Form(String),
}

/// The answer the server gave the browser: a 302 with that location, or
/// the page whose form posted those fields to the redirect URI.
fn answer(redirect_uri: &str, delivered: Delivered) -> OAuthResponse {
    let base = redirect_uri
        .split(['?', '#'])
        .next()
        .unwrap_or(redirect_uri);
    match delivered {
        Delivered::Query(query) => redirect(format!("{base}?{query}")),
        Delivered::Fragment(fragment) => redirect(format!("{base}#{fragment}")),
        Delivered::Form(body) => {
            let esc = oauth_core::html::escape;
            let inputs: String = url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| {
                    format!(
                        "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                        esc(&k),
                        esc(&v)
                    )
                })
                .collect();
            OAuthResponse {
                status: 200,
                headers: [(
                    "content-type".to_owned(),
                    "text/html; charset=utf-8".to_owned(),
                )]
                .into(),
                body: format!(
                    "<!DOCTYPE html>\n<html lang=\"en\">\n<body>\n<form method=\"post\" action=\"{}\">\n{inputs}</form>\n</body>\n</html>\n",
                    esc(redirect_uri)
                ),
                location: String::new(),
                outbound: Vec::new(),
            }
        }
    }
}

/// The user's step of the device flow handed to a person (`--browser`,
/// RFC 8628 §3.3): the verification URI (the user code in it) printed and
/// opened; what they do there is between them and the server, and the
/// device's polls tell the outcome. The answer recorded says so.
pub fn hand_to_person(verification_url: &str) -> OAuthResponse {
    eprintln!(
        "orchestrator: on a device with a browser, open the URL below (the user code is in it), log in and approve; the device polls until you decide\n\n  {verification_url}\n"
    );
    open(verification_url);
    OAuthResponse {
        status: 202,
        headers: [
            ("content-type".to_owned(), "text/plain".to_owned()),
            (
                rp_service::service::device::HANDED_TO_A_PERSON.to_owned(),
                "--browser".to_owned(),
            ),
        ]
        .into(),
        body: format!("handed to a person's browser at {verification_url}"),
        location: String::new(),
        outbound: Vec::new(),
    }
}

/// A 302 to `location`, as the server answered the browser.
fn redirect(location: String) -> OAuthResponse {
    OAuthResponse {
        status: 302,
        headers: [("location".to_owned(), location.clone())].into(),
        body: String::new(),
        location,
        outbound: Vec::new(),
    }
}

async fn callback(
    State((path, tx)): State<(String, mpsc::Sender<Delivered>)>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    RawQuery(query): RawQuery,
    body: String,
) -> (axum::http::StatusCode, Html<&'static str>) {
    if uri.path() != path {
        return (
            axum::http::StatusCode::NOT_FOUND,
            Html("<!DOCTYPE html><title>not here</title>"),
        );
    }
    if method == axum::http::Method::POST && !body.is_empty() {
        let _ = tx.try_send(Delivered::Form(body));
        return (axum::http::StatusCode::OK, Html(DONE_PAGE));
    }
    match query.filter(|q| !q.is_empty()) {
        Some(q) => {
            let mut pairs = url::form_urlencoded::parse(q.as_bytes());
            let fragment = match (pairs.next(), pairs.next()) {
                (Some((name, value)), None) if name == FRAGMENT_PARAM => Some(value.into_owned()),
                _ => None,
            };
            let delivered = match fragment {
                Some(f) => Delivered::Fragment(f),
                None => Delivered::Query(q),
            };
            let _ = tx.try_send(delivered);
            (axum::http::StatusCode::OK, Html(DONE_PAGE))
        }
        None => (axum::http::StatusCode::OK, Html(FRAGMENT_PAGE)),
    }
}

/// Opens the URL in the desktop's browser, where there is a desktop.
fn open(url: &str) {
    let desktop = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    if desktop {
        let _ = std::process::Command::new("xdg-open")
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_loopback_http_redirect_uri_can_be_listened_on() {
        assert_eq!(
            listen_address("http://127.0.0.1:9876/callback").unwrap(),
            ("127.0.0.1".into(), 9876, "/callback".into())
        );
        assert!(listen_address("https://app.example/cb").is_err());
        assert!(listen_address("http://app.example/cb").is_err());
    }

    fn get(url: String) -> oidc_story_proto::v1::OAuthRequest {
        oidc_story_proto::v1::OAuthRequest {
            method: "GET".into(),
            url,
            headers: Default::default(),
            body: String::new(),
        }
    }

    /// The browser's first visit to the redirect URI, once its listener is
    /// up: the page it is shown.
    async fn first_visit(browser: &crate::carrier::Carrier, redirect: &str) -> String {
        for _ in 0..50 {
            if let Ok(r) = browser.send(&get(redirect.to_owned())).await {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no listener at {redirect}");
    }

    #[tokio::test]
    async fn the_redirect_the_browser_brings_back_is_the_answer() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let redirect = format!("http://127.0.0.1:{port}/cb");
        let authorization = format!(
            "https://op.example/authorize?client_id=c&redirect_uri={}",
            url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
        );
        let waiting = tokio::spawn(async move { in_browser(&authorization, None).await });
        // The "browser": a fragment-only visit first, then the redirect.
        let browser = crate::carrier::Carrier::new(None).unwrap();
        let page = first_visit(&browser, &redirect).await;
        assert!(page.contains("location.hash"));
        let done = browser
            .send(&get(format!("{redirect}?code=abc&state=xyz")))
            .await
            .unwrap();
        assert!(done.body.contains("close this tab"));
        let answer = waiting.await.unwrap().unwrap();
        assert_eq!(answer.status, 302);
        assert_eq!(answer.location, format!("{redirect}?code=abc&state=xyz"));
    }

    /// Form Post §2: the form the browser posts is handed on as the page
    /// that posted it, its values escaped.
    #[test]
    fn a_posted_form_is_handed_on_as_the_page_that_posted_it() {
        let page = answer(
            "http://127.0.0.1:9876/cb",
            Delivered::Form("code=a%26b&state=%3Cx%3E".into()),
        );
        assert_eq!(page.status, 200);
        assert!(page.location.is_empty());
        let form = crate::form_login::find_form(&page.body, &[]).unwrap();
        assert_eq!(form.method, "POST");
        assert_eq!(form.action, "http://127.0.0.1:9876/cb");
        assert_eq!(
            form.hidden,
            vec![
                ("code".to_owned(), "a&b".to_owned()),
                ("state".to_owned(), "<x>".to_owned())
            ]
        );
    }

    /// A response in the fragment (implicit, hybrid) comes back as the
    /// fragment it was, not as a query the RP would not read.
    #[test]
    fn a_fragment_sent_on_by_the_page_is_handed_on_as_the_fragment() {
        let page = answer(
            "http://127.0.0.1:9876/cb",
            Delivered::Fragment("id_token=a.b.c&state=xyz".into()),
        );
        assert_eq!(page.status, 302);
        assert_eq!(
            page.location,
            "http://127.0.0.1:9876/cb#id_token=a.b.c&state=xyz"
        );
    }

    #[tokio::test]
    async fn the_fragment_page_sends_the_fragment_on_whole_and_a_pushed_request_uses_the_clients_uri()
     {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let redirect = format!("http://127.0.0.1:{port}/cb");
        // A pushed request's URL: client_id and request_uri, no redirect_uri.
        let authorization =
            "https://op.example/authorize?client_id=c&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax".to_owned();
        let client_uri = redirect.clone();
        let waiting =
            tokio::spawn(async move { in_browser(&authorization, Some(&client_uri)).await });
        let browser = crate::carrier::Carrier::new(None).unwrap();
        let page = first_visit(&browser, &redirect).await;
        assert!(page.contains(FRAGMENT_PARAM));
        // What the page's script does with #code=abc&state=x%26y.
        let fragment = "code=abc&state=x%26y";
        let sent_on: String = url::form_urlencoded::byte_serialize(fragment.as_bytes()).collect();
        browser
            .send(&get(format!("{redirect}?{FRAGMENT_PARAM}={sent_on}")))
            .await
            .unwrap();
        let answer = waiting.await.unwrap().unwrap();
        assert_eq!(answer.location, format!("{redirect}#{fragment}"));
    }
}
