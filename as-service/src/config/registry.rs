//! What this server implements, chosen from the registries of
//! [`oauth_core::registry`]: grant types, client authentication methods,
//! algorithms, response types and subject types. Discovery publishes these
//! lists in this order.
use oauth_core::client_auth::AuthMethod;
use oauth_core::jose::JwsAlgorithm;
pub use oauth_core::registry::{GrantType, ResponseType, SubjectType};

/// Grant types this server implements (client metadata and the token
/// endpoint; `implicit` is answered by the authorization endpoint).
pub const GRANT_TYPES: [GrantType; 8] = [
    GrantType::AuthorizationCode,
    GrantType::Implicit,
    GrantType::RefreshToken,
    GrantType::TokenExchange,
    GrantType::ClientCredentials,
    GrantType::Password,
    GrantType::JwtBearer,
    GrantType::DeviceCode,
];

/// A grant type this server implements, by its registered value.
pub fn grant_type(value: &str) -> Option<GrantType> {
    GrantType::parse(value).filter(|g| GRANT_TYPES.contains(g))
}

/// Client authentication methods this server implements at the token,
/// introspection and revocation endpoints (`none`: public clients).
pub const AUTH_METHODS: [AuthMethod; 5] = [
    AuthMethod::ClientSecretBasic,
    AuthMethod::ClientSecretPost,
    AuthMethod::ClientSecretJwt,
    AuthMethod::PrivateKeyJwt,
    AuthMethod::None,
];

/// Algorithms accepted on client assertions (RFC 7523 §3): the signatures
/// of private_key_jwt, and HS256 for client_secret_jwt (OIDC Core §9).
pub const ASSERTION_ALGS: [JwsAlgorithm; 3] = [
    JwsAlgorithm::ES256,
    JwsAlgorithm::RS256,
    JwsAlgorithm::HS256,
];

/// Algorithms accepted on client-signed JWTs: request objects and client
/// assertions.
pub const CLIENT_JWT_ALGS: [JwsAlgorithm; 2] = [JwsAlgorithm::ES256, JwsAlgorithm::RS256];

/// Response types the authorization endpoint implements (RFC 6749 §4.1,
/// OIDC Core §3.2, §3.3).
pub const RESPONSE_TYPES: [ResponseType; 3] = [
    ResponseType::Code,
    ResponseType::IdToken,
    ResponseType::CodeIdToken,
];

/// A response type this server implements, by its registered value.
pub fn response_type(value: &str) -> Option<ResponseType> {
    ResponseType::parse(value).filter(|r| RESPONSE_TYPES.contains(r))
}

/// ID token signing algorithms (OIDC Core §3.1.3.7: RS256 is the default).
pub const ID_TOKEN_ALGS: [JwsAlgorithm; 2] = [JwsAlgorithm::RS256, JwsAlgorithm::ES256];

/// Subject identifier types (OIDC Core §8): both.
pub const SUBJECT_TYPES: [SubjectType; 2] = SubjectType::ALL;

/// The registered names of `algs`, for metadata.
pub fn alg_names(algs: &[JwsAlgorithm]) -> Vec<&'static str> {
    algs.iter()
        .map(|a| oauth_core::jose::alg_name(*a))
        .collect()
}
