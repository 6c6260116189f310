//! The authorization endpoint (RFC 6749 §4.1.1, §4.1.2) with PKCE (RFC
//! 7636 §4.3, §4.4), the `iss` response parameter (RFC 9207), and the
//! OpenID Connect response types: `code` (OIDC Core §3.1), `id_token`
//! (implicit, §3.2) and `code id_token` (hybrid, §3.3), the last two
//! answered in the fragment (OAuth 2.0 Multiple Response Types §5).
//!
//! Until the client and its redirect URI are known to be good, errors are
//! answered to the caller (400) and never redirected (RFC 6749 §4.1.2.1,
//! RFC 9700 §4.11); afterwards they travel back in the redirect.
use std::sync::Arc;

use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::{self, Params};
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::random;
use oauth_core::secret::fingerprint;

use crate::AuthServer;
use crate::config::Client;
use crate::id_token::{self, IdTokenSpec};
use crate::store::CodeGrant;

use super::authorization_request::{
    Checked, RedirectTarget, ResponseMode, check, error_mode, validate_target,
};
use super::authorization_response::deliver;
use super::consent::{self, Decision};
use super::html;

mod session;

use session::{Authenticated, Login};
pub(crate) use session::{current as current_session, set_cookie};

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    let Resolved {
        client,
        target,
        params,
        decision,
        refused,
    } = match resolve(server, request).await {
        Ok(ok) => ok,
        Err(e) => {
            super::log_refusal("authorization", None, &e, "refused without redirect");
            return html::refusal(request, &e);
        }
    };
    let state = params.get("state");
    let mode = error_mode(&params);
    let checked = match refused {
        Some(e) => Err(e),
        None => check(server, &client, &params),
    };
    let answer = match (checked, decision) {
        (Err(e), _) => Err(e),
        (Ok(_), Some(Decision::Deny)) => Err(OAuthError::new(
            ErrorCode::AccessDenied,
            "the user denied the request",
        )),
        (Ok(checked), decision) => {
            let approved = match decision {
                Some(Decision::Approve { user }) => Some(user),
                _ => None,
            };
            match session::authenticate(server, request, &client, &checked.login, approved).await {
                Ok(Authenticated::Login(login)) => {
                    issue(server, &client, &target, &params, checked, login).await
                }
                Ok(Authenticated::Page { chosen }) => {
                    return consent::approval_page(
                        server,
                        &client.client_id,
                        &target.uri,
                        &params,
                        &chosen,
                    );
                }
                Err(e) => Err(e),
            }
        }
    };
    match answer {
        Ok(answer) => {
            let response = deliver(
                server,
                &client,
                &target.uri,
                answer.mode,
                &answer.pairs,
                state,
            );
            // A new login's session cookie goes with the answer that
            // carries its result (the redirect, or the form post page).
            match answer.set_cookie {
                Some(cookie) if response.status < 400 => response.with_header("set-cookie", cookie),
                _ => response,
            }
        }
        // RFC 9700 §4.11.2: a self-registered client's redirect URIs are
        // whatever its registrant chose; redirecting errors there would make
        // this server an open redirector, so they are answered here.
        Err(e) if client.dynamic => {
            super::log_refusal(
                "authorization",
                Some(&client.client_id),
                &e,
                "refused without redirect (registered client)",
            );
            html::refusal(request, &e)
        }
        Err(e) => {
            super::log_refusal(
                "authorization",
                Some(&client.client_id),
                &e,
                "refused by redirect",
            );
            let pairs = vec![
                ("error", e.code.as_str().to_owned()),
                ("error_description", e.description.clone()),
            ];
            deliver(server, &client, &target.uri, mode, &pairs, state)
        }
    }
}

/// What a successful authorization sends back.
struct Answer {
    mode: ResponseMode,
    pairs: Vec<(&'static str, String)>,
    /// A new login's session cookie.
    set_cookie: Option<String>,
}

/// The request parameters: the query of a GET, or the form of a POST (RFC 6749 §3.1).
fn request_params(request: &HttpRequest) -> Result<Params, OAuthError> {
    match request.method.as_str() {
        "GET" => Ok(form::parse(request.url.query().unwrap_or(""))?),
        "POST" => super::post_form(request),
        _ => Err(OAuthError::method_not_allowed("GET, POST")),
    }
}

/// The authorization parameters, wherever they come from: the request
/// itself, a request object (RFC 9101), or a pushed request (RFC 9126).
/// Then the checks whose failure must not be redirected: the client exists
/// and may use this endpoint, the redirect URI is one of its registered
/// ones, compared exactly. An approval form (interactive endpoint) carries
/// a request this server resolved when it made the page, so only these
/// last checks run again.
async fn resolve(server: &AuthServer, request: &HttpRequest) -> Result<Resolved, OAuthError> {
    if let Some(submission) =
        consent::submission(server, request, crate::config::Endpoint::Authorization).await
    {
        let consent::Submission { params, decision } = submission?;
        let client = known_client(server, &params).await?;
        let target = validate_target(&client, &params)?;
        return Ok(Resolved {
            client,
            target,
            params,
            decision: Some(decision),
            refused: None,
        });
    }
    let outer = request_params(request)?;
    let client = known_client(server, &outer).await?;
    let client_id = client.client_id.as_str();
    let params = match (outer.get("request"), outer.get("request_uri")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "request and request_uri cannot both be sent",
            ));
        }
        (None, Some(uri)) => super::par::take(server, &client, uri).await?,
        // RFC 9126 §5, §6: where PAR is required, only a pushed request is
        // accepted — a request object by value is not pushed either.
        _ if client.require_par || server.config.par.required => {
            return Err(OAuthError::invalid_request(
                "authorization requests must be pushed first (PAR, RFC 9126)",
            ));
        }
        (Some(object), None) => {
            match crate::request_object::expand(server, &client, object, client_id) {
                Ok(params) => params,
                // RFC 6749 §4.1.2.1: a request that fails for another reason
                // than its client or redirect URI is answered at the redirect
                // URI — one the client registered, named outside the object
                // or inside it (read without trusting it: the error can only
                // go to the client's own URI). Without one, the error stays
                // here.
                Err(e) => {
                    let answer_to = where_to_answer(&outer, object);
                    let target = validate_target(&client, &answer_to).map_err(|_| e.clone())?;
                    return Ok(Resolved {
                        client,
                        target,
                        params: answer_to,
                        decision: None,
                        refused: Some(e),
                    });
                }
            }
        }
        (None, None) => outer,
    };
    let target = validate_target(&client, &params)?;
    Ok(Resolved {
        client,
        target,
        params,
        decision: None,
        refused: None,
    })
}

/// What an authorization request resolves to: its client, where its
/// answer goes, its parameters, the person's decision if it is an approval
/// form, and the refusal already decided (a request object that failed, its
/// error answered at the redirect URI).
struct Resolved {
    client: Arc<Client>,
    target: RedirectTarget,
    params: Params,
    decision: Option<Decision>,
    refused: Option<OAuthError>,
}

async fn known_client(server: &AuthServer, params: &Params) -> Result<Arc<Client>, OAuthError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
    server
        .client(client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_request(format!("unknown client_id {client_id:?}")))
}

/// Issues the code and/or ID token of a checked request.
async fn issue(
    server: &AuthServer,
    client: &Client,
    target: &RedirectTarget,
    params: &Params,
    checked: Checked,
    login: Login,
) -> Result<Answer, OAuthError> {
    let Checked {
        mode,
        wants_code,
        wants_id_token,
        canonical,
        scope,
        claims,
        code_challenge,
        target: token_target,
        login: _,
    } = checked;
    let Login {
        user,
        auth_time,
        acr,
        sid,
        set_cookie,
    } = login;
    let nonce = params.get("nonce");
    let subject = server.subject_for(client, &user);
    let now = server.clock.now();
    let mut pairs = Vec::new();
    // OIDC Back-Channel Logout §2.1: the login's session, named in its ID
    // tokens and kept with its code and grant, so that a logout ends it.
    let sid = scope.contains("openid").then_some(sid);
    let code = if wants_code {
        let code = random::token(crate::tokens::OPAQUE_BYTES);
        let stored = server
            .store
            .put_code(
                fingerprint(&code),
                CodeGrant {
                    client_id: client.client_id.clone(),
                    redirect_uri: target.uri.clone(),
                    redirect_uri_sent: target.sent,
                    scope: scope.clone(),
                    subject: subject.clone(),
                    user: user.clone(),
                    auth_time,
                    acr: acr.clone(),
                    nonce: nonce.map(str::to_owned),
                    claims: claims.as_ref().map(|c| c.to_json().to_string()),
                    code_challenge,
                    dpop_jkt: params.get("dpop_jkt").map(str::to_owned),
                    target: token_target,
                    sid: sid.clone(),
                    // FAPI 2.0 §5.3.2.1: codes live 60 s at most.
                    expires_at: now
                        + if client.fapi2 {
                            server.config.code_lifetime.min(60)
                        } else {
                            server.config.code_lifetime
                        },
                },
                server.config.max_outstanding_codes,
                now,
            )
            .await?;
        if !stored {
            tracing::warn!(client_id = %client.client_id, "too many outstanding codes; refusing");
            return Err(OAuthError::temporarily_unavailable(
                "this client has too many unused authorization codes; redeem or let them expire",
                server.config.code_lifetime.min(60),
            ));
        }
        pairs.push(("code", code.clone()));
        Some(code)
    } else {
        None
    };
    if wants_id_token {
        let id_token = id_token::mint(
            server,
            &IdTokenSpec {
                client,
                subject: &subject,
                user: &user,
                auth_time,
                acr: acr.as_deref(),
                nonce,
                scope: &scope,
                claims: claims.as_ref(),
                // With no access token to fetch them, the scope's claims
                // travel in the ID token (OIDC Core §5.4).
                scope_claims: !wants_code,
                access_token: None,
                code: code.as_deref(),
                sid: sid.as_deref(),
            },
        )?;
        pairs.push(("id_token", id_token));
    }
    tracing::debug!(endpoint = "authorization", client_id = %client.client_id, response_type = %canonical, "authorized");
    Ok(Answer {
        mode,
        pairs,
        set_cookie,
    })
}

#[cfg(test)]
mod tests;

/// The parameters an error about a request object is answered with: the
/// request's own, with the redirect URI, response mode and state the object
/// names where the request names none.
fn where_to_answer(outer: &Params, object: &str) -> Params {
    let claims = oauth_core::jose::decode_unverified(object)
        .map(|d| d.claims)
        .unwrap_or_default();
    let mut pairs: Vec<(String, String)> = outer
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for name in ["redirect_uri", "state", "response_mode", "response_type"] {
        if outer.get(name).is_none()
            && let Some(value) = claims.get(name).and_then(serde_json::Value::as_str)
        {
            pairs.push((name.to_owned(), value.to_owned()));
        }
    }
    Params::from_pairs(pairs)
}
