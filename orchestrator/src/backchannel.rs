//! `--backchannel-uri`: against a server over HTTP, the client's registered
//! back-channel logout URI is a listener of the orchestrator's own, on a
//! loopback port. The server POSTs its logout tokens there itself (OIDC
//! Back-Channel Logout 1.0 §2.5); each one waits in the inbox until a
//! story's back-channel step takes it to the RP, and is answered with the
//! RP's verdict (§2.8: 200, or 400 for a token it refuses).
//!
//! What arrives is from a server we do not run: only POSTs to the path, a
//! body of at most [`BODY_CAP`] bytes that is UTF-8, at most [`QUEUE`]
//! waiting; one no story takes within [`HOLD`] is answered 503.
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use oidc_story_proto::v1::OAuthRequest;
use rp_service::service::discovery::is_loopback;
use tokio::sync::{Mutex, mpsc, oneshot};

/// The largest notification read.
pub const BODY_CAP: usize = 64 * 1024;
/// Notifications waiting at once; more are answered 503.
const QUEUE: usize = 16;
/// How long a notification waits for a story to take it.
const HOLD: Duration = Duration::from_secs(30);

/// A notification the server sent, and the way back to it.
pub struct Arrival {
    pub request: OAuthRequest,
    reply: oneshot::Sender<u16>,
}

impl Arrival {
    /// Answers the server with the RP's verdict.
    pub fn answer(self, status: u16) {
        let _ = self.reply.send(status);
    }
}

/// The listener and what it received, in order.
pub struct Inbox {
    pub uri: String,
    arrivals: Mutex<mpsc::Receiver<Arrival>>,
}

#[derive(Clone)]
struct Door {
    path: String,
    uri: String,
    arrivals: mpsc::Sender<Arrival>,
}

impl Inbox {
    /// Listens at `uri`, which must be `http` on a loopback host with a
    /// port (the address the client registered as its back-channel logout
    /// URI), until the process ends.
    pub async fn listen(uri: &str) -> Result<Arc<Self>, String> {
        let hint = "--backchannel-uri is the client's registered backchannel_logout_uri, where the orchestrator listens: http://127.0.0.1:PORT/PATH";
        let url = url::Url::parse(uri).map_err(|e| format!("--backchannel-uri {uri:?}: {e}"))?;
        if url.scheme() != "http" || !is_loopback(&url) {
            return Err(format!(
                "--backchannel-uri {uri} is not http on a loopback host; {hint}"
            ));
        }
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        let listener = tokio::net::TcpListener::bind((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot listen on {host}:{port} for back-channel logout: {e}"))?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let door = Door {
            path: url.path().to_owned(),
            uri: uri.to_owned(),
            arrivals: tx,
        };
        let app = axum::Router::new().fallback(knock).with_state(door);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Arc::new(Self {
            uri: uri.to_owned(),
            arrivals: Mutex::new(rx),
        }))
    }

    /// The next notification, waiting at most `wait` for one.
    pub async fn next(&self, wait: Duration) -> Option<Arrival> {
        let mut arrivals = self.arrivals.lock().await;
        tokio::time::timeout(wait, arrivals.recv())
            .await
            .ok()
            .flatten()
    }
}

/// One request at the listener.
async fn knock(State(door): State<Door>, request: Request) -> StatusCode {
    if request.uri().path() != door.path {
        return StatusCode::NOT_FOUND;
    }
    if request.method() != axum::http::Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_CAP).await else {
        return StatusCode::PAYLOAD_TOO_LARGE;
    };
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return StatusCode::BAD_REQUEST;
    };
    let headers = parts
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let (reply, verdict) = oneshot::channel();
    let arrival = Arrival {
        request: OAuthRequest {
            method: "POST".into(),
            url: door.uri.clone(),
            headers,
            body,
        },
        reply,
    };
    if door.arrivals.try_send(arrival).is_err() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match tokio::time::timeout(HOLD, verdict).await {
        Ok(Ok(status)) => StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_loopback_http_is_listened_on() {
        for uri in ["https://127.0.0.1:1/b", "http://rp.example/b", "not a url"] {
            assert!(Inbox::listen(uri).await.is_err(), "{uri}");
        }
    }

    #[tokio::test]
    async fn a_notification_is_handed_on_and_answered_with_the_verdict() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let uri = format!("http://127.0.0.1:{port}/backchannel");
        let inbox = Inbox::listen(&uri).await.unwrap();
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::Client::builder().build().unwrap();
        let post = {
            let uri = uri.clone();
            tokio::spawn(async move {
                client
                    .post(&uri)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("logout_token=eyJ.x.y")
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        };
        let arrival = inbox.next(Duration::from_secs(5)).await.unwrap();
        assert_eq!(arrival.request.body, "logout_token=eyJ.x.y");
        assert_eq!(arrival.request.url, uri);
        arrival.answer(400);
        assert_eq!(post.await.unwrap(), 400);
        // Another path, another method: nothing arrives.
        let other = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/backchannel"))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 405);
        assert!(inbox.next(Duration::from_millis(100)).await.is_none());
    }
}
