//! A story as a sequence of messages between parties, drawn by the
//! Markdown renderer (Mermaid) and the HTML renderer (SVG).
//!
//! Two views of the same record:
//! - [`protocol`]: what the standards describe — the user agent, the client
//!   (RP) and the authorization server (AS/OP). Front-channel steps (the
//!   authorization request) go through the user agent; the rest is the
//!   client talking to the server.
//! - [`wire`]: what actually travelled — the orchestrator calling the RP to
//!   prepare and parse, and the AS RPC in between.
use serde_json::Value;

use crate::runner::{Outcome, StepRecord, StoryRecord};

/// Which diagram to draw (`--diagram`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// User agent, client and server, as the standards draw them.
    #[default]
    Protocol,
    /// The orchestrator, the RP service and the AS service, as the
    /// messages travelled.
    Wire,
}

impl View {
    pub fn of(self, record: &StoryRecord) -> Sequence {
        match self {
            Self::Protocol => protocol(record),
            Self::Wire => wire(record),
        }
    }
}

/// A party on the diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    UserAgent,
    Client,
    Server,
    Orchestrator,
    Rp,
    As,
}

impl Party {
    /// A short identifier (Mermaid participant id).
    pub fn id(self) -> &'static str {
        match self {
            Self::UserAgent => "UA",
            Self::Client => "C",
            Self::Server => "S",
            Self::Orchestrator => "O",
            Self::Rp => "RP",
            Self::As => "AS",
        }
    }

    /// The name shown on the diagram.
    pub fn title(self) -> &'static str {
        match self {
            Self::UserAgent => "User-Agent",
            Self::Client => "Client (RP)",
            Self::Server => "AS / OP",
            Self::Orchestrator => "Orchestrator",
            Self::Rp => "RP service",
            Self::As => "AS service",
        }
    }
}

/// What an arrow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A request (solid arrow).
    Call,
    /// An answer (dashed arrow).
    Reply,
    /// An answer that refuses, or a refusal by the receiver (crossed arrow).
    Refusal,
    /// A note over one party (`from`), or spanning `from`..`to`.
    Note,
    /// A note that the attacker changed something (highlighted).
    Attack,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub from: Party,
    pub to: Party,
    pub kind: Kind,
    pub label: String,
}

/// A diagram: its parties, left to right, and its messages, top to bottom.
#[derive(Debug, Clone, Default)]
pub struct Sequence {
    pub parties: Vec<Party>,
    pub messages: Vec<Message>,
}

impl Sequence {
    fn push(&mut self, from: Party, to: Party, kind: Kind, label: impl Into<String>) {
        self.messages.push(Message {
            from,
            to,
            kind,
            label: label.into(),
        });
    }
}

/// Parameters worth naming on a request arrow.
const KEY_PARAMS: [&str; 8] = [
    "grant_type",
    "response_type",
    "scope",
    "token_type_hint",
    "request_uri",
    "subject_token_type",
    "audience",
    "code_challenge_method",
];

/// Response members worth naming on an answer arrow.
const KEY_FIELDS: [&str; 6] = [
    "token_type",
    "issued_token_type",
    "active",
    "request_uri",
    "client_id",
    "sub",
];

/// The endpoints a client reaches through the user agent (front channel).
fn front_channel(step: &StepRecord) -> bool {
    step.endpoint == "Authorization"
        || step.endpoint == "DeviceVerification"
        || step.endpoint == "EndSession"
}

/// A notification the server sends the client (back-channel logout).
fn back_channel(step: &StepRecord) -> bool {
    step.endpoint == crate::runner::BACKCHANNEL
}

fn path_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| url.to_owned())
}

/// At most 24 characters of a value.
pub(crate) fn short(value: &str) -> String {
    match value.char_indices().nth(24) {
        Some(_) => {
            let end = value.char_indices().nth(23).map_or(value.len(), |(i, _)| i);
            format!("{}…", &value[..end])
        }
        None => value.to_owned(),
    }
}

/// `GET /authorize (response_type=code, scope=openid)`.
pub fn request_label(step: &StepRecord) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Value::Object(params) = &*step.request.params {
        for key in KEY_PARAMS {
            if let Some(v) = params.get(key).and_then(Value::as_str) {
                parts.push(format!("{key}={}", short(v)));
            }
        }
        if let Some(object) = params.get("request").and_then(Value::as_str) {
            // The JWT the RP sent: signed, or `alg: none` (OIDC Core §6.1).
            let unsigned = object.ends_with('.');
            parts.push(if unsigned {
                "request=(unsigned request object)".into()
            } else {
                "request=(signed request object)".into()
            });
        }
    }
    if step.request.headers.contains_key("dpop") {
        parts.push("+ DPoP proof".into());
    }
    let params = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    format!(
        "{}: {} {}{params}",
        step.endpoint,
        step.request.method,
        path_of(&step.request.url)
    )
}

/// `200 (token_type=DPoP, access_token, id_token)` or `400 invalid_grant`.
pub fn response_label(step: &StepRecord) -> String {
    if let Some(error) = &step.error {
        let verdict = match &step.expected_error {
            Some(e) if *e == error.error => " — refused as expected",
            _ => "",
        };
        return format!("{} {}{verdict}", step.response.status, error.error);
    }
    let mut parts: Vec<String> = Vec::new();
    if let Value::Object(body) = &*step.response.body {
        for key in KEY_FIELDS {
            if let Some(v) = body.get(key) {
                let shown = v.as_str().map(short).unwrap_or_else(|| v.to_string());
                parts.push(format!("{key}={shown}"));
            }
        }
        for token in ["access_token", "refresh_token", "id_token"] {
            if body.contains_key(token) {
                parts.push(token.into());
            }
        }
    }
    if let Value::Object(parsed) = &*step.parsed
        && (step.response.location.is_some() || step.is_form_post())
    {
        parts.extend(
            parsed
                .keys()
                .filter(|k| *k != "state" && *k != "iss")
                .cloned(),
        );
        parts.push("state, iss".into());
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    format!("{}{detail}", step.response.status)
}

/// What the client's checks concluded, and whether that ends in a refusal.
fn verdict(step: &StepRecord) -> (bool, String) {
    let failed = step
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .count();
    let refused = step
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Refused)
        .count();
    let passed = step.checks.len() - failed - refused - step.warnings;
    match (&step.error, &step.expected_error, &step.expected_refusal) {
        (Some(_), Some(_), _) if step.ok => (false, "refused as expected".to_owned()),
        (None, _, Some(check)) if step.ok => (true, format!("refused as expected: {check}")),
        _ if failed > 0 => (
            true,
            format!("{failed} of {} checks FAILED", step.checks.len()),
        ),
        _ if step.warnings > 0 => (
            false,
            format!("{passed} checks passed, {} warned", step.warnings),
        ),
        _ => (false, format!("{passed} checks passed")),
    }
}

/// The story in protocol terms: user agent, client, server.
pub fn protocol(record: &StoryRecord) -> Sequence {
    let browser = record.steps.iter().any(front_channel);
    let mut seq = Sequence {
        parties: if browser {
            vec![Party::UserAgent, Party::Client, Party::Server]
        } else {
            vec![Party::Client, Party::Server]
        },
        messages: Vec::new(),
    };
    let (ua, c, s) = (Party::UserAgent, Party::Client, Party::Server);
    for step in &record.steps {
        let answer = if step.error.is_some() {
            Kind::Refusal
        } else {
            Kind::Reply
        };
        if back_channel(step) {
            seq.push(s, c, Kind::Call, request_label(step));
            if let Some(t) = &step.tampered {
                seq.push(s, c, Kind::Attack, format!("attacker: {}", t.what));
            }
            let (refused, text) = verdict(step);
            seq.push(c, c, if refused { Kind::Refusal } else { Kind::Note }, text);
            seq.push(c, s, Kind::Reply, step.response.status.to_string());
            if !step.ok {
                seq.push(c, s, Kind::Note, "the story stops here");
            }
            continue;
        }
        if front_channel(step) {
            // RFC 8628 §3.3: the device shows the code; the user takes it
            // to a browser elsewhere, no redirect involved.
            let how = match step.endpoint.as_str() {
                "DeviceVerification" => "shows the user code and where to enter it",
                "EndSession" => "redirect to the end_session endpoint",
                _ => "redirect to the authorization endpoint",
            };
            seq.push(c, ua, Kind::Call, how);
            seq.push(ua, s, Kind::Call, request_label(step));
            seq.push(s, ua, answer, response_label(step));
            if let Some(t) = &step.tampered {
                seq.push(ua, ua, Kind::Attack, format!("attacker: {}", t.what));
            }
            if step.response.location.is_some() {
                seq.push(ua, c, Kind::Call, "follows the redirect to the client");
            } else if step.is_form_post() {
                seq.push(ua, c, Kind::Call, "posts the form to the client");
            }
        } else {
            seq.push(c, s, Kind::Call, request_label(step));
            seq.push(s, c, answer, response_label(step));
            if let Some(t) = &step.tampered {
                seq.push(s, c, Kind::Attack, format!("attacker: {}", t.what));
            }
        }
        let (refused, text) = verdict(step);
        seq.push(c, c, if refused { Kind::Refusal } else { Kind::Note }, text);
        if !step.ok {
            seq.push(c, s, Kind::Note, "the story stops here");
        }
    }
    seq
}

/// The story as it travelled: orchestrator, RP service, AS service, with
/// the RP calls the runner made: one `Advance` between two AS calls (it
/// parses a step's answer and prepares the next request; the first opens
/// the session, the last forgets it), or PrepareRequest and ParseResponse.
pub fn wire(record: &StoryRecord) -> Sequence {
    let (o, rp, as_) = (Party::Orchestrator, Party::Rp, Party::As);
    let mut seq = Sequence {
        parties: vec![o, rp, as_],
        messages: Vec::new(),
    };
    let steps = &record.steps;
    for (i, step) in steps.iter().enumerate() {
        let back = back_channel(step);
        if let Some(call) = &step.prepared_by {
            seq.push(o, rp, Kind::Call, call.clone());
            seq.push(rp, o, Kind::Reply, format!("request for {}", step.endpoint));
        }
        if back {
            // The AS's end_session answer carried it; the orchestrator
            // hands it to the RP as an inbound request.
            let call = format!("{} · inbound: {}", step.parsed_by, request_label(step));
            seq.push(o, rp, Kind::Call, call);
            if let Some(t) = &step.tampered {
                seq.push(o, rp, Kind::Attack, format!("attacker: {}", t.what));
            }
        } else {
            seq.push(o, as_, Kind::Call, request_label(step));
            let answer = if step.error.is_some() {
                Kind::Refusal
            } else {
                Kind::Reply
            };
            seq.push(as_, o, answer, response_label(step));
            if let Some(t) = &step.tampered {
                seq.push(o, as_, Kind::Attack, format!("attacker: {}", t.what));
            }
            seq.push(o, rp, Kind::Call, step.parsed_by.clone());
        }
        let (refused, mut text) = verdict(step);
        // The next request came back with this answer's parse.
        if let Some(next) = steps
            .get(i + 1)
            .filter(|n| n.prepared_by.is_none() && !back_channel(n))
        {
            text = format!("{text} · request for {}", next.endpoint);
        }
        seq.push(
            rp,
            o,
            if refused { Kind::Refusal } else { Kind::Reply },
            text,
        );
        if !step.ok {
            let (from, to) = if back { (rp, o) } else { (o, as_) };
            seq.push(from, to, Kind::Note, "the story stops here");
        }
    }
    seq
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        assert_eq!(short("short"), "short");
        let cut = short("ééééééééééééééééééééééééééééé");
        assert_eq!(cut.chars().count(), 24);
        assert!(cut.ends_with('…'));
    }
}
