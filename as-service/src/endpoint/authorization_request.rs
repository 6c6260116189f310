//! The authorization request, as both the authorization endpoint and the
//! pushed authorization request endpoint (RFC 9126 §2.1) check it: the
//! redirect target, the response type and mode, scope, nonce, the claims
//! request, what is asked of the login (`login`: prompt, max_age, the
//! requested user) and PKCE. Nothing is issued here.
use std::collections::BTreeSet;

use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::Params;
use oauth_core::oidc::ClaimsRequest;
use oauth_core::pkce;

use crate::AuthServer;
use crate::config::Client;

mod login;

pub(crate) use login::{DISPLAY_VALUES, LoginAsk, another_user};

/// The redirect URI to answer to, and whether the request named it.
pub(crate) struct RedirectTarget {
    pub(crate) uri: String,
    pub(crate) sent: bool,
}

/// Where the response parameters travel: in the redirect's query or
/// fragment (OAuth 2.0 Multiple Response Types §2.1), or in a form the
/// browser posts to the redirect URI (OAuth 2.0 Form Post Response Mode §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    Query,
    Fragment,
    FormPost,
}

/// The response mode: the carrier, and whether the parameters travel as
/// the claims of one signed JWT, `response` (JARM §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponseMode {
    pub(crate) carrier: Carrier,
    pub(crate) jwt: bool,
}

/// Every `response_mode` value this server understands, as its metadata
/// lists them (RFC 8414 §2, JARM §4).
pub(crate) const RESPONSE_MODES: [&str; 7] = [
    "query",
    "fragment",
    "form_post",
    "jwt",
    "query.jwt",
    "fragment.jwt",
    "form_post.jwt",
];

impl ResponseMode {
    pub(crate) const QUERY: Self = Self {
        carrier: Carrier::Query,
        jwt: false,
    };
    pub(crate) const FRAGMENT: Self = Self {
        carrier: Carrier::Fragment,
        jwt: false,
    };

    /// The default for a response type: query for `code`, fragment for
    /// anything that returns a token from this endpoint.
    pub(crate) fn for_type(response_type: Option<&str>) -> Self {
        match response_type {
            Some(rt) if rt.split(' ').any(|t| t != "code" && !t.is_empty()) => Self::FRAGMENT,
            _ => Self::QUERY,
        }
    }

    /// A `response_mode` value; `jwt` is the response type's default
    /// carrier with the JWT (JARM §2.3.4).
    pub(crate) fn parse(name: &str, default: Self) -> Option<Self> {
        let (carrier, jwt) = match name.strip_suffix(".jwt") {
            Some(carrier) => (carrier, true),
            None if name == "jwt" => {
                return Some(Self {
                    jwt: true,
                    ..default
                });
            }
            None => (name, false),
        };
        let carrier = match carrier {
            "query" => Carrier::Query,
            "fragment" => Carrier::Fragment,
            "form_post" => Carrier::FormPost,
            _ => return None,
        };
        Some(Self { carrier, jwt })
    }
}

/// The mode the request asked for, if it is one this server knows.
fn requested_mode(params: &Params) -> Option<ResponseMode> {
    let default = ResponseMode::for_type(params.get("response_type"));
    ResponseMode::parse(params.get("response_mode")?, default)
}

/// How an error goes back by redirect: the way a success would, in the
/// mode asked for when it is one this server knows — but never in the
/// query for a response type that returns a token, whatever was asked
/// (Multiple Response Types §5, JARM §2.3.1).
pub(crate) fn error_mode(params: &Params) -> ResponseMode {
    let default = ResponseMode::for_type(params.get("response_type"));
    match requested_mode(params) {
        Some(mode) if mode.carrier == Carrier::Query && default.carrier == Carrier::Fragment => {
            ResponseMode {
                jwt: mode.jwt,
                ..default
            }
        }
        Some(mode) => mode,
        None => default,
    }
}

/// The registered redirect URI the request names (or the only one).
pub(crate) fn validate_target(
    client: &Client,
    params: &Params,
) -> Result<RedirectTarget, OAuthError> {
    if client.redirect_uris.is_empty() {
        return Err(OAuthError::unauthorized_client(
            "this client has no redirect URI and cannot use the authorization endpoint",
        ));
    }
    if params.get("client_id") != Some(client.client_id.as_str()) {
        return Err(OAuthError::invalid_request(
            "client_id is missing or differs",
        ));
    }
    // FAPI 2.0 Security Profile §5.3.2.2 item 6: the redirect URI is
    // required in pushed requests. Checked here, where both the PAR and the
    // authorization endpoint look, so no request of such a client — pushed
    // before it came under the profile, or posted back from an approval
    // page — is redirected to a URI it did not name.
    if client.fapi2 && !params.has("redirect_uri") {
        return Err(OAuthError::invalid_request(
            "redirect_uri is required in this client's requests (FAPI 2.0 §5.3.2.2)",
        ));
    }
    match params.get("redirect_uri") {
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => Ok(RedirectTarget {
            uri: uri.to_owned(),
            sent: true,
        }),
        Some(uri) => Err(OAuthError::invalid_request(format!(
            "redirect_uri {uri:?} is not registered for this client"
        ))),
        // OIDC Core §3.1.2.1: REQUIRED in an OpenID Connect request.
        None if params
            .get("scope")
            .is_some_and(|s| s.split(' ').any(|t| t == "openid")) =>
        {
            Err(OAuthError::invalid_request(
                "redirect_uri is required in an OpenID Connect request (OIDC Core §3.1.2.1)",
            ))
        }
        None => match client.redirect_uris.as_slice() {
            [only] => Ok(RedirectTarget {
                uri: only.clone(),
                sent: false,
            }),
            _ => Err(OAuthError::invalid_request(
                "redirect_uri is required: the client has several registered",
            )),
        },
    }
}

/// The response type as a set: `code`, `id_token` or both, in any order.
fn response_type(params: &Params) -> Result<BTreeSet<&str>, OAuthError> {
    let raw = params
        .get("response_type")
        .ok_or_else(|| OAuthError::invalid_request("response_type is missing"))?;
    let set: BTreeSet<&str> = raw.split(' ').filter(|t| !t.is_empty()).collect();
    let known = set.iter().all(|t| *t == "code" || *t == "id_token");
    if set.is_empty() || !known {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            format!(
                "response_type {raw:?} is not supported; use code, id_token or \"code id_token\""
            ),
        ));
    }
    Ok(set)
}

/// What a valid request asks for, once checked.
pub(crate) struct Checked {
    pub(crate) mode: ResponseMode,
    pub(crate) wants_code: bool,
    pub(crate) wants_id_token: bool,
    pub(crate) canonical: String,
    pub(crate) scope: oauth_core::scope::Scope,
    pub(crate) claims: Option<ClaimsRequest>,
    pub(crate) code_challenge: Option<(String, pkce::Method)>,
    /// RFC 8707 §2, RFC 9396 §2: the resources the tokens are meant for
    /// and the authorization details asked for.
    pub(crate) target: crate::store::TokenTarget,
    /// What the request asks of the login (OIDC Core §3.1.2.1).
    pub(crate) login: LoginAsk,
}

/// The checks whose failure goes back by redirect. Nothing is issued here,
/// so PAR runs the same checks when a request is pushed (RFC 9126 §2.1).
pub(crate) fn check(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Checked, OAuthError> {
    if let Some(state) = params.get("state")
        && !state.bytes().all(|b| (0x20..=0x7e).contains(&b))
    {
        return Err(OAuthError::invalid_request(
            "state must be printable ASCII (RFC 6749 Appendix A.5)",
        ));
    }
    let types = response_type(params)?;
    let canonical = types.iter().copied().collect::<Vec<_>>().join(" ");
    if !client.response_types.iter().any(|r| {
        r.split(' ')
            .filter(|t| !t.is_empty())
            .collect::<BTreeSet<_>>()
            == types
    }) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use response_type {canonical:?}"
        )));
    }
    let wants_code = types.contains("code");
    let wants_id_token = types.contains("id_token");
    let mode = match params.get("response_mode") {
        None => ResponseMode::for_type(Some(&canonical)),
        Some(name) => {
            let Some(mode) = ResponseMode::parse(name, ResponseMode::for_type(Some(&canonical)))
            else {
                return Err(OAuthError::invalid_request(format!(
                    "response_mode {name:?} is not supported; use one of {}",
                    RESPONSE_MODES.join(", ")
                )));
            };
            // Multiple Response Types §5: tokens must not travel in the
            // query; JARM §2.3.1: nor in a query JWT that is not encrypted.
            if mode.carrier == Carrier::Query && wants_id_token {
                return Err(OAuthError::invalid_request(format!(
                    "response_mode {name} cannot carry an ID token; use fragment or form_post"
                )));
            }
            mode
        }
    };
    let mut scope = crate::grant::client_scope(client, params)?;
    let mut ask = login::read(params)?;
    // OIDC Core §11: offline_access is ignored unless a code is returned,
    // and needs the user's consent: prompt=consent, or a client whose
    // configuration is that consent (a registered client's is not).
    if scope.contains("offline_access") && (!wants_code || (client.dynamic && !ask.consent)) {
        scope = oauth_core::scope::Scope::from_tokens(
            scope
                .iter()
                .filter(|t| *t != "offline_access")
                .map(str::to_owned),
        );
    }
    let openid = scope.contains("openid");
    if wants_id_token && !openid {
        return Err(OAuthError::invalid_request(
            "response_type id_token needs the openid scope",
        ));
    }
    let nonce = params.get("nonce");
    // OIDC Core §3.2.2.1, §3.3.2.11: nonce is required when the ID token
    // comes from this endpoint, or a replayed one could not be told apart.
    if wants_id_token && nonce.is_none() {
        return Err(OAuthError::invalid_request(
            "nonce is required when an ID token is returned from the authorization endpoint",
        ));
    }
    let claims = match params.get("claims") {
        // Kept with the code until it is redeemed: bounded, as the
        // authorization endpoint serves anyone.
        Some(text) if text.len() > server.config.max_claims_bytes => {
            return Err(OAuthError::invalid_request(format!(
                "the claims parameter is {} bytes; at most {} are accepted",
                text.len(),
                server.config.max_claims_bytes
            )));
        }
        Some(text) => Some(ClaimsRequest::parse(text).map_err(OAuthError::invalid_request)?),
        None => None,
    };
    if openid {
        ask.subjects = login::requested_subjects(server, client, params, claims.as_ref())?;
    }
    let code_challenge = pkce_challenge(server, client, params)?;
    let target = crate::grant::target::requested(server, client, params)?;
    Ok(Checked {
        mode,
        wants_code,
        wants_id_token,
        canonical,
        scope,
        claims,
        code_challenge,
        target,
        login: ask,
    })
}

/// RFC 7636 §4.3, §4.4.1: the challenge and its method (default `plain`,
/// which is refused unless configured); required for clients so configured.
fn pkce_challenge(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Option<(String, pkce::Method)>, OAuthError> {
    let Some(challenge) = params.get("code_challenge") else {
        if client.require_pkce {
            return Err(OAuthError::invalid_request(
                "code_challenge is required for this client (PKCE, RFC 7636)",
            ));
        }
        if params.has("code_challenge_method") {
            return Err(OAuthError::invalid_request(
                "code_challenge_method sent without code_challenge",
            ));
        }
        return Ok(None);
    };
    let method_name = params.get("code_challenge_method").unwrap_or("plain");
    let method = match pkce::Method::parse(method_name) {
        Some(pkce::Method::S256) => pkce::Method::S256,
        // FAPI 2.0 §5.3.2.2: S256 only, whatever the server allows others.
        Some(pkce::Method::Plain) if server.config.pkce_plain_allowed && !client.fapi2 => {
            pkce::Method::Plain
        }
        _ => {
            return Err(OAuthError::invalid_request(format!(
                "code_challenge_method {method_name:?} is not supported; use S256"
            )));
        }
    };
    if !pkce::is_well_formed(challenge) {
        return Err(OAuthError::invalid_request(
            "code_challenge must be 43 to 128 unreserved characters",
        ));
    }
    Ok(Some((challenge.to_owned(), method)))
}

/// The checks of a pushed request (RFC 9126 §2.1): everything the
/// authorization endpoint would check, with errors answered directly.
pub(crate) fn validate_pushed(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<(), OAuthError> {
    validate_target(client, params)?;
    check(server, client, params).map(|_| ())
}

#[cfg(test)]
mod tests;
