//! Client authentication with a client secret (RFC 6749 §2.3.1): what the
//! client presents, and how the RP writes it.
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::OAuthError;
use crate::form::{self, Params};
use crate::secret::Secret;

/// Token endpoint authentication methods (RFC 7591 §2, OAuth registry).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523 §2.2, OIDC Core §9).
    PrivateKeyJwt,
    /// A JWT MACed with the client secret (OIDC Core §9; HS256).
    ClientSecretJwt,
    /// A public client: the client_id alone, no authentication.
    None,
    Extension(String),
}

impl AuthMethod {
    pub fn as_str(&self) -> &str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::None => "none",
            Self::Extension(s) => s,
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "client_secret_basic" => Self::ClientSecretBasic,
            "client_secret_post" => Self::ClientSecretPost,
            "private_key_jwt" => Self::PrivateKeyJwt,
            "client_secret_jwt" => Self::ClientSecretJwt,
            "none" => Self::None,
            other => Self::Extension(other.to_owned()),
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for AuthMethod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AuthMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Self::parse(&s))
    }
}

/// What a client presented to identify (and perhaps authenticate) itself.
/// `Debug` shows neither the secret nor the assertion.
#[derive(Clone)]
pub struct Presented {
    pub client_id: String,
    pub secret: Option<Secret>,
    pub method: AuthMethod,
    /// The client assertion, for private_key_jwt (not yet verified).
    pub assertion: Option<String>,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented")
            .field("client_id", &self.client_id)
            .field("secret", &self.secret)
            .field("method", &self.method)
            .field("assertion", &self.assertion.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Reads the client's credentials from the `Authorization` header or the
/// body. `Ok(None)`: the client did not identify itself at all.
///
/// RFC 6749 §2.3: a client must not use more than one authentication method
/// in a request, so a Basic header beside a `client_secret` parameter is
/// refused, and so is a body `client_id` that contradicts the header.
pub fn presented(
    authorization: Option<&str>,
    params: &Params,
    realm: &str,
) -> Result<Option<Presented>, OAuthError> {
    if params.has("client_assertion") || params.has("client_assertion_type") {
        return presented_assertion(authorization, params, realm).map(Some);
    }
    if let Some(header) = authorization {
        let (id, secret) = parse_basic(header, realm)?;
        if params.has("client_secret") {
            return Err(OAuthError::invalid_request(
                "the client used more than one authentication method (Basic and client_secret)",
            ));
        }
        if let Some(body_id) = params.get("client_id")
            && body_id != id
        {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from the one in the Authorization header",
            ));
        }
        return Ok(Some(Presented {
            client_id: id,
            secret: Some(secret),
            method: AuthMethod::ClientSecretBasic,
            assertion: None,
        }));
    }
    match (params.get("client_id"), params.get("client_secret")) {
        (Some(id), Some(secret)) => Ok(Some(Presented {
            client_id: id.to_owned(),
            secret: Some(Secret::new(secret)),
            method: AuthMethod::ClientSecretPost,
            assertion: None,
        })),
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "client_secret was sent without client_id",
        )),
        (Some(id), None) => Ok(Some(Presented {
            client_id: id.to_owned(),
            secret: None,
            method: AuthMethod::None,
            assertion: None,
        })),
        (None, None) => Ok(None),
    }
}

/// RFC 7523 §2.2 / RFC 7521 §4.2: `client_assertion_type` and
/// `client_assertion`; the client is the assertion's `sub` (and `client_id`,
/// if sent, must agree). Only the shape is checked here; the server verifies
/// the signature with the client's registered keys.
fn presented_assertion(
    authorization: Option<&str>,
    params: &Params,
    realm: &str,
) -> Result<Presented, OAuthError> {
    if authorization.is_some() || params.has("client_secret") {
        return Err(OAuthError::invalid_request(
            "the client used more than one authentication method (an assertion and a secret)",
        ));
    }
    match params.get("client_assertion_type") {
        Some(JWT_BEARER_ASSERTION) => {}
        Some(other) => {
            return Err(OAuthError::invalid_client(
                format!(
                    "client_assertion_type {other:?} is not supported; use {JWT_BEARER_ASSERTION}"
                ),
                realm,
            ));
        }
        None => {
            return Err(OAuthError::invalid_request(
                "client_assertion_type is missing",
            ));
        }
    }
    let assertion = params
        .get("client_assertion")
        .ok_or_else(|| OAuthError::invalid_request("client_assertion is missing"))?;
    let decoded = crate::jose::decode_unverified(assertion)
        .map_err(|e| OAuthError::invalid_client(format!("client_assertion: {e}"), realm))?;
    let sub = decoded
        .claims
        .get("sub")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| OAuthError::invalid_client("client_assertion has no sub", realm))?;
    if let Some(id) = params.get("client_id")
        && id != sub
    {
        return Err(OAuthError::invalid_client(
            "client_id differs from the client assertion's sub",
            realm,
        ));
    }
    // OIDC Core §9: the same assertion, MACed with the client secret
    // (an HMAC alg) for client_secret_jwt, signed with a private key for
    // private_key_jwt. The server verifies it with what the method names.
    let hmac = decoded
        .header
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|alg| alg.starts_with("HS"));
    Ok(Presented {
        client_id: sub.to_owned(),
        secret: None,
        method: if hmac {
            AuthMethod::ClientSecretJwt
        } else {
            AuthMethod::PrivateKeyJwt
        },
        assertion: Some(assertion.to_owned()),
    })
}

/// A client assertion for client_secret_jwt (OIDC Core §9): the claims of
/// [`client_assertion`], MACed with HS256 under the client secret.
pub fn client_secret_assertion(
    secret: &Secret,
    client_id: &str,
    audience: &str,
    now: i64,
) -> Result<String, crate::jose::JoseError> {
    crate::jose::mac_hs256(
        secret.expose().as_bytes(),
        &assertion_claims(client_id, audience, now),
    )
}

/// A client assertion for private_key_jwt (RFC 7523 §3): iss and sub the
/// client, aud the AS, short-lived, with a unique jti.
pub fn client_assertion(
    key: &crate::jose::SigningKey,
    client_id: &str,
    audience: &str,
    now: i64,
) -> Result<String, crate::jose::JoseError> {
    key.sign("JWT", &assertion_claims(client_id, audience, now))
}

/// RFC 7523 §3: iss and sub the client, aud the server, a unique jti, a
/// minute to live.
fn assertion_claims(client_id: &str, audience: &str, now: i64) -> serde_json::Value {
    serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": crate::random::token(16),
        "iat": now,
        "exp": now + 60,
    })
}

/// Parses `Authorization: Basic ...` where id and secret were form-encoded
/// before base64 (RFC 6749 §2.3.1), so `:` and non-ASCII secrets survive.
///
/// Many clients send them raw (`client_1:another password`). Where the text
/// is not well-formed form encoding (a raw space, a stray `%`), decoding
/// cannot be what the client meant, so the text is taken as it is; where it
/// is, `+` and `%XX` keep their RFC meaning. Raw text that needs no
/// decoding is the same either way.
pub fn parse_basic(header: &str, realm: &str) -> Result<(String, Secret), OAuthError> {
    let bad = |why: &str| OAuthError::invalid_client(why.to_owned(), realm);
    let (scheme, rest) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("the Authorization header is not of the form 'Basic <credentials>'"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad(
            "unsupported authentication scheme in the Authorization header; use Basic",
        ));
    }
    let decoded = STANDARD
        .decode(rest.trim())
        .map_err(|_| bad("the Basic credentials are not valid base64"))?;
    let text =
        String::from_utf8(decoded).map_err(|_| bad("the Basic credentials are not UTF-8 text"))?;
    let (raw_id, raw_secret) = text
        .split_once(':')
        .ok_or_else(|| bad("the Basic credentials have no ':' between id and secret"))?;
    let lenient = |raw: &str| form::decode_value(raw).unwrap_or_else(|_| raw.to_owned());
    let id = lenient(raw_id);
    let secret = lenient(raw_secret);
    if id.is_empty() {
        return Err(bad("the Basic credentials carry an empty client id"));
    }
    Ok((id, Secret::new(secret)))
}

/// The `Authorization` header value for client_secret_basic (RFC 6749 §2.3.1).
pub fn basic_header(client_id: &str, secret: &Secret) -> String {
    let raw = format!(
        "{}:{}",
        form::encode_component(client_id),
        form::encode_component(secret.expose())
    );
    format!("Basic {}", STANDARD.encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REALM: &str = "https://example.com/";

    #[test]
    fn debug_shows_neither_the_secret_nor_the_assertion() {
        let presented = Presented {
            client_id: "client".into(),
            secret: Some(Secret::new("SUPERhemligtlösenord")),
            method: AuthMethod::PrivateKeyJwt,
            assertion: Some("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJjIn0.c2ln".into()),
        };
        let shown = format!("{presented:?}");
        assert!(shown.contains("client"), "{shown}");
        assert!(!shown.contains("SUPERhemligt"), "{shown}");
        assert!(!shown.contains("eyJhbG"), "{shown}");
    }

    #[test]
    fn basic_round_trips_a_non_ascii_secret() {
        let secret = Secret::new("SUPERhemligtlösenord");
        let header = basic_header("client", &secret);
        // 'ö' is form-encoded as %C3%B6 before base64, per RFC 6749 §2.3.1.
        let raw = STANDARD
            .decode(header.trim_start_matches("Basic "))
            .unwrap();
        assert_eq!(raw, b"client:SUPERhemligtl%C3%B6senord");
        let (id, got) = parse_basic(&header, REALM).unwrap();
        assert_eq!(id, "client");
        assert!(got.matches("SUPERhemligtlösenord"));
    }

    #[test]
    fn basic_decodes_plus_and_colon_in_the_secret() {
        // "another password" form-encodes its space as '+'.
        let header = format!("Basic {}", STANDARD.encode("client_1:another+password%3Ax"));
        let (id, secret) = parse_basic(&header, REALM).unwrap();
        assert_eq!(id, "client_1");
        assert!(secret.matches("another password:x"));
    }

    #[test]
    fn raw_basic_credentials_that_are_not_form_encoding_are_taken_as_sent() {
        // What many clients send: the secret's space left as it is.
        let header = format!("Basic {}", STANDARD.encode("client_1:another password"));
        let (id, secret) = parse_basic(&header, REALM).unwrap();
        assert_eq!(id, "client_1");
        assert!(secret.matches("another password"));
        // A raw non-ASCII secret, and a stray '%': not form encoding either.
        let header = format!("Basic {}", STANDARD.encode("client:SUPERhemligtlösenord"));
        assert!(
            parse_basic(&header, REALM)
                .unwrap()
                .1
                .matches("SUPERhemligtlösenord")
        );
        let header = format!("Basic {}", STANDARD.encode("c:100%sure"));
        assert!(parse_basic(&header, REALM).unwrap().1.matches("100%sure"));
    }

    #[test]
    fn refuses_malformed_basic_with_invalid_client() {
        for h in [
            "Basic",
            "Bearer abc",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            let e = parse_basic(h, REALM).unwrap_err();
            assert_eq!(e.code.as_str(), "invalid_client", "{h}");
            assert_eq!(e.status, 401);
        }
    }

    #[test]
    fn refuses_two_methods_at_once() {
        let params = form::parse("client_id=client_1&client_secret=x").unwrap();
        let header = basic_header("client_1", &Secret::new("x"));
        let e = presented(Some(&header), &params, REALM).unwrap_err();
        assert_eq!(e.code.as_str(), "invalid_request");
    }

    #[test]
    fn reads_client_secret_post_and_public_clients() {
        let params = form::parse("client_id=c&client_secret=s").unwrap();
        let p = presented(None, &params, REALM).unwrap().unwrap();
        assert_eq!(p.method, AuthMethod::ClientSecretPost);
        let params = form::parse("client_id=c").unwrap();
        let p = presented(None, &params, REALM).unwrap().unwrap();
        assert_eq!(p.method, AuthMethod::None);
        assert!(
            presented(None, &form::parse("").unwrap(), REALM)
                .unwrap()
                .is_none()
        );
    }
}
