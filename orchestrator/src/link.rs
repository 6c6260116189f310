//! A server over HTTP standing in for the AS (`--issuer`): each prepared
//! request carried as it is. The authorization request is where a person
//! may be wanted: with `--browser` a person does it; with `--login` the
//! orchestrator walks the server's login as a browser would — following its
//! redirects, filling in and submitting its forms (a login form, then an
//! approval page), keeping its cookies — until the browser is sent back to
//! the client; with neither, a login page or a redirect to one ends the
//! story as a person's part.
use oidc_story_proto::v1::{Endpoint, OAuthRequest, OAuthResponse};

use crate::carrier::Carrier;
use crate::fault::HttpFault;
use crate::record::LoginHop;

pub(crate) mod cookies;

pub(crate) use cookies::Jar;

/// Hops of a `--login` walk at most: redirects followed and forms sent.
const MAX_HOPS: usize = 12;
/// Forms submitted at most in one walk (a login, an approval, a choice).
const MAX_FORMS: usize = 4;

/// How the authorization step reaches a server over HTTP that wants a
/// person to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// Send the request; a login page stops the story with a hint.
    None,
    /// Hand the URL to a browser and wait for the redirect on the redirect
    /// URI's loopback port (`--browser`).
    Browser,
    /// Fill in the login's forms with these fields (`--login`), for test
    /// servers whose login is a form.
    Form(Vec<(String, String)>),
}

/// A server over HTTP standing in for the AS.
#[derive(Clone)]
pub struct HttpLink {
    pub carrier: Carrier,
    pub login: Login,
    /// The server publishes its OpenID configuration but no RFC 8414
    /// metadata: a story's RFC 8414 discovery step reads the OpenID
    /// configuration instead, as RFC 8414 §5 allows.
    pub metadata_from_openid: bool,
    /// The user's client, when one is given (stories' own scopes and
    /// authentication methods give way to it).
    pub user_client: Option<crate::external::ClientSettings>,
    /// The client's back-channel logout URI, listened on (`--backchannel-uri`).
    pub backchannel: Option<std::sync::Arc<crate::backchannel::Inbox>>,
    /// The redirect URI given (`--redirect-uri`): where the browser comes
    /// back when the authorization URL names none (a pushed request).
    pub redirect_uri: Option<String>,
    /// The UserInfo endpoint the metadata names: where a request whose
    /// envelope names another URL (a proof made for another resource)
    /// goes over HTTP, the URL being where a request goes.
    pub userinfo_endpoint: Option<String>,
    /// Whether the metadata names an introspection endpoint: a step that
    /// only looks, at a SHOULD, whether a token was revoked is left out
    /// where there is none.
    pub introspection: bool,
}

impl HttpLink {
    /// The request as HTTP carries it: one that names another URL than
    /// the UserInfo endpoint it is for goes there all the same (its DPoP
    /// proof still names the other URL).
    pub(crate) fn delivered_to_endpoint(
        &self,
        endpoint: Endpoint,
        request: &OAuthRequest,
    ) -> Option<OAuthRequest> {
        let url = self.userinfo_endpoint.as_ref()?;
        (endpoint == Endpoint::Userinfo && request.url != *url).then(|| OAuthRequest {
            url: url.clone(),
            ..request.clone()
        })
    }

    /// Carries one prepared request; returns the answer, and the login
    /// walked on the way to it (`--login`), if any. The authorization
    /// request goes to a browser with `--browser`; with `--login` a login
    /// is walked; without either, a page or a redirect to the server's own
    /// login is a person's part, and the story ends saying so.
    pub(crate) async fn send(
        &self,
        endpoint: Endpoint,
        request: &OAuthRequest,
        jar: &mut Jar,
    ) -> Result<(OAuthResponse, Vec<LoginHop>), HttpFault> {
        let client_redirect_uri = self.redirect_uri.as_deref();
        if endpoint == Endpoint::DeviceVerification && self.login == Login::Browser {
            return Ok((crate::login::hand_to_person(&request.url), Vec::new()));
        }
        if endpoint == Endpoint::Authorization && self.login == Login::Browser {
            return crate::login::in_browser(&request.url, client_redirect_uri)
                .await
                .map(|answer| (answer, Vec::new()))
                .map_err(HttpFault::Browser);
        }
        let response = self
            .carrier
            .send(request)
            .await
            .map_err(HttpFault::Carrier)?;
        // The browser keeps what the first answer sets, for the walk.
        if let Ok(at) = url::Url::parse(&request.url) {
            jar.keep(&at, &response);
        }
        if endpoint == Endpoint::DeviceVerification {
            return self.user_step(request, response, jar).await;
        }
        if endpoint != Endpoint::Authorization {
            return Ok((response, Vec::new()));
        }
        let redirect_uri = crate::login::redirect_uri_of(&request.url)
            .or_else(|| client_redirect_uri.map(str::to_owned));
        if answered(&response, redirect_uri.as_deref()) {
            return Ok((response, Vec::new()));
        }
        // Neither a redirect nor a page (an error, a JSON answer): the
        // server's answer to the request, whatever the login mode.
        let page = is_html(&response) && response.status == 200;
        if response.location.is_empty() && !page {
            return Ok((response, Vec::new()));
        }
        match &self.login {
            Login::Form(fields) => {
                let back = |r: &OAuthResponse| answered(r, redirect_uri.as_deref());
                self.walk(request, response, fields, back, "the login", jar)
                    .await
            }
            _ if !response.location.is_empty() => Err(HttpFault::LoginRedirect(response.location)),
            _ => Err(HttpFault::LoginPage),
        }
    }

    /// The user's step at the verification URI (RFC 8628 §3.3): a page
    /// without a form is the server's word that the device is approved; a
    /// login (a redirect, a form) is a person's part, walked with `--login`
    /// until such a page comes.
    async fn user_step(
        &self,
        request: &OAuthRequest,
        response: OAuthResponse,
        jar: &mut Jar,
    ) -> Result<(OAuthResponse, Vec<LoginHop>), HttpFault> {
        let done = |r: &OAuthResponse| {
            r.location.is_empty()
                && !(is_html(r) && crate::form_login::find_form(&r.body, &[]).is_some())
        };
        if done(&response) {
            return Ok((response, Vec::new()));
        }
        let Login::Form(fields) = &self.login else {
            return Err(if response.location.is_empty() {
                HttpFault::LoginPage
            } else {
                HttpFault::LoginRedirect(response.location)
            });
        };
        self.walk(
            request,
            response,
            fields,
            done,
            "the user's step at the verification URI",
            jar,
        )
        .await
    }

    /// The `--login` walk: redirects followed and forms submitted, cookies
    /// kept per host in the story's browser (`jar`: the login it leaves is
    /// the browser's for the story's next requests), until `done` says the
    /// answer is the one the story waits for (`what` names that wait in
    /// errors).
    async fn walk(
        &self,
        request: &OAuthRequest,
        mut answer: OAuthResponse,
        fields: &[(String, String)],
        done: impl Fn(&OAuthResponse) -> bool,
        what: &str,
        jar: &mut Jar,
    ) -> Result<(OAuthResponse, Vec<LoginHop>), HttpFault> {
        let mut at =
            url::Url::parse(&request.url).map_err(|e| HttpFault::LoginForm(e.to_string()))?;
        let mut forms = 0;
        // The walk as the transcript shows it: the request's first answer,
        // then each request the walk makes and its answer.
        let mut hops = vec![hop(request, &answer)];
        for _ in 0..MAX_HOPS {
            if done(&answer) {
                return Ok((answer, hops));
            }
            let next = if !answer.location.is_empty() {
                let to = url::Url::parse(&answer.location)
                    .map_err(|e| HttpFault::LoginForm(format!("a redirect of the login: {e}")))?;
                get(to)
            } else if answer.status == 200 && is_html(&answer) {
                if forms == MAX_FORMS {
                    return Err(HttpFault::LoginForm(format!(
                        "{what} showed {MAX_FORMS} forms (--login) and did not end"
                    )));
                }
                forms += 1;
                submission(&at, &answer.body, fields)?
            } else if answer.status >= 400 {
                // The server's refusal, once the person is logged in (a
                // redirect URI it will not send anything to): its answer to
                // the request.
                return Ok((answer, hops));
            } else {
                return Err(HttpFault::LoginForm(format!(
                    "{what} (--login) was answered {} where a page or a redirect was due",
                    answer.status
                )));
            };
            at = next.0;
            let mut sent = next.1;
            if let Some(cookie) = jar.header_for(&at) {
                sent.headers.insert("cookie".into(), cookie);
            }
            answer = self.carrier.send(&sent).await.map_err(HttpFault::Carrier)?;
            jar.keep(&at, &answer);
            hops.push(hop(&sent, &answer));
        }
        Err(HttpFault::LoginForm(format!(
            "{what} (--login) took more than {MAX_HOPS} steps without ending"
        )))
    }
}

/// A request of the walk and its answer, the form's values left out.
fn hop(request: &OAuthRequest, answer: &OAuthResponse) -> LoginHop {
    let fields = if request.method == "POST" {
        url::form_urlencoded::parse(request.body.as_bytes())
            .map(|(name, _)| name.into_owned())
            .collect()
    } else {
        Vec::new()
    };
    LoginHop {
        method: request.method.clone(),
        url: request.url.clone(),
        fields,
        status: answer.status,
        location: answer.location.clone(),
    }
}

fn is_html(response: &OAuthResponse) -> bool {
    response
        .headers
        .get("content-type")
        .is_some_and(|t| t.contains("text/html"))
}

/// Whether `response` is the authorization response: a redirect to the
/// client's redirect URI, or a page whose form posts there (Form Post
/// Response Mode §2).
fn answered(response: &OAuthResponse, redirect_uri: Option<&str>) -> bool {
    let Some(redirect_uri) = redirect_uri else {
        return !response.location.is_empty();
    };
    if !response.location.is_empty() {
        return response.location.starts_with(redirect_uri);
    }
    response.status == 200
        && is_html(response)
        && crate::form_login::find_form(&response.body, &[])
            .is_some_and(|form| form.method == "POST" && form.action == redirect_uri)
}

/// A GET of `to`, as a browser follows a redirect.
fn get(to: url::Url) -> (url::Url, OAuthRequest) {
    let request = OAuthRequest {
        method: "GET".into(),
        url: to.to_string(),
        headers: [("accept".to_owned(), "text/html".to_owned())].into(),
        body: String::new(),
    };
    (to, request)
}

/// The page's form submitted as a browser would: its hidden fields, its
/// default button, and those of the user's fields the form has.
fn submission(
    page_url: &url::Url,
    page: &str,
    fields: &[(String, String)],
) -> Result<(url::Url, OAuthRequest), HttpFault> {
    let form = crate::form_login::find_form(page, fields).ok_or(HttpFault::NoLoginForm)?;
    let mut target = if form.action.is_empty() {
        page_url.clone()
    } else {
        page_url
            .join(&form.action)
            .map_err(|e| HttpFault::LoginForm(format!("the login form's action: {e}")))?
    };
    let theirs = fields.iter().filter(|(name, _)| form.names.contains(name));
    let button = form
        .submit
        .iter()
        .filter(|(name, _)| !fields.iter().any(|(f, _)| f == name));
    let pairs: Vec<(String, String)> = form
        .hidden
        .iter()
        .chain(button)
        .chain(theirs)
        .cloned()
        .collect();
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let request = if form.method == "POST" {
        OAuthRequest {
            method: "POST".into(),
            url: target.to_string(),
            headers: [
                (
                    "content-type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("accept".to_owned(), "text/html".to_owned()),
            ]
            .into(),
            body: encoded,
        }
    } else {
        target.set_query(Some(&encoded));
        get(target.clone()).1
    };
    Ok((target, request))
}
