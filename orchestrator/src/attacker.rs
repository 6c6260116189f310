//! The attacker of the attack stories, standing between the AS and the RP
//! (in the browser, on the network): it remembers what it has seen and
//! changes an answer before the RP reads it. Only the RP's checks stand in
//! its way.
//!
//! It also plays a malicious AS — one the RP is pointed at but that we do
//! not run: such an AS owns its key set, so it can add a key of its own
//! (`AddSigningKey`) and sign any ID token with it (`ForgeIdToken`), and it
//! writes its metadata and token responses as it likes (`BodyMember`,
//! `PadBody`).
use std::collections::HashMap;
use std::sync::OnceLock;

use oauth_core::jose::{JwsAlgorithm, SigningKey};
use oauth_core::secret::Secret;
use oidc_story_proto::v1::{OAuthRequest, OAuthResponse};
use serde_json::{Value, json};

use crate::catalog::{Forge, Tamper};

mod page;

/// What the attacker has seen so far in a story.
#[derive(Debug, Default)]
pub struct Memory {
    /// The parameters of the last redirect it let through.
    redirect_params: HashMap<String, String>,
    /// The OP's public key set, as served (the text, byte for byte).
    jwks: Option<String>,
    /// The last ID token it saw (redirect or token response).
    id_token: Option<Secret>,
    /// The requests the OP's last answer made it send (back-channel logout
    /// notifications), for the orchestrator to deliver.
    outbound: Vec<OAuthRequest>,
    /// The story's browser: the cookies the servers set at the endpoints a
    /// user agent visits (a login session), sent back there.
    pub(crate) jar: crate::link::Jar,
    /// The story has an attacker: it learns from every answer. Otherwise
    /// only the OP's notifications are kept (they are delivered all the
    /// same).
    attacker: bool,
}

impl Memory {
    /// The memory of a story; `attacker`: some step of it has one.
    pub fn new(attacker: bool) -> Self {
        Self {
            attacker,
            ..Self::default()
        }
    }

    /// Learns from an answer that went through untouched.
    pub fn observe(&mut self, endpoint_is_jwks: bool, response: &OAuthResponse) {
        if !response.outbound.is_empty() {
            self.outbound = response.outbound.clone();
        }
        if !self.attacker {
            return;
        }
        if endpoint_is_jwks {
            self.jwks = Some(response.body.clone());
        }
        if !response.location.is_empty() {
            self.redirect_params = redirect_params(&response.location).into_iter().collect();
            if let Some(token) = self.redirect_params.get("id_token") {
                self.id_token = Some(Secret::new(token.clone()));
            }
        }
        if let Ok(body) = serde_json::from_str::<Value>(&response.body)
            && let Some(token) = body.get("id_token").and_then(Value::as_str)
        {
            self.id_token = Some(Secret::from(token));
        }
    }

    /// The last notification the OP sent: delivering it again is a replay.
    pub fn notification(&self) -> Option<&OAuthRequest> {
        self.outbound.first()
    }

    /// Keeps a notification the OP posted itself (over HTTP, to the
    /// client's back-channel URI): an attacker who saw it may send it again.
    pub fn received(&mut self, notification: OAuthRequest) {
        self.outbound = vec![notification];
    }
}

/// The attacker's key (RS256, the algorithm the RP's clients register for
/// ID tokens): one for the whole run, made on first use. Making an RSA key
/// takes longer than a whole story, so a run with attacks starts making it
/// at once on a thread of its own ([`make_key_ahead`]).
static KEY: OnceLock<Result<SigningKey, String>> = OnceLock::new();

fn key() -> Result<&'static SigningKey, String> {
    KEY.get_or_init(|| SigningKey::generate(JwsAlgorithm::RS256).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Starts making the attacker's key on another thread, for a run whose
/// stories may need it: a story that needs it first waits for it then.
pub fn make_key_ahead() {
    std::thread::spawn(|| {
        let _ = key();
    });
}

/// Whether an answer is the provider's refusal: an OAuth error in a
/// redirect or in a JSON body, or a status of 400 or more.
pub fn is_refusal(response: &OAuthResponse) -> bool {
    if response.status >= 400 {
        return true;
    }
    if !response.location.is_empty() {
        return redirect_params(&response.location)
            .iter()
            .any(|(k, _)| k == "error");
    }
    serde_json::from_str::<Value>(&response.body)
        .ok()
        .is_some_and(|b| b.get("error").is_some())
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

/// Removes parameters from the redirect.
fn remove_redirect_params(response: &mut OAuthResponse, names: &[&str]) -> Result<(), String> {
    let mut url = url::Url::parse(&response.location)
        .map_err(|_| "the answer is not a redirect".to_owned())?;
    let in_fragment = url.fragment().is_some_and(|f| !f.is_empty());
    let pairs: Vec<(String, String)> = redirect_params(&response.location)
        .into_iter()
        .filter(|(k, _)| !names.contains(&k.as_str()))
        .collect();
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

/// The answer's body as a JSON object.
fn body_object(response: &OAuthResponse) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_str(&response.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err("the answer's body is not a JSON object".into()),
    }
}

fn set_body(response: &mut OAuthResponse, body: serde_json::Map<String, Value>) {
    response.body = Value::Object(body).to_string();
}

/// Applies `tamper` to the AS's answer; says what was done.
pub fn apply(
    tamper: Tamper,
    memory: &mut Memory,
    response: &mut OAuthResponse,
) -> Result<String, String> {
    match tamper {
        Tamper::All(tampers) => {
            let mut done = Vec::new();
            for t in tampers {
                done.push(apply(*t, memory, response)?);
            }
            Ok(done.join("; "))
        }
        Tamper::BodyMember(name, value) => {
            let mut body = body_object(response)?;
            body.insert(name.to_owned(), Value::String(value.to_owned()));
            set_body(response, body);
            Ok(format!(
                "the attacker set {name} to {value:?} in the answer"
            ))
        }
        Tamper::BodyNumber(name, value) => {
            let mut body = body_object(response)?;
            body.insert(name.to_owned(), Value::from(value));
            set_body(response, body);
            Ok(format!("the attacker set {name} to {value} in the answer"))
        }
        Tamper::PadBody(bytes) => {
            let mut body = body_object(response)?;
            body.insert("x_padding".into(), Value::String("x".repeat(bytes)));
            set_body(response, body);
            Ok(format!(
                "the attacker padded the answer with an unknown member of {bytes} bytes"
            ))
        }
        Tamper::Header(name, value) => {
            response.headers.insert(name.to_owned(), value.to_owned());
            Ok(format!("the attacker set the {name} header to {value:?}"))
        }
        Tamper::AddSigningKey => {
            let mut body = body_object(response)?;
            let jwk = key()?.public_jwk().clone();
            match body.get_mut("keys").and_then(Value::as_array_mut) {
                Some(keys) => keys.push(jwk),
                None => return Err("the answer holds no keys".into()),
            }
            set_body(response, body);
            Ok("the attacker added a signing key of its own to the OP's key set".into())
        }
        Tamper::ForgeIdToken(forge) => forge_id_token(forge, memory, response),
        Tamper::ForgeLogoutToken(_) => {
            Err("a logout token travels in the OP's notification, not in an answer".into())
        }
        Tamper::ForgeResponseJwt(forge) => forge_response_jwt(forge, response),
        Tamper::FormAction(action) => {
            response.body = page::set_action(&response.body, action)?;
            Ok(format!("the attacker pointed the form at {action}"))
        }
        Tamper::FormInput(name, value) => {
            response.body = page::add_input(&response.body, name, value)?;
            Ok(format!(
                "the attacker added a hidden input {name}={value} to the form"
            ))
        }
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

/// Changes a request the OP sends the RP (a back-channel logout
/// notification) as `tamper` says; says what was done.
pub fn apply_to_notification(tamper: Tamper, request: &mut OAuthRequest) -> Result<String, String> {
    let Tamper::ForgeLogoutToken(forge) = tamper else {
        return Err(format!("{tamper:?} changes an answer, not a notification"));
    };
    let mut form: Vec<(String, String)> = url::form_urlencoded::parse(request.body.as_bytes())
        .into_owned()
        .collect();
    let slot = form
        .iter_mut()
        .find(|(k, _)| k == "logout_token")
        .ok_or("no logout_token in the notification to forge")?;
    let mut claims = oauth_core::jose::decode_unverified(&slot.1)
        .map_err(|e| e.to_string())?
        .claims;
    let map = claims
        .as_object_mut()
        .ok_or("the logout token's claims are not an object")?;
    let what = change_claims(forge, map);
    let key = key()?;
    let header = json!({"alg": "RS256", "typ": "logout+jwt", "kid": key.kid()});
    slot.1 = key
        .sign_exact(&header, &claims)
        .map_err(|e| e.to_string())?;
    request.body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    Ok(format!(
        "the attacker sent a logout token of its own, signed with its key: {what}"
    ))
}

/// Puts an ID token of the attacker's making into the answer: the claims of
/// the one in it (or the last one seen), changed as `forge` says, signed
/// with the attacker's key, with `at_hash`/`c_hash` made to fit the answer
/// — as a malicious AS would, so that only the check under test can object.
fn forge_id_token(
    forge: Forge,
    memory: &mut Memory,
    response: &mut OAuthResponse,
) -> Result<String, String> {
    let redirect = !response.location.is_empty();
    let params: HashMap<String, String> = redirect_params(&response.location).into_iter().collect();
    let body: Option<serde_json::Map<String, Value>> = if redirect {
        None
    } else {
        Some(body_object(response)?)
    };
    let in_answer = if redirect {
        params.get("id_token").cloned()
    } else {
        body.as_ref()
            .and_then(|b| b.get("id_token"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let base = in_answer
        .or_else(|| memory.id_token.as_ref().map(|t| t.expose().to_owned()))
        .ok_or("the attacker has seen no ID token to start from")?;
    let mut claims = oauth_core::jose::decode_unverified(&base)
        .map_err(|e| e.to_string())?
        .claims;
    let map = claims
        .as_object_mut()
        .ok_or("the ID token's claims are not an object")?;
    let what = change_claims(forge, map);
    let hash = |value: &str| oauth_core::oidc::left_hash(JwsAlgorithm::RS256, value);
    if map.contains_key("c_hash")
        && let Some(code) = params.get("code")
    {
        map.insert("c_hash".into(), json!(hash(code)));
    }
    if map.contains_key("at_hash")
        && let Some(token) = body
            .as_ref()
            .and_then(|b| b.get("access_token"))
            .and_then(Value::as_str)
    {
        map.insert("at_hash".into(), json!(hash(token)));
    }
    let key = key()?;
    let mut header = json!({"alg": "RS256", "typ": "JWT", "kid": key.kid()});
    if matches!(forge, Forge::Crit)
        && let Some(h) = header.as_object_mut()
    {
        h.insert("crit".into(), json!(["urn:example:attacker"]));
        h.insert("urn:example:attacker".into(), json!(true));
    }
    let forged = key
        .sign_exact(&header, &claims)
        .map_err(|e| e.to_string())?;
    match body {
        None => {
            remove_redirect_params(response, &["error", "error_description"])?;
            set_redirect_param(response, "id_token", &forged)?;
        }
        Some(mut b) => {
            b.insert("id_token".into(), Value::String(forged));
            set_body(response, b);
        }
    }
    Ok(format!(
        "the attacker put in an ID token of its own, signed with its key: {what}"
    ))
}

/// Changes a token's claims as `forge` says; says what it did.
fn change_claims(forge: Forge, map: &mut serde_json::Map<String, Value>) -> String {
    match forge {
        Forge::AsIs => "re-signed as it was".to_owned(),
        Forge::Claim(name, value) => {
            map.insert(name.to_owned(), Value::String(value.to_owned()));
            format!("{name} set to {value:?}")
        }
        Forge::ExtraAudience(aud) => {
            let mut audiences = match map.get("aud") {
                Some(Value::Array(a)) => a.clone(),
                Some(v) => vec![v.clone()],
                None => Vec::new(),
            };
            audiences.push(Value::String(aud.to_owned()));
            map.insert("aud".into(), Value::Array(audiences));
            format!("{aud:?} added to aud")
        }
        Forge::Remove(name) => {
            map.remove(name);
            format!("{name} removed")
        }
        Forge::NotBeforeIn(seconds) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            map.insert("nbf".into(), json!(now + seconds));
            format!("nbf set {seconds} s ahead")
        }
        Forge::Crit => "a critical header extension added".to_owned(),
    }
}

/// Puts a response JWT (JARM) of the attacker's making in the answer, in
/// the redirect or the form where the AS put its own: the claims of the
/// AS's, changed as `forge` says, signed with the attacker's key.
fn forge_response_jwt(forge: Forge, response: &mut OAuthResponse) -> Result<String, String> {
    let redirect = !response.location.is_empty();
    let genuine = if redirect {
        redirect_params(&response.location)
            .into_iter()
            .find(|(k, _)| k == "response")
            .map(|(_, v)| v)
    } else {
        page::input_value(&response.body, "response")
    }
    .ok_or("no response JWT in the answer to forge")?;
    let mut claims = oauth_core::jose::decode_unverified(&genuine)
        .map_err(|e| e.to_string())?
        .claims;
    let map = claims
        .as_object_mut()
        .ok_or("the response JWT's claims are not an object")?;
    let what = change_claims(forge, map);
    let key = key()?;
    let mut header = json!({"alg": "RS256", "typ": "JWT", "kid": key.kid()});
    if matches!(forge, Forge::Crit)
        && let Some(h) = header.as_object_mut()
    {
        h.insert("crit".into(), json!(["urn:example:attacker"]));
    }
    let forged = key
        .sign_exact(&header, &claims)
        .map_err(|e| e.to_string())?;
    if redirect {
        set_redirect_param(response, "response", &forged)?;
    } else {
        response.body = page::set_input(&response.body, "response", &forged)?;
    }
    Ok(format!(
        "the attacker put in a response JWT signed with its own key: {what}"
    ))
}
