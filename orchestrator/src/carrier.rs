//! Carries a request the RP prepared to a server the project does not run,
//! over real HTTP(S), and brings its answer back as the RP expects it. The
//! server is treated as hostile: only https URLs (plain http to loopback
//! only), the system's roots plus any `--ca`, timeouts on connecting and on
//! the whole exchange, a cap on the body, no decompression, and redirects
//! never followed — a 302 is the answer the story records.
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use oidc_story_proto::v1::{OAuthRequest, OAuthResponse};
use rp_service::service::discovery::is_loopback;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The largest body read from a server (metadata, keys, tokens: a few KB).
pub const MAX_BODY: usize = 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a request could not be carried.
#[derive(Debug)]
pub enum CarrierError {
    /// `--ca` could not be read or holds no certificate.
    Ca { path: String, why: String },
    /// The TLS set-up failed (no usable roots).
    Tls(String),
    /// The URL is not one we send to: not https (nor http to loopback).
    Refused { url: String, why: &'static str },
    /// The server could not be reached, or the exchange failed or timed out.
    Transport { url: String, why: String },
    /// The answer's body is over [`MAX_BODY`].
    TooLarge { url: String },
}

impl std::fmt::Display for CarrierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ca { path, why } => write!(f, "--ca {path}: {why}"),
            Self::Tls(why) => write!(f, "TLS set-up: {why}"),
            Self::Refused { url, why } => write!(f, "not sent to {url}: {why}"),
            Self::Transport { url, why } => write!(f, "{url}: {why}"),
            Self::TooLarge { url } => {
                write!(
                    f,
                    "{url}: the answer is over {} KB; not read",
                    MAX_BODY / 1024
                )
            }
        }
    }
}

impl std::error::Error for CarrierError {}

/// Checks that a URL may be sent to: https, or http to loopback.
pub fn check_url(url: &str) -> Result<url::Url, CarrierError> {
    let refused = |why| CarrierError::Refused {
        url: url.to_owned(),
        why,
    };
    let parsed = url::Url::parse(url).map_err(|_| refused("not an absolute URL"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(refused(
            "plain http is for loopback only (127.0.0.1, ::1, localhost)",
        )),
        _ => Err(refused("not an http(s) URL")),
    }
}

/// The TLS settings of a client: the system's roots and the certificates of
/// `ca` (PEM) when given; TLS 1.2 and 1.3 on aws-lc-rs.
pub fn client_tls(ca: Option<&Path>) -> Result<rustls::ClientConfig, CarrierError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca {
        let shown = path.display().to_string();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| CarrierError::Ca {
                path: shown.clone(),
                why: e.to_string(),
            })?
            .collect::<Result<_, _>>()
            .map_err(|e| CarrierError::Ca {
                path: shown.clone(),
                why: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(CarrierError::Ca {
                path: shown,
                why: "no PEM certificate in the file".into(),
            });
        }
        for cert in certs {
            roots.add(cert).map_err(|e| CarrierError::Ca {
                path: shown.clone(),
                why: e.to_string(),
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CarrierError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// An HTTP(S) client for one run.
#[derive(Clone)]
pub struct Carrier {
    client: reqwest::Client,
}

impl Carrier {
    /// A client trusting the system's roots, and the certificates of `ca`
    /// (PEM) when given.
    pub fn new(ca: Option<&Path>) -> Result<Self, CarrierError> {
        let tls = client_tls(ca)?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(EXCHANGE_TIMEOUT)
            .user_agent(concat!("oidc-story/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CarrierError::Tls(e.to_string()))?;
        Ok(Self { client })
    }

    /// Sends the request as it is (method, URL, headers, body) and returns
    /// the answer as the RP reads it: lower-case header names, the body as
    /// text, a redirect's `Location` made absolute.
    pub async fn send(&self, request: &OAuthRequest) -> Result<OAuthResponse, CarrierError> {
        let url = check_url(&request.url)?;
        let transport = |e: reqwest::Error| CarrierError::Transport {
            url: request.url.clone(),
            why: describe(&e),
        };
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            CarrierError::Refused {
                url: request.url.clone(),
                why: "not an HTTP method",
            }
        })?;
        let mut builder = self.client.request(method, url.clone());
        for (name, value) in &request.headers {
            let lower = name.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "host" | "content-length" | "connection" | "transfer-encoding"
            ) {
                continue;
            }
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let mut response = builder.send().await.map_err(transport)?;
        let status = u32::from(response.status().as_u16());
        let mut headers = std::collections::BTreeMap::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            // Set-Cookie may not be joined with commas (RFC 9110 §5.3, a
            // date holds one): its values are kept a line each.
            let joint = if name == reqwest::header::SET_COOKIE {
                "\n"
            } else {
                ", "
            };
            headers
                .entry(name.as_str().to_ascii_lowercase())
                .and_modify(|v: &mut String| {
                    v.push_str(joint);
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(CarrierError::TooLarge {
                url: request.url.clone(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(CarrierError::TooLarge {
                    url: request.url.clone(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        // The orchestrator's own mark for a step it handed to a person is
        // never taken from a server.
        headers.remove(rp_service::service::device::HANDED_TO_A_PERSON);
        let location = headers
            .get("location")
            .and_then(|l| url.join(l).ok())
            .map(String::from)
            .unwrap_or_default();
        Ok(OAuthResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            location,
            // A server over HTTP sends its notifications itself, unseen.
            outbound: Vec::new(),
        })
    }
}

/// A transport error and its causes, each said once.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "the exchange failed".to_owned()
    };
    let mut parts = vec![what];
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_goes_to_loopback_only() {
        assert!(check_url("https://op.example/token").is_ok());
        assert!(check_url("http://127.0.0.1:8080/token").is_ok());
        assert!(check_url("http://localhost:8080/token").is_ok());
        assert!(check_url("http://[::1]:8080/token").is_ok());
        assert!(check_url("http://op.example/token").is_err());
        assert!(check_url("http://127.0.0.1.op.example/token").is_err());
        assert!(check_url("ftp://op.example/x").is_err());
        assert!(check_url("/relative").is_err());
    }
}
