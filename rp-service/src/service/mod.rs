//! The client services: each builds one kind of request (with client
//! authentication where the endpoint needs it) and parses and verifies the
//! answer, saying what it checked. Transport-free: HTTP messages in and out.
//!
//! This module only dispatches a step to its service. What the services
//! share lives in leaves they import (never this module): [`registry`]
//! (the services and their arguments), [`outcome`] (checks, staged
//! changes, step errors), [`client_auth`] (endpoint URLs, client
//! authentication, DPoP), [`response`] (reading answers) and [`check_id`]
//! (the checks' stable ids).
pub mod access_token;
pub mod authorization;
pub mod authorization_refusal;
pub mod authorization_request;
pub mod backchannel;
pub mod check_id;
pub mod claim_checks;
pub mod client_auth;
pub mod details;
pub mod device;
pub mod discovery;
pub mod end_session;
pub mod form_post;
pub mod id_token;
pub mod id_token_refresh;
pub mod introspection;
pub mod jarm;
pub mod jwks;
pub mod jwt_bearer;
pub mod login_checks;
pub mod outcome;
pub mod par;
pub mod registration;
pub mod registry;
pub mod resource;
pub mod response;
pub mod response_mode;
pub mod revocation;
#[cfg(test)]
mod tests;
pub mod token;
pub mod userinfo;
pub mod variation;

use std::collections::BTreeMap;

use oauth_core::error::ErrorCode;
use oauth_core::form;
use oauth_core::http::HttpResponse;

use crate::RelyingParty;
use crate::session::{Pending, Session};

pub use check_id::CheckId;
pub use outcome::{Check, Level, Parsed, Prepared, SeenJwt, Staged, StepError};
pub use registry::{AsEndpoint, ClientService};
use response::{json_body, keep_dpop_nonce, show_sent_jwts, within_limits};
pub use variation::{Variation, Variations};

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
    // What an attack story changes, typed once; the builders read no
    // attack argument's string.
    let vary = &Variations::parse(service, args)?;
    let send_after = match service {
        ClientService::DeviceToken => device::send_after(rp, session, vary),
        // A pause the story asks for before this request (a login older
        // than max_age, a code redeemed again 30 s later): the client waits.
        _ => match client_auth::arg(args, "wait") {
            Some(ms) => std::time::Duration::from_millis(ms.parse().map_err(|_| {
                StepError::BadArgument(format!("wait {ms:?}: a number of milliseconds"))
            })?),
            None => std::time::Duration::ZERO,
        },
    };
    let request = match service {
        ClientService::DeviceAuthorization => {
            device::authorization_request(rp, session, args, vary)?
        }
        ClientService::DeviceUser => device::user_request(session, vary)?,
        ClientService::DeviceToken => device::token_request(rp, session, args, vary)?,
        ClientService::ServerMetadata => discovery::request(rp, discovery::OAUTH)?,
        ClientService::ProviderInfo => discovery::request(rp, discovery::OPENID)?,
        ClientService::Userinfo => userinfo::request(rp, session, args, vary)?,
        ClientService::Registration => registration::request(rp, session, args, vary)?,
        ClientService::PushedAuthorization => par::request(rp, session, args, vary)?,
        ClientService::Jwks => jwks::request(rp, session)?,
        ClientService::Authorization => authorization::request(rp, session, args, vary)?,
        ClientService::Introspection => introspection::request(rp, session, args)?,
        ClientService::TokenRevocation => revocation::request(rp, session, args)?,
        ClientService::EndSession => end_session::request(rp, session, args)?,
        // The OP sends this one; the RP only receives it.
        ClientService::BackchannelLogout => {
            return Err(StepError::MissingState(
                "backchannel_logout is a notification the OP sends: deliver it (inbound), there is nothing to prepare".into(),
            ));
        }
        ClientService::ClientCredentials
        | ClientService::JwtBearer
        | ClientService::ResourceOwnerPasswordCredentials
        | ClientService::AccessToken
        | ClientService::RefreshToken
        | ClientService::TokenExchange => token::request(rp, session, service, args, vary)?,
    };
    // The parameters sent, to check the answer against: the form body, or
    // the query of a GET. The RP wrote them itself, so they parse.
    let sent = if request.body.is_empty() {
        request.url.query().unwrap_or("")
    } else {
        &request.body
    };
    if let Some(proof) = request.header("dpop") {
        session.last_dpop_proof = Some(proof.to_owned());
    }
    let params = form::parse(sent).unwrap_or_default();
    let authenticated = request.header("authorization").is_some()
        || params.get("client_secret").is_some()
        || params.get("client_assertion").is_some();
    session.pending = Some(Pending {
        service,
        authenticated,
        params,
        args: args.clone(),
        body: request.body.clone(),
        dpop: request.header("dpop").map(str::to_owned),
    });
    Ok(Prepared {
        endpoint: service.endpoint(),
        request,
        send_after,
    })
}

/// Takes a request the OP sent the RP (delivered by the caller): a
/// back-channel logout notification. No prepared request is involved.
pub fn receive(
    rp: &RelyingParty,
    session: &mut Session,
    service: ClientService,
    request: &oauth_core::http::HttpRequest,
) -> Result<Parsed, StepError> {
    match service {
        ClientService::BackchannelLogout => Ok(backchannel::receive(rp, session, request)),
        other => Err(StepError::BadArgument(format!(
            "{other} answers a request the RP prepared; only backchannel_logout takes an inbound request"
        ))),
    }
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
    show_sent_jwts(&pending, &mut parsed);
    keep_dpop_nonce(response, session);
    if !within_limits(response, &mut parsed) {
        return Ok(parsed);
    }
    let mut staged = Staged::default();
    verify(
        rp,
        session,
        service,
        &pending,
        response,
        &mut parsed,
        &mut staged,
    );
    // Nothing from a response reaches the session unless all of it passed.
    if parsed.ok() {
        staged.commit(session);
    }
    Ok(parsed)
}

/// Checks a response, staging what it would change in the session.
fn verify(
    rp: &RelyingParty,
    session: &Session,
    service: ClientService,
    pending: &Pending,
    response: &HttpResponse,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    match service {
        // Answers that are not a JSON document.
        ClientService::Authorization => {
            authorization::verify(rp, session, response, parsed, staged);
            return;
        }
        ClientService::TokenRevocation if response.status == 200 => {
            revocation::verify(pending, response, parsed);
            return;
        }
        // A page for the person at the verification URI, or (202) the step
        // handed to a person's own browser.
        ClientService::DeviceUser if matches!(response.status, 200 | 202) => {
            device::verify_user(response, parsed);
            return;
        }
        ClientService::EndSession if matches!(response.status, 200 | 302 | 303) => {
            end_session::verify(pending, response, parsed);
            return;
        }
        _ => {}
    }
    let reference = service.response_standard();
    // An error asking for a DPoP nonce is worth exactly one retry (RFC 9449 §8).
    let Some(body) = json_body(response, reference, parsed) else {
        if parsed
            .error
            .as_ref()
            .is_some_and(|(e, _)| *e == ErrorCode::UseDpopNonce)
            && response.headers.contains_key("dpop-nonce")
        {
            parsed.retry = true;
        }
        if service == ClientService::DeviceToken {
            device::verify_poll_error(rp, session, parsed, staged);
        }
        return;
    };
    match service {
        ClientService::ServerMetadata | ClientService::ProviderInfo => {
            discovery::verify(rp, service, body, parsed, staged)
        }
        ClientService::Userinfo => userinfo::verify(session, pending, body, parsed),
        ClientService::Registration => {
            registration::verify(session, pending, response, body, parsed, staged)
        }
        ClientService::PushedAuthorization => par::verify(response, body, parsed, staged),
        ClientService::DeviceAuthorization => {
            device::verify_authorization(rp, pending, response, &body, parsed, staged)
        }
        ClientService::DeviceToken => {
            token::verify(rp, session, pending, response, body, parsed, staged);
            device::redeemed(rp, staged);
        }
        ClientService::Jwks => jwks::verify(body, parsed, staged),
        ClientService::Introspection => introspection::verify(rp, session, pending, body, parsed),
        s if s.is_token_request() => {
            token::verify(rp, session, pending, response, body, parsed, staged)
        }
        _ => {}
    }
}
