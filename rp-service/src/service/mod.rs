//! The client services: each builds one kind of request (with client
//! authentication where the endpoint needs it) and parses and verifies the
//! answer, saying what it checked. Transport-free: HTTP messages in and out.
pub mod authorization;
pub mod discovery;
pub mod id_token;
pub mod introspection;
pub mod jwks;
pub mod par;
pub mod registration;
pub mod revocation;
pub mod token;
pub mod userinfo;

use std::collections::BTreeMap;
use std::fmt;

use oauth_core::client_auth::{self, AuthMethod};
use oauth_core::form;
use oauth_core::http::{HttpRequest, HttpResponse};
use serde_json::Value;

use jsonwebtoken::jwk::JwkSet;

use crate::RelyingParty;
use crate::session::{Identity, Pending, Session};

/// The largest response body the RP reads, bytes. Metadata, key sets and
/// token responses are a few KiB; anything bigger is refused before it is
/// parsed, so an AS cannot make a session (or one call) cost megabytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest redirect location the RP reads, bytes.
pub const MAX_LOCATION_BYTES: usize = 16 * 1024;
/// The longest DPoP nonce kept from an AS (RFC 9449 §8 sets no bound).
pub const MAX_DPOP_NONCE_BYTES: usize = 512;
/// The longest endpoint URL or request_uri the RP keeps, bytes.
pub const MAX_URL_BYTES: usize = 1024;
/// The longest token the RP keeps, bytes (as long as the longest JWS it reads).
pub const MAX_TOKEN_BYTES: usize = oauth_core::jose::MAX_JWS;

/// A value the session would keep must be within the RP's bound: a check,
/// shown only when it fails (no standard sets these; the RP's memory does).
pub(crate) fn within_bound(parsed: &mut Parsed, what: &str, len: usize, max: usize) {
    if len > max {
        parsed.must(
            format!("{what} is within the RP's size limits"),
            false,
            format!("{len} bytes, at most {max}"),
            "the RP's own limit (docs/SECURITY.md)",
        );
    }
}

/// What a response would change in the session, held aside while the
/// response is checked and committed only if every check passed: nothing
/// from a refused response reaches the session — no claims, tokens, code,
/// metadata, keys or client credentials.
#[derive(Debug, Default)]
pub struct Staged {
    pub metadata: Option<discovery::Metadata>,
    pub jwks: Option<JwkSet>,
    pub identity: Option<Identity>,
    pub code: Option<String>,
    /// Tokens by name; a new `refresh_token` moves the old one to
    /// `previous_refresh_token` (attack stories present it again).
    pub tokens: Vec<(&'static str, String)>,
    pub access_token_type: Option<String>,
    /// The scope of a new grant (not of a refresh: the grant keeps its own).
    pub granted_scope: Option<String>,
    pub registration: Option<registration::Registered>,
    pub pushed_request_uri: Option<String>,
}

impl Staged {
    fn commit(self, session: &mut Session) {
        if let Some(m) = self.metadata {
            session.metadata = Some(m);
        }
        if let Some(j) = self.jwks {
            session.jwks = Some(j);
        }
        if let Some(i) = self.identity {
            session.identity = Some(i);
        }
        if let Some(c) = self.code {
            session.code = Some(c);
        }
        for (name, token) in self.tokens {
            if let Some(spent) = session.tokens.insert(name.to_owned(), token.clone())
                && name == "refresh_token"
                && spent != token
            {
                session
                    .tokens
                    .insert("previous_refresh_token".into(), spent);
            }
        }
        if let Some(t) = self.access_token_type {
            session.access_token_type = Some(t);
        }
        if let Some(s) = self.granted_scope {
            session.granted_scope = Some(s);
        }
        if let Some(r) = self.registration {
            r.apply(session);
        }
        if let Some(u) = self.pushed_request_uri {
            session.pushed_request_uri = Some(u);
        }
    }
}

/// The AS endpoints a prepared request can be meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsEndpoint {
    ServerMetadata,
    Jwks,
    Authorization,
    Token,
    Introspection,
    Revocation,
    ProviderConfiguration,
    Userinfo,
    Registration,
    PushedAuthorization,
}

impl AsEndpoint {
    /// The metadata member that names the endpoint's URL (RFC 8414 §2).
    pub fn metadata_name(self) -> &'static str {
        match self {
            Self::ServerMetadata => "issuer",
            Self::Jwks => "jwks_uri",
            Self::Authorization => "authorization_endpoint",
            Self::Token => "token_endpoint",
            Self::Introspection => "introspection_endpoint",
            Self::Revocation => "revocation_endpoint",
            Self::ProviderConfiguration => "issuer",
            Self::Userinfo => "userinfo_endpoint",
            Self::Registration => "registration_endpoint",
            Self::PushedAuthorization => "pushed_authorization_request_endpoint",
        }
    }
}

/// The client services this RP offers, by their story names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientService {
    /// RFC 8414 §3: fetch the AS metadata.
    ServerMetadata,
    /// RFC 7517 §5: fetch the AS public keys.
    Jwks,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.3.
    ResourceOwnerPasswordCredentials,
    /// RFC 6749 §4.1.1: the authorization request (with PKCE, RFC 7636).
    Authorization,
    /// RFC 6749 §4.1.3: the code for tokens.
    AccessToken,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 7662.
    Introspection,
    /// RFC 7009.
    TokenRevocation,
    /// RFC 8693.
    TokenExchange,
    /// OIDC Discovery §4: fetch the OpenID Provider metadata.
    ProviderInfo,
    /// OIDC Core §5.3.
    Userinfo,
    /// OIDC Registration §3, RFC 7591.
    Registration,
    /// RFC 9126: push the authorization request.
    PushedAuthorization,
}

impl ClientService {
    pub const ALL: [ClientService; 14] = [
        Self::PushedAuthorization,
        Self::ProviderInfo,
        Self::Registration,
        Self::Userinfo,
        Self::ServerMetadata,
        Self::Jwks,
        Self::ClientCredentials,
        Self::ResourceOwnerPasswordCredentials,
        Self::Authorization,
        Self::AccessToken,
        Self::RefreshToken,
        Self::Introspection,
        Self::TokenRevocation,
        Self::TokenExchange,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ServerMetadata => "server_metadata",
            Self::Jwks => "jwks",
            Self::ClientCredentials => "client_credentials",
            Self::ResourceOwnerPasswordCredentials => "resource_owner_password_credentials",
            Self::Authorization => "authorization",
            Self::AccessToken => "accesstoken",
            Self::RefreshToken => "refresh_token",
            Self::Introspection => "introspection",
            Self::TokenRevocation => "token_revocation",
            Self::TokenExchange => "token_exchange",
            Self::ProviderInfo => "provider_info",
            Self::Userinfo => "userinfo",
            Self::Registration => "registration",
            Self::PushedAuthorization => "pushed_authorization",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn endpoint(self) -> AsEndpoint {
        match self {
            Self::ServerMetadata => AsEndpoint::ServerMetadata,
            Self::Jwks => AsEndpoint::Jwks,
            Self::Authorization => AsEndpoint::Authorization,
            Self::Introspection => AsEndpoint::Introspection,
            Self::TokenRevocation => AsEndpoint::Revocation,
            Self::ProviderInfo => AsEndpoint::ProviderConfiguration,
            Self::Userinfo => AsEndpoint::Userinfo,
            Self::Registration => AsEndpoint::Registration,
            Self::PushedAuthorization => AsEndpoint::PushedAuthorization,
            Self::ClientCredentials
            | Self::ResourceOwnerPasswordCredentials
            | Self::AccessToken
            | Self::RefreshToken
            | Self::TokenExchange => AsEndpoint::Token,
        }
    }

    /// The standard (and section) the service's request follows.
    pub fn standard(self) -> &'static str {
        match self {
            Self::ServerMetadata => "RFC 8414 §3",
            Self::Jwks => "RFC 7517 §5",
            Self::ClientCredentials => "RFC 6749 §4.4.2",
            Self::ResourceOwnerPasswordCredentials => "RFC 6749 §4.3.2",
            Self::Authorization => "RFC 6749 §4.1.1, OIDC Core §3.1.2.1",
            Self::AccessToken => "RFC 6749 §4.1.3",
            Self::RefreshToken => "RFC 6749 §6",
            Self::Introspection => "RFC 7662 §2.1",
            Self::TokenRevocation => "RFC 7009 §2.1",
            Self::TokenExchange => "RFC 8693 §2.1",
            Self::ProviderInfo => "OIDC Discovery §4",
            Self::Userinfo => "OIDC Core §5.3.1",
            Self::Registration => "OIDC Registration §3.1, RFC 7591 §3.1",
            Self::PushedAuthorization => "RFC 9126 §2.1",
        }
    }

    /// The step arguments the service understands.
    pub fn arguments(self) -> &'static [&'static str] {
        const AUTH: &str = "token_endpoint_auth_method";
        // A client that misbehaves (attack stories): its assertion names
        // another audience, or expires far ahead.
        const ASSERTION_AUD: &str = "assertion_aud";
        const ASSERTION_EXP: &str = "assertion_exp";
        match self {
            Self::ServerMetadata | Self::Jwks | Self::ProviderInfo => &[],
            Self::Registration => &[
                AUTH,
                "subject_type",
                "request_object_signing_alg",
                "jwks",
                "grant_types",
                "scope",
            ],
            Self::PushedAuthorization => &[
                "scope",
                "pkce",
                "redirect_uri",
                "response_type",
                "claims",
                "jar",
                AUTH,
            ],
            Self::ClientCredentials => &["scope", AUTH, ASSERTION_AUD, ASSERTION_EXP],
            Self::ResourceOwnerPasswordCredentials => &["scope", AUTH, "username", "password"],
            Self::Authorization => &[
                "scope",
                "pkce",
                "redirect_uri",
                "response_type",
                "claims",
                "jar",
                "jar_alg",
                "jar_key",
                "request_uri",
                "client",
                "claims_padding",
            ],
            Self::AccessToken => &[
                AUTH,
                "redirect_uri",
                "code_verifier",
                "dpop",
                "client",
                ASSERTION_AUD,
                ASSERTION_EXP,
            ],
            Self::RefreshToken => &[
                "scope",
                AUTH,
                "dpop",
                "refresh_token",
                "dpop_proof",
                ASSERTION_AUD,
                ASSERTION_EXP,
            ],
            Self::Userinfo => &["token_scheme", "request_url", "withheld"],
            Self::Introspection => &["token", "expect_active", AUTH],
            Self::TokenRevocation => &["token", AUTH],
            Self::TokenExchange => &["audience", "scope", AUTH, "dpop", "dpop_proof"],
        }
    }

    /// Whether the answer is a token response (RFC 6749 §5.1).
    fn is_token_request(self) -> bool {
        self.endpoint() == AsEndpoint::Token
    }
}

/// Why a request could not be prepared or a response not parsed: a fault of
/// the caller (the orchestrator), not of the AS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    UnknownService(String),
    UnknownArgument {
        service: &'static str,
        argument: String,
    },
    BadArgument(String),
    NothingPending(&'static str),
    /// An earlier step had to happen first (e.g. no code to redeem yet).
    MissingState(String),
    Profile(String),
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownService(s) => write!(
                f,
                "unknown client service {s:?}; known: {}",
                ClientService::ALL.map(ClientService::name).join(", ")
            ),
            Self::UnknownArgument { service, argument } => {
                write!(f, "service {service} takes no argument {argument:?}")
            }
            Self::BadArgument(why) => f.write_str(why),
            Self::NothingPending(s) => {
                write!(
                    f,
                    "no {s} request is awaiting a response in this session; prepare one first"
                )
            }
            Self::MissingState(why) => write!(f, "not possible yet in this session: {why}"),
            Self::Profile(why) => write!(f, "the client profile cannot do this: {why}"),
        }
    }
}

impl std::error::Error for StepError {}

/// A request ready to be sent to the AS.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub endpoint: AsEndpoint,
    pub request: HttpRequest,
}

/// How much a check weighs, from the clause it cites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The clause says MUST / MUST NOT, or the story cannot go on: a
    /// failure fails the step.
    Must,
    /// SHOULD, RECOMMENDED or good practice: a failure is a warning.
    Should,
    /// An observation: never fails.
    Info,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "must",
            Self::Should => "should",
            Self::Info => "info",
        }
    }
}

/// One verification the RP made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub reference: String,
    pub level: Level,
}

impl Check {
    /// A failed MUST: the response is refused.
    pub fn failed(&self) -> bool {
        !self.ok && self.level == Level::Must
    }

    /// A failed SHOULD: the response is taken, with a warning.
    pub fn warned(&self) -> bool {
        !self.ok && self.level == Level::Should
    }
}

/// A JWT seen in a response, decoded, and verified or not.
#[derive(Debug, Clone)]
pub struct SeenJwt {
    pub name: String,
    pub compact: String,
    pub header: Value,
    pub claims: Value,
    pub verified: bool,
    pub verification: String,
}

impl SeenJwt {
    /// A decoded JWT, not (yet) verified.
    pub fn decoded(
        name: &str,
        compact: &str,
        decoded: &oauth_core::jose::Unverified,
        verification: &str,
    ) -> Self {
        Self {
            name: name.to_owned(),
            compact: compact.to_owned(),
            header: decoded.header.clone(),
            claims: decoded.claims.clone(),
            verified: false,
            verification: verification.to_owned(),
        }
    }
}

/// What the RP made of a response.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub parsed: Value,
    pub checks: Vec<Check>,
    pub jwts: Vec<SeenJwt>,
    /// The OAuth error and its description, when the AS refused.
    pub error: Option<(String, String)>,
    /// The AS asked for something the RP now has (a DPoP nonce): send the
    /// step again, once.
    pub retry: bool,
}

impl Parsed {
    /// A success with every MUST check passed (failed SHOULD checks are
    /// warnings and do not make it fail).
    pub fn ok(&self) -> bool {
        self.error.is_none() && !self.checks.iter().any(Check::failed)
    }

    /// How many SHOULD checks failed.
    pub fn warnings(&self) -> usize {
        self.checks.iter().filter(|c| c.warned()).count()
    }

    /// Records a check of `level`; answers `ok`.
    pub fn check(
        &mut self,
        level: Level,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
        reference: &str,
    ) -> bool {
        self.checks.push(Check {
            name: name.into(),
            ok,
            detail: detail.into(),
            reference: reference.to_owned(),
            level,
        });
        ok
    }

    /// A check the cited clause states as MUST / MUST NOT (or without
    /// which the story cannot go on).
    pub fn must(
        &mut self,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
        reference: &str,
    ) -> bool {
        self.check(Level::Must, name, ok, detail, reference)
    }

    /// A check the cited clause states as SHOULD / RECOMMENDED, or good
    /// practice: failing it is a warning.
    pub fn should(
        &mut self,
        name: impl Into<String>,
        ok: bool,
        detail: impl Into<String>,
        reference: &str,
    ) -> bool {
        self.check(Level::Should, name, ok, detail, reference)
    }

    /// An observation, always passed.
    pub fn info(&mut self, name: impl Into<String>, detail: impl Into<String>, reference: &str) {
        self.check(Level::Info, name, true, detail, reference);
    }
}

/// The AS's issuer: as discovered, else as configured.
pub(crate) fn issuer<'a>(rp: &'a RelyingParty, session: &'a Session) -> &'a str {
    session
        .metadata
        .as_ref()
        .map(|m| m.issuer.as_str())
        .unwrap_or(&rp.config.issuer)
}

/// Claims asked for by name, and which of them came back (OIDC Core §5.5):
/// shown, not judged — a user may lack a claim.
pub(crate) fn report_requested_claims(
    parsed: &mut Parsed,
    name: &str,
    requested: Option<&Vec<String>>,
    present: impl Fn(&str) -> bool,
) {
    if let Some(requested) = requested {
        let released: Vec<&str> = requested
            .iter()
            .map(String::as_str)
            .filter(|c| present(c))
            .collect();
        parsed.info(
            name,
            format!(
                "asked {}; released {}",
                requested.join(", "),
                released.join(", ")
            ),
            "OIDC Core §5.5",
        );
    }
}

/// A step argument, empty meaning absent.
pub(crate) fn arg<'a>(args: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    args.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// The URL of an AS endpoint: from the discovered metadata, else the configuration.
pub(crate) fn endpoint_url<'a>(
    rp: &'a RelyingParty,
    session: &'a Session,
    endpoint: AsEndpoint,
) -> Result<&'a str, StepError> {
    let name = endpoint.metadata_name();
    session
        .metadata
        .as_ref()
        .and_then(|m| m.endpoint(name))
        .or_else(|| rp.config.endpoint(name))
        .ok_or_else(|| {
            StepError::MissingState(format!(
                "the AS has no {name} in its metadata and none is configured"
            ))
        })
}

/// A form POST to an AS endpoint with the client's authentication (RFC
/// 6749 §2.3.1): an `Authorization: Basic` header, or the id and secret in
/// the body, or the id alone for a public client.
pub(crate) fn authenticated_post(
    rp: &RelyingParty,
    session: &Session,
    endpoint: AsEndpoint,
    mut params: Vec<(&str, String)>,
    args: &BTreeMap<String, String>,
) -> Result<HttpRequest, StepError> {
    // `client=PROFILE`: another client's credentials for this step (an
    // attack story: a client redeeming a code that is not its own).
    let profile =
        match arg(args, "client") {
            Some(name) => rp.config.profiles.get(name).ok_or_else(|| {
                StepError::BadArgument(format!("client {name:?}: no such profile"))
            })?,
            None => &session.profile,
        };
    let method = match arg(args, "token_endpoint_auth_method") {
        Some(m) => AuthMethod::parse(m),
        None => profile.token_endpoint_auth_method.clone(),
    };
    let mut headers = vec![
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("Accept", "application/json".to_owned()),
    ];
    let secret = || {
        profile
            .client_secret
            .as_ref()
            .ok_or_else(|| StepError::Profile(format!("{method} needs a client secret")))
    };
    match &method {
        AuthMethod::ClientSecretBasic => {
            headers.push((
                "Authorization",
                client_auth::basic_header(&profile.client_id, secret()?),
            ));
        }
        AuthMethod::ClientSecretPost => {
            params.push(("client_id", profile.client_id.clone()));
            params.push(("client_secret", secret()?.expose().to_owned()));
        }
        AuthMethod::None => params.push(("client_id", profile.client_id.clone())),
        AuthMethod::PrivateKeyJwt => {}
        AuthMethod::Extension(m) => {
            return Err(StepError::BadArgument(format!(
                "token_endpoint_auth_method {m:?} is not supported"
            )));
        }
    }
    let url = endpoint_url(rp, session, endpoint)?;
    if let AuthMethod::PrivateKeyJwt = method {
        // RFC 7523 §2.2: an assertion signed with the RP's key, for this endpoint.
        let key = rp
            .keys
            .keys()
            .first()
            .ok_or_else(|| StepError::Profile("the RP has no signing key".into()))?;
        let now = rp.clock.now();
        let assertion = match (arg(args, "assertion_aud"), arg(args, "assertion_exp")) {
            (None, None) => client_auth::client_assertion(key, &profile.client_id, url, now),
            (aud, exp) => {
                let exp = match exp {
                    Some(s) => s.parse::<i64>().map_err(|_| {
                        StepError::BadArgument(format!("assertion_exp {s:?}: seconds ahead"))
                    })?,
                    None => 60,
                };
                let claims = serde_json::json!({
                    "iss": profile.client_id,
                    "sub": profile.client_id,
                    "aud": aud.unwrap_or(url),
                    "jti": oauth_core::random::token(16),
                    "iat": now,
                    "exp": now + exp,
                });
                key.sign("JWT", &claims)
            }
        }
        .map_err(|e| StepError::BadArgument(format!("client assertion: {e}")))?;
        params.push(("client_id", profile.client_id.clone()));
        params.push((
            "client_assertion_type",
            client_auth::JWT_BEARER_ASSERTION.to_owned(),
        ));
        params.push(("client_assertion", assertion));
    }
    // RFC 9449 §5: with a DPoP key, every token request carries a proof.
    // Attack stories may replay the last proof, or sign one for another URL.
    // `dpop_proof=none`: the proof left out (an attack: a bound token
    // exchanged by someone who does not hold the key).
    if let (Some(key), AsEndpoint::Token | AsEndpoint::PushedAuthorization, false) = (
        &session.dpop_key,
        endpoint,
        arg(args, "dpop_proof") == Some("none"),
    ) {
        let proof = match arg(args, "dpop_proof") {
            Some("replay") => session
                .last_dpop_proof
                .clone()
                .ok_or_else(|| StepError::MissingState("no DPoP proof was sent before".into()))?,
            other => {
                let target = match other {
                    None => url.to_owned(),
                    Some("wrong_htu") => {
                        endpoint_url(rp, session, AsEndpoint::Userinfo)?.to_owned()
                    }
                    Some(v) => {
                        return Err(StepError::BadArgument(format!(
                            "dpop_proof {v:?}: use replay, wrong_htu or none"
                        )));
                    }
                };
                let parsed_url =
                    url::Url::parse(&target).map_err(|e| StepError::BadArgument(e.to_string()))?;
                oauth_core::dpop::proof(
                    key,
                    "POST",
                    &parsed_url,
                    rp.clock.now(),
                    None,
                    session.dpop_nonce.as_deref(),
                )
                .map_err(|e| StepError::BadArgument(format!("DPoP proof: {e}")))?
            }
        };
        headers.push(("DPoP", proof));
    }
    let body = form::encode(params.iter().map(|(k, v)| (*k, v.as_str())));
    HttpRequest::new(
        "POST",
        url,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        body,
    )
    .map_err(|e| StepError::BadArgument(e.to_string()))
}

/// Builds the request of `service` for a session.
pub fn prepare(
    rp: &RelyingParty,
    session: &mut Session,
    service: ClientService,
    args: &BTreeMap<String, String>,
) -> Result<Prepared, StepError> {
    if let Some(argument) = args
        .keys()
        .find(|a| !service.arguments().contains(&a.as_str()))
    {
        return Err(StepError::UnknownArgument {
            service: service.name(),
            argument: argument.clone(),
        });
    }
    let request = match service {
        ClientService::ServerMetadata => discovery::request(rp, discovery::OAUTH)?,
        ClientService::ProviderInfo => discovery::request(rp, discovery::OPENID)?,
        ClientService::Userinfo => userinfo::request(rp, session, args)?,
        ClientService::Registration => registration::request(rp, session, args)?,
        ClientService::PushedAuthorization => par::request(rp, session, args)?,
        ClientService::Jwks => jwks::request(rp, session)?,
        ClientService::Authorization => authorization::request(rp, session, args)?,
        ClientService::Introspection => introspection::request(rp, session, args)?,
        ClientService::TokenRevocation => revocation::request(rp, session, args)?,
        ClientService::ClientCredentials
        | ClientService::ResourceOwnerPasswordCredentials
        | ClientService::AccessToken
        | ClientService::RefreshToken
        | ClientService::TokenExchange => token::request(rp, session, service, args)?,
    };
    // The parameters sent, to check the answer against: the form body, or
    // the query of a GET. The RP wrote them itself, so they parse.
    let sent = if request.body.is_empty() {
        request.url.query().unwrap_or("")
    } else {
        &request.body
    };
    if let Some(proof) = request.header("dpop") {
        session.last_dpop_proof = Some(proof.to_owned());
    }
    let params = form::parse(sent).unwrap_or_default();
    let authenticated = request.header("authorization").is_some()
        || params.get("client_secret").is_some()
        || params.get("client_assertion").is_some();
    session.pending = Some(Pending {
        service,
        authenticated,
        params,
        args: args.clone(),
        body: request.body.clone(),
        dpop: request.header("dpop").map(str::to_owned),
    });
    Ok(Prepared {
        endpoint: service.endpoint(),
        request,
    })
}

/// Parses and verifies the AS response to the request last prepared.
pub fn parse(
    rp: &RelyingParty,
    session: &mut Session,
    service: ClientService,
    response: &HttpResponse,
) -> Result<Parsed, StepError> {
    let pending = match session.pending.take() {
        Some(p) if p.service == service => p,
        other => {
            session.pending = other;
            return Err(StepError::NothingPending(service.name()));
        }
    };
    let mut parsed = Parsed::default();
    show_sent_jwts(&pending, &mut parsed);
    // RFC 9449 §8: a nonce the AS hands out is used in the next proof, even
    // from an error response (that is how it is handed out) — the one thing
    // a response sets without passing every check; it is only ever sent
    // back to the AS, and kept only if it is a well-formed, short nonce.
    if let Some(nonce) = response.headers.get("dpop-nonce")
        && nonce.len() <= MAX_DPOP_NONCE_BYTES
        && !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    {
        session.dpop_nonce = Some(nonce.clone());
    }
    if !within_limits(response, &mut parsed) {
        return Ok(parsed);
    }
    let mut staged = Staged::default();
    verify(
        rp,
        session,
        service,
        &pending,
        response,
        &mut parsed,
        &mut staged,
    );
    // Nothing from a response reaches the session unless all of it passed.
    if parsed.ok() {
        staged.commit(session);
    }
    Ok(parsed)
}

/// The RP's size limits: a body over [`MAX_BODY_BYTES`] or a redirect over
/// [`MAX_LOCATION_BYTES`] is refused unread.
fn within_limits(response: &HttpResponse, parsed: &mut Parsed) -> bool {
    let location = response
        .location
        .as_deref()
        .or_else(|| response.headers.get("location").map(String::as_str))
        .map_or(0, str::len);
    let ok = response.body.len() <= MAX_BODY_BYTES && location <= MAX_LOCATION_BYTES;
    if !ok {
        parsed.must(
            "the answer is within the RP's size limits",
            false,
            format!(
                "body {} bytes (at most {MAX_BODY_BYTES}), location {location} bytes (at most {MAX_LOCATION_BYTES})",
                response.body.len()
            ),
            "the RP's own limit (docs/SECURITY.md)",
        );
    }
    ok
}

/// Checks a response, staging what it would change in the session.
fn verify(
    rp: &RelyingParty,
    session: &Session,
    service: ClientService,
    pending: &Pending,
    response: &HttpResponse,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    match service {
        // Answers that are not a JSON document.
        ClientService::Authorization => {
            authorization::verify(rp, session, response, parsed, staged);
            return;
        }
        ClientService::TokenRevocation if response.status == 200 => {
            revocation::verify(pending, response, parsed);
            return;
        }
        _ => {}
    }
    let reference = match service {
        ClientService::ServerMetadata => "RFC 8414 §3.2",
        ClientService::Jwks => "RFC 7517 §8.5",
        ClientService::Introspection => "RFC 7662 §2.2",
        ClientService::TokenRevocation => "RFC 7009 §2.2.1",
        ClientService::ProviderInfo => "OIDC Discovery §4.2",
        ClientService::Userinfo => "OIDC Core §5.3.2",
        ClientService::Registration => "RFC 7591 §3.2.1",
        ClientService::PushedAuthorization => "RFC 9126 §2.2",
        _ => "RFC 6749 §5.1",
    };
    // An error asking for a DPoP nonce is worth exactly one retry (RFC 9449 §8).
    let Some(body) = json_body(response, reference, parsed) else {
        if parsed
            .error
            .as_ref()
            .is_some_and(|(e, _)| e == "use_dpop_nonce")
            && response.headers.contains_key("dpop-nonce")
        {
            parsed.retry = true;
        }
        return;
    };
    match service {
        ClientService::ServerMetadata | ClientService::ProviderInfo => {
            discovery::verify(rp, service, body, parsed, staged)
        }
        ClientService::Userinfo => userinfo::verify(session, pending, body, parsed),
        ClientService::Registration => {
            registration::verify(session, pending, response, body, parsed, staged)
        }
        ClientService::PushedAuthorization => par::verify(response, body, parsed, staged),
        ClientService::Jwks => jwks::verify(body, parsed, staged),
        ClientService::Introspection => introspection::verify(rp, session, pending, body, parsed),
        s if s.is_token_request() => {
            token::verify(rp, session, pending, response, body, parsed, staged)
        }
        _ => {}
    }
}

/// Reads a JSON response body. An error status is read as an OAuth error
/// response (RFC 6749 §5.2) and recorded; `None` means nothing more to check.
fn json_body(response: &HttpResponse, reference: &str, parsed: &mut Parsed) -> Option<Value> {
    let media_type = response.headers.get("content-type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let body: Result<Value, _> = serde_json::from_str(&response.body);
    if !(200..300).contains(&response.status) {
        record_error(response, body.ok(), parsed);
        return None;
    }
    let json_type = media_type
        .as_deref()
        .is_some_and(|t| t == "application/json" || t.ends_with("+json"));
    parsed.must(
        "Content-Type is JSON",
        json_type,
        media_type.unwrap_or_else(|| "no Content-Type".into()),
        reference,
    );
    match body {
        Ok(v @ Value::Object(_)) => {
            parsed.parsed = v.clone();
            Some(v)
        }
        _ => {
            parsed.must(
                "body is a JSON object",
                false,
                "the body is not a JSON object",
                "RFC 8259",
            );
            None
        }
    }
}

/// Records an OAuth error response: from its JSON body (RFC 6749 §5.2), or
/// from a `WWW-Authenticate` challenge (RFC 6750 §3).
fn record_error(response: &HttpResponse, body: Option<Value>, parsed: &mut Parsed) {
    let status = response.status;
    let challenge = response
        .headers
        .get("www-authenticate")
        .map(String::as_str)
        .unwrap_or("");
    let text = |name: &str| {
        body.as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| challenge_param(challenge, name))
            .unwrap_or_default()
    };
    let (error, description) = (text("error"), text("error_description"));
    parsed.must(
        "error response carries an error code",
        !error.is_empty(),
        format!("HTTP {status}: {error} {description}"),
        "RFC 6749 §5.2",
    );
    parsed.parsed = body.unwrap_or(Value::Null);
    let code = if error.is_empty() {
        format!("http_{status}")
    } else {
        error
    };
    parsed.error = Some((code, description));
}

/// A parameter of a `WWW-Authenticate` challenge: `error="invalid_token"`.
fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The JWTs the RP itself sent (request object, client assertion, DPoP
/// proof), decoded for the transcript; the AS is the one that verifies them.
fn show_sent_jwts(pending: &Pending, parsed: &mut Parsed) {
    let sent = [
        (
            "request object (sent)",
            pending.params.get("request"),
            "signed by the RP; the AS verifies it (RFC 9101 §6)",
        ),
        (
            "client assertion (sent)",
            pending.params.get("client_assertion"),
            "signed by the RP; the AS verifies it (RFC 7523 §3)",
        ),
        (
            "DPoP proof (sent)",
            pending.dpop.as_deref(),
            "signed by the RP's DPoP key; the AS verifies it (RFC 9449 §4.3)",
        ),
    ];
    for (name, compact, verification) in sent {
        if let Some(compact) = compact
            && let Ok(decoded) = oauth_core::jose::decode_unverified(compact)
        {
            parsed
                .jwts
                .push(SeenJwt::decoded(name, compact, &decoded, verification));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_should_is_a_warning_and_the_response_passes() {
        let mut parsed = Parsed::default();
        parsed.must("status", true, "200", "RFC 6749 §5.1");
        parsed.should("rotated", false, "no new refresh token", "RFC 6749 §6");
        parsed.info("format", "opaque", "RFC 6749 §1.4");
        assert!(parsed.ok());
        assert_eq!(parsed.warnings(), 1);
    }

    #[test]
    fn a_failed_must_fails_the_response() {
        let mut parsed = Parsed::default();
        parsed.should("rotated", true, "rotated", "RFC 6749 §6");
        parsed.must(
            "state is the one sent",
            false,
            "got \"x\"",
            "RFC 6749 §10.12",
        );
        assert!(!parsed.ok());
        assert_eq!(parsed.warnings(), 0);
    }
}
