//! The AS's endpoints and their canonical URLs.
use super::ConfigError;

/// The AS's endpoints, by what they serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    ServerMetadata,
    ProviderConfiguration,
    Jwks,
    Authorization,
    Token,
    Introspection,
    Revocation,
    Userinfo,
    Registration,
    PushedAuthorization,
    DeviceAuthorization,
    DeviceVerification,
    EndSession,
}

impl Endpoint {
    pub const ALL: [Endpoint; 13] = [
        Self::ServerMetadata,
        Self::ProviderConfiguration,
        Self::Jwks,
        Self::Authorization,
        Self::Token,
        Self::Introspection,
        Self::Revocation,
        Self::Userinfo,
        Self::Registration,
        Self::PushedAuthorization,
        Self::DeviceAuthorization,
        Self::DeviceVerification,
        Self::EndSession,
    ];

    /// The path under the issuer (the well-known documents are placed by
    /// RFC 8414 §3.1 and OIDC Discovery §4.1 instead).
    fn path(self) -> &'static str {
        match self {
            Self::ServerMetadata | Self::ProviderConfiguration => "",
            Self::Jwks => "jwks.json",
            Self::Authorization => "authorization",
            Self::Token => "token",
            Self::Introspection => "introspection",
            Self::Revocation => "revocation",
            Self::Userinfo => "userinfo",
            Self::Registration => "register",
            Self::PushedAuthorization => "par",
            Self::DeviceAuthorization => "device_authorization",
            // RFC 8628 §3.2: short, for a person to type in.
            Self::DeviceVerification => "device",
            Self::EndSession => "end_session",
        }
    }
}

/// The canonical URL of every endpoint, derived once from the issuer: the
/// URLs the metadata document publishes, and the only ones a request may be
/// addressed to — a DPoP proof's `htu` and a client assertion's `aud` are
/// compared with these, never with what the caller says the URL was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    urls: Vec<(Endpoint, url::Url)>,
}

impl Endpoints {
    pub fn new(issuer: &str) -> Result<Self, ConfigError> {
        use oauth_core::discovery::{endpoint_url, well_known_url};
        let bad = |e: url::ParseError| ConfigError(format!("issuer: {e}"));
        let mut urls = Vec::new();
        for endpoint in Endpoint::ALL {
            let url = match endpoint {
                // RFC 8414 §3.1: inserted between host and path.
                Endpoint::ServerMetadata => well_known_url(issuer, "oauth-authorization-server"),
                // OIDC Discovery §4.1: appended to the issuer.
                Endpoint::ProviderConfiguration => {
                    endpoint_url(issuer, ".well-known/openid-configuration")
                }
                other => endpoint_url(issuer, other.path()),
            }
            .map_err(bad)?;
            urls.push((endpoint, url));
        }
        // RFC 8414 §5: the OpenID configuration may also be found where
        // RFC 8414 would put it; the same place for an issuer with no path.
        urls.push((
            Endpoint::ProviderConfiguration,
            well_known_url(issuer, "openid-configuration").map_err(bad)?,
        ));
        Ok(Self { urls })
    }

    /// The endpoint's canonical URL.
    pub fn url(&self, endpoint: Endpoint) -> &url::Url {
        // Every endpoint was given a URL in `new`.
        match self.urls.iter().find(|(e, _)| *e == endpoint) {
            Some((_, url)) => url,
            None => unreachable!("Endpoints::new covers Endpoint::ALL"),
        }
    }

    /// Whether `url` addresses `endpoint`: same scheme, host, port and path
    /// (the query and fragment are not part of the endpoint).
    pub fn addresses(&self, endpoint: Endpoint, url: &url::Url) -> bool {
        self.urls.iter().any(|(e, canonical)| {
            *e == endpoint
                && canonical.scheme() == url.scheme()
                && canonical.host() == url.host()
                && canonical.port_or_known_default() == url.port_or_known_default()
                && canonical.path() == url.path()
        })
    }
}
