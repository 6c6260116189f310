//! Clients: their metadata validated, and what no client may do whatever
//! its metadata says.
use oauth_core::client_auth::AuthMethod;
use oauth_core::jose::JwsAlgorithm;
use oauth_core::scope::Scope;
use oauth_core::secret::Secret;

use super::file::{ClientFileConfig, TokenExchangeFileConfig};
use super::registry::{
    AUTH_METHODS, CLIENT_JWT_ALGS, GrantType, ID_TOKEN_ALGS, SubjectType, grant_type, response_type,
};
mod error;
pub use error::{ClientError, ClientProblem, JwksError, PolicyError};

/// A registered client, validated. Serializable, so that a shared store
/// can hold dynamically registered clients.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Client {
    pub client_id: String,
    pub secret: Option<ClientSecret>,
    pub auth_methods: Vec<AuthMethod>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Scope,
    pub default_scope: Scope,
    pub access_token_lifetime: i64,
    pub redirect_uris: Vec<String>,
    pub response_types: Vec<String>,
    pub require_pkce: bool,
    pub audiences: Vec<String>,
    pub subject_type: SubjectType,
    /// The host pairwise subjects are computed for (OIDC Core §8.1).
    pub sector: String,
    pub id_token_alg: JwsAlgorithm,
    /// How its JWT-secured authorization responses are signed (JARM §3).
    #[serde(default = "default_response_alg")]
    pub authorization_alg: JwsAlgorithm,
    /// When the client secret stops working; `None`: never.
    pub secret_expires_at: Option<i64>,
    /// The client's public keys.
    pub jwks: Option<jsonwebtoken::jwk::JwkSet>,
    /// Registered through the registration endpoint.
    pub dynamic: bool,
    /// The algorithm its request objects must use; `None`: ES256 or RS256.
    pub request_object_alg: Option<JwsAlgorithm>,
    pub require_par: bool,
    /// Claims it may be given beyond those of its scopes.
    #[serde(default)]
    pub claims: Vec<String>,
    /// The authorization details types it may use (RFC 9396 §10).
    #[serde(default)]
    pub authorization_details_types: Vec<String>,
    /// Every token request must carry a DPoP proof (RFC 9449 §5.2).
    #[serde(default)]
    pub dpop_bound: bool,
    /// Under the FAPI 2.0 Security Profile.
    #[serde(default)]
    pub fapi2: bool,
    /// Where the user agent may be sent after logout, matched exactly
    /// (OIDC RP-Initiated Logout §3.1).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted (OIDC Back-Channel Logout §2.2).
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Its logout tokens must carry `sid` (OIDC Back-Channel Logout §2.2).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
}

impl Client {
    /// A public client: it holds no secret and cannot authenticate (RFC 6749 §2.1).
    pub fn is_public(&self) -> bool {
        self.auth_methods == [AuthMethod::None]
    }

    /// Whether its refresh tokens are rotated at each use, given the
    /// server's `[refresh_token] rotate`. Never under the FAPI 2.0
    /// Security Profile (§5.3.2.1 item 10, Note 2: rotation brings a
    /// confidential client with sender-constrained tokens no security and
    /// strands it when an answer is lost; this server's rotation lets no
    /// client retry with the previous token, so it is not offered).
    pub fn rotates_refresh_tokens(&self, server_rotates: bool) -> bool {
        server_rotates && !self.fapi2
    }
}

/// What the server keeps of a client secret. `Debug` shows which kind,
/// never the secret nor its digest.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub enum ClientSecret {
    /// From the configuration file, where it is written anyway.
    Plain(Secret),
    /// For registered clients: an HMAC-SHA256 of the secret the server
    /// generated, under a server key, so the store never holds a usable
    /// secret (a fast keyed hash suffices for 256-bit random secrets).
    Hashed([u8; 32]),
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Plain(_) => f.write_str("Plain([redacted])"),
            Self::Hashed(_) => f.write_str("Hashed([redacted])"),
        }
    }
}

/// What a client may do whatever its metadata says: client_credentials
/// only for confidential clients (RFC 6749 §4.4); token exchange for public
/// clients only where the configuration allows it (RFC 8693 §5).
pub fn check_client_policy(
    client: &Client,
    token_exchange: &TokenExchangeFileConfig,
) -> Result<(), PolicyError> {
    if client.is_public() && client.grant_types.contains(&GrantType::ClientCredentials) {
        return Err(PolicyError::ClientCredentialsForPublicClient);
    }
    if client.is_public()
        && client.grant_types.contains(&GrantType::TokenExchange)
        && !token_exchange.public_clients
    {
        return Err(PolicyError::TokenExchangeForPublicClient);
    }
    Ok(())
}

/// Validates a client's metadata, from the configuration file or from a
/// registration request.
pub fn validate_client(
    c: ClientFileConfig,
    default_audience: &[String],
    default_lifetime: i64,
) -> Result<Client, ClientError> {
    let id = c.client_id.clone();
    let refuse = |problem| ClientError {
        client_id: id.clone(),
        problem,
    };
    if id.is_empty() {
        return Err(refuse(ClientProblem::EmptyClientId));
    }
    let mut grant_types = Vec::new();
    for g in &c.grant_types {
        match grant_type(g) {
            Some(g) => grant_types.push(g),
            None => return Err(refuse(ClientProblem::GrantType(g.clone()))),
        }
    }
    if c.token_endpoint_auth_methods.is_empty() {
        return Err(refuse(ClientProblem::NoAuthMethod));
    }
    for m in &c.token_endpoint_auth_methods {
        if !AUTH_METHODS.contains(m) {
            return Err(refuse(ClientProblem::AuthMethod(m.clone())));
        }
    }
    let public = c.token_endpoint_auth_methods == [AuthMethod::None];
    let fapi2 = match c.security_profile.as_deref() {
        None => false,
        Some("fapi2") => {
            check_fapi2(&c).map_err(|why| refuse(ClientProblem::Fapi2(why)))?;
            true
        }
        Some(other) => return Err(refuse(ClientProblem::SecurityProfile(other.to_owned()))),
    };
    if c.token_endpoint_auth_methods.contains(&AuthMethod::None) && !public {
        return Err(refuse(ClientProblem::NoneMixed));
    }
    let secret_methods = c.token_endpoint_auth_methods.iter().any(|m| {
        matches!(
            m,
            AuthMethod::ClientSecretBasic
                | AuthMethod::ClientSecretPost
                | AuthMethod::ClientSecretJwt
        )
    });
    // RFC 7518 §3.2: an HS256 key is at least 256 bits.
    if c.token_endpoint_auth_methods
        .contains(&AuthMethod::ClientSecretJwt)
        && c.client_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < 32)
    {
        return Err(refuse(ClientProblem::ShortHmacSecret));
    }
    if c.token_endpoint_auth_methods
        .contains(&AuthMethod::PrivateKeyJwt)
        && c.jwks.is_none()
    {
        return Err(refuse(ClientProblem::PrivateKeyJwtWithoutJwks));
    }
    match (&c.client_secret, public) {
        (Some(_), true) => {
            return Err(refuse(ClientProblem::PublicWithSecret));
        }
        (None, false) if secret_methods => {
            return Err(refuse(ClientProblem::NoSecret));
        }
        (Some(s), false) if s.expose().is_empty() => {
            return Err(refuse(ClientProblem::EmptySecret));
        }
        _ => {}
    }
    for rt in &c.response_types {
        if response_type(rt).is_none() {
            return Err(refuse(ClientProblem::ResponseType(rt.clone())));
        }
    }
    // OIDC Registration §2: response types and grant types must agree.
    for rt in &c.response_types {
        if rt.split(' ').any(|t| t == "code")
            && !grant_types.contains(&GrantType::AuthorizationCode)
        {
            return Err(refuse(ClientProblem::ResponseTypeNeeds(
                rt.clone(),
                GrantType::AuthorizationCode,
            )));
        }
        if rt.split(' ').any(|t| t == "id_token") && !grant_types.contains(&GrantType::Implicit) {
            return Err(refuse(ClientProblem::ResponseTypeNeeds(
                rt.clone(),
                GrantType::Implicit,
            )));
        }
    }
    if grant_types.contains(&GrantType::Implicit) && c.redirect_uris.is_empty() {
        return Err(refuse(ClientProblem::NoRedirectUri(GrantType::Implicit)));
    }
    if grant_types.contains(&GrantType::AuthorizationCode) && c.redirect_uris.is_empty() {
        return Err(refuse(ClientProblem::NoRedirectUri(
            GrantType::AuthorizationCode,
        )));
    }
    for uri in &c.redirect_uris {
        // RFC 6749 §3.1.2: absolute, no fragment.
        let parsed =
            url::Url::parse(uri).map_err(|e| refuse(ClientProblem::RedirectUri(uri.clone(), e)))?;
        if parsed.fragment().is_some() {
            return Err(refuse(ClientProblem::RedirectUriFragment(uri.clone())));
        }
        // RFC 9700 §2.6: no plain http, but to the user's own machine
        // (RFC 8252 §7.3); a private-use scheme (RFC 8252 §7.1) is fine.
        let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if parsed.scheme() == "http" && !loopback {
            return Err(refuse(ClientProblem::RedirectUriHttp(uri.clone())));
        }
    }
    // OIDC RP-Initiated Logout §3.1 and Back-Channel Logout §2.2: absolute
    // URLs without a fragment, https unless to the user's own machine.
    for uri in c
        .post_logout_redirect_uris
        .iter()
        .chain(c.backchannel_logout_uri.iter())
    {
        check_logout_uri(uri).map_err(|why| refuse(ClientProblem::LogoutUri(uri.clone(), why)))?;
    }
    let subject_type = match c.subject_type.as_deref() {
        None => SubjectType::Public,
        Some(other) => SubjectType::parse(other)
            .ok_or_else(|| refuse(ClientProblem::SubjectType(other.to_owned())))?,
    };
    // OIDC Core §8.1: the sector is the host of the redirect URIs, which
    // must then all share it (no sector_identifier_uri is fetched here).
    let hosts: std::collections::BTreeSet<String> = c
        .redirect_uris
        .iter()
        .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned))
        .collect();
    if subject_type == SubjectType::Pairwise && hosts.len() != 1 {
        return Err(refuse(ClientProblem::PairwiseHosts));
    }
    let sector = hosts.into_iter().next().unwrap_or_else(|| id.clone());
    let id_token_alg = match c.id_token_signed_response_alg.as_deref() {
        None => JwsAlgorithm::RS256,
        Some(name) if let Some(alg) = supported_alg(name, &ID_TOKEN_ALGS) => alg,
        Some(other) => {
            return Err(refuse(ClientProblem::IdTokenAlg(other.to_owned())));
        }
    };
    // JARM §3: RS256 unless the client registered another.
    let authorization_alg = match c.authorization_signed_response_alg.as_deref() {
        None => default_response_alg(),
        Some(name) if let Some(alg) = supported_alg(name, &ID_TOKEN_ALGS) => alg,
        Some(other) => {
            return Err(refuse(ClientProblem::AuthorizationAlg(other.to_owned())));
        }
    };
    let request_object_alg = match c.request_object_signing_alg.as_deref() {
        None => None,
        Some(name) if let Some(alg) = supported_alg(name, &CLIENT_JWT_ALGS) => Some(alg),
        Some(other) => {
            return Err(refuse(ClientProblem::RequestObjectAlg(other.to_owned())));
        }
    };
    let jwks = match &c.jwks {
        None => None,
        Some(value) => Some(public_jwks(value).map_err(|e| refuse(ClientProblem::Jwks(e)))?),
    };
    let scopes = Scope::parse(&c.scopes.join(" ")).map_err(|e| refuse(ClientProblem::Scope(e)))?;
    let default_scope = match &c.default_scope {
        Some(list) => {
            let s = Scope::parse(&list.join(" ")).map_err(|e| refuse(ClientProblem::Scope(e)))?;
            if !s.is_subset_of(&scopes) {
                return Err(refuse(ClientProblem::DefaultScopeExceeds));
            }
            s
        }
        None => scopes.clone(),
    };
    let access_token_lifetime = c.access_token_lifetime.unwrap_or(default_lifetime);
    if access_token_lifetime <= 0 {
        return Err(refuse(ClientProblem::Lifetime));
    }
    Ok(Client {
        client_id: c.client_id,
        secret: c.client_secret.map(ClientSecret::Plain),
        auth_methods: c.token_endpoint_auth_methods,
        grant_types,
        scopes,
        default_scope,
        access_token_lifetime,
        redirect_uris: c.redirect_uris,
        response_types: c.response_types,
        require_pkce: c.require_pkce || public || fapi2,
        audiences: c.audiences.unwrap_or_else(|| default_audience.to_vec()),
        subject_type,
        sector,
        id_token_alg,
        authorization_alg,
        secret_expires_at: None,
        jwks,
        dynamic: false,
        request_object_alg,
        require_par: c.require_pushed_authorization_requests || fapi2,
        claims: c.claims,
        authorization_details_types: c.authorization_details_types,
        dpop_bound: c.dpop_bound_access_tokens || fapi2,
        fapi2,
        post_logout_redirect_uris: c.post_logout_redirect_uris,
        backchannel_logout_uri: c.backchannel_logout_uri,
        backchannel_logout_session_required: c.backchannel_logout_session_required,
    })
}

/// What makes a logout URI unusable, if anything.
fn check_logout_uri(uri: &str) -> Result<(), &'static str> {
    let parsed = url::Url::parse(uri).map_err(|_| "not an absolute URL")?;
    if parsed.fragment().is_some() {
        return Err("it has a fragment");
    }
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err("it uses http; use https (http only on loopback)"),
        _ => Err("it is neither https nor http"),
    }
}

/// JARM §3: authorization responses are signed with RS256 unless the
/// client registered another algorithm (and clients stored before this
/// setting existed read as that).
fn default_response_alg() -> JwsAlgorithm {
    JwsAlgorithm::RS256
}

/// FAPI 2.0 Security Profile §5.3.2.1, §5.3.2.2: what a client under the
/// profile must be registered as; the rest (PAR, PKCE, DPoP) is imposed.
fn check_fapi2(c: &ClientFileConfig) -> Result<(), &'static str> {
    if c.token_endpoint_auth_methods != [AuthMethod::PrivateKeyJwt] {
        return Err("it authenticates with private_key_jwt alone");
    }
    if c.response_types.iter().any(|rt| rt != "code") {
        return Err("it uses response type code alone (no implicit or hybrid)");
    }
    if c.grant_types
        .iter()
        .any(|g| g != "authorization_code" && g != "refresh_token")
    {
        return Err("it uses the authorization_code and refresh_token grants alone");
    }
    Ok(())
}

/// The algorithm `name` registers, if it is one of `supported`.
fn supported_alg(name: &str, supported: &[JwsAlgorithm]) -> Option<JwsAlgorithm> {
    name.parse::<JwsAlgorithm>()
        .ok()
        .filter(|alg| supported.contains(alg) && oauth_core::jose::alg_name(*alg) == name)
}

/// A client's JWK set: public keys only. A private member or a symmetric
/// key would put a secret where anyone may read it (RFC 7517 §5,
/// RFC 7591 §2), so either refuses the whole set.
pub fn public_jwks(value: &serde_json::Value) -> Result<jsonwebtoken::jwk::JwkSet, JwksError> {
    const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
    let keys = value
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or(JwksError::NotASet)?;
    if keys.is_empty() {
        return Err(JwksError::Empty);
    }
    for key in keys {
        let kid = key
            .get("kid")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("?");
        if key.get("kty").and_then(serde_json::Value::as_str) == Some("oct") {
            return Err(JwksError::Symmetric(kid.to_owned()));
        }
        if let Some(member) = PRIVATE.iter().find(|m| key.get(**m).is_some()) {
            return Err(JwksError::PrivateMember {
                kid: kid.to_owned(),
                member,
            });
        }
    }
    oauth_core::jose::parse_jwks(&value.to_string()).map_err(JwksError::Unusable)
}
