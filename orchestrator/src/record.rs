//! What a run records: each story, its steps, what crossed the wire, the
//! RP's checks with their level and outcome, the JWTs seen, the attacker's
//! changes. The renderers and the summary read these.
use std::collections::BTreeMap;

use oidc_story_proto::v1::CheckLevel;
use serde::Serialize;

use crate::catalog::Kind;

mod json;
pub use json::Json;

/// The transcript of one story.
#[derive(Debug, Clone, Serialize)]
pub struct StoryRecord {
    pub story: String,
    /// Who the story tests: `usage`, `provider` (an attack the provider
    /// must refuse) or `client` (one our client must refuse).
    pub kind: Kind,
    pub ok: bool,
    /// Failed SHOULD checks: the story passed, with these warnings.
    pub warnings: usize,
    /// How long the story took, for the run's summary.
    #[serde(skip)]
    pub elapsed: std::time::Duration,
    /// The story crossed real HTTP to a server (`--issuer`): its requests'
    /// URLs are that server's; otherwise they are the configured issuer's,
    /// carried over gRPC, and may name a host nobody serves.
    #[serde(skip)]
    pub over_http: bool,
    /// Why the story stopped, when it did not run to the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the story was not run at all (the server does not offer what it
    /// needs); a skipped story neither passes nor fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// How a story that stopped ended, when that was no fault of either
    /// side: a provider's lawful refusal, or a person's part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ending: Option<Ending>,
    pub steps: Vec<StepRecord>,
}

/// A story stopped before its end without a MUST broken or a fault of ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ending {
    /// A server the project does not run answered a legitimate request with
    /// an OAuth error it is entitled to give (its policy: a client not
    /// allowed the grant, a scope refused, PKCE required, …).
    RefusedByServer {
        /// Counts from 1.
        step: usize,
        service: String,
        error: String,
        description: String,
        /// The clause the answer's form broke, if any (e.g. an error in
        /// the query where the fragment was due).
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A person's part (a login, a user code) that could not be automated.
    NeedsBrowser {
        step: usize,
        service: String,
        what: String,
    },
    /// The provider let an attack through: the legitimate flow before it
    /// (the control) went through, and the attacker's step was answered
    /// as if it were legitimate.
    NotRefused(NotRefused),
    /// The run was cut short during the story (Ctrl-C, or `q` at a
    /// `--step` pause): the steps before `step` ran.
    Interrupted { step: usize, why: String },
    /// The attack could not be made: the provider's earlier (legitimate)
    /// answers lack what it replays, e.g. no new refresh token to make the
    /// old one spent.
    Inconclusive {
        step: usize,
        service: String,
        why: String,
    },
}

/// An attack the provider did not refuse: what was sent, what came back,
/// and the clause it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotRefused {
    /// Counts from 1.
    pub step: usize,
    pub service: String,
    /// The request the attacker sent: method and URL.
    pub sent: String,
    /// The answer's status.
    pub status: u32,
    /// The refusal due (an OAuth error), or the RP's checks that the
    /// answer broke.
    pub expected: String,
    pub clause: String,
}

impl StoryRecord {
    /// How many attacks whose refusal a SHOULD asks for the provider let
    /// through: the orchestrator's verdicts on them, failed.
    pub fn should_not_met(&self) -> usize {
        self.steps
            .iter()
            .flat_map(|s| &s.checks)
            .filter(|c| c.id == VERDICT && c.level == Level::Should && !c.ok)
            .count()
    }

    /// A story not run, and why; its kind read from the catalog (a story
    /// not in it counts as a usage story).
    pub fn skipped(story: &str, why: impl Into<String>) -> Self {
        Self {
            story: story.to_owned(),
            kind: crate::catalog::find(story).map_or(Kind::Usage, crate::catalog::Story::kind),
            ok: true,
            warnings: 0,
            elapsed: std::time::Duration::ZERO,
            over_http: false,
            error: None,
            skipped: Some(why.into()),
            ending: None,
            steps: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// How long the step took (its AS call and its calls to the RP), for
    /// benchmarks.
    #[serde(skip)]
    pub elapsed: std::time::Duration,
    pub service: String,
    pub endpoint: String,
    pub request: RequestRecord,
    pub response: ResponseRecord,
    pub parsed: Json,
    pub checks: Vec<CheckRecord>,
    pub jwts: Vec<JwtRecord>,
    /// The OAuth error the AS answered with, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorRecord>,
    /// The error the story expected here (a refusal it shows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_error: Option<String>,
    /// The RP check the story expected to fail here (an attack the RP refuses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_refusal: Option<String>,
    /// What an attacker changed in the answer before the RP read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tampered: Option<TamperRecord>,
    /// The server's login, walked as a browser would (`--login`): each
    /// request and its answer, between the request above and the response.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub login: Vec<LoginHop>,
    pub ok: bool,
    /// Failed SHOULD checks in this step.
    pub warnings: usize,
    /// The RP asked for this step to be sent once more (a DPoP nonce,
    /// RFC 9449 §8): the next record is the same step again.
    #[serde(skip)]
    pub sent_again: bool,
    /// The RP call that made this step's request, when it was a call of
    /// its own (else it came with the call that took the step before).
    #[serde(skip)]
    pub prepared_by: Option<String>,
    /// The RP call that took this step's answer (for the wire diagram).
    #[serde(skip)]
    pub parsed_by: String,
}

/// One request of a walked login and its answer. A form's values are not
/// kept, only the names of the fields sent (a password among them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginHop {
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    pub status: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub location: String,
}

impl StepRecord {
    /// Whether the answer is a page posting the response to the client (OAuth
    /// 2.0 Form Post Response Mode §2): an HTML page the RP read fields from.
    pub fn is_form_post(&self) -> bool {
        self.endpoint == "Authorization"
            && self.response.status == 200
            && self
                .response
                .headers
                .get("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
            && self.parsed.is_object()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// Form or query parameters, as JSON.
    pub params: Json,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResponseRecord {
    pub status: u32,
    pub headers: BTreeMap<String, String>,
    /// The body as JSON (or as a string when it is not JSON).
    pub body: Json,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckRecord {
    /// The check's stable id (`CheckId`), e.g. `id_token.nonce`; empty from
    /// an RP without ids. Not rendered: transcripts show the text.
    #[serde(skip)]
    pub id: String,
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub reference: String,
    /// must, should or info: what a failure weighs.
    pub level: Level,
    /// What the check came to in its story.
    pub outcome: Outcome,
}

/// The id of the orchestrator's verdict on an attack step.
pub const VERDICT: &str = "attack.refused";
/// The id of its note on a refusal's error code, where the clause names
/// another (a SHOULD: the refusal held).
pub const REFUSAL_ERROR: &str = "attack.refusal_error";
/// The id of its note that guessing stopped at the provider's throttle.
pub const THROTTLED: &str = "attack.throttled";

/// A check's weight, from the clause it cites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Must,
    Should,
    Info,
}

impl Level {
    /// An RP that sends no level (one older than levels) means MUST.
    pub(crate) fn from_proto(level: i32) -> Self {
        match CheckLevel::try_from(level) {
            Ok(CheckLevel::Should) => Self::Should,
            Ok(CheckLevel::Info) => Self::Info,
            _ => Self::Must,
        }
    }
}

/// What a check came to: `failed` is a real failure only; a failed MUST
/// that an attack story expected is the defence that held (`refused`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Info,
    /// A failed SHOULD: the step passes with a warning.
    Warning,
    /// A failed MUST in a step whose refusal the story expected.
    Refused,
    Failed,
}

impl CheckRecord {
    /// The orchestrator's own verdict on an attack step: did the provider
    /// refuse it, as its clause says.
    pub(crate) fn verdict(
        id: &str,
        level: Level,
        name: &str,
        ok: bool,
        detail: String,
        reference: &str,
    ) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            ok,
            detail,
            reference: reference.to_owned(),
            level,
            outcome: match (ok, level) {
                (true, _) => Outcome::Passed,
                (false, Level::Must) => Outcome::Failed,
                (false, _) => Outcome::Warning,
            },
        }
    }

    pub(crate) fn new(check: oidc_story_proto::v1::Check, refusal_expected: bool) -> Self {
        let level = Level::from_proto(check.level);
        let outcome = match (check.ok, level) {
            (true, Level::Info) => Outcome::Info,
            (true, _) => Outcome::Passed,
            (false, Level::Info) => Outcome::Info,
            // What failed in a step whose refusal was expected caught the
            // attack, whatever its weight.
            (false, Level::Must | Level::Should) if refusal_expected => Outcome::Refused,
            (false, Level::Should) => Outcome::Warning,
            (false, Level::Must) => Outcome::Failed,
        };
        Self {
            id: check.id,
            name: check.name,
            ok: check.ok,
            detail: check.detail,
            reference: check.reference,
            level,
            outcome,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct JwtRecord {
    pub name: String,
    pub compact: String,
    pub header: Json,
    pub claims: Json,
    pub verified: bool,
    pub verification: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TamperRecord {
    pub what: String,
    /// The redirect as the RP received it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The page as the RP received it, when the attacker changed the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorRecord {
    pub error: String,
    pub error_description: String,
}
