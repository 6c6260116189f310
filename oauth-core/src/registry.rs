//! Registered protocol values as enums, each with `parse` (the registered
//! string, exactly as registered) and `as_str`, so the AS and the RP name
//! them one way:
//!
//! - [`GrantType`]: `grant_type` values and the `grant_types` client
//!   metadata (RFC 7591 §2, RFC 6749, RFC 7523, RFC 8628, RFC 8693).
//! - [`ResponseType`]: the IANA "OAuth Authorization Endpoint Response
//!   Types" registry (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Type
//!   Encoding Practices §5).
//! - [`SubjectType`]: subject identifier types (OIDC Core §8).
//! - [`AuthMethod`]: token endpoint authentication methods (RFC 7591 §2),
//!   defined in [`crate::client_auth`].
//! - [`JwsAlgorithm`]: JWS `alg` values (RFC 7518 §3.1), parsed with
//!   `str::parse` and named by [`crate::jose::alg_name`].
//!
//! What a server implements is a subset it chooses from these.
use std::fmt;

pub use crate::client_auth::AuthMethod;
pub use crate::jose::JwsAlgorithm;

/// Grant types (RFC 7591 §2). The serialised form (records in a store) is
/// the variant name in snake case, not the registered value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.1
    AuthorizationCode,
    /// RFC 6749 §4.2; OIDC Core §3.2: ID tokens from the authorization
    /// endpoint. Client metadata only, never a token request.
    Implicit,
    /// RFC 6749 §6
    RefreshToken,
    /// RFC 8693
    TokenExchange,
    /// RFC 6749 §4.4
    ClientCredentials,
    /// RFC 6749 §4.3
    Password,
    /// RFC 7523 §2.1: a JWT as an authorization grant.
    JwtBearer,
    /// RFC 8628 §3.4: the device authorization grant.
    DeviceCode,
}

impl GrantType {
    pub const ALL: [GrantType; 8] = [
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::TokenExchange,
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::JwtBearer,
        GrantType::DeviceCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::Implicit => "implicit",
            Self::RefreshToken => "refresh_token",
            Self::TokenExchange => crate::token::GRANT_TYPE_TOKEN_EXCHANGE,
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Authorization endpoint response types, as registered: the combinations
/// are written in the registry's order of their parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseType {
    /// RFC 6749 §4.1.1
    Code,
    /// RFC 6749 §4.2.1
    Token,
    /// OIDC Core §3.2
    IdToken,
    /// OIDC Core §3.3
    CodeToken,
    /// OIDC Core §3.3
    CodeIdToken,
    /// OIDC Core §3.2
    IdTokenToken,
    /// OIDC Core §3.3
    CodeIdTokenToken,
    /// OAuth 2.0 Multiple Response Type Encoding Practices §4
    None,
}

impl ResponseType {
    pub const ALL: [ResponseType; 8] = [
        ResponseType::Code,
        ResponseType::Token,
        ResponseType::IdToken,
        ResponseType::CodeToken,
        ResponseType::CodeIdToken,
        ResponseType::IdTokenToken,
        ResponseType::CodeIdTokenToken,
        ResponseType::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Token => "token",
            Self::IdToken => "id_token",
            Self::CodeToken => "code token",
            Self::CodeIdToken => "code id_token",
            Self::IdTokenToken => "id_token token",
            Self::CodeIdTokenToken => "code id_token token",
            Self::None => "none",
        }
    }

    /// The registered value, exactly (`"id_token code"` is not one).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Its space-separated parts (`code`, `token`, `id_token`, `none`).
    pub fn parts(self) -> impl Iterator<Item = &'static str> {
        self.as_str().split(' ')
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Subject identifier types (OIDC Core §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SubjectType {
    /// The same `sub` for every client.
    Public,
    /// A different `sub` per sector (OIDC Core §8.1).
    Pairwise,
}

impl SubjectType {
    pub const ALL: [SubjectType; 2] = [SubjectType::Public, SubjectType::Pairwise];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for SubjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_value_round_trips() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Some(g));
        }
        for r in ResponseType::ALL {
            assert_eq!(ResponseType::parse(r.as_str()), Some(r));
        }
        for t in SubjectType::ALL {
            assert_eq!(SubjectType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn only_registered_values_parse() {
        assert_eq!(GrantType::parse("token_exchange"), None);
        assert_eq!(
            GrantType::parse("urn:ietf:params:oauth:grant-type:token-exchange"),
            Some(GrantType::TokenExchange)
        );
        assert_eq!(ResponseType::parse("id_token code"), None);
        assert_eq!(ResponseType::parse("Code"), None);
        assert_eq!(SubjectType::parse("Pairwise"), None);
        assert_eq!(
            ResponseType::CodeIdToken.parts().collect::<Vec<_>>(),
            ["code", "id_token"]
        );
    }

    /// Records in a shared store keep the serialised form they always had.
    #[test]
    fn the_stored_form_is_unchanged() {
        assert_eq!(
            serde_json::to_string(&GrantType::TokenExchange).unwrap(),
            "\"token_exchange\""
        );
        assert_eq!(
            serde_json::to_string(&SubjectType::Pairwise).unwrap(),
            "\"Pairwise\""
        );
    }
}
