//! The clients a run registers at a server over HTTP. The attacks played
//! by a second client need one: given (`--client2`), or, where the server
//! offers dynamic registration, registered for the run (RFC 7591 §3). At
//! the end every client registered during the run — that one, and those
//! the stories' registration steps made — is deleted where the server
//! offers client management (RFC 7592 §2.3); the rest are listed.
use oauth_core::secret::Secret;
use oidc_story_proto::v1::OAuthRequest;
use rp_service::service::registry::ClientService;
use serde_json::{Value, json};

use super::{ClientSettings, Issuer, SECOND_PROFILE};
use crate::carrier::{Carrier, check_url};
use crate::runner::StoryRecord;
use crate::summary::LeftRegistered;

/// Why a client is left registered at a server without RFC 7592.
pub const NO_MANAGEMENT: &str = "the provider offers no client management (RFC 7592)";

/// The second client of the attacks where another client redeems the
/// first's code or request_uri (the RP's profile `client_2`).
#[derive(Debug, Clone)]
pub enum SecondClient {
    /// The built-in profiles run as they are, `client_2` among them.
    BuiltIn,
    /// `--client2 FILE`.
    Given(ClientSettings),
    /// Registered for this run (RFC 7591).
    Registered(ClientSettings, Registered),
    /// None to be had: why the stories needing one are skipped.
    Lacking(String),
}

impl SecondClient {
    /// The client `client_2` becomes, when not the built-in one.
    pub fn settings(&self) -> Option<&ClientSettings> {
        match self {
            Self::Given(c) | Self::Registered(c, _) => Some(c),
            Self::BuiltIn | Self::Lacking(_) => None,
        }
    }

    /// Why the stories played by a second client cannot run, if they cannot.
    pub fn lacking(&self) -> Option<&str> {
        match self {
            Self::Lacking(why) => Some(why),
            _ => None,
        }
    }

    /// The client the run registered, to delete at its end.
    pub fn registered(&self) -> Option<&Registered> {
        match self {
            Self::Registered(_, r) => Some(r),
            _ => None,
        }
    }

    /// What the transcript header says of it (secrets redacted), when it
    /// is not the built-in one.
    pub fn describe(&self) -> Option<String> {
        match self {
            Self::Given(c) => Some(format!("{} (--client2)", c.describe())),
            Self::Registered(c, _) => Some(format!(
                "{} (registered for this run, RFC 7591)",
                c.describe()
            )),
            Self::BuiltIn | Self::Lacking(_) => None,
        }
    }
}

/// A client registered at the server during the run, and where and with
/// what it may be deleted (RFC 7592 §3: `registration_client_uri` and
/// `registration_access_token` in the registration answer).
#[derive(Debug, Clone)]
pub struct Registered {
    pub client_id: String,
    pub client_uri: Option<String>,
    pub access_token: Option<Secret>,
}

impl Registered {
    /// The client a registration answer names (RFC 7591 §3.2.1), if any.
    pub fn from_answer(body: &Value) -> Option<Self> {
        let text = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Some(Self {
            client_id: text("client_id")?,
            client_uri: text("registration_client_uri"),
            access_token: text("registration_access_token").map(Secret::new),
        })
    }
}

/// The clients a story's registration steps registered: each answered
/// with a success naming a client (even where the RP then refused the
/// answer, the server holds the client).
pub fn registered_in(record: &StoryRecord) -> Vec<Registered> {
    record
        .steps
        .iter()
        .filter(|s| {
            s.service == ClientService::Registration.name()
                && (200..300).contains(&s.response.status)
        })
        .filter_map(|s| Registered::from_answer(s.response.body.value()))
        .collect()
}

/// The token endpoint authentication method the second client registers:
/// client_secret_basic where the server offers it (its default, OIDC
/// Discovery §3), else client_secret_post, else the server's choice.
fn second_method(issuer: &Issuer) -> Option<&'static str> {
    const MEMBER: &str = "token_endpoint_auth_methods_supported";
    if issuer.lists(MEMBER, "client_secret_basic", &["client_secret_basic"]) {
        Some("client_secret_basic")
    } else if issuer.lists(MEMBER, "client_secret_post", &[]) {
        Some("client_secret_post")
    } else {
        None
    }
}

/// The redirect URI of the built-in second client.
fn built_in_redirect_uri() -> Option<String> {
    rp_service::config::Config::default_config()
        .ok()?
        .profiles
        .get(SECOND_PROFILE)?
        .redirect_uri
        .clone()
}

/// Registers a second client at the server (RFC 7591 §3.1): a code client
/// coming back to the first client's redirect URI (or the built-in second
/// client's), its scope the first's. Returns its settings and how to
/// delete it.
pub async fn register_second(
    carrier: &Carrier,
    issuer: &Issuer,
    first: &ClientSettings,
) -> Result<(ClientSettings, Registered), String> {
    let endpoint = issuer
        .metadata
        .get("registration_endpoint")
        .and_then(Value::as_str)
        .ok_or("the provider offers no dynamic registration (no registration_endpoint)")?;
    let redirect_uri = first
        .redirect_uri
        .clone()
        .or_else(built_in_redirect_uri)
        .ok_or("no redirect URI to register")?;
    // OIDC Registration §2: a client coming back to loopback http is a
    // native one.
    let native = url::Url::parse(&redirect_uri)
        .is_ok_and(|u| u.scheme() == "http" && rp_service::service::discovery::is_loopback(&u));
    let mut metadata = json!({
        "client_name": "oidc-story second client",
        "application_type": if native { "native" } else { "web" },
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    });
    if let Some(method) = second_method(issuer) {
        metadata["token_endpoint_auth_method"] = method.into();
    }
    let request = OAuthRequest {
        method: "POST".into(),
        url: endpoint.to_owned(),
        headers: [
            ("content-type".to_owned(), "application/json".to_owned()),
            ("accept".to_owned(), "application/json".to_owned()),
        ]
        .into(),
        body: metadata.to_string(),
    };
    let answer = carrier.send(&request).await.map_err(|e| e.to_string())?;
    let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    if !(200..300).contains(&answer.status) {
        return Err(format!(
            "{endpoint} answered {}{}",
            answer.status,
            oauth_error(&body)
        ));
    }
    let registered = Registered::from_answer(&body)
        .ok_or_else(|| format!("{endpoint} answered {} naming no client_id", answer.status))?;
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let settings = ClientSettings {
        client_id: Some(registered.client_id.clone()),
        client_secret: text("client_secret").map(oauth_core::secret::Secret::new),
        // As registered (RFC 7591 §3.2.1: the server may have changed it).
        redirect_uri: Some(
            body.get("redirect_uris")
                .and_then(|r| r.get(0))
                .and_then(Value::as_str)
                .map_or(redirect_uri, str::to_owned),
        ),
        scope: first.scope.clone(),
        auth_method: text("token_endpoint_auth_method")
            .or_else(|| second_method(issuer).map(str::to_owned)),
        ..ClientSettings::default()
    };
    Ok((settings, registered))
}

/// `: error: description` of an OAuth error answer, else nothing.
fn oauth_error(body: &Value) -> String {
    let Some(error) = body.get("error").and_then(Value::as_str) else {
        return String::new();
    };
    match body.get("error_description").and_then(Value::as_str) {
        Some(d) if !d.is_empty() => format!(": {error}: {d}"),
        _ => format!(": {error}"),
    }
}

/// `scheme://host:port` of a URL.
fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// Deletes a registered client (RFC 7592 §2.3): `DELETE` of its
/// `registration_client_uri` with its `registration_access_token` as a
/// bearer token, answered 204. The token goes nowhere else: the URI is
/// checked like every endpoint (https, or http on loopback), must be at
/// the registration endpoint's origin, and no redirect is followed.
async fn delete(
    carrier: &Carrier,
    registration_endpoint: Option<&str>,
    client: &Registered,
) -> Result<(), String> {
    let Some(uri) = &client.client_uri else {
        return Err(NO_MANAGEMENT.to_owned());
    };
    let Some(token) = &client.access_token else {
        return Err(
            "its registration answer gave a registration_client_uri but no registration_access_token (RFC 7592 §3)"
                .to_owned(),
        );
    };
    let target = check_url(uri).map_err(|e| e.to_string())?;
    let endpoint = registration_endpoint.and_then(|e| url::Url::parse(e).ok());
    if let Some(endpoint) = endpoint
        && origin(&endpoint) != origin(&target)
    {
        return Err(format!(
            "its registration_client_uri {uri} is not at the registration endpoint's origin {}: its token was not sent there",
            origin(&endpoint)
        ));
    }
    let request = OAuthRequest {
        method: "DELETE".into(),
        url: uri.clone(),
        headers: [
            (
                "authorization".to_owned(),
                format!("Bearer {}", token.expose()),
            ),
            ("accept".to_owned(), "application/json".to_owned()),
        ]
        .into(),
        body: String::new(),
    };
    let answer = carrier.send(&request).await.map_err(|e| e.to_string())?;
    if answer.status == 204 {
        return Ok(());
    }
    let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    Err(format!(
        "DELETE {uri} was answered {} where RFC 7592 §2.3 gives 204{}",
        answer.status,
        oauth_error(&body)
    ))
}

/// Deletes every client registered during the run, each once; returns
/// how many were deleted and those left registered, with why.
pub async fn clean_up(
    carrier: &Carrier,
    issuer: &Issuer,
    registered: Vec<Registered>,
) -> (usize, Vec<LeftRegistered>) {
    let endpoint = issuer
        .metadata
        .get("registration_endpoint")
        .and_then(Value::as_str);
    let mut seen = std::collections::BTreeSet::new();
    let mut deleted = 0;
    let mut left = Vec::new();
    for client in registered {
        if !seen.insert(client.client_id.clone()) {
            continue;
        }
        match delete(carrier, endpoint, &client).await {
            Ok(()) => deleted += 1,
            Err(why) => left.push(LeftRegistered {
                client_id: client.client_id,
                why,
            }),
        }
    }
    (deleted, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carrier() -> Carrier {
        Carrier::new(None).unwrap()
    }

    fn registered(uri: Option<&str>, token: Option<&str>) -> Registered {
        Registered {
            client_id: "c1".into(),
            client_uri: uri.map(str::to_owned),
            access_token: token.map(Secret::new),
        }
    }

    #[test]
    fn a_registration_answer_names_the_client_and_its_management() {
        let answer = json!({
            "client_id": "c1",
            "client_secret": "s",
            "registration_client_uri": "https://op.example/register/c1",
            "registration_access_token": "rat",
        });
        let r = Registered::from_answer(&answer).unwrap();
        assert_eq!(r.client_id, "c1");
        assert_eq!(
            r.client_uri.as_deref(),
            Some("https://op.example/register/c1")
        );
        assert_eq!(r.access_token.as_ref().map(Secret::expose), Some("rat"));
        assert!(Registered::from_answer(&json!({"error": "invalid_client_metadata"})).is_none());
        let plain = Registered::from_answer(&json!({"client_id": "c2"})).unwrap();
        assert!(plain.client_uri.is_none() && plain.access_token.is_none());
    }

    #[tokio::test]
    async fn without_rfc_7592_a_client_is_left_registered_saying_why() {
        let why = delete(&carrier(), None, &registered(None, None))
            .await
            .unwrap_err();
        assert_eq!(why, NO_MANAGEMENT);
        let why = delete(
            &carrier(),
            None,
            &registered(Some("https://op.example/register/c1"), None),
        )
        .await
        .unwrap_err();
        assert!(why.contains("no registration_access_token"), "{why}");
    }

    /// A server managing clients (RFC 7592) on loopback: `DELETE
    /// /register/{id}` with the token `rat` is answered 204, anything else 401.
    async fn managing_server() -> String {
        use axum::http::{HeaderMap, StatusCode};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/register/{id}",
            axum::routing::delete(|headers: HeaderMap| async move {
                let bearer = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if bearer == "Bearer rat" {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::UNAUTHORIZED
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    }

    #[tokio::test]
    async fn a_client_under_rfc_7592_is_deleted_with_its_token_and_one_refused_is_listed() {
        let base = managing_server().await;
        let issuer = Issuer {
            issuer: base.clone(),
            metadata: json!({"registration_endpoint": format!("{base}/register")}),
            openid_configuration: true,
            oauth_metadata: false,
        };
        let uri = format!("{base}/register/c1");
        let mut wrong = registered(Some(&format!("{base}/register/c2")), Some("other"));
        wrong.client_id = "c2".into();
        let plain = Registered {
            client_id: "c3".into(),
            client_uri: None,
            access_token: None,
        };
        // c1 twice (the run's and a story's record of it): deleted once.
        let (deleted, left) = clean_up(
            &carrier(),
            &issuer,
            vec![
                registered(Some(&uri), Some("rat")),
                wrong,
                registered(Some(&uri), Some("rat")),
                plain,
            ],
        )
        .await;
        assert_eq!(deleted, 1);
        let left: Vec<_> = left
            .iter()
            .map(|l| (l.client_id.as_str(), l.why.as_str()))
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        assert_eq!(left[0].0, "c2");
        assert!(left[0].1.contains("answered 401"), "{left:?}");
        assert_eq!(left[1], ("c3", NO_MANAGEMENT));
    }

    #[tokio::test]
    async fn the_registration_access_token_goes_to_no_other_origin() {
        // Plain http off loopback: refused before anything is sent.
        let why = delete(
            &carrier(),
            None,
            &registered(Some("http://op.example/register/c1"), Some("rat")),
        )
        .await
        .unwrap_err();
        assert!(why.contains("loopback"), "{why}");
        // Another origin than the registration endpoint's.
        let why = delete(
            &carrier(),
            Some("https://op.example/register"),
            &registered(Some("https://elsewhere.example/c1"), Some("tok-7592")),
        )
        .await
        .unwrap_err();
        assert!(
            why.contains("not at the registration endpoint's origin"),
            "{why}"
        );
        assert!(!why.contains("tok-7592"), "{why}");
    }
}
