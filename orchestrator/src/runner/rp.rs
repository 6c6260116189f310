//! The runner's side of one RP session: how a story's steps reach the RP,
//! in one call between two AS calls (`Advance`) or in separate calls.
use oidc_story_proto::v1::relying_party_client::RelyingPartyClient;
use oidc_story_proto::v1::{
    AdvanceRequest, EndSessionRequest, ParseResponseRequest, ParsedResponse, PrepareRequestRequest,
    PreparedRequest, StartSessionRequest,
};
use tonic::transport::Channel;

use rp_service::service::registry::ClientService;

use crate::catalog::{Step, Story};
use crate::fault::StoryFault;
use crate::services::Services;

/// How the runner calls the RP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RpCalls {
    /// One `Advance` call between two AS calls: it parses one step's
    /// answer and prepares the next step's request; the first opens the
    /// session and the last forgets it. N + 1 RP calls for N steps.
    #[default]
    Advance,
    /// StartSession, then PrepareRequest and ParseResponse for each step,
    /// then EndSession: 2N + 2 RP calls, each request prepared just before
    /// it is sent (step-by-step mode, where a person may pause for long
    /// between two steps and a proof made ahead would grow stale).
    Separate,
}

/// An open RP session and, in `Advance` mode, the next step's request the
/// RP already prepared.
pub(super) struct RpSession<'s> {
    services: &'s Services,
    rp: RelyingPartyClient<Channel>,
    pub(super) id: String,
    calls: RpCalls,
    /// The next step's request (or why it could not be made), prepared
    /// with the last answer's parse.
    ahead: Option<Result<PreparedRequest, String>>,
    /// The call that opened the session, when it also prepared the first
    /// request (named once, with that step).
    opened_with: Option<String>,
    /// The RP still holds the session (not yet forgotten).
    open: bool,
    /// What the story is, for its steps' arguments.
    kind: Kind,
}

/// What a story is, for the arguments its steps are sent with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Kind {
    /// An OpenID Connect story ([`is_openid`]).
    openid: bool,
    /// It registers a client of its own (dynamic registration): its steps
    /// authenticate as that client, not the user's.
    registers: bool,
}

impl Kind {
    pub(super) fn of(story: &Story) -> Self {
        Self {
            openid: is_openid(story),
            registers: story
                .steps
                .iter()
                .any(|s| s.service == ClientService::Registration),
        }
    }
}

/// What the RP is asked to prepare for `step` of a story of that kind.
pub(super) fn prepare_args(
    services: &Services,
    session_id: &str,
    step: &Step,
    kind: Kind,
) -> PrepareRequestRequest {
    // An attack step's arguments are the attack: the client's own
    // authentication method never replaces the one it sends (none, or a
    // downgrade), else the provider would be blamed for a request that
    // was legitimate after all.
    let as_written = kind.registers || step.attack != crate::catalog::Attack::None;
    let mut args: std::collections::BTreeMap<String, String> = step
        .args
        .iter()
        .filter_map(|(k, v)| Some(((*k).to_owned(), services.argument(k, v, as_written)?)))
        .collect();
    if let Some(scope) = services.default_scope(step.service, kind.openid)
        && !args.contains_key("scope")
    {
        args.insert("scope".to_owned(), scope);
    }
    PrepareRequestRequest {
        session_id: session_id.to_owned(),
        service: step.service.name().to_owned(),
        args,
    }
}

/// Whether a story is an OpenID Connect one: it reads the OP's
/// configuration, asks for `openid`, or uses what only an OP offers.
pub(super) fn is_openid(story: &Story) -> bool {
    story.steps.iter().any(|s| {
        matches!(
            s.service,
            ClientService::ProviderInfo
                | ClientService::Userinfo
                | ClientService::EndSession
                | ClientService::BackchannelLogout
        ) || s
            .args
            .iter()
            .any(|(k, v)| *k == "scope" && v.split(' ').any(|t| t == "openid"))
    })
}

impl<'s> RpSession<'s> {
    /// Opens the session for the story's profile; in `Advance` mode the
    /// same call prepares `first`, the story's first request.
    pub(super) async fn open(
        services: &'s Services,
        story: &Story,
        calls: RpCalls,
        first: Option<&Step>,
    ) -> Result<RpSession<'s>, StoryFault> {
        let kind = Kind::of(story);
        let mut rp = services.relying_party.clone();
        services.count_call();
        let start = |s: tonic::Status| StoryFault::StartSession(s.message().to_owned());
        let (id, ahead) = match calls {
            RpCalls::Separate => {
                let id = rp
                    .start_session(StartSessionRequest {
                        profile: story.profile.to_owned(),
                    })
                    .await
                    .map_err(start)?
                    .into_inner()
                    .session_id;
                (id, None)
            }
            RpCalls::Advance => {
                let answer = rp
                    .advance(AdvanceRequest {
                        start_profile: story.profile.to_owned(),
                        prepare: first.map(|step| prepare_args(services, "", step, kind)),
                        ..Default::default()
                    })
                    .await
                    .map_err(start)?
                    .into_inner();
                let ahead = first.map(|_| prepared(answer.prepared, answer.prepare_error));
                (answer.session_id, ahead)
            }
        };
        let opened_with = match (calls, first) {
            (RpCalls::Advance, Some(step)) => {
                Some(format!("Advance(open session, prepare {})", step.service))
            }
            _ => None,
        };
        Ok(RpSession {
            services,
            rp,
            id,
            calls,
            ahead,
            opened_with,
            open: true,
            kind,
        })
    }

    /// The request of `step`: the one prepared ahead, else one prepared now;
    /// and the RP call that made it, when it was a call of its own.
    pub(super) async fn prepare(
        &mut self,
        step: &Step,
    ) -> Result<(PreparedRequest, Option<String>), StoryFault> {
        let fault = |message: String| StoryFault::Prepare {
            service: step.service,
            message,
        };
        if let Some(ahead) = self.ahead.take() {
            let call = self.opened_with.take();
            return ahead.map_err(fault).map(|p| (p, call));
        }
        self.services.count_call();
        let prepared = self
            .rp
            .prepare_request(prepare_args(self.services, &self.id, step, self.kind))
            .await
            .map_err(|s| fault(s.message().to_owned()))?
            .into_inner();
        Ok((prepared, Some(format!("PrepareRequest({})", step.service))))
    }

    /// Hands the RP the answer to `step` (or what the OP sent it); in
    /// `Advance` mode the same call prepares `next` and, after the story's
    /// `last` step, forgets the session. Returns the parse and the call
    /// made, as the wire diagram names it.
    pub(super) async fn parse(
        &mut self,
        step: &Step,
        mut parse: ParseResponseRequest,
        next: Option<&Step>,
        last: bool,
    ) -> Result<(ParsedResponse, String), StoryFault> {
        let fault = |s: tonic::Status| StoryFault::Parse {
            service: step.service,
            message: s.message().to_owned(),
        };
        self.services.count_call();
        let what = step.service.name();
        if self.calls == RpCalls::Separate {
            parse.session_id = self.id.clone();
            let parsed = self
                .rp
                .parse_response(parse)
                .await
                .map_err(fault)?
                .into_inner();
            return Ok((parsed, format!("ParseResponse({what})")));
        }
        let call = match (next, last) {
            (Some(next), _) => format!("Advance(parse {what}, prepare {})", next.service),
            (None, true) => format!("Advance(parse {what}, end session)"),
            (None, false) => format!("Advance(parse {what})"),
        };
        let answer = self
            .rp
            .advance(AdvanceRequest {
                session_id: self.id.clone(),
                start_profile: String::new(),
                parse: Some(parse),
                prepare: next.map(|step| prepare_args(self.services, "", step, self.kind)),
                end_session: last,
            })
            .await;
        if last {
            // Forgotten whatever the outcome, unless the step is to be sent
            // once more (see the contract).
            self.open = false;
        }
        let answer = answer.map_err(fault)?.into_inner();
        let parsed = answer.parsed.unwrap_or_default();
        if parsed.retry {
            self.open = true;
        } else if next.is_some() {
            self.ahead = Some(prepared(answer.prepared, answer.prepare_error));
        }
        Ok((parsed, call))
    }

    /// Forgets the session if the RP still holds it (a story that stopped
    /// early, or one run in separate calls).
    pub(super) async fn close(mut self) {
        if self.open {
            self.services.count_call();
            let _ = self
                .rp
                .end_session(EndSessionRequest {
                    session_id: std::mem::take(&mut self.id),
                })
                .await;
        }
    }
}

fn prepared(prepared: Option<PreparedRequest>, error: String) -> Result<PreparedRequest, String> {
    match prepared {
        Some(p) => Ok(p),
        None if error.is_empty() => Err("the RP prepared no request".to_owned()),
        None => Err(error),
    }
}
