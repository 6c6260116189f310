//! Why a client's metadata is refused: [`ClientError`] (validation),
//! [`PolicyError`] (what no client may do), [`JwksError`] (its keys).
//! Each `Display` is the message an operator or a registering client reads.
use std::fmt;

use oauth_core::client_auth::AuthMethod;
use oauth_core::registry::GrantType;
use oauth_core::scope::ScopeError;

/// A client's metadata that cannot be served, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    pub client_id: String,
    pub problem: ClientProblem,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            ClientProblem::EmptyClientId => f.write_str("a client has an empty client_id"),
            ref problem => write!(f, "client {:?}: {problem}", self.client_id),
        }
    }
}

impl std::error::Error for ClientError {}

/// What is wrong with a client's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientProblem {
    EmptyClientId,
    /// A grant type this server does not implement.
    GrantType(String),
    NoAuthMethod,
    AuthMethod(AuthMethod),
    /// `none` beside a method that authenticates.
    NoneMixed,
    PrivateKeyJwtWithoutJwks,
    /// client_secret_jwt with a secret too short for HS256.
    ShortHmacSecret,
    /// A security profile this server does not implement.
    SecurityProfile(String),
    /// Metadata the FAPI 2.0 Security Profile does not allow.
    Fapi2(&'static str),
    PublicWithSecret,
    NoSecret,
    EmptySecret,
    /// A response type this server does not implement.
    ResponseType(String),
    /// A response type whose grant the client does not have.
    ResponseTypeNeeds(String, GrantType),
    /// A grant that needs redirect URIs, and none.
    NoRedirectUri(GrantType),
    RedirectUri(String, url::ParseError),
    RedirectUriFragment(String),
    RedirectUriHttp(String),
    /// A post-logout redirect URI or back-channel logout URI, and why not.
    LogoutUri(String, &'static str),
    SubjectType(String),
    PairwiseHosts,
    IdTokenAlg(String),
    AuthorizationAlg(String),
    RequestObjectAlg(String),
    Jwks(JwksError),
    Scope(ScopeError),
    DefaultScopeExceeds,
    Lifetime,
}

impl fmt::Display for ClientProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyClientId => f.write_str("the client_id is empty"),
            Self::GrantType(g) => write!(f, "grant type {g:?} is not supported"),
            Self::NoAuthMethod => f.write_str("token_endpoint_auth_methods is empty"),
            Self::AuthMethod(m) => write!(f, "auth method {m} is not supported"),
            Self::NoneMixed => f.write_str("\"none\" cannot be mixed with secret methods"),
            Self::PrivateKeyJwtWithoutJwks => {
                f.write_str("private_key_jwt needs the client's jwks")
            }
            Self::SecurityProfile(p) => {
                write!(f, "security_profile {p:?} is not supported; use fapi2")
            }
            Self::Fapi2(why) => write!(f, "under the FAPI 2.0 Security Profile {why}"),
            Self::ShortHmacSecret => f.write_str(
                "client_secret_jwt needs a client_secret of at least 32 bytes (RFC 7518 §3.2)",
            ),
            Self::PublicWithSecret => {
                f.write_str("a public client (auth method none) has no secret")
            }
            Self::NoSecret => f.write_str("its auth methods need a client_secret"),
            Self::EmptySecret => f.write_str("the client_secret is empty"),
            Self::ResponseType(rt) => write!(f, "response type {rt:?} is not supported"),
            Self::ResponseTypeNeeds(rt, grant) => {
                write!(f, "response type {rt:?} needs the {grant} grant")
            }
            Self::NoRedirectUri(grant) => write!(f, "the {grant} grant needs redirect_uris"),
            Self::RedirectUri(uri, e) => write!(f, "redirect URI {uri:?}: {e}"),
            Self::RedirectUriFragment(uri) => write!(f, "redirect URI {uri:?} has a fragment"),
            Self::RedirectUriHttp(uri) => write!(
                f,
                "redirect URI {uri:?} uses http; use https (http only on loopback)"
            ),
            Self::LogoutUri(uri, why) => write!(f, "logout URI {uri:?}: {why}"),
            Self::SubjectType(t) => write!(f, "subject_type {t:?}: use public or pairwise"),
            Self::PairwiseHosts => {
                f.write_str("pairwise subjects need redirect URIs on a single host")
            }
            Self::IdTokenAlg(alg) => write!(
                f,
                "id_token_signed_response_alg {alg:?}: use RS256 or ES256"
            ),
            Self::AuthorizationAlg(alg) => write!(
                f,
                "authorization_signed_response_alg {alg:?}: use RS256 or ES256"
            ),
            Self::RequestObjectAlg(alg) => {
                write!(f, "request_object_signing_alg {alg:?}: use ES256 or RS256")
            }
            Self::Jwks(e) => write!(f, "jwks: {e}"),
            Self::Scope(e) => write!(f, "{e}"),
            Self::DefaultScopeExceeds => f.write_str("default_scope exceeds scopes"),
            Self::Lifetime => f.write_str("access_token_lifetime must be positive"),
        }
    }
}

/// What [`check_client_policy`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    ClientCredentialsForPublicClient,
    TokenExchangeForPublicClient,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ClientCredentialsForPublicClient => {
                "client_credentials is for confidential clients only (RFC 6749 §4.4); a public client (auth method none) cannot use it"
            }
            Self::TokenExchangeForPublicClient => {
                "token exchange is not offered to public clients here (token_exchange.public_clients is false)"
            }
        })
    }
}

impl std::error::Error for PolicyError {}

/// Why a client's JWK set is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksError {
    NotASet,
    Empty,
    /// A symmetric key (its kid).
    Symmetric(String),
    /// A key with a private member.
    PrivateMember {
        kid: String,
        member: &'static str,
    },
    /// Not a usable public key set.
    Unusable(oauth_core::jose::JoseError),
}

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotASet => f.write_str("not a JWK set: no keys array"),
            Self::Empty => f.write_str("the key set is empty"),
            Self::Symmetric(kid) => write!(
                f,
                "key {kid:?} is a symmetric (oct) key: never publish a secret"
            ),
            Self::PrivateMember { kid, member } => {
                write!(f, "key {kid:?} carries the private member {member:?}")
            }
            Self::Unusable(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for JwksError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_client_and_the_problem() {
        let e = ClientError {
            client_id: "spa".into(),
            problem: ClientProblem::ResponseTypeNeeds("code".into(), GrantType::AuthorizationCode),
        };
        assert_eq!(
            e.to_string(),
            "client \"spa\": response type \"code\" needs the authorization_code grant"
        );
        assert_eq!(
            e.problem.to_string(),
            "response type \"code\" needs the authorization_code grant"
        );
        let empty = ClientError {
            client_id: String::new(),
            problem: ClientProblem::EmptyClientId,
        };
        assert_eq!(empty.to_string(), "a client has an empty client_id");
        let jwks = ClientProblem::Jwks(JwksError::PrivateMember {
            kid: "k1".into(),
            member: "d",
        });
        assert_eq!(
            jwks.to_string(),
            "jwks: key \"k1\" carries the private member \"d\""
        );
    }
}
