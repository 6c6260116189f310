//! The story catalog, as data: each story is a client profile and a list
//! of steps, each step a client service of the RP (which names the AS
//! endpoint it needs) with optional arguments. The runner, `list` and the
//! transcripts all read this one table.

use oauth_core::error::ErrorCode;
use rp_service::service::CheckId;
use rp_service::service::registry::ClientService;

/// Short names for the catalog's tables.
use CheckId as C;
use ClientService as S;
use ErrorCode as E;

/// One usage story.
#[derive(Debug)]
pub struct Story {
    /// The seed's name, e.g. `oauth2_cc`.
    pub name: &'static str,
    pub title: &'static str,
    /// The standard the story follows, with section.
    pub standard: &'static str,
    /// What the story shows, in one line.
    pub summary: &'static str,
    /// The RP client profile the story runs as.
    pub profile: &'static str,
    pub steps: &'static [Step],
}

/// One step: a client service of the RP and its arguments.
#[derive(Debug, Clone)]
pub struct Step {
    /// The RP's client service this step asks for.
    pub service: ClientService,
    pub args: &'static [(&'static str, &'static str)],
    /// The OAuth error the AS must answer this step with (an attack it
    /// refuses); `None`: the AS must not refuse.
    pub expect_error: Option<ErrorCode>,
    /// The RP check that must fail on this step's answer (an attack the
    /// RP refuses), by its stable id: rewording the check's text cannot
    /// break the story.
    pub expect_refusal: Option<CheckId>,
    /// What an attacker does to the AS's answer before the RP sees it.
    pub tamper: Option<Tamper>,
    /// Whether this step carries an attack the provider must refuse, and
    /// how firmly its clause says so.
    pub attack: Attack,
}

/// The provider's part in a step: none (a legitimate step, the attack's
/// control), or an attack it must (MUST) or should (SHOULD) refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// A legitimate step: the flow the attack is measured against.
    None,
    /// The clause forbids accepting it: an answer that does not refuse is
    /// `not_refused`.
    Must,
    /// The clause recommends refusing it: an answer that does not refuse
    /// is a warning.
    Should,
}

/// Who an attack story tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A usage story: the legitimate flow.
    Usage,
    /// The provider must refuse what the client (the attacker) sends.
    Provider,
    /// Our client must refuse what a malicious provider (or a network
    /// attacker) makes of the provider's answers.
    Client,
}

impl Kind {
    /// How `list`, `explain` and the transcripts say it.
    pub fn says(self) -> &'static str {
        match self {
            Self::Usage => "usage story",
            Self::Provider => "the provider must refuse",
            Self::Client => "our client must refuse",
        }
    }
}

impl Step {
    /// A look, at a SHOULD, at whether a token was revoked
    /// (`should_be_active`): a server without an introspection endpoint
    /// leaves it out, and the rest of the story still says what it is about.
    pub fn only_looks(&self) -> bool {
        self.service == ClientService::Introspection
            && self.args.iter().any(|(k, _)| *k == "should_be_active")
    }
}

impl Story {
    /// Who the story tests, read off its steps: an attack on the provider
    /// has a step the provider must refuse; one on our client, a step whose
    /// answer our client must refuse.
    pub fn kind(&self) -> Kind {
        if self.steps.iter().any(|s| s.attack != Attack::None) {
            Kind::Provider
        } else if self.steps.iter().any(|s| s.expect_refusal.is_some()) {
            Kind::Client
        } else {
            Kind::Usage
        }
    }
}

/// An attacker between the AS and the RP (the browser, a network): what it
/// changes in an answer.
#[derive(Debug, Clone, Copy)]
pub enum Tamper {
    /// Sets a parameter of the redirect (query or fragment).
    RedirectParam(&'static str, &'static str),
    /// Puts back the value a parameter had in this story's previous redirect
    /// (an ID token from another login, injected).
    ReplayRedirectParam(&'static str),
    /// Replaces the ID token of the redirect by one with the same claims,
    /// HS256-signed with the OP's public key set as the secret.
    Hs256IdToken,
    /// Several changes, in order.
    All(&'static [Tamper]),
    /// Sets a string member of the JSON body (metadata, token response,
    /// registration): the AS writes what it likes.
    BodyMember(&'static str, &'static str),
    /// Sets a number member of the JSON body (e.g. a device authorization's
    /// `interval`).
    BodyNumber(&'static str, i64),
    /// Pads the JSON body with an unknown member of that many bytes.
    PadBody(usize),
    /// Adds a public key of the attacker's own to the key set: a malicious
    /// AS owns its keys, so the RP cannot tell.
    AddSigningKey,
    /// Sets a header of the answer (e.g. its `content-type`).
    Header(&'static str, &'static str),
    /// Puts an ID token of the attacker's making in the answer (redirect or
    /// token response), signed with its own key, `at_hash`/`c_hash` made to
    /// fit; an error redirect becomes a success.
    ForgeIdToken(Forge),
    /// Points the form of a form post page at another URI.
    FormAction(&'static str),
    /// Adds a hidden input to the form of a form post page.
    FormInput(&'static str, &'static str),
    /// Replaces the response JWT (JARM) of the answer, redirect or form, by
    /// one with its claims changed as `Forge` says (`AsIs` and `Claim`),
    /// signed with the attacker's key.
    ForgeResponseJwt(Forge),
    /// Replaces the logout token of a back-channel notification the OP
    /// sends by one with its claims changed as `Forge` says, signed with
    /// the attacker's key (a malicious OP's own).
    ForgeLogoutToken(Forge),
}

/// How a forged ID token differs from the last genuine one.
#[derive(Debug, Clone, Copy)]
pub enum Forge {
    /// The same claims, only re-signed with the attacker's key.
    AsIs,
    /// A string claim set (e.g. `sub` to another user).
    Claim(&'static str, &'static str),
    /// Another audience beside the client.
    ExtraAudience(&'static str),
    /// A claim left out (e.g. `nonce`).
    Remove(&'static str),
    /// `nbf` that many seconds ahead.
    NotBeforeIn(i64),
    /// A `crit` header naming an extension nobody understands.
    Crit,
}

const fn step(service: ClientService) -> Step {
    step_with(service, &[])
}

const fn step_with(service: ClientService, args: &'static [(&'static str, &'static str)]) -> Step {
    Step {
        service,
        args,
        expect_error: None,
        expect_refusal: None,
        tamper: None,
        attack: Attack::None,
    }
}

/// An attack step the AS must refuse with `error`.
const fn refused(
    service: ClientService,
    args: &'static [(&'static str, &'static str)],
    error: ErrorCode,
) -> Step {
    Step {
        service,
        args,
        expect_error: Some(error),
        expect_refusal: None,
        tamper: None,
        attack: Attack::Must,
    }
}

/// An attack step the AS should refuse with `error` (its clause says
/// SHOULD, or describes the defence without a MUST): accepted, it warns.
const fn refused_should(
    service: ClientService,
    args: &'static [(&'static str, &'static str)],
    error: ErrorCode,
) -> Step {
    Step {
        service,
        args,
        expect_error: Some(error),
        expect_refusal: None,
        tamper: None,
        attack: Attack::Should,
    }
}

/// An attack step the provider answers without an error, and must answer
/// withholding what the attacker asked for: the RP's MUST checks on the
/// answer are the defence (claims withheld, no redirect to the
/// attacker's page).
const fn withheld(service: ClientService, args: &'static [(&'static str, &'static str)]) -> Step {
    Step {
        service,
        args,
        expect_error: None,
        expect_refusal: None,
        tamper: None,
        attack: Attack::Must,
    }
}

/// An attack step whose tampered answer the RP must refuse by failing `check`.
const fn rp_refuses(
    service: ClientService,
    args: &'static [(&'static str, &'static str)],
    tamper: Tamper,
    check: CheckId,
) -> Step {
    Step {
        service,
        args,
        expect_error: None,
        expect_refusal: Some(check),
        tamper: Some(tamper),
        attack: Attack::None,
    }
}

/// An attack step whose answer, delivered as it is, the RP must refuse by
/// failing `check` (a notification delivered twice).
const fn rp_refuses_as_is(service: ClientService, check: CheckId) -> Step {
    Step {
        service,
        args: &[],
        expect_error: None,
        expect_refusal: Some(check),
        tamper: None,
        attack: Attack::None,
    }
}

/// A step whose answer the attacker changes, the RP being expected to
/// accept it (a malicious AS's own key set: the RP cannot tell).
const fn tampered(
    service: ClientService,
    args: &'static [(&'static str, &'static str)],
    tamper: Tamper,
) -> Step {
    Step {
        service,
        args,
        expect_error: None,
        expect_refusal: None,
        tamper: Some(tamper),
        attack: Attack::None,
    }
}

// The openings stories share, each named once: a story's steps are its
// opening's, then its own (`code_flow![step(S::Userinfo)]`). Macros, not
// functions, so that the catalog stays a table of constants.

/// Discovery (RFC 8414) and an authorization request answered with a code.
macro_rules! authorized {
    ($($rest:expr),* $(,)?) => {
        &[step(S::ServerMetadata), step(S::Authorization), $($rest),*]
    };
}

/// The code flow: discovery, authorization, the code redeemed for tokens.
macro_rules! code_flow {
    ($($rest:expr),* $(,)?) => {
        authorized![step(S::AccessToken), $($rest),*]
    };
}

/// The code flow with the tokens bound to the RP's DPoP key (RFC 9449).
macro_rules! dpop_bound {
    ($($rest:expr),* $(,)?) => {
        authorized![step_with(S::AccessToken, &[("dpop", "true")]), $($rest),*]
    };
}

/// Discovery and an authorization request with an S256 challenge (RFC 7636).
macro_rules! pkce_authorized {
    ($($rest:expr),* $(,)?) => {
        &[
            step(S::ServerMetadata),
            step_with(S::Authorization, &[("pkce", "S256")]),
            $($rest),*
        ]
    };
}

/// Discovery and a registration of the RP's key for request objects (RFC 9101).
macro_rules! jar_registered {
    ($($rest:expr),* $(,)?) => {
        &[
            step(S::ServerMetadata),
            step_with(S::Registration, &[("request_object_signing_alg", "ES256")]),
            $($rest),*
        ]
    };
}

/// Discovery and a pushed authorization request (RFC 9126).
macro_rules! pushed {
    ($($rest:expr),* $(,)?) => {
        &[step(S::ServerMetadata), step(S::PushedAuthorization), $($rest),*]
    };
}

/// OpenID Provider discovery and the OP's keys (OIDC Discovery, RFC 7517).
macro_rules! op_keys {
    ($($rest:expr),* $(,)?) => {
        &[step(S::ProviderInfo), step(S::Jwks), $($rest),*]
    };
}

/// An OIDC login (openid foobar) with DPoP-bound tokens.
macro_rules! oidc_dpop_bound {
    ($($rest:expr),* $(,)?) => {
        op_keys![
            step_with(S::Authorization, &[("scope", "openid foobar")]),
            step_with(S::AccessToken, &[("dpop", "true")]),
            $($rest),*
        ]
    };
}

/// A malicious OP: discovery, and a key set with a key of the attacker's.
macro_rules! malicious_op {
    ($($rest:expr),* $(,)?) => {
        &[
            step(S::ProviderInfo),
            tampered(S::Jwks, &[], Tamper::AddSigningKey),
            $($rest),*
        ]
    };
}

/// An OIDC login ended by the RP (RP-Initiated Logout): the OP's answer
/// carries its back-channel logout notification for the next step.
macro_rules! logged_out {
    ($($rest:expr),* $(,)?) => {
        op_keys![
            step_with(S::Authorization, &[("scope", "openid foobar")]),
            step(S::AccessToken),
            step(S::EndSession),
            $($rest),*
        ]
    };
}

/// The same with a malicious OP, whose own key the RP was made to trust.
macro_rules! malicious_logout {
    ($($rest:expr),* $(,)?) => {
        malicious_op![
            step_with(S::Authorization, &[("scope", "openid foobar")]),
            step(S::AccessToken),
            step(S::EndSession),
            $($rest),*
        ]
    };
}

/// A client registered for private_key_jwt (RFC 7523), with a code to redeem.
macro_rules! assertion_client {
    ($($rest:expr),* $(,)?) => {
        &[
            step(S::ProviderInfo),
            step_with(
                S::Registration,
                &[("token_endpoint_auth_method", "private_key_jwt")],
            ),
            step(S::Authorization),
            $($rest),*
        ]
    };
}

/// The resources the `client` client may obtain tokens for (RFC 8707), in
/// the order a user's own resources stand in for them (`--resource`).
pub const RESOURCES: [&str; 2] = [RESOURCE_APPL, RESOURCE_BACKEND];
const RESOURCE_APPL: &str = "https://example.org/appl";
const RESOURCE_BACKEND: &str = "https://backend.example.org/";
const RESOURCES_BOTH: &str = "https://example.org/appl https://backend.example.org/";

/// Authorization details (RFC 9396): what the `client` client may ask for,
/// the same widened, and a type it may not use.
const DETAILS_CUSTOMER: &str = r#"[{"type":"customer_information","locations":["https://example.com/customers"],"actions":["read","write"],"datatypes":["contacts","photos"]}]"#;
const DETAILS_CUSTOMER_DELETE: &str = r#"[{"type":"customer_information","locations":["https://example.com/customers"],"actions":["read","write","delete"],"datatypes":["contacts","photos"]}]"#;
const DETAILS_PAYMENT: &str = r#"[{"type":"payment_initiation","actions":["initiate"],"locations":["https://example.com/payments"],"instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant A"}]"#;
/// Discovery and a device authorization (RFC 8628 §3.1): a device code to
/// poll with, a user code for the user.
macro_rules! device_authorized {
    ($($rest:expr),* $(,)?) => {
        &[step(S::ServerMetadata), step(S::DeviceAuthorization), $($rest),*]
    };
}

/// An OIDC login (scope openid), with more authorization parameters after
/// the `;`, its code redeemed; then the story's own steps.
macro_rules! basic_login {
    ($($rest:expr),* $(,)? ; $($param:expr),* $(,)?) => {
        op_keys![
            step_with(S::Authorization, &[("scope", "openid"), $($param),*]),
            step(S::AccessToken),
            $($rest),*
        ]
    };
    ($($rest:expr),* $(,)?) => {
        basic_login![$($rest),* ;]
    };
}

/// An OIDC login asking for `scope`, then userinfo, which should release
/// the claims of `expect` (OIDC Core §5.4).
macro_rules! scope_claims {
    ($scope:expr, $expect:expr $(,)?) => {
        op_keys![
            step_with(S::Authorization, &[("scope", $scope)]),
            step(S::AccessToken),
            step_with(S::Userinfo, &[("expect_claims", $expect)]),
        ]
    };
}

/// Authentication context classes a login may be asked for, voluntarily:
/// the examples of OIDC Core §2.
const ACR_VALUES: &str = "urn:mace:incommon:iap:silver urn:mace:incommon:iap:bronze";

pub const STORIES: &[Story] = &[
    Story {
        name: "oauth2_cc",
        title: "Client Credentials",
        standard: "RFC 6749 §4.4",
        summary: "client authentication alone (client_secret_basic) buys a JWT access token, scope resourceA",
        profile: "client_1",
        steps: &[step(S::Jwks), step(S::ClientCredentials)],
    },
    Story {
        name: "oauth2_ropc",
        title: "Resource Owner Password Credentials",
        standard: "RFC 6749 §4.3",
        summary: "user diana's password exchanged for a JWT access token (client_secret_post)",
        profile: "client_1",
        steps: &[
            step(S::Jwks),
            step_with(
                S::ResourceOwnerPasswordCredentials,
                &[("token_endpoint_auth_method", "client_secret_post")],
            ),
        ],
    },
    Story {
        name: "oauth2_code",
        title: "Authorization Code",
        standard: "RFC 6749 §4.1, RFC 8414, RFC 9207",
        summary: "metadata discovery, state, exact redirect_uri, iss in the response, single-use code",
        profile: "client",
        steps: code_flow![],
    },
    Story {
        name: "oauth2_add_on_pkce",
        title: "Proof Key for Code Exchange",
        standard: "RFC 7636",
        summary: "an S256 challenge (verifier of 64 characters) binds the code to the client that asked for it",
        profile: "client",
        steps: pkce_authorized![step(S::AccessToken),],
    },
    Story {
        name: "oauth2_add_on_jar",
        title: "JWT-Secured Authorization Request",
        standard: "RFC 9101",
        summary: "the RP registers its public key, then sends the authorization parameters only inside an ES256-signed request object",
        profile: "dynamic",
        steps: jar_registered![
            step_with(S::Authorization, &[("jar", "value"), ("scope", "foobar")]),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oauth2_add_on_par",
        title: "Pushed Authorization Requests",
        standard: "RFC 9126",
        summary: "the RP pushes the request (client_secret_basic) and gets a request_uri; the browser carries only client_id and request_uri",
        profile: "client",
        steps: pushed![step(S::Authorization), step(S::AccessToken),],
    },
    Story {
        name: "oauth2_add_on_dpop",
        title: "Demonstrating Proof of Possession",
        standard: "RFC 9449",
        summary: "a DPoP proof (ES256) on the token request binds the token to the RP's key (cnf.jkt, token_type DPoP)",
        profile: "client",
        steps: dpop_bound![step_with(S::Introspection, &[("expect_active", "true")]),],
    },
    Story {
        name: "oauth2_token_refresh",
        title: "Refreshing an Access Token",
        standard: "RFC 6749 §6, RFC 9700 §4.14",
        summary: "the refresh token (client_secret_post) buys a new access token and is rotated",
        profile: "client",
        steps: code_flow![step_with(
            S::RefreshToken,
            &[
                ("token_endpoint_auth_method", "client_secret_post"),
                ("scope", "foobar"),
            ],
        ),],
    },
    Story {
        name: "oauth2_token_revocation",
        title: "Token Revocation and Introspection",
        standard: "RFC 7009, RFC 7662",
        summary: "the access token introspects active, is revoked, then introspects inactive",
        profile: "client",
        steps: code_flow![
            step_with(S::Introspection, &[("expect_active", "true")]),
            step(S::TokenRevocation),
            step_with(S::Introspection, &[("expect_active", "false")]),
        ],
    },
    Story {
        name: "oauth2_token_exchange",
        title: "Token Exchange",
        standard: "RFC 8693",
        summary: "the access token, as subject_token, is exchanged for one meant for another audience",
        profile: "client",
        steps: code_flow![step_with(
            S::TokenExchange,
            &[("audience", "https://backend.example.org/")],
        ),],
    },
    Story {
        name: "oidc_code",
        title: "OpenID Connect Authorization Code Flow",
        standard: "OIDC Core §3.1",
        summary: "discovery and the OP's keys, an ID token verified by the RP, userinfo with a Bearer token",
        profile: "client",
        steps: op_keys![
            step_with(
                S::Authorization,
                &[("scope", "openid foobar offline_access email")],
            ),
            step(S::AccessToken),
            step(S::Userinfo),
        ],
    },
    Story {
        name: "oidc_add_on_dpop",
        title: "OpenID Connect with DPoP",
        standard: "OIDC Core §3.1, RFC 9449",
        summary: "the code flow with DPoP-bound tokens; userinfo called with the DPoP scheme and a proof naming the token",
        profile: "client",
        steps: op_keys![
            step_with(S::Authorization, &[("scope", "openid foobar email")]),
            step_with(S::AccessToken, &[("dpop", "true")]),
            step(S::Userinfo),
        ],
    },
    Story {
        name: "oidc_code_claims",
        title: "Requesting Claims",
        standard: "OIDC Core §5.5",
        summary: "the claims parameter: nickname in the ID token; name, email, email_verified from userinfo",
        profile: "client",
        steps: op_keys![
            step_with(
                S::Authorization,
                &[
                    ("scope", "openid foobar"),
                    (
                        "claims",
                        r#"{"id_token":{"nickname":null},"userinfo":{"name":null,"email":null,"email_verified":null}}"#,
                    ),
                ],
            ),
            step(S::AccessToken),
            step(S::Userinfo),
        ],
    },
    Story {
        name: "oidc_code_dyn_reg",
        title: "Dynamic Client Registration",
        standard: "OIDC Registration 1.0, RFC 7591",
        summary: "the RP registers itself (redirect URI, public keys only, client_secret_post) and uses what it is issued",
        profile: "dynamic",
        steps: &[
            step(S::ProviderInfo),
            step_with(
                S::Registration,
                &[("token_endpoint_auth_method", "client_secret_post")],
            ),
            step(S::Jwks),
            step(S::Authorization),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oauth2_private_key_jwt",
        title: "Client authentication with a private key JWT",
        standard: "RFC 7523 §2.2, §3; OIDC Core §9",
        summary: "a client registered with its public key alone redeems its code with a signed assertion (aud the token endpoint, a single-use jti, a short exp): no secret crosses the wire",
        profile: "dynamic",
        steps: assertion_client![step(S::Jwks), step(S::AccessToken)],
    },
    Story {
        name: "oauth2_jwt_bearer",
        title: "JWT Bearer Grant",
        standard: "RFC 7523 §2.1, §3",
        summary: "an assertion about diana from an identity provider the AS trusts (signed, aud the token endpoint, short-lived, single-use jti) is exchanged for an access token for her",
        profile: "client_1",
        steps: &[step(S::Jwks), step(S::JwtBearer)],
    },
    Story {
        name: "oauth2_client_secret_jwt",
        title: "Client authentication with a client secret JWT",
        standard: "OIDC Core §9, RFC 7523 §2.2",
        summary: "the client authenticates with an HS256 assertion MACed with its secret (aud the token endpoint, a single-use jti, a short exp): the secret itself never crosses the wire",
        profile: "client_hmac",
        steps: &[step(S::Jwks), step(S::ClientCredentials)],
    },
    Story {
        name: "fapi2_security_profile",
        title: "FAPI 2.0 Security Profile",
        standard: "FAPI 2.0 Security Profile §5.3",
        summary: "one run under the profile: the request pushed (PAR) with private_key_jwt whose sole audience is the issuer, PKCE S256, iss in the response, a code that lives 60 s, a DPoP-bound access token",
        profile: "fapi2",
        steps: &[
            step(S::ServerMetadata),
            step(S::Jwks),
            step(S::PushedAuthorization),
            step(S::Authorization),
            step_with(S::AccessToken, &[("dpop", "true")]),
            step_with(S::Introspection, &[("expect_active", "true")]),
        ],
    },
    Story {
        name: "oauth2_resource_indicators",
        title: "Resource Indicators",
        standard: "RFC 8707 §2",
        summary: "the authorization request names two resources; each token asked for one of them is restricted to it (aud), at the code exchange and at the refresh",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            step_with(S::Authorization, &[("resource", RESOURCES_BOTH)]),
            step_with(S::AccessToken, &[("resource", RESOURCE_BACKEND)]),
            step(S::Introspection),
            step_with(S::RefreshToken, &[("resource", RESOURCE_APPL)]),
        ],
    },
    Story {
        name: "oauth2_rar",
        title: "Rich Authorization Requests",
        standard: "RFC 9396 §2, §7, §9",
        summary: "authorization_details (type, actions, locations, datatypes) asked for, granted, returned with the token and inside it, and by introspection",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            step_with(
                S::Authorization,
                &[("authorization_details", DETAILS_CUSTOMER)],
            ),
            step(S::AccessToken),
            step(S::Introspection),
        ],
    },
    Story {
        name: "oidc_code_id_token",
        title: "Hybrid Flow",
        standard: "OIDC Core §3.3",
        summary: "response_type \"code id_token\": an ID token with c_hash in the fragment, then the code redeemed",
        profile: "client",
        steps: op_keys![
            step_with(
                S::Authorization,
                &[
                    ("scope", "openid foobar"),
                    ("response_type", "code id_token"),
                ],
            ),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oidc_id_token",
        title: "Implicit Flow (ID Token only)",
        standard: "OIDC Core §3.2",
        summary: "response_type id_token: the ID token alone, in the fragment, nonce required, claims inside",
        profile: "client",
        steps: op_keys![step_with(
            S::Authorization,
            &[("scope", "openid email"), ("response_type", "id_token")],
        ),],
    },
    Story {
        name: "oidc_form_post",
        title: "OpenID Connect code flow, answered as a form post",
        standard: "OAuth 2.0 Form Post Response Mode §2, OIDC Core §3.1",
        summary: "response_mode=form_post: the OP answers with a page whose form posts code, state and iss to the redirect URI; the RP reads the form strictly, checks it as it checks a redirect, and redeems the code",
        profile: "client",
        steps: op_keys![
            step_with(S::Authorization, &FORM_POST),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oauth2_jarm",
        title: "JWT Secured Authorization Response Mode",
        standard: "JARM §2",
        summary: "response_mode=jwt: code, state and iss come as the claims of one JWT signed by the AS; the RP verifies it (signature, iss, aud, exp) before using anything in it, then redeems the code",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            step(S::Jwks),
            step_with(S::Authorization, &JARM),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oauth2_device_code",
        title: "Device Authorization Grant",
        standard: "RFC 8628",
        summary: "a device without a browser gets a user code; the device polls (authorization_pending) while the user enters the code elsewhere and approves, then, after the interval, tokens and an ID token",
        profile: "client",
        steps: op_keys![
            step_with(S::DeviceAuthorization, &[("scope", "openid foobar")]),
            step(S::DeviceToken),
            step(S::DeviceUser),
            step(S::DeviceToken),
        ],
    },
    Story {
        name: "oidc_logout",
        title: "RP-Initiated and Back-Channel Logout",
        standard: "OIDC RP-Initiated Logout 1.0, OIDC Back-Channel Logout 1.0",
        summary: "an OIDC login (its ID token names the session, sid), the user agent sent to end_session with the ID token as hint and back to the registered URI with the state; the grant dies (introspection: inactive) and the OP's logout token, carried to the RP, is verified and ends the RP's login",
        profile: "client",
        steps: logged_out![
            step_with(S::Introspection, &[("expect_active", "false")]),
            step(S::BackchannelLogout),
        ],
    },
    // The OpenID Foundation's Basic OP certification: one story per test
    // module, each an OIDC code flow (client_secret_basic) with the
    // parameter or call the module is about.
    Story {
        name: "oidc_userinfo_post_header",
        title: "UserInfo by POST, the token in the header",
        standard: "OIDC Core §5.3.1, RFC 6750 §2.1",
        summary: "the access token presented to userinfo in the Authorization header of a POST: the endpoint supports POST as well as GET",
        profile: "client",
        steps: basic_login![step_with(S::Userinfo, &[("method", "post_header")])],
    },
    Story {
        name: "oidc_userinfo_post_body",
        title: "UserInfo by POST, the token in the form body",
        standard: "OIDC Core §5.3.1, RFC 6750 §2.2",
        summary: "the access token presented to userinfo as access_token in a form-encoded POST body (a method a resource server may support)",
        profile: "client",
        steps: basic_login![step_with(S::Userinfo, &[("method", "post_body")])],
    },
    Story {
        name: "oidc_code_without_nonce",
        title: "The code flow without a nonce",
        standard: "OIDC Core §3.1.2.1, §3.1.3.7",
        summary: "no nonce in the authorization request (optional in the code flow): the login succeeds, and the ID token, which needs none, is verified",
        profile: "client",
        steps: op_keys![
            step_with(S::Authorization, &[("scope", "openid"), ("nonce", "omit")]),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oidc_scope_profile",
        title: "The profile scope",
        standard: "OIDC Core §5.4",
        summary: "scope openid profile: userinfo releases the profile claims the OP holds (name, given_name, family_name, …)",
        profile: "client_scopes",
        steps: scope_claims!["openid profile", "profile"],
    },
    Story {
        name: "oidc_scope_email",
        title: "The email scope",
        standard: "OIDC Core §5.4",
        summary: "scope openid email: userinfo releases email and email_verified",
        profile: "client_scopes",
        steps: scope_claims!["openid email", "email"],
    },
    Story {
        name: "oidc_scope_address",
        title: "The address scope",
        standard: "OIDC Core §5.4",
        summary: "scope openid address: userinfo releases the address claim",
        profile: "client_scopes",
        steps: scope_claims!["openid address", "address"],
    },
    Story {
        name: "oidc_scope_phone",
        title: "The phone scope",
        standard: "OIDC Core §5.4",
        summary: "scope openid phone: userinfo releases phone_number (and phone_number_verified)",
        profile: "client_scopes",
        steps: scope_claims!["openid phone", "phone"],
    },
    Story {
        name: "oidc_scope_all",
        title: "Every claims scope at once",
        standard: "OIDC Core §5.4",
        summary: "scope openid profile email address phone: userinfo releases the claims of each scope",
        profile: "client_scopes",
        steps: scope_claims![
            "openid profile email address phone",
            "profile email address phone"
        ],
    },
    Story {
        name: "oidc_scope_order",
        title: "Scopes in another order",
        standard: "RFC 6749 §3.3, OIDC Core §5.4",
        summary: "scope \"email profile openid\": the order of scope values does not matter, openid last is still OpenID Connect",
        profile: "client_scopes",
        steps: scope_claims!["email profile openid", "email profile"],
    },
    Story {
        name: "oidc_display_page",
        title: "display=page",
        standard: "OIDC Core §3.1.2.1",
        summary: "the OP asked to show its pages as a full user agent page: the login goes through",
        profile: "client",
        steps: basic_login![; ("display", "page")],
    },
    Story {
        name: "oidc_display_popup",
        title: "display=popup",
        standard: "OIDC Core §3.1.2.1",
        summary: "the OP asked to show its pages in a popup: the login goes through",
        profile: "client",
        steps: basic_login![; ("display", "popup")],
    },
    Story {
        name: "oidc_unknown_parameter",
        title: "An authorization request with an unknown parameter",
        standard: "OIDC Core §3.1.2.1, RFC 6749 §3.1",
        summary: "a parameter the OP does not know travels with the request: it must be ignored, and the login goes through",
        profile: "client",
        steps: basic_login![; ("extra", "unrecognised_parameter=ignore-me")],
    },
    Story {
        name: "oidc_login_hint",
        title: "login_hint",
        standard: "OIDC Core §3.1.2.1",
        summary: "the OP is told whom to expect (diana's email address); a hint it may use or ignore",
        profile: "client",
        steps: basic_login![; ("login_hint", "diana@example.org")],
    },
    Story {
        name: "oidc_ui_locales",
        title: "ui_locales",
        standard: "OIDC Core §3.1.2.1",
        summary: "the OP is asked to speak Swedish, else English: a preference, never an error",
        profile: "client",
        steps: basic_login![; ("ui_locales", "sv en")],
    },
    Story {
        name: "oidc_claims_locales",
        title: "claims_locales",
        standard: "OIDC Core §5.2",
        summary: "the claims are asked for in Swedish, else English; userinfo shows which came with a language tag",
        profile: "client",
        steps: op_keys![
            step_with(
                S::Authorization,
                &[("scope", "openid profile"), ("claims_locales", "sv en")],
            ),
            step(S::AccessToken),
            step(S::Userinfo),
        ],
    },
    Story {
        name: "oidc_acr_values",
        title: "acr_values",
        standard: "OIDC Core §3.1.2.1, §2",
        summary: "authentication context classes asked for, voluntarily: the login goes through and the ID token's acr is shown beside them",
        profile: "client",
        steps: basic_login![; ("acr_values", ACR_VALUES)],
    },
    Story {
        name: "oidc_request_object_unsigned",
        title: "An unsigned request object, taken or declined as the metadata says",
        standard: "OIDC Core §6.1, §6.2",
        summary: "the parameters inside a request object with alg none: an OP listing none in request_object_signing_alg_values_supported takes it; one that does not declines it (request_not_supported or invalid_request_object), its lawful answer",
        profile: "client",
        steps: op_keys![step_with(
            S::Authorization,
            &[("scope", "openid"), ("jar", "unsigned")],
        )],
    },
    Story {
        name: "oidc_request_object_redirect_uri",
        title: "A request object carrying the redirect_uri",
        standard: "OIDC Core §6.1",
        summary: "the RP registers its key, then sends redirect_uri, state and nonce only inside an ES256-signed request object: the OP redirects to the redirect_uri inside it",
        profile: "dynamic",
        steps: &[
            step(S::ProviderInfo),
            step_with(S::Registration, &[("request_object_signing_alg", "ES256")]),
            step(S::Jwks),
            step_with(S::Authorization, &[("scope", "openid"), ("jar", "value")]),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oidc_refresh_token",
        title: "Refreshing an OpenID Connect login",
        standard: "OIDC Core §12.1, §12.2",
        summary: "scope openid offline_access: the refresh token buys a new access token (and any ID token it brings names the same login: iss, sub, aud, auth_time, a new iat), which userinfo takes",
        profile: "client",
        steps: op_keys![
            step_with(S::Authorization, &[("scope", "openid offline_access")]),
            step(S::AccessToken),
            step(S::RefreshToken),
            step(S::Userinfo),
        ],
    },
    Story {
        name: "oidc_code_pkce",
        title: "The OpenID Connect code flow with PKCE",
        standard: "RFC 7636 §4",
        summary: "an S256 challenge with the OIDC authorization request, the verifier with the code: the OP takes both",
        profile: "client",
        steps: basic_login![; ("pkce", "S256")],
    },
    Story {
        name: "oidc_prompt_login",
        title: "prompt=login: authenticate again",
        standard: "OIDC Core §3.1.2.1",
        summary: "a login, then a second authorization a second later with prompt=login: the OP authenticates the user again, so the new ID token's auth_time is later",
        profile: "client",
        steps: basic_login![
            step_with(
                S::Authorization,
                &[("scope", "openid"), ("prompt", "login"), ("wait", "1100")],
            ),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oidc_prompt_none_not_logged_in",
        title: "prompt=none with nobody logged in",
        standard: "OIDC Core §3.1.2.1, §3.1.2.6",
        summary: "a fresh user agent asks with prompt=none: no page may be shown and nobody is logged in, so the OP answers login_required (by redirect)",
        profile: "client",
        steps: op_keys![refused(
            S::Authorization,
            &[("scope", "openid"), ("prompt", "none")],
            E::LoginRequired,
        )],
    },
    Story {
        name: "oidc_prompt_none_logged_in",
        title: "prompt=none after a login",
        standard: "OIDC Core §3.1.2.1",
        summary: "a login, then an authorization with prompt=none in the same user agent: answered from the login, no page, the same user",
        profile: "client",
        steps: basic_login![
            step_with(S::Authorization, &[("scope", "openid"), ("prompt", "none")]),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oidc_max_age_1",
        title: "max_age=1 after a pause",
        standard: "OIDC Core §3.1.2.1, §2",
        summary: "a login, then, more than a second later, an authorization with max_age=1: the login is too old, so the OP authenticates again; the ID token states auth_time, later than the first",
        profile: "client",
        steps: basic_login![
            step_with(
                S::Authorization,
                &[("scope", "openid"), ("max_age", "1"), ("wait", "2100")],
            ),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oidc_max_age_10000",
        title: "max_age=10000",
        standard: "OIDC Core §3.1.2.1, §2",
        summary: "a login, then an authorization with max_age=10000: the login is recent enough to keep, and the ID token states auth_time, as max_age requires",
        profile: "client",
        steps: basic_login![
            step_with(
                S::Authorization,
                &[("scope", "openid"), ("max_age", "10000")]
            ),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "oidc_id_token_hint",
        title: "id_token_hint with prompt=none",
        standard: "OIDC Core §3.1.2.1",
        summary: "a login, then an authorization with prompt=none and the first ID token as id_token_hint: answered for that user, no page",
        profile: "client",
        steps: basic_login![
            step_with(
                S::Authorization,
                &[
                    ("scope", "openid"),
                    ("prompt", "none"),
                    ("id_token_hint", "previous"),
                ],
            ),
            step(S::AccessToken),
        ],
    },
];

/// Stories too slow for `--all` (each waits half a minute): run by name or
/// in their plan (`run --plan`).
pub const SLOW: &[Story] = &[Story {
    name: "attack_code_replay_30s",
    title: "Authorization code replay, 30 seconds later",
    standard: "RFC 6749 §4.1.2, §10.5",
    summary: "the code is redeemed, then again 30 s later: refused, and the tokens of the first use should be revoked",
    profile: "client",
    steps: code_flow![
        refused(S::AccessToken, &[("wait", "30000")], E::InvalidGrant),
        step_with(S::Introspection, &[("should_be_active", "false")]),
    ],
}];

pub const ATTACKS: &[Story] = &[
    Story {
        name: "attack_code_replay",
        title: "Authorization code replay",
        standard: "RFC 6749 §4.1.2, §10.5",
        summary: "the code is redeemed twice: the second use is refused and the tokens of the first are revoked",
        profile: "client",
        // Revoking the first use's tokens is a SHOULD (§4.1.2).
        steps: code_flow![
            refused(S::AccessToken, &[], E::InvalidGrant),
            step_with(S::Introspection, &[("should_be_active", "false")]),
        ],
    },
    Story {
        name: "attack_code_other_client",
        title: "A code redeemed by another client",
        standard: "RFC 6749 §4.1.3",
        summary: "client_2 presents client's code with its own credentials",
        profile: "client",
        steps: authorized![refused(
            S::AccessToken,
            &[("client", "client_2")],
            E::InvalidGrant
        ),],
    },
    Story {
        name: "attack_redirect_uri_swap",
        title: "redirect_uri swapped at the token endpoint",
        standard: "RFC 6749 §4.1.3, RFC 9700 §4.1",
        summary: "the token request names another redirect_uri than the authorization request",
        profile: "client",
        steps: authorized![refused(
            S::AccessToken,
            &[("redirect_uri", "https://attacker.example/cb")],
            E::InvalidGrant,
        ),],
    },
    Story {
        name: "attack_pkce_downgrade",
        title: "PKCE downgrade",
        standard: "RFC 7636 §4.6, RFC 9700 §2.1.1",
        summary: "a challenge was sent; the token request omits the verifier",
        profile: "client",
        steps: pkce_authorized![refused(
            S::AccessToken,
            &[("code_verifier", "omit")],
            E::InvalidGrant,
        ),],
    },
    Story {
        name: "attack_pkce_mismatch",
        title: "PKCE verifier mismatch",
        standard: "RFC 7636 §4.6, RFC 9700 §2.1.1",
        summary: "the token request carries a verifier that does not hash to the challenge",
        profile: "client",
        steps: pkce_authorized![refused(
            S::AccessToken,
            &[(
                "code_verifier",
                "an-intercepted-code-needs-the-right-verifier-000",
            )],
            E::InvalidGrant,
        ),],
    },
    Story {
        name: "attack_state_mismatch",
        title: "CSRF: a response with another state",
        standard: "RFC 6749 §10.12, RFC 9700 §4.7",
        summary: "an attacker's authorization response reaches the RP; its state is not the one sent",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            rp_refuses(
                S::Authorization,
                &[],
                Tamper::RedirectParam("state", "attacker-chosen-state"),
                C::State,
            ),
        ],
    },
    Story {
        name: "attack_mix_up",
        title: "Mix-up: a response from another AS",
        standard: "RFC 9207, RFC 9700 §4.4",
        summary: "the authorization response claims another issuer; the RFC 9207 iss check catches it",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            rp_refuses(
                S::Authorization,
                &[],
                Tamper::RedirectParam("iss", "https://attacker.example/"),
                C::AuthorizationIss,
            ),
        ],
    },
    Story {
        name: "attack_refresh_reuse",
        title: "Refresh token reuse after rotation",
        standard: "RFC 9700 §4.14.2",
        summary: "the spent refresh token is presented again: refused, and the whole family is revoked",
        profile: "client",
        steps: code_flow![
            step(S::RefreshToken),
            // RFC 6749 §6: the server MAY revoke the old token once it has
            // issued a new one; RFC 9700 §4.14.2 recommends it.
            refused_should(
                S::RefreshToken,
                &[("refresh_token", "previous")],
                E::InvalidGrant,
            ),
            // The family revoked on reuse: §4.14.2 describes it, no MUST.
            refused_should(S::RefreshToken, &[], E::InvalidGrant),
        ],
    },
    Story {
        name: "attack_dpop_replay",
        title: "A replayed DPoP proof",
        standard: "RFC 9449 §11.1",
        summary: "the proof of the token request is sent again with the refresh request",
        profile: "client",
        // §11.1: servers SHOULD remember the jti of the proofs they accept.
        steps: dpop_bound![refused_should(
            S::RefreshToken,
            &[("dpop_proof", "replay")],
            E::InvalidDpopProof,
        ),],
    },
    Story {
        name: "attack_dpop_wrong_htu",
        title: "A DPoP proof for another URL",
        standard: "RFC 9449 §4.3",
        summary: "a proof made for the userinfo endpoint is presented at the token endpoint",
        profile: "client",
        steps: dpop_bound![refused(
            S::RefreshToken,
            &[("dpop_proof", "wrong_htu")],
            E::InvalidDpopProof,
        ),],
    },
    Story {
        name: "attack_dpop_as_bearer",
        title: "A DPoP-bound token presented as Bearer",
        standard: "RFC 9449 §7.2",
        summary: "a stolen DPoP-bound token is worthless without the key: userinfo refuses it as Bearer",
        profile: "client",
        steps: oidc_dpop_bound![refused(
            S::Userinfo,
            &[("token_scheme", "Bearer")],
            E::InvalidToken
        ),],
    },
    Story {
        name: "attack_jar_alg_none",
        title: "An unsigned request object",
        standard: "RFC 9101 §6.2",
        summary: "a request object with alg none is refused",
        profile: "dynamic",
        steps: jar_registered![refused(
            S::Authorization,
            &[("jar", "value"), ("jar_alg", "none"), ("scope", "foobar")],
            E::InvalidRequestObject,
        ),],
    },
    Story {
        name: "attack_jar_foreign_key",
        title: "A request object signed by a foreign key",
        standard: "RFC 9101 §6.2",
        summary: "a request object signed by a key the client never registered is refused",
        profile: "dynamic",
        steps: jar_registered![refused(
            S::Authorization,
            &[
                ("jar", "value"),
                ("jar_key", "foreign"),
                ("scope", "foobar"),
            ],
            E::InvalidRequestObject,
        ),],
    },
    Story {
        name: "attack_par_reuse",
        title: "A request_uri used twice",
        standard: "RFC 9126 §4",
        summary: "a pushed request's request_uri is single-use",
        profile: "client",
        steps: pushed![
            step(S::Authorization),
            // §4: one-time use is a SHOULD (a reload may be allowed).
            refused_should(
                S::Authorization,
                &[("request_uri", "previous")],
                E::InvalidRequestUri,
            ),
        ],
    },
    Story {
        name: "attack_par_other_client",
        title: "A request_uri used by another client",
        standard: "RFC 9126 §4",
        summary: "client_2 presents the request_uri client pushed",
        profile: "client",
        steps: pushed![refused(
            S::Authorization,
            &[("client", "client_2")],
            E::InvalidRequestUri,
        ),],
    },
    Story {
        name: "attack_id_token_wrong_nonce",
        title: "An injected ID token (wrong nonce)",
        standard: "OIDC Core §3.1.3.7 (11), §15.5.2",
        summary: "the ID token of an earlier login is injected into a new one; its nonce gives it away",
        profile: "client",
        steps: op_keys![
            step_with(
                S::Authorization,
                &[("response_type", "id_token"), ("scope", "openid")],
            ),
            rp_refuses(
                S::Authorization,
                &[("response_type", "id_token"), ("scope", "openid")],
                Tamper::ReplayRedirectParam("id_token"),
                C::IdTokenNonce,
            ),
        ],
    },
    Story {
        name: "attack_id_token_hs256",
        title: "An ID token HS256-signed with the OP's public key",
        standard: "OIDC Core §3.1.3.7 (6, 7), RFC 8725 §2.1",
        summary: "the algorithm-confusion forgery: the RP accepts only the registered RS256 with the OP's key",
        profile: "client",
        steps: op_keys![rp_refuses(
            S::Authorization,
            &[("response_type", "id_token"), ("scope", "openid")],
            Tamper::Hs256IdToken,
            C::IdTokenSignature,
        ),],
    },
    Story {
        name: "attack_introspection_without_auth",
        title: "Introspection without client authentication",
        standard: "RFC 7662 §2.1, §4",
        summary: "only an authenticated client may ask about a token",
        profile: "client",
        steps: code_flow![refused(
            S::Introspection,
            &[("token_endpoint_auth_method", "none")],
            E::InvalidClient,
        ),],
    },
    Story {
        name: "attack_revocation_without_auth",
        title: "Revocation without client authentication",
        standard: "RFC 7009 §2.1",
        summary: "a confidential client's token can only be revoked by that client, authenticated",
        profile: "client",
        steps: code_flow![refused(
            S::TokenRevocation,
            &[("token_endpoint_auth_method", "none")],
            E::InvalidClient,
        ),],
    },
    Story {
        name: "attack_exchange_revoked",
        title: "Token exchange of a revoked token",
        standard: "RFC 8693 §2.2.2",
        summary: "a revoked access token cannot be exchanged for a fresh one",
        profile: "client",
        steps: code_flow![
            step(S::TokenRevocation),
            refused(S::TokenExchange, &[], E::InvalidRequest),
        ],
    },
    Story {
        name: "attack_registration_private_key",
        title: "Registration publishing a private key",
        standard: "RFC 7591 §2, RFC 7517 §5",
        summary: "the OP refuses client metadata whose jwks holds private key material",
        profile: "dynamic",
        // No clause binds the server to refuse it (the keys a client
        // publishes are the client's duty): a SHOULD, met by a refusal or by
        // registering without it (RFC 7591 §3.2.1).
        steps: &[
            step(S::ProviderInfo),
            refused_should(
                S::Registration,
                &[("jwks", "private")],
                E::InvalidClientMetadata,
            ),
        ],
    },
    Story {
        name: "attack_registration_symmetric_key",
        title: "Registration publishing a symmetric key",
        standard: "RFC 7591 §2, RFC 7518 §6.4",
        summary: "the OP refuses client metadata whose jwks holds a secret (oct) key",
        profile: "dynamic",
        // No clause binds the server to refuse it (the keys a client
        // publishes are the client's duty): a SHOULD, met by a refusal or by
        // registering without it (RFC 7591 §3.2.1).
        steps: &[
            step(S::ProviderInfo),
            refused_should(
                S::Registration,
                &[("jwks", "symmetric")],
                E::InvalidClientMetadata,
            ),
        ],
    },
    // The RP against an AS we do not run (issue 20): the attacker plays a
    // malicious AS, with a key of its own in its key set.
    Story {
        name: "attack_refused_response_keeps_login",
        title: "A refused response does not change who is logged in",
        standard: "RFC 9700 §4.7, OIDC Core §3.3.2.12",
        summary: "after a login, a hybrid response with another state carries a well-signed ID token for mallory: refused, and userinfo still matches the first login",
        profile: "client",
        steps: malicious_op![
            step_with(S::Authorization, &HYBRID),
            step(S::AccessToken),
            rp_refuses(
                S::Authorization,
                &HYBRID,
                Tamper::All(&[
                    Tamper::RedirectParam("state", "attacker-chosen-state"),
                    Tamper::ForgeIdToken(Forge::Claim("sub", "mallory")),
                ]),
                C::State,
            ),
            step(S::Userinfo),
        ],
    },
    Story {
        name: "attack_refresh_switches_user",
        title: "A refresh that switches the user",
        standard: "OIDC Core §12.2",
        summary: "the refresh response carries a well-signed ID token for mallory: its sub is not the original login's",
        profile: "client",
        steps: malicious_op![
            step_with(S::Authorization, &[("scope", "openid foobar")]),
            step(S::AccessToken),
            rp_refuses(
                S::RefreshToken,
                &[],
                Tamper::ForgeIdToken(Forge::Claim("sub", "mallory")),
                C::RefreshSub,
            ),
            step(S::Userinfo),
        ],
    },
    Story {
        name: "attack_refresh_widens_scope",
        title: "A refresh that widens the scope",
        standard: "RFC 6749 §6",
        summary: "a grant of \"openid foobar\" refreshed as \"openid foobar admin\": more than was ever granted",
        profile: "client",
        steps: op_keys![
            step_with(S::Authorization, &[("scope", "openid foobar")]),
            step(S::AccessToken),
            rp_refuses(
                S::RefreshToken,
                &[],
                Tamper::BodyMember("scope", "openid foobar admin"),
                C::ScopeWithinGrant,
            ),
        ],
    },
    Story {
        name: "attack_metadata_http_par_endpoint",
        title: "A PAR endpoint over plain http",
        standard: "RFC 8414 §2, RFC 9126 §5, RFC 6749 §2.3.1",
        summary: "the metadata names http://evil.example/par: refused, so the pushed request and its Basic credentials go to the configured https endpoint",
        profile: "client",
        steps: &[
            rp_refuses(
                S::ServerMetadata,
                &[],
                Tamper::BodyMember(
                    "pushed_authorization_request_endpoint",
                    "http://evil.example/par",
                ),
                C::ParEndpointHttps,
            ),
            step(S::PushedAuthorization),
            step(S::Authorization),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "attack_metadata_ftp_loopback",
        title: "A token endpoint on loopback, not over http",
        standard: "RFC 8414 §2, RFC 6749 §3.2",
        summary: "ftp://127.0.0.1/token is refused: loopback allows http, never another scheme; the metadata is not kept",
        profile: "client_1",
        steps: &[
            rp_refuses(
                S::ServerMetadata,
                &[],
                Tamper::BodyMember("token_endpoint", "ftp://127.0.0.1/token"),
                C::TokenEndpointHttps,
            ),
            step(S::Jwks),
            step(S::ClientCredentials),
        ],
    },
    Story {
        name: "attack_jwks_refused_not_kept",
        title: "A refused key set verifies nothing",
        standard: "RFC 7517 §5, OIDC Core §3.1.3.7 (6)",
        summary: "a key set with the attacker's key, served as text/html, is refused and not kept: an ID token signed with that key does not verify",
        profile: "client",
        steps: op_keys![
            rp_refuses(
                S::Jwks,
                &[],
                Tamper::All(&[
                    Tamper::AddSigningKey,
                    Tamper::Header("content-type", "text/html"),
                ]),
                C::ContentTypeJson,
            ),
            rp_refuses(
                S::Authorization,
                &IMPLICIT,
                Tamper::ForgeIdToken(Forge::AsIs),
                C::IdTokenSignature,
            ),
        ],
    },
    Story {
        name: "attack_id_token_crit",
        title: "An ID token with a critical header extension",
        standard: "RFC 7515 §4.1.11",
        summary: "crit names an extension the RP does not understand: the JWS must be rejected",
        profile: "client",
        steps: malicious_op![rp_refuses(
            S::Authorization,
            &IMPLICIT,
            Tamper::ForgeIdToken(Forge::Crit),
            C::IdTokenCrit,
        ),],
    },
    Story {
        name: "attack_id_token_not_yet_valid",
        title: "An ID token not valid yet",
        standard: "RFC 7519 §4.1.5",
        summary: "nbf an hour ahead: the token must not be accepted before then",
        profile: "client",
        steps: malicious_op![rp_refuses(
            S::Authorization,
            &IMPLICIT,
            Tamper::ForgeIdToken(Forge::NotBeforeIn(3600)),
            C::IdTokenNbf,
        ),],
    },
    Story {
        name: "attack_id_token_extra_audience",
        title: "An ID token for another audience too",
        standard: "OIDC Core §3.1.3.7 (3)",
        summary: "aud lists a resource server beside the client; the RP trusts no audience but itself",
        profile: "client",
        steps: malicious_op![rp_refuses(
            S::Authorization,
            &IMPLICIT,
            Tamper::ForgeIdToken(Forge::ExtraAudience("https://rs.attacker.example/")),
            C::IdTokenAudTrusted,
        ),],
    },
    Story {
        name: "attack_id_token_no_nonce_without_openid",
        title: "A front-channel ID token without nonce, scope without openid",
        standard: "OIDC Core §3.2.2.1, §3.2.2.11",
        summary: "response_type id_token with scope email: the RP sends a nonce anyway, so an ID token without one is refused",
        profile: "client",
        steps: malicious_op![
            step_with(S::Authorization, &IMPLICIT),
            rp_refuses(
                S::Authorization,
                &[("response_type", "id_token"), ("scope", "email")],
                Tamper::ForgeIdToken(Forge::Remove("nonce")),
                C::IdTokenNonce,
            ),
        ],
    },
    Story {
        name: "attack_metadata_oversized",
        title: "Oversized metadata",
        standard: "the RP's own size limits (docs/SECURITY.md)",
        summary: "provider metadata padded to 256 KiB is refused unread; the RP keeps only the members it uses, within 64 KiB",
        profile: "client",
        steps: &[
            rp_refuses(
                S::ProviderInfo,
                &[],
                Tamper::PadBody(256 * 1024),
                C::AnswerWithinLimits,
            ),
            step(S::ProviderInfo),
        ],
    },
    Story {
        name: "attack_registration_swaps_client",
        title: "A second registration in the middle of a story",
        standard: "RFC 6749 §4.1.3, OIDC Registration §3.2",
        summary: "with an authorization in flight, a new registration (answered with client_2's id) is refused; the code is redeemed by the client it was issued to",
        profile: "dynamic",
        steps: &[
            step(S::ProviderInfo),
            step(S::Registration),
            step(S::Jwks),
            step(S::Authorization),
            rp_refuses(
                S::Registration,
                &[],
                Tamper::BodyMember("client_id", "client_2"),
                C::RegistrationClientKept,
            ),
            step(S::AccessToken),
        ],
    },
    Story {
        name: "attack_exchange_strips_dpop",
        title: "Token exchange without the DPoP key",
        standard: "RFC 9449 §6, §7; RFC 8693 §5",
        summary: "a DPoP-bound token is exchanged with no proof, hoping for an unbound Bearer token: refused",
        profile: "client",
        steps: dpop_bound![refused(
            S::TokenExchange,
            &[("dpop_proof", "none")],
            E::InvalidRequest,
        ),],
    },
    Story {
        name: "attack_registration_public_exchange",
        title: "A public client registering for token exchange",
        standard: "RFC 8693 §5, RFC 7591 §2",
        summary: "a self-registered client with no secret asks for the token-exchange grant: not offered to public clients",
        profile: "dynamic",
        steps: &[
            step(S::ProviderInfo),
            refused(
                S::Registration,
                &[
                    ("token_endpoint_auth_method", "none"),
                    (
                        "grant_types",
                        "authorization_code urn:ietf:params:oauth:grant-type:token-exchange",
                    ),
                ],
                E::InvalidClientMetadata,
            ),
        ],
    },
    Story {
        name: "attack_dpop_proof_for_another_resource",
        title: "A DPoP proof for another resource, presented with its URL",
        standard: "RFC 9449 §4.3 item 9",
        summary: "a proof made for https://rs.example.org/api/photos reaches userinfo in an envelope naming that URL: the AS checks its own URL",
        profile: "client",
        steps: oidc_dpop_bound![refused(
            S::Userinfo,
            &[("request_url", "https://rs.example.org/api/photos")],
            E::InvalidRequest,
        ),],
    },
    Story {
        name: "attack_assertion_foreign_aud",
        title: "A client assertion made for another server",
        standard: "RFC 7523 §3 item 3",
        summary: "a private_key_jwt assertion whose aud is another server's token endpoint is refused",
        profile: "dynamic",
        steps: assertion_client![refused(
            S::AccessToken,
            &[("assertion_aud", "https://as.other.example/token")],
            E::InvalidClient,
        ),],
    },
    Story {
        name: "attack_assertion_long_exp",
        title: "A client assertion valid for a year",
        standard: "RFC 7523 §3 item 4",
        summary: "an assertion whose exp is a year ahead (its jti would be kept as long) is refused",
        profile: "dynamic",
        steps: assertion_client![refused(
            S::AccessToken,
            &[("assertion_exp", "31536000")],
            E::InvalidClient,
        ),],
    },
    Story {
        name: "attack_jwt_bearer_untrusted_issuer",
        title: "A JWT bearer assertion from an untrusted issuer",
        standard: "RFC 7523 §3 item 1",
        summary: "an assertion about diana, signed by an issuer the AS has no trust in (and a key of its own), is refused: invalid_grant",
        profile: "client_1",
        steps: &[refused(
            S::JwtBearer,
            &[("assertion_issuer", "https://attacker.example.net/")],
            E::InvalidGrant,
        )],
    },
    Story {
        name: "attack_client_secret_jwt_downgrade",
        title: "A client_secret_jwt client sending its secret in the clear",
        standard: "OIDC Core §9, RFC 7591 §2",
        summary: "the client registered for client_secret_jwt sends its secret with client_secret_basic instead (a downgrade an attacker who learned it would try): invalid_client",
        profile: "client_hmac",
        steps: &[refused(
            S::ClientCredentials,
            &[("token_endpoint_auth_method", "client_secret_basic")],
            E::InvalidClient,
        )],
    },
    Story {
        name: "attack_fapi2_without_par",
        title: "A FAPI 2.0 client's request not pushed",
        standard: "FAPI 2.0 Security Profile §5.3.2.2, RFC 9126 §6",
        summary: "the same authorization request sent by the browser directly, not pushed first: invalid_request",
        profile: "fapi2",
        steps: &[
            step(S::ServerMetadata),
            refused(S::Authorization, &[], E::InvalidRequest),
        ],
    },
    Story {
        name: "attack_fapi2_bearer_token",
        title: "A FAPI 2.0 client asking for a bearer token",
        standard: "FAPI 2.0 Security Profile §5.3.2.1, RFC 9449 §5.2",
        summary: "the code redeemed without a DPoP proof, for a token anyone holding it could use: invalid_request",
        profile: "fapi2",
        steps: &[
            step(S::ServerMetadata),
            step(S::PushedAuthorization),
            step(S::Authorization),
            refused(S::AccessToken, &[], E::InvalidRequest),
        ],
    },
    Story {
        name: "attack_fapi2_assertion_for_endpoint_url",
        title: "A FAPI 2.0 client assertion naming an endpoint URL",
        standard: "FAPI 2.0 Security Profile §5.3.2.1",
        summary: "a client assertion whose aud is the URL it is sent to (the PAR endpoint, which other clients may name) is refused: under FAPI 2.0 the issuer, as a string, is the only audience taken, so no assertion made for another URL can be replayed here",
        profile: "fapi2",
        steps: &[
            step(S::ServerMetadata),
            refused(
                S::PushedAuthorization,
                &[("assertion_aud", "https://example.com/par")],
                E::InvalidClient,
            ),
        ],
    },
    Story {
        name: "attack_resource_outside_grant",
        title: "A token for a resource the grant did not include",
        standard: "RFC 8707 §2.2",
        summary: "the user authorised one resource; the code exchange asks for a token for another one the client may otherwise use: invalid_target",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            step_with(S::Authorization, &[("resource", RESOURCE_APPL)]),
            refused(
                S::AccessToken,
                &[("resource", RESOURCE_BACKEND)],
                E::InvalidTarget,
            ),
        ],
    },
    Story {
        name: "attack_resource_unknown",
        title: "An authorization request for an unknown resource",
        standard: "RFC 8707 §2",
        summary: "a resource the client may not obtain tokens for is refused at the authorization endpoint, by redirect: invalid_target",
        profile: "client",
        // §2: which resources are acceptable is the server's policy; it
        // "should" refuse the others (no MUST).
        steps: &[
            step(S::ServerMetadata),
            refused_should(
                S::Authorization,
                &[("resource", "https://attacker.example.net/api")],
                E::InvalidTarget,
            ),
        ],
    },
    Story {
        name: "attack_rar_type_not_allowed",
        title: "Authorization details of a type the client may not use",
        standard: "RFC 9396 §5",
        summary: "the client asks to initiate a payment, a type the server knows but this client was never allowed: invalid_authorization_details, by redirect",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            refused(
                S::Authorization,
                &[("authorization_details", DETAILS_PAYMENT)],
                E::InvalidAuthorizationDetails,
            ),
        ],
    },
    Story {
        name: "attack_rar_widened_at_token",
        title: "Authorization details widened at the token endpoint",
        standard: "RFC 9396 §6",
        summary: "the user granted read and write; the code exchange asks for delete as well: invalid_authorization_details",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            step_with(
                S::Authorization,
                &[("authorization_details", DETAILS_CUSTOMER)],
            ),
            refused(
                S::AccessToken,
                &[("authorization_details", DETAILS_CUSTOMER_DELETE)],
                E::InvalidAuthorizationDetails,
            ),
        ],
    },
    Story {
        name: "attack_claims_beyond_scope",
        title: "The claims parameter beyond the client's scopes",
        standard: "OIDC Core §5.4, §5.5",
        summary: "a client registered for openid alone asks for phone, address and email by name: the OP withholds them",
        profile: "dynamic",
        steps: &[
            step(S::ProviderInfo),
            step_with(S::Registration, &[("scope", "openid")]),
            step(S::Jwks),
            step_with(
                S::Authorization,
                &[
                    ("scope", "openid"),
                    (
                        "claims",
                        r#"{"userinfo":{"phone_number":null,"address":null,"email":null},"id_token":{"email":null}}"#,
                    ),
                ],
            ),
            step(S::AccessToken),
            withheld(S::Userinfo, &[("withheld", "phone_number address email")]),
        ],
    },
    Story {
        name: "attack_registration_oversized",
        title: "Registration metadata meant to fill memory",
        standard: "RFC 7591 §3, §5",
        summary: "client metadata of 200 keys (about 40 KB) is refused: registration is bounded in size and keys",
        profile: "dynamic",
        // No clause binds the server to refuse it (the keys a client
        // publishes are the client's duty): a SHOULD, met by a refusal or by
        // registering without it (RFC 7591 §3.2.1).
        steps: &[
            step(S::ProviderInfo),
            refused_should(
                S::Registration,
                &[("jwks", "many")],
                E::InvalidClientMetadata,
            ),
        ],
    },
    Story {
        name: "attack_claims_oversized",
        title: "A claims parameter meant to fill memory",
        standard: "OIDC Core §5.5",
        summary: "an anonymous authorization request with a 6 KB claims parameter (kept with the code) is refused",
        profile: "client",
        steps: &[
            step(S::ProviderInfo),
            refused(
                S::Authorization,
                &[("scope", "openid foobar"), ("claims_padding", "6000")],
                E::InvalidRequest,
            ),
        ],
    },
    Story {
        name: "attack_registration_public_cc",
        title: "A public client registering for client_credentials",
        standard: "RFC 6749 §4.4",
        summary: "client_credentials is for confidential clients only; a client with no secret cannot register for it",
        profile: "dynamic",
        steps: &[
            step(S::ProviderInfo),
            refused(
                S::Registration,
                &[
                    ("token_endpoint_auth_method", "none"),
                    ("grant_types", "client_credentials"),
                ],
                E::InvalidClientMetadata,
            ),
        ],
    },
    Story {
        name: "attack_registration_password",
        title: "Anyone registering for the password grant",
        standard: "RFC 9700 §2.4",
        summary: "the resource owner password grant MUST NOT be used: open registration does not offer it",
        profile: "dynamic",
        steps: &[
            step(S::ProviderInfo),
            refused(
                S::Registration,
                &[("grant_types", "password")],
                E::InvalidClientMetadata,
            ),
        ],
    },
    Story {
        name: "attack_password_guessing",
        title: "Guessing a user's password",
        standard: "RFC 6749 §4.3.2, RFC 9700 §2.4",
        summary: "five wrong passwords for user upper, then the right one: refused, the user is locked for the window",
        profile: "client_3",
        steps: &[
            refused(S::ResourceOwnerPasswordCredentials, GUESS, E::InvalidGrant),
            refused(S::ResourceOwnerPasswordCredentials, GUESS, E::InvalidGrant),
            refused(S::ResourceOwnerPasswordCredentials, GUESS, E::InvalidGrant),
            refused(S::ResourceOwnerPasswordCredentials, GUESS, E::InvalidGrant),
            refused(S::ResourceOwnerPasswordCredentials, GUESS, E::InvalidGrant),
            // Locking the user is one defence among others (RFC 6749
            // §4.3.2: rate limits or alerts): the right password still
            // refused is a SHOULD.
            refused_should(
                S::ResourceOwnerPasswordCredentials,
                &[("username", GUESSED_USER), ("password", GUESSED_PASSWORD)],
                E::InvalidGrant,
            ),
        ],
    },
    Story {
        name: "attack_form_post_action",
        title: "A form post page that posts elsewhere",
        standard: "OAuth 2.0 Form Post Response Mode §2",
        summary: "the attacker points the page's form at its own URI; the RP takes a form post only when it posts to its own redirect_uri",
        profile: "client",
        steps: op_keys![rp_refuses(
            S::Authorization,
            &FORM_POST,
            Tamper::FormAction("https://attacker.example/cb"),
            C::FormPostAction,
        )],
    },
    Story {
        name: "attack_form_post_second_code",
        title: "A second code injected into a form post",
        standard: "OAuth 2.0 Form Post Response Mode §2, RFC 6749 §3.1",
        summary: "the attacker adds a hidden code input of its own to the page; a parameter sent twice is refused, as in a query",
        profile: "client",
        steps: op_keys![rp_refuses(
            S::Authorization,
            &FORM_POST,
            Tamper::FormInput("code", "attacker-code"),
            C::ResponseParamsParse,
        )],
    },
    Story {
        name: "attack_jarm_foreign_key",
        title: "A response JWT re-signed by the attacker",
        standard: "JARM §2.4 (6)",
        summary: "the attacker re-signs the response JWT with its own key, code and state kept; it does not verify with the AS's keys, so nothing in it is used",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            step(S::Jwks),
            rp_refuses(
                S::Authorization,
                &JARM,
                Tamper::ForgeResponseJwt(Forge::AsIs),
                C::JarmSignature,
            ),
        ],
    },
    Story {
        name: "attack_device_poll_too_fast",
        title: "Polling faster than the interval",
        standard: "RFC 8628 §3.5",
        summary: "the device polls again at once instead of waiting the interval: slow_down, and its interval grows by 5 seconds",
        profile: "client",
        steps: device_authorized![
            step(S::DeviceToken),
            refused(S::DeviceToken, &[("poll", "early")], E::SlowDown),
        ],
    },
    Story {
        name: "attack_device_code_replay",
        title: "Device code replay",
        standard: "RFC 8628 §3.4, RFC 6749 §5.2",
        summary: "the device code, once redeemed for tokens, is presented again: invalid_grant",
        profile: "client",
        steps: device_authorized![
            step(S::DeviceUser),
            step(S::DeviceToken),
            refused(
                S::DeviceToken,
                &[("device_code", "previous")],
                E::InvalidGrant
            ),
        ],
    },
    Story {
        name: "attack_jarm_other_audience",
        title: "A response JWT for another client",
        standard: "JARM §2.4 (4)",
        summary: "a malicious AS, its key set holding a key of its own, signs a response JWT for another client: the signature verifies, the audience does not",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            tampered(S::Jwks, &[], Tamper::AddSigningKey),
            rp_refuses(
                S::Authorization,
                &JARM,
                Tamper::ForgeResponseJwt(Forge::Claim("aud", "another-client")),
                C::JarmAud,
            ),
        ],
    },
    Story {
        name: "attack_device_resource_unknown",
        title: "A device authorization for an unknown resource",
        standard: "RFC 8707 §2, RFC 8628 §3.1",
        summary: "the device asks for a token for a resource the client may not obtain tokens for: invalid_target at the device authorization endpoint, as at every other",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            refused(
                S::DeviceAuthorization,
                &[("resource", "https://attacker.example/api")],
                E::InvalidTarget,
            ),
        ],
    },
    Story {
        name: "attack_device_resource_outside_grant",
        title: "A device token for a resource the user did not authorise",
        standard: "RFC 8707 §2.2, RFC 8628 §3.4",
        summary: "the user approved the device for one resource; its poll asks for a token for another one the client may otherwise use: invalid_target",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            step_with(S::DeviceAuthorization, &[("resource", RESOURCE_APPL)]),
            step(S::DeviceUser),
            refused(
                S::DeviceToken,
                &[("resource", RESOURCE_BACKEND)],
                E::InvalidTarget,
            ),
        ],
    },
    Story {
        name: "attack_device_interval_beyond_lifetime",
        title: "A polling interval longer than the device code lives",
        standard: "RFC 8628 §3.2, §3.5",
        summary: "a malicious AS names an interval of 10^10 seconds for a device code that lives 10 minutes: no poll could ever be made in time, and the client, which never polls sooner than asked, refuses the answer instead of polling early",
        profile: "client",
        steps: &[
            step(S::ServerMetadata),
            rp_refuses(
                S::DeviceAuthorization,
                &[],
                Tamper::BodyNumber("interval", 10_000_000_000),
                C::DeviceIntervalWithinLifetime,
            ),
        ],
    },
    Story {
        name: "attack_device_user_code_guessing",
        title: "Guessing a user code",
        standard: "RFC 8628 §5.1",
        summary: "six guessed user codes from one user agent: each refused, and past five the caller is throttled (429) until the window ends",
        profile: "client",
        // Guesses only: the throttle holds for the window whatever code the
        // caller enters (the AS's tests show the real one refused too), and
        // a run of the catalog soon after still finds its device story served.
        steps: device_authorized![
            refused(S::DeviceUser, USER_CODE_GUESS, E::InvalidRequest),
            refused(S::DeviceUser, USER_CODE_GUESS, E::InvalidRequest),
            refused(S::DeviceUser, USER_CODE_GUESS, E::InvalidRequest),
            refused(S::DeviceUser, USER_CODE_GUESS, E::InvalidRequest),
            refused(S::DeviceUser, USER_CODE_GUESS, E::InvalidRequest),
            refused(S::DeviceUser, USER_CODE_GUESS, E::InvalidRequest),
        ],
    },
    Story {
        name: "attack_logout_token_nonce",
        title: "A logout token with a nonce",
        standard: "OIDC Back-Channel Logout §2.4, §2.6 item 7",
        summary: "a malicious OP sends a logout token carrying a nonce, as an ID token would: a token that could pass for the other is refused",
        profile: "client",
        steps: malicious_logout![rp_refuses(
            S::BackchannelLogout,
            &[],
            Tamper::ForgeLogoutToken(Forge::Claim("nonce", "n-0S6_WzA2Mj")),
            C::LogoutNonce,
        ),],
    },
    Story {
        name: "attack_logout_token_replay",
        title: "A logout token delivered twice",
        standard: "OIDC Back-Channel Logout §2.6 item 8",
        summary: "the OP's logout token is accepted once; the same token (same jti) delivered again is a replay and refused",
        profile: "client",
        steps: logged_out![
            step(S::BackchannelLogout),
            rp_refuses_as_is(S::BackchannelLogout, C::LogoutJtiReplay),
        ],
    },
    Story {
        name: "attack_logout_token_other_client",
        title: "A logout token for another client",
        standard: "OIDC Back-Channel Logout §2.6 item 4",
        summary: "a malicious OP sends the RP a logout token whose aud is another client (client_2): not for this RP, so refused",
        profile: "client",
        steps: malicious_logout![rp_refuses(
            S::BackchannelLogout,
            &[],
            Tamper::ForgeLogoutToken(Forge::Claim("aud", "client_2")),
            C::LogoutAud,
        ),],
    },
    Story {
        name: "attack_fapi2_par_without_redirect_uri",
        title: "A FAPI 2.0 pushed request without redirect_uri",
        standard: "FAPI 2.0 Security Profile §5.3.2.2",
        summary: "the client pushes its request without a redirect_uri, leaving the AS to pick the registered one; under FAPI 2.0 the AS shall require it in every pushed request: invalid_request",
        profile: "fapi2",
        steps: &[
            step(S::ServerMetadata),
            refused(
                S::PushedAuthorization,
                &[("redirect_uri", "omit")],
                E::InvalidRequest,
            ),
        ],
    },
    Story {
        name: "attack_logout_redirect_self_registered",
        title: "Logout as a redirect to a self-registered client's page",
        standard: "RFC 9700 §4.11.2, OIDC RP-Initiated Logout §3",
        summary: "anyone may register a client whose post-logout URI is a page of theirs; after one login its ID token hint would make the OP's end_session address a lasting redirect there. The OP answers with a page the user reads instead",
        profile: "self_registered",
        steps: &[
            step(S::ProviderInfo),
            step(S::Registration),
            step(S::Jwks),
            step(S::Authorization),
            step(S::AccessToken),
            withheld(S::EndSession, &[("redirect", "page")]),
        ],
    },
    Story {
        name: "attack_response_type_missing",
        title: "An authorization request without response_type",
        standard: "OIDC Core §3.1.2.2, RFC 6749 §4.1.2.1",
        summary: "response_type, REQUIRED, is left out: the OP must not guess a flow; a request missing a required parameter is invalid_request",
        profile: "client",
        steps: &[
            step(S::ProviderInfo),
            refused(
                S::Authorization,
                &[("scope", "openid"), ("response_type", "omit")],
                E::InvalidRequest,
            ),
        ],
    },
    Story {
        name: "attack_redirect_uri_unregistered",
        title: "A redirect_uri the client never registered",
        standard: "RFC 6749 §3.1.2.4, §4.1.2.1, OIDC Core §3.1.2.1",
        summary: "the authorization request names https://attacker.example/cb: the OP must not send the user agent there — no code, not even an error — and answers the user agent itself",
        profile: "client",
        steps: &[
            step(S::ProviderInfo),
            refused(
                S::Authorization,
                &[
                    ("scope", "openid"),
                    ("redirect_uri", "https://attacker.example/cb"),
                ],
                E::InvalidRequest,
            ),
        ],
    },
];

/// A user code never issued (RFC 8628 §5.1).
const USER_CODE_GUESS: &[(&str, &str)] = &[("user_code", "guess")];

/// The user whose password the guessing story guesses, and its right
/// password; against a server we do not run, the resource owner given
/// (`--client FILE`) stands in for both.
pub const GUESSED_USER: &str = "upper";
pub const GUESSED_PASSWORD: &str = "crust";

/// A wrong password for the guessed user.
const GUESS: &[(&str, &str)] = &[("username", GUESSED_USER), ("password", "guess")];

/// A hybrid authorization request (OIDC Core §3.3).
const HYBRID: [(&str, &str); 2] = [
    ("scope", "openid foobar"),
    ("response_type", "code id_token"),
];
/// An OIDC code request answered as a form post (Form Post Response Mode).
const FORM_POST: [(&str, &str); 2] = [("scope", "openid"), ("response_mode", "form_post")];
/// A code request answered as a response JWT (JARM §2.3.4).
const JARM: [(&str, &str); 1] = [("response_mode", "jwt")];
/// An implicit request for an ID token alone (OIDC Core §3.2).
const IMPLICIT: [(&str, &str); 2] = [("response_type", "id_token"), ("scope", "openid")];

/// The story (or attack) of that name.
pub fn find(name: &str) -> Option<&'static Story> {
    every().find(|s| s.name == name)
}

/// Every story `list` shows: those of `--all`, then the slow ones.
pub fn every() -> impl Iterator<Item = &'static Story> {
    all().chain(SLOW.iter())
}

/// Every story, then every attack.
pub fn all() -> impl Iterator<Item = &'static Story> {
    STORIES.iter().chain(ATTACKS.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn story_names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = every().map(|s| s.name).collect();
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STORIES.len() + ATTACKS.len() + SLOW.len());
        assert!(ATTACKS.iter().all(|a| a.name.starts_with("attack_")));
        // Each attack is refused somewhere, or (claims withheld) checked.
        assert!(ATTACKS.iter().all(|a| {
            a.steps.iter().any(|s| {
                s.expect_error.is_some()
                    || s.expect_refusal.is_some()
                    || s.args
                        .iter()
                        .any(|(k, v)| *k == "withheld" || (*k, *v) == ("redirect", "page"))
            })
        }));
    }

    #[test]
    fn every_expected_refusal_names_a_check_the_rp_makes() {
        for story in every() {
            for step in story.steps {
                if let Some(id) = step.expect_refusal {
                    assert_eq!(CheckId::parse(id.as_str()), Some(id), "{}", story.name);
                    assert!(CheckId::ALL.contains(&id), "{}", story.name);
                }
            }
        }
    }

    #[test]
    fn every_step_argument_is_one_its_service_takes() {
        for story in every() {
            for step in story.steps {
                for (name, _) in step.args {
                    assert!(
                        step.service.arguments().contains(name),
                        "{}: {} takes no argument {name}",
                        story.name,
                        step.service.name()
                    );
                }
            }
        }
    }
}
