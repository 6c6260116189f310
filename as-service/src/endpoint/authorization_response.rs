//! The authorization response on its way back to the client, in the mode
//! the request chose: a 302 with the parameters in the redirect URI's query
//! or fragment (RFC 6749 §4.1.2, Multiple Response Types §2.1), a page
//! whose form the browser posts to the redirect URI (OAuth 2.0 Form Post
//! Response Mode §2), and either of them with the parameters signed into
//! one JWT, `response` (JARM §2). `state` is echoed and `iss` added (RFC
//! 9207 §2), inside the JWT when there is one.
use base64::Engine;
use oauth_core::error::OAuthError;
use oauth_core::form;
use oauth_core::http::HttpResponse;
use serde_json::{Map, Value};
use url::Url;

use crate::AuthServer;
use crate::config::Client;

use super::authorization_request::{Carrier, ResponseMode};
use super::html::escape;

/// The longest a response JWT lives, in seconds: JARM §2.1 asks for a
/// short expiry, and ten minutes is what it names as an example.
pub(crate) const RESPONSE_JWT_MAX_LIFETIME: i64 = 600;

/// The one script the form post page runs: it submits the form. Its hash
/// is the only script the page's Content-Security-Policy allows.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// The response to the client at `redirect_uri`, as `mode` says.
pub(crate) fn deliver(
    server: &AuthServer,
    client: &Client,
    redirect_uri: &str,
    mode: ResponseMode,
    pairs: &[(&str, String)],
    state: Option<&str>,
) -> HttpResponse {
    match build(server, client, redirect_uri, mode, pairs, state) {
        Ok(response) => response,
        Err(e) => {
            super::log_refusal("authorization", Some(&client.client_id), &e, "refused");
            e.to_response()
        }
    }
}

fn build(
    server: &AuthServer,
    client: &Client,
    redirect_uri: &str,
    mode: ResponseMode,
    pairs: &[(&str, String)],
    state: Option<&str>,
) -> Result<HttpResponse, OAuthError> {
    let mut url = Url::parse(redirect_uri).map_err(|_| {
        // Registered URIs are validated when registered; this cannot happen.
        OAuthError::server_error("bad redirect URI").with_cause(format!(
            "the registered redirect URI {redirect_uri:?} does not parse"
        ))
    })?;
    let mut all: Vec<(&str, String)> = pairs.to_vec();
    if let Some(state) = state {
        all.push(("state", state.to_owned()));
    }
    all.push(("iss", server.config.issuer.clone()));
    if mode.jwt {
        all = vec![("response", response_jwt(server, client, &all)?)];
    }
    let borrowed = all.iter().map(|(k, v)| (*k, v.as_str()));
    Ok(match mode.carrier {
        Carrier::Query => {
            url.query_pairs_mut().extend_pairs(borrowed);
            HttpResponse::redirect(url.to_string())
        }
        Carrier::Fragment => {
            url.set_fragment(Some(&form::encode(borrowed)));
            HttpResponse::redirect(url.to_string())
        }
        Carrier::FormPost => form_post_page(&url, redirect_uri, &all),
    })
}

/// JARM §2.1: the response parameters as claims (the issuer already among
/// them as `iss`), for the client (`aud`), expiring with the code it
/// carries or sooner, signed with this server's key for the client's
/// registered algorithm (JARM §3, RS256 by default).
fn response_jwt(
    server: &AuthServer,
    client: &Client,
    params: &[(&str, String)],
) -> Result<String, OAuthError> {
    let now = server.clock.now();
    let mut claims = Map::new();
    for (name, value) in params {
        claims.insert((*name).to_owned(), Value::String(value.clone()));
    }
    claims.insert("aud".into(), Value::String(client.client_id.clone()));
    let lifetime = server.config.code_lifetime.min(RESPONSE_JWT_MAX_LIFETIME);
    claims.insert("exp".into(), Value::from(now + lifetime));
    let alg = client.authorization_alg;
    let keys = server.keys();
    let key = keys.set.signing_key_at(alg, now).ok_or_else(|| {
        OAuthError::server_error("no key for the client's authorization response alg").with_cause(
            format!(
                "no {} key of the key set signs at {now}",
                oauth_core::jose::alg_name(alg)
            ),
        )
    })?;
    key.sign("JWT", &Value::Object(claims)).map_err(|e| {
        OAuthError::server_error("the authorization response could not be signed")
            .with_cause(format!("signing a response JWT failed: {e}"))
    })
}

/// Form Post §2: a page whose form posts the parameters as hidden inputs
/// to the redirect URI and submits itself; without script, its button
/// does the same. Every value is escaped. The page may run only its own
/// script (by hash), load nothing, be framed by no one, and post only to
/// the redirect URI's origin; it is not to be cached (§5, RFC 9700 §4.16).
fn form_post_page(url: &Url, redirect_uri: &str, params: &[(&str, String)]) -> HttpResponse {
    let mut inputs = String::new();
    for (name, value) in params {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            escape(name),
            escape(value)
        ));
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, SUBMIT_SCRIPT.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    let origin = match url.origin() {
        origin @ url::Origin::Tuple(..) => origin.ascii_serialization(),
        // A private-use scheme (RFC 8252 §7.1) has no host: allow the scheme.
        url::Origin::Opaque(_) => format!("{}:", url.scheme()),
    };
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{hash}'; form-action {origin}; \
         base-uri 'none'; frame-ancestors 'none'"
    );
    let mut response = HttpResponse::empty_no_store(200)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_header("content-security-policy", csp)
        .with_header("x-frame-options", "DENY")
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer");
    response.body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Back to the application</title>\n</head>\n<body>\n\
         <form method=\"post\" action=\"{}\">\n{inputs}\
         <button type=\"submit\">Continue</button>\n</form>\n\
         <script>{SUBMIT_SCRIPT}</script>\n</body>\n</html>\n",
        escape(redirect_uri)
    );
    response
}

#[cfg(test)]
mod tests;
