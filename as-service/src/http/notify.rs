//! The requests the server sends itself behind the HTTP front: the
//! back-channel logout notifications an ended login makes (OIDC
//! Back-Channel Logout 1.0 §2.5: "the OP uses an HTTP POST to the
//! registered back-channel logout URI"). Over gRPC they are handed to the
//! caller instead (`OAuthResponse.outbound`).
//!
//! A client's address is not trusted: each POST goes to the registered URI
//! only, with a connect and a whole-exchange timeout, no redirect followed,
//! at most [`ANSWER_CAP`] bytes of the answer read; a failure is logged and
//! tried again at most [`ATTEMPTS`] times in all (§2.8: the RP answers 200,
//! or 400 for a token it refuses, which is not retried). The sending runs
//! beside the answer to the user agent, which never waits for it, and at
//! most [`IN_FLIGHT`] notifications are under way at once: more are
//! dropped, and logged.
use std::sync::Arc;
use std::time::Duration;

use oauth_core::http::HttpRequest;
use tokio::sync::Semaphore;

/// How long a connection to a client may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one POST may take in all, answer included.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(5);
/// Tries per notification, the first included.
pub const ATTEMPTS: u32 = 3;
/// The bytes of a client's answer read at most (the rest is dropped).
pub const ANSWER_CAP: usize = 4096;
/// Notifications under way at once.
pub const IN_FLIGHT: usize = 64;

/// Sends the server's own requests; cloned into every connection.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    in_flight: Arc<Semaphore>,
    /// The wait before the second try; each later one waits twice as long.
    backoff: Duration,
}

/// Why a notification was not delivered.
#[derive(Debug, PartialEq, Eq)]
pub enum Undelivered {
    /// The client answered with this status (3xx, not followed, or 4xx: not
    /// tried again).
    Refused(u16),
    /// It answered 5xx each time, or could not be reached.
    Failed(String),
}

impl Sender {
    /// A sender trusting the system's root certificates.
    pub fn new() -> Result<Self, String> {
        Self::with_limits(EXCHANGE_TIMEOUT, Duration::from_secs(1))
    }

    /// A sender whose POSTs may take `exchange` in all, waiting `backoff`
    /// before its second try and twice as long before each later one.
    pub fn with_limits(exchange: Duration, backoff: Duration) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(exchange)
            .user_agent(concat!("oidc-story-as/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
            backoff,
        })
    }

    /// Sends each request in a task of its own; returns at once.
    pub fn send_all(&self, requests: Vec<HttpRequest>) {
        for request in requests {
            let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
                tracing::warn!(url = %request.url, "back-channel logout dropped: {IN_FLIGHT} notifications already under way");
                continue;
            };
            let sender = self.clone();
            tokio::spawn(async move {
                let url = request.url.clone();
                match sender.deliver(&request).await {
                    Ok(status) => {
                        tracing::info!(%url, status, "back-channel logout delivered");
                    }
                    Err(why) => {
                        tracing::warn!(%url, ?why, "back-channel logout not delivered");
                    }
                }
                drop(permit);
            });
        }
    }

    /// Posts the request, trying again after a transport failure or a 5xx
    /// answer, at most [`ATTEMPTS`] times; the status of a 2xx answer.
    pub async fn deliver(&self, request: &HttpRequest) -> Result<u16, Undelivered> {
        let mut wait = self.backoff;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            match self.post(request).await {
                Ok(status) if (200..300).contains(&status) => return Ok(status),
                // A redirect is not followed, and a refusal is final.
                Ok(status) if (300..500).contains(&status) => {
                    return Err(Undelivered::Refused(status));
                }
                Ok(status) => last = format!("answered {status}"),
                Err(e) => last = e,
            }
            tracing::debug!(url = %request.url, attempt, why = %last, "back-channel logout attempt failed");
        }
        Err(Undelivered::Failed(format!(
            "{ATTEMPTS} tries; the last {last}"
        )))
    }

    /// One POST; the answer's status, its body read up to the cap.
    async fn post(&self, request: &HttpRequest) -> Result<u16, String> {
        let describe = |e: reqwest::Error| {
            if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                e.to_string()
            }
        };
        let mut builder = self
            .client
            .post(request.url.as_str())
            .body(request.body.clone());
        for (name, value) in request.headers() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let mut response = builder.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let mut read = 0;
        while read < ANSWER_CAP {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) | Err(_) => break,
            }
        }
        Ok(status)
    }
}

#[cfg(test)]
mod tests;
