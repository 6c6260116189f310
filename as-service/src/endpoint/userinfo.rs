//! The UserInfo endpoint (OIDC Core §5.3), a protected resource: the
//! access token comes as a Bearer token (RFC 6750 §2.1 header, or §2.2
//! form body), and failures answer with a `WWW-Authenticate` challenge
//! (RFC 6750 §3).
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::oidc::ClaimsRequest;
use oauth_core::scope::Scope;
use serde_json::{Value, json};

use crate::AuthServer;
use crate::id_token::user_claims;
use crate::tokens;

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match userinfo(server, request).await {
        Ok(body) => HttpResponse::json_no_store(200, &body),
        Err(Refusal::NoToken) => {
            // RFC 6750 §3.1: no credentials, no error code.
            let mut response = HttpResponse::empty_no_store(401);
            response.headers.insert(
                "www-authenticate".into(),
                format!("Bearer realm=\"{}\"", server.realm()),
            );
            response
        }
        Err(Refusal::Error(e)) => {
            super::log_refusal("userinfo", None, &e, "refused");
            e.to_response()
        }
    }
}

enum Refusal {
    NoToken,
    Error(OAuthError),
}

/// A Bearer error with its challenge (RFC 6750 §3, §3.1).
fn bearer_error(
    server: &AuthServer,
    code: ErrorCode,
    status: u16,
    description: &str,
    scope: Option<&str>,
) -> Refusal {
    let mut e = OAuthError::new(code, description).with_status(status);
    let mut challenge = format!(
        "Bearer realm=\"{}\", error=\"{}\", error_description=\"{}\"",
        server.realm(),
        e.code,
        description.replace('"', "'")
    );
    if let Some(scope) = scope {
        challenge.push_str(&format!(", scope=\"{scope}\""));
    }
    e.challenge = Some(challenge);
    Refusal::Error(e)
}

/// The access token: `Authorization: Bearer`, or `access_token` in a form
/// body. Not in the query (RFC 6750 §2.3 is discouraged and refused here),
/// and never two ways at once (RFC 6750 §2).
fn bearer_token(server: &AuthServer, request: &HttpRequest) -> Result<(String, Scheme), Refusal> {
    let invalid = |why: &str| bearer_error(server, ErrorCode::InvalidRequest, 400, why, None);
    if !matches!(request.method.as_str(), "GET" | "POST") {
        return Err(Refusal::Error(OAuthError::method_not_allowed("GET, POST")));
    }
    let query =
        form::parse(request.url.query().unwrap_or("")).map_err(|e| invalid(&e.to_string()))?;
    if query.has("access_token") {
        return Err(invalid(
            "send the access token in the Authorization header, not the URL",
        ));
    }
    let from_header = match request.header("authorization") {
        Some(value) => {
            let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
            let scheme = if scheme.eq_ignore_ascii_case("bearer") {
                Scheme::Bearer
            } else if scheme.eq_ignore_ascii_case("dpop") {
                Scheme::Dpop
            } else {
                return Err(Refusal::NoToken);
            };
            let token = token.trim();
            if token.is_empty() {
                return Err(invalid(
                    "the access token in the Authorization header is empty",
                ));
            }
            Some((token.to_owned(), scheme))
        }
        None => None,
    };
    let from_body = if request.method == "POST"
        && request.media_type().as_deref() == Some("application/x-www-form-urlencoded")
    {
        let body = form::parse(&request.body).map_err(|e| invalid(&e.to_string()))?;
        body.get("access_token")
            .map(|t| (t.to_owned(), Scheme::Bearer))
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(invalid("the access token was sent in more than one way")),
        (Some(token), None) | (None, Some(token)) => Ok(token),
        (None, None) => Err(Refusal::NoToken),
    }
}

/// How the access token was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// RFC 6750.
    Bearer,
    /// RFC 9449 §7.1: with a proof of possession of the bound key.
    Dpop,
}

async fn userinfo(server: &AuthServer, request: &HttpRequest) -> Result<Value, Refusal> {
    let (token, scheme) = bearer_token(server, request)?;
    // RFC 9449 §7.1: a DPoP token comes with a proof for this request,
    // naming the token (ath) and signed by the key it is bound to.
    let proof = crate::dpop::check_proof(
        server,
        request,
        crate::config::Endpoint::Userinfo,
        Some(&token),
    )
    .await
    .map_err(|e| {
        Refusal::Error(match e {
            crate::dpop::DpopError::Invalid(why) => {
                crate::dpop::resource_error(server, "invalid_dpop_proof", &why.to_string())
            }
            crate::dpop::DpopError::Store(e) => e.into(),
            crate::dpop::DpopError::NonceRequired => crate::dpop::resource_error(
                server,
                "use_dpop_nonce",
                "a DPoP proof with the server's nonce is required",
            ),
        })
    })?;
    let claims = tokens::validate_access_token(server, &token)
        .await
        .map_err(|e| match e.store_failure() {
            Some(failure) => Refusal::Error(failure),
            None => match bearer_error(
                server,
                ErrorCode::InvalidToken,
                401,
                &format!("the access token is {e}"),
                None,
            ) {
                Refusal::Error(refused) => match e.cause() {
                    Some(cause) => Refusal::Error(refused.with_cause(cause)),
                    None => Refusal::Error(refused),
                },
                no_token => no_token,
            },
        })?;
    match (scheme, claims.jkt(), &proof) {
        (Scheme::Bearer, Some(_), _) => {
            // RFC 9449 §7.2: a bound token is worthless without its key.
            return Err(bearer_error(
                server,
                ErrorCode::InvalidToken,
                401,
                "the access token is DPoP-bound: present it with the DPoP scheme and a proof",
                None,
            ));
        }
        (Scheme::Dpop, None, _) => {
            return Err(Refusal::Error(crate::dpop::resource_error(
                server,
                "invalid_token",
                "the access token is not DPoP-bound: present it as Bearer",
            )));
        }
        (Scheme::Dpop, Some(_), None) => {
            return Err(Refusal::Error(crate::dpop::resource_error(
                server,
                "invalid_dpop_proof",
                "a DPoP proof is required with the DPoP scheme",
            )));
        }
        (Scheme::Dpop, Some(bound), Some(p)) if bound != p.jkt => {
            return Err(Refusal::Error(crate::dpop::resource_error(
                server,
                "invalid_dpop_proof",
                "the proof is signed by another key than the one the token is bound to",
            )));
        }
        _ => {}
    }
    let scope = Scope::parse(claims.scope.as_deref().unwrap_or("")).unwrap_or_default();
    if !scope.contains("openid") {
        return Err(bearer_error(
            server,
            ErrorCode::InsufficientScope,
            403,
            "the access token was not issued for the openid scope",
            Some("openid"),
        ));
    }
    // RFC 9068 §4 item 4: only a token meant for this resource.
    let userinfo = server
        .config
        .endpoints
        .url(crate::config::Endpoint::Userinfo)
        .as_str();
    if !claims.aud.contains(userinfo) {
        return Err(bearer_error(
            server,
            ErrorCode::InvalidToken,
            401,
            "the access token is not meant for the UserInfo endpoint (its aud does not name it)",
            None,
        ));
    }
    let grant = match &claims.sid {
        Some(grant_id) => server
            .store
            .grant(grant_id)
            .await
            .map_err(|e| Refusal::Error(e.into()))?,
        None => None,
    }
    .ok_or_else(|| {
        bearer_error(
            server,
            ErrorCode::InvalidToken,
            401,
            "the access token belongs to no user session",
            None,
        )
    })?;
    let requested = grant
        .claims
        .as_deref()
        .and_then(|text| ClaimsRequest::parse(text).ok());
    let client = server
        .client(&grant.client_id)
        .await
        .map_err(|e| Refusal::Error(e.into()))?
        .ok_or_else(|| {
            bearer_error(
                server,
                ErrorCode::InvalidToken,
                401,
                "the client the access token was issued to is no longer registered",
                None,
            )
        })?;
    let mut body = json!({ "sub": claims.sub });
    if let Value::Object(map) = &mut body {
        map.extend(user_claims(
            server,
            &client,
            &grant.user,
            Some(&scope),
            requested.as_ref().map(|r| &r.userinfo),
        ));
    }
    tracing::debug!(endpoint = "userinfo", client_id = %claims.client_id, "released claims");
    Ok(body)
}

#[cfg(test)]
mod tests;
