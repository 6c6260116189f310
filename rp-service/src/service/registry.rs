//! The service registry: the client services this RP offers, by their story
//! names, the AS endpoint each is for, and the step arguments each takes. A
//! leaf: the session and every service import it; it imports nothing of
//! the crate.

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
    DeviceAuthorization,
    DeviceVerification,
    EndSession,
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
            Self::DeviceAuthorization => "device_authorization_endpoint",
            // Not in the metadata: the device authorization response names it.
            Self::DeviceVerification => "verification_uri",
            Self::EndSession => "end_session_endpoint",
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
    /// RFC 7523 §2.1: a JWT from a trusted issuer as the grant.
    JwtBearer,
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
    /// RFC 8628 §3.1: ask for a device code and a user code.
    DeviceAuthorization,
    /// RFC 8628 §3.3: the user, on another device, enters the user code.
    DeviceUser,
    /// RFC 8628 §3.4: poll the token endpoint with the device code.
    DeviceToken,
    /// OIDC RP-Initiated Logout §2: the user agent sent to log out.
    EndSession,
    /// OIDC Back-Channel Logout §2.5: a logout token the OP sent the RP
    /// (no request of the RP's own: the notification is its input).
    BackchannelLogout,
}

impl std::fmt::Display for ClientService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl ClientService {
    pub const ALL: [ClientService; 20] = [
        Self::PushedAuthorization,
        Self::ProviderInfo,
        Self::Registration,
        Self::Userinfo,
        Self::ServerMetadata,
        Self::Jwks,
        Self::ClientCredentials,
        Self::ResourceOwnerPasswordCredentials,
        Self::JwtBearer,
        Self::Authorization,
        Self::AccessToken,
        Self::RefreshToken,
        Self::Introspection,
        Self::TokenRevocation,
        Self::TokenExchange,
        Self::DeviceAuthorization,
        Self::DeviceUser,
        Self::DeviceToken,
        Self::EndSession,
        Self::BackchannelLogout,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ServerMetadata => "server_metadata",
            Self::Jwks => "jwks",
            Self::ClientCredentials => "client_credentials",
            Self::ResourceOwnerPasswordCredentials => "resource_owner_password_credentials",
            Self::JwtBearer => "jwt_bearer",
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
            Self::DeviceAuthorization => "device_authorization",
            Self::DeviceUser => "device_user",
            Self::DeviceToken => "device_token",
            Self::EndSession => "end_session",
            Self::BackchannelLogout => "backchannel_logout",
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
            Self::DeviceAuthorization => AsEndpoint::DeviceAuthorization,
            Self::DeviceUser => AsEndpoint::DeviceVerification,
            // The notification came from the OP's end_session answer.
            Self::EndSession | Self::BackchannelLogout => AsEndpoint::EndSession,
            Self::ClientCredentials
            | Self::DeviceToken
            | Self::ResourceOwnerPasswordCredentials
            | Self::JwtBearer
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
            Self::JwtBearer => "RFC 7523 §2.1",
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
            Self::DeviceAuthorization => "RFC 8628 §3.1",
            Self::DeviceUser => "RFC 8628 §3.3",
            Self::DeviceToken => "RFC 8628 §3.4",
            Self::EndSession => "OIDC RP-Initiated Logout §2",
            Self::BackchannelLogout => "OIDC Back-Channel Logout §2.5",
        }
    }

    /// The standard (and section) its successful JSON answer follows.
    pub fn response_standard(self) -> &'static str {
        match self {
            Self::ServerMetadata => "RFC 8414 §3.2",
            Self::Jwks => "RFC 7517 §8.5",
            Self::Introspection => "RFC 7662 §2.2",
            Self::TokenRevocation => "RFC 7009 §2.2.1",
            Self::ProviderInfo => "OIDC Discovery §4.2",
            Self::Userinfo => "OIDC Core §5.3.2",
            Self::Registration => "RFC 7591 §3.2.1",
            Self::PushedAuthorization => "RFC 9126 §2.2",
            Self::DeviceAuthorization => "RFC 8628 §3.2",
            Self::DeviceUser => "RFC 8628 §3.3",
            Self::EndSession => "OIDC RP-Initiated Logout §3",
            Self::BackchannelLogout => "OIDC Back-Channel Logout §2.8",
            _ => "RFC 6749 §5.1",
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
                "response_mode",
                "claims",
                "jar",
                "nonce",
                "display",
                "ui_locales",
                "claims_locales",
                "login_hint",
                "acr_values",
                "extra",
                AUTH,
                "resource",
                "authorization_details",
                ASSERTION_AUD,
                ASSERTION_EXP,
            ],
            Self::ClientCredentials => &[
                "scope",
                AUTH,
                ASSERTION_AUD,
                ASSERTION_EXP,
                "resource",
                "authorization_details",
            ],
            Self::JwtBearer => &[
                "scope",
                AUTH,
                "assertion_issuer",
                "resource",
                "authorization_details",
            ],
            Self::ResourceOwnerPasswordCredentials => &[
                "scope",
                AUTH,
                "username",
                "password",
                "resource",
                "authorization_details",
            ],
            Self::Authorization => &[
                "scope",
                "pkce",
                "redirect_uri",
                "response_type",
                "response_mode",
                "claims",
                "jar",
                "jar_alg",
                "jar_key",
                "request_uri",
                "client",
                "claims_padding",
                "resource",
                "authorization_details",
                // OIDC Core §3.1.2.1: optional parameters, sent as given
                // (`nonce=omit` leaves the nonce out of a code flow).
                "nonce",
                "display",
                "ui_locales",
                "claims_locales",
                "login_hint",
                "acr_values",
                "prompt",
                "max_age",
                "id_token_hint",
                "wait",
                // RFC 6749 §3.1: `extra=NAME=VALUE`, a parameter the AS
                // does not know, which it must ignore.
                "extra",
            ],
            Self::AccessToken => &[
                AUTH,
                "wait",
                "redirect_uri",
                "code_verifier",
                "dpop",
                "client",
                ASSERTION_AUD,
                ASSERTION_EXP,
                "resource",
                "authorization_details",
            ],
            Self::RefreshToken => &[
                "scope",
                AUTH,
                "dpop",
                "refresh_token",
                "dpop_proof",
                ASSERTION_AUD,
                ASSERTION_EXP,
                "resource",
                "authorization_details",
            ],
            Self::Userinfo => &[
                "token_scheme",
                "request_url",
                "withheld",
                // RFC 6750 §2.1, §2.2: get (default), post_header, post_body.
                "method",
                // OIDC Core §5.4: the scopes whose claims should come.
                "expect_claims",
            ],
            Self::Introspection => &["token", "expect_active", "should_be_active", AUTH],
            Self::TokenRevocation => &["token", AUTH],
            Self::EndSession => &["redirect"],
            Self::BackchannelLogout => &[],
            Self::TokenExchange => &["audience", "scope", AUTH, "dpop", "dpop_proof"],
            Self::DeviceAuthorization => &["scope", AUTH, "resource", "authorization_details"],
            Self::DeviceUser => &["user_code"],
            Self::DeviceToken => &[
                AUTH,
                "device_code",
                "poll",
                "resource",
                "authorization_details",
            ],
        }
    }

    /// Whether the answer is a token response (RFC 6749 §5.1).
    pub fn is_token_request(self) -> bool {
        self.endpoint() == AsEndpoint::Token
    }
}
