//! What a step yields: the request prepared, the checks made on the answer
//! (`Parsed`, `Check`, `Level`), the JWTs seen, what the answer would change
//! in the session (`Staged`), and the caller's faults (`StepError`). A leaf
//! the services import; it imports only the registry and the session.

use std::fmt;

use jsonwebtoken::jwk::JwkSet;
use oauth_core::error::ErrorCode;
use oauth_core::http::HttpRequest;
use serde_json::Value;

use crate::service::check_id::CheckId;
use crate::service::registry::{AsEndpoint, ClientService};
use crate::session::{Identity, Metadata, Registered, Session};

/// What a response would change in the session, held aside while the
/// response is checked and committed only if every check passed: nothing
/// from a refused response reaches the session — no claims, tokens, code,
/// metadata, keys or client credentials.
#[derive(Debug, Default)]
pub struct Staged {
    pub metadata: Option<Metadata>,
    pub jwks: Option<JwkSet>,
    pub identity: Option<Identity>,
    pub code: Option<String>,
    /// Tokens by name; a new `refresh_token` moves the old one to
    /// `previous_refresh_token` (attack stories present it again).
    pub tokens: Vec<(&'static str, String)>,
    pub access_token_type: Option<String>,
    /// The scope of a new grant (not of a refresh: the grant keeps its own).
    pub granted_scope: Option<String>,
    pub registration: Option<Registered>,
    pub pushed_request_uri: Option<String>,
    /// A device authorization begun (RFC 8628 §3.2).
    pub device: Option<crate::session::DeviceFlow>,
    /// A poll answered (RFC 8628 §3.5).
    pub device_poll: Option<crate::session::DevicePolled>,
}

impl Staged {
    pub(crate) fn commit(self, session: &mut Session) {
        if let Some(m) = self.metadata {
            session.metadata = Some(m);
        }
        if let Some(j) = self.jwks {
            session.jwks = Some(j);
        }
        if let Some(i) = self.identity {
            session.identity = Some(i);
        }
        if let Some(c) = self.code {
            session.code = Some(c);
        }
        for (name, token) in self.tokens {
            if let Some(spent) = session.tokens.insert(name.to_owned(), token.clone())
                && name == "refresh_token"
                && spent != token
            {
                session
                    .tokens
                    .insert("previous_refresh_token".into(), spent);
            }
        }
        if let Some(t) = self.access_token_type {
            session.access_token_type = Some(t);
        }
        if let Some(s) = self.granted_scope {
            session.granted_scope = Some(s);
        }
        if let Some(r) = self.registration {
            r.apply(session);
        }
        if let Some(u) = self.pushed_request_uri {
            session.pushed_request_uri = Some(u);
        }
        if let Some(flow) = self.device {
            session.device = Some(flow);
        }
        if let Some(polled) = self.device_poll {
            if let Some(flow) = session.device.as_mut() {
                flow.last_poll = Some(polled.at);
                if polled.slow_down {
                    flow.interval += 5;
                }
            }
            if polled.redeemed {
                session.previous_device_code = session.device.take().map(|f| f.device_code);
            }
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
    /// An earlier step had to happen first (e.g. no code to redeem yet).
    MissingState(String),
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
            Self::MissingState(why) => write!(f, "not possible yet in this session: {why}"),
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
    /// How long the client waits before sending it (a polling interval,
    /// RFC 8628 §3.5); zero: at once.
    pub send_after: std::time::Duration,
}

/// How much a check weighs, from the clause it cites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The clause says MUST / MUST NOT, or the story cannot go on: a
    /// failure fails the step.
    Must,
    /// SHOULD, RECOMMENDED or good practice: a failure is a warning.
    Should,
    /// An observation: never fails.
    Info,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "must",
            Self::Should => "should",
            Self::Info => "info",
        }
    }
}

/// One verification the RP made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check this is, whatever its text says.
    pub id: CheckId,
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub reference: String,
    pub level: Level,
}

impl Check {
    /// A failed MUST: the response is refused.
    pub fn failed(&self) -> bool {
        !self.ok && self.level == Level::Must
    }

    /// A failed SHOULD: the response is taken, with a warning.
    pub fn warned(&self) -> bool {
        !self.ok && self.level == Level::Should
    }
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

impl SeenJwt {
    /// A decoded JWT, not (yet) verified.
    pub fn decoded(
        name: &str,
        compact: &str,
        decoded: &oauth_core::jose::Unverified,
        verification: &str,
    ) -> Self {
        Self {
            name: name.to_owned(),
            compact: compact.to_owned(),
            header: decoded.header.clone(),
            claims: decoded.claims.clone(),
            verified: false,
            verification: verification.to_owned(),
        }
    }
}

/// What the RP made of a response.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub parsed: Value,
    /// The answer's JSON body as it came, when that whole body is what was
    /// parsed and `parsed` is left null: sent on as text, not copied into
    /// a second tree and written out again.
    pub parsed_text: Option<String>,
    pub checks: Vec<Check>,
    pub jwts: Vec<SeenJwt>,
    /// The OAuth error and its description, when the AS refused (an answer
    /// without a code is `http_STATUS`, an extension code).
    pub error: Option<(ErrorCode, String)>,
    /// The AS asked for something the RP now has (a DPoP nonce): send the
    /// step again, once.
    pub retry: bool,
    /// The AS's error tells the client to carry on, polling again
    /// (RFC 8628 §3.5: authorization_pending, slow_down): a normal outcome.
    pub poll_again: bool,
}

impl Parsed {
    /// A success with every MUST check passed (failed SHOULD checks are
    /// warnings and do not make it fail).
    pub fn ok(&self) -> bool {
        (self.error.is_none() || self.poll_again) && !self.checks.iter().any(Check::failed)
    }

    /// How many SHOULD checks failed.
    pub fn warnings(&self) -> usize {
        self.checks.iter().filter(|c| c.warned()).count()
    }

    /// Records a check of `level`; answers `ok`.
    pub fn check(
        &mut self,
        level: Level,
        id: CheckId,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
        reference: &str,
    ) -> bool {
        self.checks.push(Check {
            id,
            name: name.into(),
            ok,
            detail: detail.into(),
            reference: reference.to_owned(),
            level,
        });
        ok
    }

    /// A check the cited clause states as MUST / MUST NOT (or without
    /// which the story cannot go on).
    pub fn must(
        &mut self,
        id: CheckId,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
        reference: &str,
    ) -> bool {
        self.check(Level::Must, id, name, ok, detail, reference)
    }

    /// A check the cited clause states as SHOULD / RECOMMENDED, or good
    /// practice: failing it is a warning.
    pub fn should(
        &mut self,
        id: CheckId,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
        reference: &str,
    ) -> bool {
        self.check(Level::Should, id, name, ok, detail, reference)
    }

    /// An observation, always passed.
    pub fn info(
        &mut self,
        id: CheckId,
        name: impl Into<String>,
        detail: impl Into<String>,
        reference: &str,
    ) {
        self.check(Level::Info, id, name, true, detail, reference);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_should_is_a_warning_and_the_response_passes() {
        let mut parsed = Parsed::default();
        parsed.must(CheckId::TokenStatus, "status", true, "200", "RFC 6749 §5.1");
        parsed.should(
            CheckId::RefreshTokenRotated,
            "rotated",
            false,
            "no new refresh token",
            "RFC 6749 §6",
        );
        parsed.info(
            CheckId::AccessTokenFormat,
            "format",
            "opaque",
            "RFC 6749 §1.4",
        );
        assert!(parsed.ok());
        assert_eq!(parsed.warnings(), 1);
    }

    #[test]
    fn a_failed_must_fails_the_response() {
        let mut parsed = Parsed::default();
        parsed.should(
            CheckId::RefreshTokenRotated,
            "rotated",
            true,
            "rotated",
            "RFC 6749 §6",
        );
        parsed.must(
            CheckId::State,
            "state is the one sent",
            false,
            "got \"x\"",
            "RFC 6749 §10.12",
        );
        assert!(!parsed.ok());
        assert_eq!(parsed.warnings(), 0);
    }
}
