//! What this server implements: grant types, client authentication
//! methods, algorithms, response types and subject types.
use oauth_core::client_auth::AuthMethod;

/// Grant types this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.1
    AuthorizationCode,
    /// RFC 6749 §4.2; OIDC Core §3.2: ID tokens from the authorization
    /// endpoint. Never used at the token endpoint.
    Implicit,
    /// RFC 6749 §6
    RefreshToken,
    /// RFC 8693
    TokenExchange,
    /// RFC 6749 §4.4
    ClientCredentials,
    /// RFC 6749 §4.3
    Password,
}

impl GrantType {
    pub const ALL: [GrantType; 6] = [
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::TokenExchange,
        GrantType::ClientCredentials,
        GrantType::Password,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::Implicit => "implicit",
            Self::RefreshToken => "refresh_token",
            Self::TokenExchange => oauth_core::token::GRANT_TYPE_TOKEN_EXCHANGE,
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Client authentication methods this server implements at the token,
/// introspection and revocation endpoints (`none`: public clients).
pub const AUTH_METHODS: [AuthMethod; 4] = [
    AuthMethod::ClientSecretBasic,
    AuthMethod::ClientSecretPost,
    AuthMethod::PrivateKeyJwt,
    AuthMethod::None,
];

/// Algorithms accepted on client-signed JWTs: request objects and client
/// assertions.
pub const CLIENT_JWT_ALGS: [&str; 2] = ["ES256", "RS256"];

/// Response types the authorization endpoint implements (RFC 6749 §4.1,
/// OIDC Core §3.2, §3.3).
pub const RESPONSE_TYPES: [&str; 3] = ["code", "id_token", "code id_token"];

/// ID token signing algorithms (OIDC Core §3.1.3.7: RS256 is the default).
pub const ID_TOKEN_ALGS: [&str; 2] = ["RS256", "ES256"];

/// Subject identifier types (OIDC Core §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SubjectType {
    Public,
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }
}
