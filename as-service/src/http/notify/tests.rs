//! The sender against a client's endpoint on a loopback port: what it posts,
//! when it tries again, and what it refuses to do (follow a redirect, read
//! a flood, wait forever).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use oauth_core::http::HttpRequest;

use super::*;

/// What the client's endpoint saw: how many POSTs, and the last one's
/// content type and body.
#[derive(Default)]
struct Seen {
    posts: AtomicUsize,
    last: std::sync::Mutex<Option<(String, String)>>,
}

/// A client endpoint answering each POST with `answer`, on a loopback port.
async fn endpoint(answer: fn(usize) -> axum::response::Response) -> (Arc<Seen>, String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let elsewhere = Arc::new(Seen::default());
    let (hits, other) = (Arc::clone(&seen), Arc::clone(&elsewhere));
    let app = axum::Router::new()
        .route(
            "/logout",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: String| async move {
                    let n = hits.posts.fetch_add(1, Ordering::SeqCst) + 1;
                    let content_type = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    *hits.last.lock().unwrap() = Some((content_type, body));
                    answer(n)
                },
            ),
        )
        .route(
            "/elsewhere",
            axum::routing::post(move || async move {
                other.posts.fetch_add(1, Ordering::SeqCst);
                StatusCode::OK
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/logout", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (seen, url, elsewhere)
}

fn notification(url: &str) -> HttpRequest {
    HttpRequest::new(
        "POST",
        url,
        [("content-type", "application/x-www-form-urlencoded")],
        "logout_token=eyJ.eyJ.sig",
    )
    .unwrap()
}

fn quick() -> Sender {
    Sender::with_limits(Duration::from_secs(2), Duration::from_millis(10)).unwrap()
}

#[tokio::test]
async fn a_logout_token_is_posted_once_to_the_registered_uri_as_a_form() {
    let (seen, url, _) = endpoint(|_| StatusCode::OK.into_response()).await;
    assert_eq!(quick().deliver(&notification(&url)).await, Ok(200));
    assert_eq!(seen.posts.load(Ordering::SeqCst), 1);
    let (content_type, body) = seen.last.lock().unwrap().clone().unwrap();
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    assert_eq!(body, "logout_token=eyJ.eyJ.sig");
}

#[tokio::test]
async fn a_server_error_is_tried_again_and_then_given_up() {
    let (seen, url, _) = endpoint(|_| StatusCode::SERVICE_UNAVAILABLE.into_response()).await;
    let outcome = quick().deliver(&notification(&url)).await;
    assert!(
        matches!(outcome, Err(Undelivered::Failed(ref why)) if why.contains("503")),
        "{outcome:?}"
    );
    assert_eq!(seen.posts.load(Ordering::SeqCst), ATTEMPTS as usize);
}

#[tokio::test]
async fn a_server_error_then_success_is_delivered_on_the_second_try() {
    let (seen, url, _) = endpoint(|n| {
        if n == 1 {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        } else {
            StatusCode::NO_CONTENT.into_response()
        }
    })
    .await;
    assert_eq!(quick().deliver(&notification(&url)).await, Ok(204));
    assert_eq!(seen.posts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refusal_by_the_client_is_not_tried_again() {
    // Back-Channel Logout §2.8: 400 for a logout token the RP refuses.
    let (seen, url, _) = endpoint(|_| StatusCode::BAD_REQUEST.into_response()).await;
    assert_eq!(
        quick().deliver(&notification(&url)).await,
        Err(Undelivered::Refused(400))
    );
    assert_eq!(seen.posts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let (seen, url, elsewhere) = endpoint(|_| {
        (StatusCode::TEMPORARY_REDIRECT, [("location", "/elsewhere")]).into_response()
    })
    .await;
    assert_eq!(
        quick().deliver(&notification(&url)).await,
        Err(Undelivered::Refused(307))
    );
    assert_eq!(seen.posts.load(Ordering::SeqCst), 1);
    assert_eq!(elsewhere.posts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_flood_of_an_answer_is_not_read_whole() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A client endpoint announcing 100 MB and sending it as fast as it can.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/logout", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&sent);
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b'x'; 65536];
        while socket.write_all(&chunk).await.is_ok() {
            counted.fetch_add(chunk.len(), Ordering::SeqCst);
        }
    });
    assert_eq!(quick().deliver(&notification(&url)).await, Ok(200));
    // Dropped after the cap: far less than announced went through.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(sent.load(Ordering::SeqCst) < 20_000_000, "{sent:?}");
}

#[tokio::test]
async fn a_client_that_never_answers_is_given_up_after_the_timeouts() {
    // A listener that accepts and says nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/logout", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let sender =
        Sender::with_limits(Duration::from_millis(300), Duration::from_millis(10)).unwrap();
    let started = Instant::now();
    let outcome = sender.deliver(&notification(&url)).await;
    assert!(
        matches!(outcome, Err(Undelivered::Failed(ref why)) if why.contains("timed out")),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_unreachable_client_is_given_up() {
    // A port just freed: nothing listens there.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/logout", listener.local_addr().unwrap());
    drop(listener);
    let outcome = quick().deliver(&notification(&url)).await;
    assert!(
        matches!(outcome, Err(Undelivered::Failed(_))),
        "{outcome:?}"
    );
}
