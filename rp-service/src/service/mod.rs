//! The client services: each builds one kind of request (with client
//! authentication where the endpoint needs it) and parses and verifies the
//! answer, saying what it checked. Transport-free: HTTP messages in and out.
pub mod discovery;
pub mod jwks;
pub mod token;

use std::collections::BTreeMap;
use std::fmt;

use oauth_core::form;
use oauth_core::http::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::RelyingParty;
use crate::session::{Pending, Session};

/// The AS endpoints a prepared request can be meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsEndpoint {
    ServerMetadata,
    Jwks,
    Token,
}

/// The client services this RP offers, by their story names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientService {
    /// RFC 8414 §3: fetch the AS metadata.
    ServerMetadata,
    /// RFC 7517 §5: fetch the AS public keys.
    Jwks,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.3.
    ResourceOwnerPasswordCredentials,
}

impl ClientService {
    pub const ALL: [ClientService; 4] = [
        Self::ServerMetadata,
        Self::Jwks,
        Self::ClientCredentials,
        Self::ResourceOwnerPasswordCredentials,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ServerMetadata => "server_metadata",
            Self::Jwks => "jwks",
            Self::ClientCredentials => "client_credentials",
            Self::ResourceOwnerPasswordCredentials => "resource_owner_password_credentials",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn endpoint(self) -> AsEndpoint {
        match self {
            Self::ServerMetadata => AsEndpoint::ServerMetadata,
            Self::Jwks => AsEndpoint::Jwks,
            Self::ClientCredentials | Self::ResourceOwnerPasswordCredentials => AsEndpoint::Token,
        }
    }

    /// The step arguments the service understands.
    pub fn arguments(self) -> &'static [&'static str] {
        match self {
            Self::ServerMetadata | Self::Jwks => &[],
            Self::ClientCredentials => &["scope", "token_endpoint_auth_method"],
            Self::ResourceOwnerPasswordCredentials => &[
                "scope",
                "token_endpoint_auth_method",
                "username",
                "password",
            ],
        }
    }
}

/// Why a request could not be prepared or a response not parsed: a fault of
/// the caller (the orchestrator), not of the AS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    UnknownService(String),
    UnknownArgument {
        service: &'static str,
        argument: String,
    },
    BadArgument(String),
    NothingPending(&'static str),
    Profile(String),
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownService(s) => write!(
                f,
                "unknown client service {s:?}; known: {}",
                ClientService::ALL.map(ClientService::name).join(", ")
            ),
            Self::UnknownArgument { service, argument } => {
                write!(f, "service {service} takes no argument {argument:?}")
            }
            Self::BadArgument(why) => f.write_str(why),
            Self::NothingPending(s) => {
                write!(
                    f,
                    "no {s} request is awaiting a response in this session; prepare one first"
                )
            }
            Self::Profile(why) => write!(f, "the client profile cannot do this: {why}"),
        }
    }
}

impl std::error::Error for StepError {}

/// A request ready to be sent to the AS.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub endpoint: AsEndpoint,
    pub request: HttpRequest,
}

/// One verification the RP made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub reference: String,
}

/// A JWT seen in a response, decoded, and verified or not.
#[derive(Debug, Clone)]
pub struct SeenJwt {
    pub name: String,
    pub compact: String,
    pub header: Value,
    pub claims: Value,
    pub verified: bool,
    pub verification: String,
}

/// What the RP made of a response.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub parsed: Value,
    pub checks: Vec<Check>,
    pub jwts: Vec<SeenJwt>,
    /// The OAuth error and its description, when the AS refused.
    pub error: Option<(String, String)>,
}

impl Parsed {
    /// A success with every check passed.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.checks.iter().all(|c| c.ok)
    }

    pub fn check(
        &mut self,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
        reference: &str,
    ) -> bool {
        self.checks.push(Check {
            name: name.into(),
            ok,
            detail: detail.into(),
            reference: reference.to_owned(),
        });
        ok
    }
}

/// Builds the request of `service` for a session.
pub fn prepare(
    rp: &RelyingParty,
    session: &mut Session,
    service: ClientService,
    args: &BTreeMap<String, String>,
) -> Result<Prepared, StepError> {
    if let Some(argument) = args
        .keys()
        .find(|a| !service.arguments().contains(&a.as_str()))
    {
        return Err(StepError::UnknownArgument {
            service: service.name(),
            argument: argument.clone(),
        });
    }
    let request = match service {
        ClientService::ServerMetadata => discovery::request(rp)?,
        ClientService::Jwks => jwks::request(rp, session)?,
        ClientService::ClientCredentials | ClientService::ResourceOwnerPasswordCredentials => {
            token::request(rp, session, service, args)?
        }
    };
    session.pending = Some(Pending {
        service,
        // The RP wrote this body itself, so it parses; GET requests have none.
        params: form::parse(&request.body).unwrap_or_default(),
    });
    Ok(Prepared {
        endpoint: service.endpoint(),
        request,
    })
}

/// Parses and verifies the AS response to the request last prepared.
pub fn parse(
    rp: &RelyingParty,
    session: &mut Session,
    service: ClientService,
    response: &HttpResponse,
) -> Result<Parsed, StepError> {
    let pending = match session.pending.take() {
        Some(p) if p.service == service => p,
        other => {
            session.pending = other;
            return Err(StepError::NothingPending(service.name()));
        }
    };
    let mut parsed = Parsed::default();
    let reference = match service {
        ClientService::ServerMetadata => "RFC 8414 §3.2",
        ClientService::Jwks => "RFC 7517 §8.5",
        ClientService::ClientCredentials | ClientService::ResourceOwnerPasswordCredentials => {
            "RFC 6749 §5.1"
        }
    };
    let Some(body) = json_body(response, reference, &mut parsed) else {
        return Ok(parsed);
    };
    match service {
        ClientService::ServerMetadata => discovery::verify(rp, session, body, &mut parsed),
        ClientService::Jwks => jwks::verify(session, body, &mut parsed),
        ClientService::ClientCredentials | ClientService::ResourceOwnerPasswordCredentials => {
            token::verify(rp, session, &pending, response, body, &mut parsed)
        }
    }
    Ok(parsed)
}

/// Reads a JSON response body. An error status is read as an OAuth error
/// response (RFC 6749 §5.2) and recorded; `None` means nothing more to check.
fn json_body(response: &HttpResponse, reference: &str, parsed: &mut Parsed) -> Option<Value> {
    let media_type = response.headers.get("content-type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let body: Result<Value, _> = serde_json::from_str(&response.body);
    if !(200..300).contains(&response.status) {
        let (error, description) = match &body {
            Ok(v) => (
                v.get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                v.get("error_description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            ),
            Err(_) => (String::new(), String::new()),
        };
        parsed.check(
            "error response carries an error code",
            !error.is_empty(),
            format!("HTTP {}: {error} {description}", response.status),
            "RFC 6749 §5.2",
        );
        parsed.parsed = body.unwrap_or(Value::Null);
        let code = if error.is_empty() {
            format!("http_{}", response.status)
        } else {
            error
        };
        parsed.error = Some((code, description));
        return None;
    }
    let json_type = media_type
        .as_deref()
        .is_some_and(|t| t == "application/json" || t.ends_with("+json"));
    parsed.check(
        "Content-Type is JSON",
        json_type,
        media_type.unwrap_or_else(|| "no Content-Type".into()),
        reference,
    );
    match body {
        Ok(v @ Value::Object(_)) => {
            parsed.parsed = v.clone();
            Some(v)
        }
        _ => {
            parsed.check(
                "body is a JSON object",
                false,
                "the body is not a JSON object",
                "RFC 8259",
            );
            None
        }
    }
}
