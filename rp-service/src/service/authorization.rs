//! The authorization request (RFC 6749 §4.1.1) with `state` and PKCE
//! (RFC 7636 §4.1-4.3), and its response, read from the redirect: state
//! (RFC 6749 §4.1.2, RFC 9700 §4.7), `iss` (RFC 9207 §2.4) and the code.
use std::collections::BTreeMap;

use oauth_core::error::ErrorCode;
use oauth_core::form::{self, Params};
use oauth_core::http::{HttpRequest, HttpResponse};
use url::Url;

use crate::RelyingParty;
use crate::service::authorization_refusal::{
    judge_unsigned_refusal, not_to_unregistered, own_redirect_uri, without_query,
};
use crate::service::authorization_request::{parameters, request_object, unsigned_request_object};
use crate::service::check_id::CheckId;
use crate::service::client_auth::{arg, endpoint_url};
use crate::service::outcome::{Parsed, Staged, StepError};
use crate::service::registry::AsEndpoint;
use crate::service::response::record_error;
use crate::service::response_mode::{Carrier, ResponseMode};
use crate::service::variation::{Variation, Variations, vary_request_object};
use crate::service::{form_post, id_token, jarm};
use crate::session::{AuthorizationState, SentAs, Session};

/// The authorization request: plain query parameters, a signed request
/// object (`jar=value`, RFC 9101), or the request_uri of a pushed request
/// (after a pushed_authorization step, RFC 9126 §4).
pub fn request(
    rp: &RelyingParty,
    session: &mut Session,
    args: &BTreeMap<String, String>,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
    let mut url = Url::parse(endpoint_url(rp, session, AsEndpoint::Authorization)?)
        .map_err(|e| StepError::BadArgument(format!("authorization endpoint: {e}")))?;
    let pushed = if vary.has(&Variation::PreviousRequestUri) {
        Some(
            session
                .previous_request_uri
                .clone()
                .ok_or_else(|| StepError::MissingState("no request_uri was used before".into()))?,
        )
    } else {
        session.pushed_request_uri.take()
    };
    if let Some(request_uri) = pushed {
        if args.keys().any(|k| k != "request_uri" && k != "client") {
            return Err(StepError::BadArgument(
                "the request was pushed: its parameters cannot change now".into(),
            ));
        }
        session.previous_request_uri = Some(request_uri.clone());
        let client_id = match vary.client() {
            None => session.profile.client_id.clone(),
            Some(name) => rp
                .config
                .profiles
                .get(name)
                .map(|p| p.client_id.clone())
                .ok_or_else(|| {
                    StepError::BadArgument(format!("client {name:?}: no such profile"))
                })?,
        };
        if let Some(sent) = session.authorization.as_mut() {
            sent.sent_as = SentAs::Pushed;
        }
        url.query_pairs_mut()
            .append_pair("client_id", &client_id)
            .append_pair("request_uri", &request_uri);
    } else {
        let params = parameters(session, args, vary)?;
        match arg(args, "jar") {
            None => {
                url.query_pairs_mut()
                    .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
            }
            Some(kind @ ("value" | "unsigned")) => {
                let (mut object, sent_as) = if kind == "unsigned" {
                    let object = unsigned_request_object(rp, session, &params);
                    (object, SentAs::UnsignedRequestObject)
                } else {
                    (request_object(rp, session, &params)?, SentAs::RequestObject)
                };
                if let Some(variation) = vary.request_object() {
                    object = vary_request_object(variation, &object)?;
                }
                if let Some(sent) = session.authorization.as_mut() {
                    sent.sent_as = sent_as;
                }
                // OIDC Core §6.1: response_type and client_id, and scope
                // when it has openid, are also sent as plain parameters, so
                // that the request is a valid OAuth request; the AS uses
                // the object's values only (RFC 9101 §5).
                let mut query = url.query_pairs_mut();
                for (name, value) in &params {
                    let repeated = match *name {
                        "response_type" | "client_id" => true,
                        "scope" => value.split(' ').any(|t| t == "openid"),
                        _ => false,
                    };
                    if repeated {
                        query.append_pair(name, value);
                    }
                }
                query.append_pair("request", &object);
                drop(query);
            }
            Some(other) => {
                return Err(StepError::BadArgument(format!(
                    "jar {other:?}: use value or unsigned (by reference: push it with pushed_authorization)"
                )));
            }
        }
    }
    HttpRequest::new("GET", url.as_str(), [], "").map_err(|e| StepError::BadArgument(e.to_string()))
}

/// Reads the authorization response: out of the redirect location, or the
/// form of a form post page, and out of the response JWT when one was
/// asked for (JARM). The code and the ID token's identity are staged: a
/// response that fails the state or iss check (CSRF, mix-up, RFC 9700
/// §4.4, §4.7) or any other check is not this session's, and leaves it as
/// it was.
pub fn verify(
    rp: &RelyingParty,
    session: &Session,
    response: &HttpResponse,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    let Some(sent) = session.authorization.clone() else {
        parsed.must(
            CheckId::AuthorizationInFlight,
            "an authorization request is in flight",
            false,
            "none",
            "RFC 6749 §4.1.2",
        );
        return;
    };
    let mode = sent
        .response_mode
        .unwrap_or_else(|| ResponseMode::default_for(&sent.response_type));
    let redirected = matches!(response.status, 302 | 303);
    let posted = response.status == 200 && mode.carrier == Carrier::FormPost;
    if !redirected && !posted {
        // Errors about the client or redirect URI come back to the caller,
        // not by redirect (RFC 6749 §4.1.2.1).
        let body = serde_json::from_str(&response.body).ok();
        record_error(response, body, parsed);
        not_to_unregistered(&sent, None, response.status, parsed);
        judge_unsigned_refusal(session, &sent, parsed);
        return;
    }
    // Where the answer sends the user agent: the redirect's target; a form
    // post page is taken as posting to the URI asked (`form_post` reads
    // its action).
    let target = if redirected {
        location_of(response).map(without_query)
    } else {
        Some(sent.redirect_uri.clone())
    };
    if !not_to_unregistered(&sent, target.as_deref(), response.status, parsed) {
        return;
    }
    if sent.response_mode.is_some()
        && !parsed.must(
            CheckId::AuthorizationResponseMode,
            "the response comes in the mode asked for",
            redirected != (mode.carrier == Carrier::FormPost),
            if redirected {
                "a redirect"
            } else {
                "a form post page"
            },
            "OAuth 2.0 Multiple Response Types §2.1",
        )
    {
        return;
    }
    let own = own_redirect_uri(session, &sent);
    let params = if posted {
        form_post::read(response, own, parsed)
    } else {
        redirect_params(response, own, mode.carrier, parsed)
    };
    let Some(params) = params else {
        return;
    };
    let params = if mode.jwt {
        match jarm::unwrap(rp, session, &params, parsed) {
            Some(inner) => inner,
            None => return,
        }
    } else {
        params
    };
    check_params(rp, session, &sent, &params, parsed, staged);
}

/// The redirect's location, however the answer carries it.
fn location_of(response: &HttpResponse) -> Option<&str> {
    response
        .location
        .as_deref()
        .or_else(|| response.headers.get("location").map(String::as_str))
}

/// The parameters in a redirect's query or fragment, after checking it
/// goes to our redirect URI (`own`).
fn redirect_params(
    response: &HttpResponse,
    own: &str,
    carrier: Carrier,
    parsed: &mut Parsed,
) -> Option<Params> {
    let location = location_of(response).unwrap_or("");
    let Ok(url) = Url::parse(location) else {
        parsed.must(
            CheckId::RedirectLocation,
            "the redirect has a location",
            false,
            format!("{location:?}"),
            "RFC 6749 §4.1.2",
        );
        return None;
    };
    let mut target = url.clone();
    target.set_query(None);
    target.set_fragment(None);
    let mut registered = Url::parse(own).ok();
    if let Some(r) = registered.as_mut() {
        r.set_query(None);
    }
    parsed.must(
        CheckId::RedirectTarget,
        "the redirect goes to our redirect_uri",
        registered.as_ref() == Some(&target),
        target.to_string(),
        "RFC 6749 §3.1.2",
    );
    // Responses carrying an ID token come in the fragment (Multiple
    // Response Types §5); a code alone in the query; or as asked.
    let mut source = match carrier {
        Carrier::Fragment => url.fragment(),
        _ => url.query(),
    };
    // An error answered in the query where the fragment was due: still the
    // provider's answer, read as such, its encoding noted.
    if carrier == Carrier::Fragment
        && source.is_none_or(|f| f.is_empty())
        && let Some(query) = url.query()
        && form::parse(query).is_ok_and(|p| p.get("error").is_some())
    {
        parsed.should(
            CheckId::AuthorizationErrorEncoding,
            "the error comes in the fragment, as the response type asks",
            false,
            "in the query",
            "OAuth 2.0 Multiple Response Type Encoding Practices §5, OIDC Core §3.2.2.5, §3.3.2.5",
        );
        source = Some(query);
    }
    match form::parse(source.unwrap_or("")) {
        Ok(p) => Some(p),
        Err(e) => {
            parsed.must(
                CheckId::ResponseParamsParse,
                "the response parameters parse",
                false,
                e.to_string(),
                "RFC 6749 §4.1.2",
            );
            None
        }
    }
}

/// The checks of any authorization response's parameters, however they
/// came: state, iss, the code, the ID token.
fn check_params(
    rp: &RelyingParty,
    session: &Session,
    sent: &AuthorizationState,
    params: &Params,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    parsed.parsed = params.to_json();
    let state = params.get("state").unwrap_or("");
    parsed.must(
        CheckId::State,
        "state is the one sent",
        state == sent.state,
        if state == sent.state {
            "matches".to_owned()
        } else {
            format!("got {state:?}")
        },
        "RFC 6749 §4.1.2, RFC 9700 §4.7.1",
    );
    let issuer = crate::service::client_auth::issuer(rp, session).to_owned();
    let iss_required = session
        .metadata
        .as_ref()
        .is_some_and(|m| m.authorization_response_iss_parameter_supported);
    match params.get("iss") {
        Some(iss) => parsed.must(
            CheckId::AuthorizationIss,
            "iss is the AS asked",
            iss == issuer,
            format!("{iss:?}"),
            "RFC 9207 §2.4",
        ),
        None => parsed.must(
            CheckId::AuthorizationIss,
            "iss is the AS asked",
            !iss_required,
            if iss_required {
                "missing, though the AS announces it"
            } else {
                "not sent"
            },
            "RFC 9207 §2.4",
        ),
    };
    if let Some(error) = params.get("error") {
        parsed.error = Some((
            ErrorCode::parse(error),
            params.get("error_description").unwrap_or("").to_owned(),
        ));
        judge_unsigned_refusal(session, sent, parsed);
        return;
    }
    let wants_code = sent.response_type.split(' ').any(|t| t == "code");
    let code = params.get("code");
    if wants_code {
        parsed.must(
            CheckId::CodePresent,
            "code is present",
            code.is_some(),
            if code.is_some() { "present" } else { "missing" },
            "RFC 6749 §4.1.2",
        );
    }
    // What the add-on protected, now that the AS has answered.
    match sent.sent_as {
        _ if params.get("error").is_some() => {}
        SentAs::RequestObject => {
            parsed.info(
                CheckId::SentAsRequestObject,
                "the AS took the parameters from the signed request object",
                "it verified the RP's signature; response_type, client_id and scope also travel outside as OIDC Core §6.1 asks, and the AS uses the object's (RFC 9101 §5)",
                "RFC 9101 §6.3",
            );
        }
        SentAs::UnsignedRequestObject => {
            parsed.info(
                CheckId::SentAsRequestObject,
                "the AS took the parameters from the unsigned request object",
                "alg none: no signature to verify; state, nonce and redirect_uri travelled inside it only",
                "OIDC Core §6.1",
            );
        }
        SentAs::Pushed => {
            parsed.info(
                CheckId::SentAsPushed,
                "the browser carried only client_id and request_uri",
                "the parameters were pushed over the authenticated back channel",
                "RFC 9126 §4",
            );
        }
        SentAs::Query => {}
    }
    // An ID token from this endpoint: implicit or hybrid (OIDC Core §3.2, §3.3).
    if sent.response_type.split(' ').any(|t| t == "id_token") {
        match params.get("id_token") {
            Some(token) => {
                let expect = id_token::Expect {
                    code,
                    front_channel: true,
                    ..Default::default()
                };
                staged.identity = id_token::verify(rp, session, token, expect, parsed);
                if staged.identity.is_some() {
                    staged.tokens.push(("id_token", token.to_owned()));
                }
            }
            None => {
                parsed.must(
                    CheckId::IdTokenPresent,
                    "id_token is present",
                    false,
                    "missing",
                    "OIDC Core §3.2.2.5",
                );
            }
        }
    }
    staged.code = code.map(str::to_owned);
}
