//! Registering the RP with the OP (OIDC Registration 1.0 §3.1, RFC 7591
//! §3.1): its redirect URI, its public keys, its authentication method;
//! the credentials it gets are used for the rest of the session.
use std::collections::BTreeMap;

use oauth_core::client_auth::AuthMethod;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::secret::Secret;
use serde_json::{Value, json};

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::client_auth::{arg, endpoint_url};
use crate::service::outcome::{Parsed, Staged, StepError};
use crate::service::registry::AsEndpoint;
use crate::service::variation::{Variations, varied_registration_jwks};
use crate::session::{Pending, Registered, Session};

pub fn request(
    rp: &RelyingParty,
    session: &Session,
    args: &BTreeMap<String, String>,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
    let profile = &session.profile;
    let redirect_uri = profile
        .redirect_uri
        .as_ref()
        .ok_or_else(|| StepError::Profile("no redirect_uri configured".into()))?;
    let method = arg(args, "token_endpoint_auth_method")
        .map(str::to_owned)
        .unwrap_or_else(|| profile.token_endpoint_auth_method.to_string());
    let grant_types: Vec<&str> = arg(args, "grant_types")
        .map_or_else(|| vec!["authorization_code"], |g| g.split(' ').collect());
    // OIDC Registration §2: a client coming back to loopback http is a
    // native one (a web client's redirect URIs are https, not localhost).
    let native = url::Url::parse(redirect_uri)
        .is_ok_and(|u| u.scheme() == "http" && crate::service::discovery::is_loopback(&u));
    let mut metadata = json!({
        "application_type": if native { "native" } else { "web" },
        "client_name": format!("oidc-story RP ({})", profile.name),
        "redirect_uris": [redirect_uri],
        "response_types": ["code"],
        "grant_types": grant_types,
        "token_endpoint_auth_method": method,
        "id_token_signed_response_alg": profile.id_token_signed_response_alg,
        "subject_type": arg(args, "subject_type").unwrap_or("public"),
        "request_object_signing_alg": arg(args, "request_object_signing_alg").unwrap_or("ES256"),
        // Only public keys: a client never publishes a secret (RFC 7591 §2).
        "jwks": match vary.registration_jwks() {
            None => rp.keys.public_jwks(),
            Some(v) => varied_registration_jwks(v, &rp.keys.to_private_jwks())?,
        },
    });
    if let Some(scope) = arg(args, "scope") {
        metadata["scope"] = Value::String(scope.to_owned());
    }
    // OIDC RP-Initiated Logout §3.1: where the user agent may return.
    if let Some(back) = &profile.post_logout_redirect_uri {
        metadata["post_logout_redirect_uris"] = json!([back]);
    }
    HttpRequest::new(
        "POST",
        endpoint_url(rp, session, AsEndpoint::Registration)?,
        [
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ],
        metadata.to_string(),
    )
    .map_err(|e| StepError::BadArgument(e.to_string()))
}

/// RFC 7591 §3.2.1: 201 with the credentials and the metadata as
/// registered. The session's client becomes the registered one — once: a
/// second registration, or one while an authorization or tokens of the
/// current client are held, would have the next token request
/// authenticate as another client than the one the code was issued to
/// (RFC 6749 §4.1.3), so its answer is refused and the client kept.
pub fn verify(
    session: &Session,
    pending: &Pending,
    response: &HttpResponse,
    body: Value,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    let held = [
        (session.registered, "a client registered earlier"),
        (
            session.authorization.is_some(),
            "an authorization request in flight",
        ),
        (session.code.is_some(), "a code"),
        (!session.tokens.is_empty(), "tokens"),
    ]
    .into_iter()
    .filter(|(held, _)| *held)
    .map(|(_, what)| what)
    .collect::<Vec<_>>();
    parsed.must(
        CheckId::RegistrationClientKept,
        "the session's client is not replaced",
        held.is_empty(),
        if held.is_empty() {
            "the first client of this session".to_owned()
        } else {
            format!(
                "the session holds {} for client {:?}; a new client would redeem them",
                held.join(", "),
                session.profile.client_id
            )
        },
        "RFC 6749 §4.1.3",
    );
    // §3.2.1: "the server responds with an HTTP 201 Created" — a statement
    // with no MUST: another success is a warning, not a failure.
    let success = (200..300).contains(&response.status);
    parsed.must(
        CheckId::RegistrationStatus,
        "HTTP status is a success (2xx)",
        success,
        response.status.to_string(),
        "RFC 7591 §3.2.1",
    );
    if success {
        parsed.should(
            CheckId::RegistrationCreated,
            "HTTP status is 201 Created",
            response.status == 201,
            response.status.to_string(),
            "RFC 7591 §3.2.1 (\"responds with\", no MUST)",
        );
    }
    let sent: Value = serde_json::from_str(&pending.body).unwrap_or(Value::Null);
    if success {
        replaced(&sent, &body, parsed);
    }
    let leaked = sent["jwks"]["keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .any(|k| k.get("d").is_some() || k.get("k").is_some() || k["kty"] == "oct")
        })
        .unwrap_or(false);
    parsed.must(
        CheckId::RegistrationPublicKeysOnly,
        "the registration published public keys only",
        !leaked,
        "no private member, no symmetric key in jwks",
        "RFC 7591 §2",
    );
    let client_id = body.get("client_id").and_then(Value::as_str).unwrap_or("");
    parsed.must(
        CheckId::RegistrationClientId,
        "client_id is issued",
        !client_id.is_empty(),
        client_id.to_owned(),
        "RFC 7591 §3.2.1",
    );
    let method = body
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or("client_secret_basic");
    let secret = body.get("client_secret").and_then(Value::as_str);
    // A secret is what client_secret_* authenticate with; the other
    // methods (none, private_key_jwt) need none, and one issued anyway is
    // merely unused.
    let needs_secret = method.starts_with("client_secret_");
    parsed.must(
        CheckId::RegistrationClientSecret,
        "client_secret is issued for a secret-based method",
        secret.is_some() || !needs_secret,
        format!(
            "{method}: {}",
            if secret.is_some() {
                "secret issued"
            } else {
                "no secret"
            }
        ),
        "RFC 7591 §3.2.1",
    );
    if secret.is_some() {
        let expires = body.get("client_secret_expires_at").and_then(Value::as_i64);
        parsed.must(
            CheckId::RegistrationSecretExpiry,
            "client_secret_expires_at is given",
            expires.is_some(),
            expires.map_or("missing".into(), |e| {
                if e == 0 {
                    "never".into()
                } else {
                    e.to_string()
                }
            }),
            "RFC 7591 §3.2.1",
        );
    }
    parsed.should(
        CheckId::RegistrationRedirectUris,
        "redirect_uris are registered as sent",
        body.get("redirect_uris") == sent.get("redirect_uris"),
        body.get("redirect_uris")
            .map_or("missing".into(), Value::to_string),
        "RFC 7591 §3.2.1",
    );
    if let Some(alg) = body
        .get("request_object_signing_alg")
        .and_then(Value::as_str)
    {
        parsed.info(
            CheckId::RegistrationRequestObjectAlg,
            "request objects are to be signed",
            alg.to_owned(),
            "RFC 9101 §10.2",
        );
    }
    staged.registration = Some(Registered {
        client_id: client_id.to_owned(),
        client_secret: secret.map(Secret::new),
        method: AuthMethod::parse(method),
        id_token_signed_response_alg: body
            .get("id_token_signed_response_alg")
            .and_then(Value::as_str)
            .map(str::to_owned),
        // JARM §3: what the AS registered signs its response JWTs.
        authorization_signed_response_alg: body
            .get("authorization_signed_response_alg")
            .and_then(Value::as_str)
            .map(str::to_owned),
    });
}

/// The members whose registration decides what the client may do (its
/// keys, its grants, how it authenticates): RFC 7591 §3.2.1 lets a server
/// register other values than asked ("MAY reject or replace"), and says
/// which in its answer. Each one registered otherwise is noted.
const DECISIVE: [&str; 3] = ["jwks", "grant_types", "token_endpoint_auth_method"];

fn replaced(sent: &Value, registered: &Value, parsed: &mut Parsed) {
    for member in DECISIVE {
        let asked = &sent[member];
        if asked.is_null() {
            continue;
        }
        let answered = &registered[member];
        let same = match (asked.as_array(), answered.as_array()) {
            // A list is a set of values (grant types).
            (Some(a), Some(b)) if member == "grant_types" => {
                a.len() == b.len() && a.iter().all(|v| b.contains(v))
            }
            _ => asked == answered,
        };
        if !same {
            parsed.info(
                CheckId::RegistrationReplaced,
                format!("{member} registered otherwise than sent"),
                if answered.is_null() {
                    "left out of the registered metadata".to_owned()
                } else {
                    let text = answered.to_string();
                    match text.char_indices().nth(200) {
                        Some((at, _)) => format!("registered: {}…", &text[..at]),
                        None => format!("registered: {text}"),
                    }
                },
                "RFC 7591 §3.2.1",
            );
        }
    }
}
