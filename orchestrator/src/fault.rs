//! Why a run could not reach its services, and why a story stopped before
//! its end: small enums whose `Display` is what the transcript and the
//! command line say.
use std::fmt;

use rp_service::service::registry::ClientService;

use crate::carrier::CarrierError;

/// The services could not be reached, or are not what they were given as.
#[derive(Debug)]
pub enum ConnectError {
    BadAddress {
        what: &'static str,
        address: String,
        why: String,
    },
    Unreachable {
        what: &'static str,
        url: String,
        cause: String,
    },
    /// The address serves the other service of the pair, or none of ours.
    WrongService {
        what: &'static str,
        address: String,
        serves: String,
        expected: &'static str,
    },
    /// The address answers, but not in gRPC (an HTTP/1.1 server, say).
    NotGrpc {
        what: &'static str,
        address: String,
        cause: String,
    },
    NoAsAddress,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadAddress { what, address, why } => {
                write!(f, "{what} address {address:?} is not a valid URL: {why}")
            }
            Self::Unreachable { what, url, cause } => {
                write!(f, "cannot reach the {what} at {url}: {cause}")
            }
            Self::WrongService {
                what,
                address,
                serves,
                expected,
            } => write!(
                f,
                "{address} (given as the {what}) {serves}, not the {expected}; check --as and --rp"
            ),
            Self::NotGrpc {
                what,
                address,
                cause,
            } => write!(
                f,
                "{address} (given as the {what}) does not answer in gRPC ({cause}): is it an HTTP port, such as the AS's --http-listen? --as and --rp take the gRPC addresses; for a server over HTTP use --issuer URL"
            ),
            Self::NoAsAddress => f.write_str("no AS address"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// Why the authorization step over HTTP could not get its answer.
#[derive(Debug)]
pub enum HttpFault {
    Carrier(CarrierError),
    /// `--browser`: no listener, or no redirect in time.
    Browser(String),
    /// A page (a login) answered, and neither `--browser` nor `--login` was given.
    LoginPage,
    /// The server sent the browser to a page of its own (a login), not back
    /// to the client.
    LoginRedirect(String),
    /// `--login`: the form could not be sent, or did not redirect.
    LoginForm(String),
    /// `--login`: the login page holds no form (a page built by script).
    NoLoginForm,
}

impl fmt::Display for HttpFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Carrier(e) => e.fmt(f),
            Self::Browser(why) | Self::LoginForm(why) => f.write_str(why),
            Self::LoginRedirect(location) => write!(
                f,
                "the server sends the browser to {location}, not back to the client (it wants a person to log in): run with --browser to log in"
            ),
            Self::NoLoginForm => f.write_str(
                "the login page holds no form to fill in (--login): it is built by script, so a person logs in with --browser",
            ),
            Self::LoginPage => f.write_str(
                "the server answers the authorization request with a page (it wants a person to log in): run with --browser to log in, or --login FIELD=VALUE to fill in a test server's login form",
            ),
        }
    }
}

/// Why a story stopped before its end.
#[derive(Debug)]
pub enum StoryFault {
    StartSession(String),
    Prepare {
        service: ClientService,
        message: String,
    },
    NoRequest {
        service: ClientService,
    },
    /// A step delivers the OP's notification, and the OP sent none.
    NoNotification {
        service: ClientService,
    },
    Attacker {
        service: ClientService,
        why: String,
    },
    Parse {
        service: ClientService,
        message: String,
    },
    NoEndpoint {
        service: ClientService,
    },
    /// The AS RPC failed (not an OAuth refusal: those are answers).
    As {
        endpoint: &'static str,
        message: String,
    },
    NoReplica {
        endpoint: &'static str,
        last: String,
    },
    Http(HttpFault),
    /// A step's MUST failed: the story cannot go on.
    StepFailed {
        /// Its index in the story's steps.
        index: usize,
        service: ClientService,
    },
    /// The story ended on an answer telling the client to carry on (RFC
    /// 8628 §3.5 authorization_pending): it never got what it was for.
    StillPending {
        service: ClientService,
        error: String,
    },
    /// The story's deadline passed while this step (1-based) was under way.
    TimedOut {
        after: std::time::Duration,
        step: usize,
        service: Option<ClientService>,
    },
    /// The client was asked to wait longer before a request than it ever
    /// waits; it stops rather than send sooner than asked.
    WaitTooLong {
        service: ClientService,
        asked_ms: u64,
        limit_ms: u64,
    },
}

impl fmt::Display for StoryFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StartSession(message) => write!(f, "RP StartSession: {message}"),
            Self::Prepare { service, message } => {
                write!(f, "RP PrepareRequest {service}: {message}")
            }
            Self::NoRequest { service } => write!(f, "RP PrepareRequest {service}: no request"),
            Self::NoNotification { service } => write!(
                f,
                "{service}: the OP sent no notification to deliver (its end_session answer carried none)"
            ),
            Self::Attacker { service, why } => write!(f, "attacker on {service}: {why}"),
            Self::Parse { service, message } => write!(f, "RP ParseResponse {service}: {message}"),
            Self::NoEndpoint { service } => write!(f, "RP named no AS endpoint for {service}"),
            Self::As { endpoint, message } => write!(f, "AS {endpoint}: {message}"),
            Self::NoReplica { endpoint, last } => {
                write!(f, "AS {endpoint}: no replica reachable: {last}")
            }
            Self::Http(e) => e.fmt(f),
            Self::StepFailed { service, .. } => write!(f, "step {service} failed"),
            Self::StillPending { service, error } => write!(
                f,
                "the story ends on step {service} answered {error}: the client would poll again, so it never got its tokens"
            ),
            Self::TimedOut {
                after,
                step,
                service,
            } => {
                write!(
                    f,
                    "timed out after {} s at step {step}",
                    after.as_secs_f64()
                )?;
                if let Some(service) = service {
                    write!(f, " ({service})")?;
                }
                f.write_str("; --story-timeout sets the limit")
            }
            Self::WaitTooLong {
                service,
                asked_ms,
                limit_ms,
            } => write!(
                f,
                "step {service} is due in {} s, past the {} s this client ever waits; it stops rather than send sooner than asked",
                asked_ms.div_ceil(1000),
                limit_ms / 1000
            ),
        }
    }
}

impl std::error::Error for StoryFault {}

impl From<HttpFault> for StoryFault {
    fn from(e: HttpFault) -> Self {
        Self::Http(e)
    }
}
