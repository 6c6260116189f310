//! What an attack story changes in a request the RP would otherwise build
//! honestly: every such step argument, parsed once (at the start of
//! `prepare`) into a typed [`Variation`]; the request builders read these,
//! never the arguments' strings. What a variation makes instead of the
//! honest value (an unsigned request object, an assertion for another
//! audience, a registration with private keys) is built here too, so the
//! honest builders stay as the standards describe them.
//!
//! A leaf: it imports only the registry and the outcome.
use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::service::outcome::StepError;
use crate::service::registry::ClientService;

/// One change an attack story makes to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variation {
    /// `client=PROFILE`: another client's credentials (a code redeemed, or
    /// a pushed request used, by a client it was not issued to).
    Client(String),
    /// `request_uri=previous`: the pushed request already used, again.
    PreviousRequestUri,
    /// `jar_alg=none`: the request object unsigned (`alg: none`).
    UnsignedRequestObject,
    /// `jar_key=foreign`: the request object signed by a key the AS never saw.
    ForeignKeyRequestObject,
    /// `dpop_proof=replay`: the last DPoP proof sent, sent again.
    ReplayedDpopProof,
    /// `dpop_proof=wrong_htu`: a proof made for the UserInfo URL.
    DpopProofForAnotherUrl,
    /// `dpop_proof=none`: no proof, though the session holds a DPoP key.
    NoDpopProof,
    /// `code_verifier=omit`: the PKCE verifier left out (a downgrade).
    NoCodeVerifier,
    /// `code_verifier=VALUE`: another verifier than the one kept.
    CodeVerifier(String),
    /// `refresh_token=previous`: the refresh token already spent by rotation.
    PreviousRefreshToken,
    /// `redirect_uri=URI` on the code's redemption: another than the
    /// authorization request's.
    RedirectUri(String),
    /// `redirect_uri=omit` on an authorization or pushed request: none sent
    /// (FAPI 2.0 Security Profile §5.3.2.2 requires it in a pushed request).
    NoRedirectUri,
    /// `redirect_uri=URI` on an authorization request: a URI the client
    /// never registered (RFC 6749 §3.1.2.4: the AS must not redirect there).
    UnregisteredRedirectUri(String),
    /// `response_type=omit` on an authorization or pushed request: the
    /// REQUIRED parameter left out (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).
    NoResponseType,
    /// `assertion_aud=URL`: a client assertion for another audience.
    AssertionAudience(String),
    /// `assertion_exp=SECONDS`: a client assertion expiring that far ahead.
    AssertionLifetime(i64),
    /// `assertion_issuer=URL`: a jwt-bearer grant assertion from an issuer
    /// the AS does not trust, signed by a key of its own (RFC 7523 §3).
    UntrustedAssertionIssuer(String),
    /// `claims_padding=N`: a claims request N bytes long.
    ClaimsPadding(usize),
    /// `token_scheme=Bearer`: a DPoP-bound token presented as a bearer token.
    BearerForDpopToken,
    /// `request_url=URL`: the UserInfo request addressed to another URL.
    RequestUrl(String),
    /// `jwks=private`: registration publishes the RP's private keys.
    RegisterPrivateKeys,
    /// `jwks=symmetric`: registration publishes a symmetric key.
    RegisterSymmetricKey,
    /// `jwks=many`: registration publishes hundreds of keys.
    RegisterManyKeys,
    /// `user_code=guess`: the user agent enters a code of the right shape
    /// that the AS never issued (RFC 8628 §5.1, brute force).
    GuessedUserCode,
    /// `device_code=previous`: the device code already redeemed, again.
    PreviousDeviceCode,
    /// `poll=early`: the poll sent at once, not after the interval.
    EarlyPoll,
}

/// The user code a guessing user agent enters: of the shape RFC 8628 §6.1
/// suggests (eight letters without vowels), fixed so that transcripts are
/// stable; one chance in 20^8 of being the one issued.
pub const GUESSED_USER_CODE: &str = "BCDF-GHJK";

fn bad(name: &str, value: &str, expected: &str) -> StepError {
    StepError::BadArgument(format!("{name} {value:?}: {expected}"))
}

impl Variation {
    /// The variation an argument asks for; `None` for an argument of the
    /// honest request (scope, pkce, …); a bad value is a `BadArgument`.
    pub fn parse(
        service: ClientService,
        name: &str,
        value: &str,
    ) -> Result<Option<Self>, StepError> {
        let variation = match (name, value) {
            ("client", profile) => Self::Client(profile.to_owned()),
            ("request_uri", "previous") => Self::PreviousRequestUri,
            ("request_uri", v) => return Err(bad(name, v, "use previous")),
            ("jar_alg", "none") => Self::UnsignedRequestObject,
            ("jar_key", "foreign") => Self::ForeignKeyRequestObject,
            ("jar_alg" | "jar_key", v) => {
                return Err(bad(name, v, "use jar_alg=none or jar_key=foreign"));
            }
            ("dpop_proof", "replay") => Self::ReplayedDpopProof,
            ("dpop_proof", "wrong_htu") => Self::DpopProofForAnotherUrl,
            ("dpop_proof", "none") => Self::NoDpopProof,
            ("dpop_proof", v) => return Err(bad(name, v, "use replay, wrong_htu or none")),
            ("code_verifier", "omit") => Self::NoCodeVerifier,
            ("code_verifier", v) => Self::CodeVerifier(v.to_owned()),
            ("refresh_token", "previous") => Self::PreviousRefreshToken,
            ("refresh_token", v) => return Err(bad(name, v, "use previous")),
            ("redirect_uri", "omit")
                if matches!(
                    service,
                    ClientService::Authorization | ClientService::PushedAuthorization
                ) =>
            {
                Self::NoRedirectUri
            }
            ("redirect_uri", uri) if service == ClientService::AccessToken => {
                Self::RedirectUri(uri.to_owned())
            }
            ("redirect_uri", uri) if service == ClientService::Authorization => {
                Self::UnregisteredRedirectUri(uri.to_owned())
            }
            ("response_type", "omit")
                if matches!(
                    service,
                    ClientService::Authorization | ClientService::PushedAuthorization
                ) =>
            {
                Self::NoResponseType
            }
            ("assertion_aud", aud) => Self::AssertionAudience(aud.to_owned()),
            ("assertion_issuer", iss) => Self::UntrustedAssertionIssuer(iss.to_owned()),
            ("assertion_exp", s) => {
                Self::AssertionLifetime(s.parse().map_err(|_| bad(name, s, "seconds ahead"))?)
            }
            ("claims_padding", n) => {
                Self::ClaimsPadding(n.parse().map_err(|_| bad(name, n, "a byte count"))?)
            }
            ("token_scheme", "Bearer") => Self::BearerForDpopToken,
            ("token_scheme", v) => return Err(bad(name, v, "use Bearer")),
            ("request_url", url) => Self::RequestUrl(url.to_owned()),
            ("jwks", "private") => Self::RegisterPrivateKeys,
            ("jwks", "symmetric") => Self::RegisterSymmetricKey,
            ("jwks", "many") => Self::RegisterManyKeys,
            ("jwks", v) => return Err(bad(name, v, "use private, symmetric or many")),
            ("user_code", "guess") => Self::GuessedUserCode,
            ("user_code", v) => return Err(bad(name, v, "use guess")),
            ("device_code", "previous") => Self::PreviousDeviceCode,
            ("device_code", v) => return Err(bad(name, v, "use previous")),
            ("poll", "early") => Self::EarlyPoll,
            ("poll", v) => return Err(bad(name, v, "use early")),
            _ => return Ok(None),
        };
        Ok(Some(variation))
    }
}

/// The variations of one step; empty for an honest request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variations(Vec<Variation>);

impl Variations {
    /// Parses the step arguments that ask for a variation (an empty value
    /// is no argument).
    pub fn parse(
        service: ClientService,
        args: &BTreeMap<String, String>,
    ) -> Result<Self, StepError> {
        let mut found = Vec::new();
        for (name, value) in args.iter().filter(|(_, v)| !v.is_empty()) {
            if let Some(v) = Variation::parse(service, name, value)? {
                found.push(v);
            }
        }
        Ok(Self(found))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, variation: &Variation) -> bool {
        self.0.contains(variation)
    }

    fn find<'a, T>(&'a self, f: impl Fn(&'a Variation) -> Option<T>) -> Option<T> {
        self.0.iter().find_map(f)
    }

    /// The profile whose credentials the step uses instead of the session's.
    pub fn client(&self) -> Option<&str> {
        self.find(|v| match v {
            Variation::Client(p) => Some(p.as_str()),
            _ => None,
        })
    }

    /// The variation of a request object, if any: unsigned wins.
    pub fn request_object(&self) -> Option<&Variation> {
        self.find(|v| match v {
            Variation::UnsignedRequestObject => Some(v),
            _ => None,
        })
        .or_else(|| {
            self.find(|v| match v {
                Variation::ForeignKeyRequestObject => Some(v),
                _ => None,
            })
        })
    }

    /// The variation of the DPoP proof a request carries, if any.
    pub fn dpop_proof(&self) -> Option<&Variation> {
        self.find(|v| match v {
            Variation::ReplayedDpopProof
            | Variation::DpopProofForAnotherUrl
            | Variation::NoDpopProof => Some(v),
            _ => None,
        })
    }

    /// The variation of the PKCE verifier, if any.
    pub fn code_verifier(&self) -> Option<&Variation> {
        self.find(|v| match v {
            Variation::NoCodeVerifier | Variation::CodeVerifier(_) => Some(v),
            _ => None,
        })
    }

    /// The redirect_uri a code's redemption names instead of the one sent.
    pub fn redirect_uri(&self) -> Option<&str> {
        self.find(|v| match v {
            Variation::RedirectUri(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// The redirect_uri an authorization request names instead of the
    /// registered one.
    pub fn unregistered_redirect_uri(&self) -> Option<&str> {
        self.find(|v| match v {
            Variation::UnregisteredRedirectUri(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// The audience and lifetime of a client assertion that differs from
    /// the honest one, if either is asked.
    pub fn assertion(&self) -> Option<(Option<&str>, Option<i64>)> {
        let aud = self.find(|v| match v {
            Variation::AssertionAudience(a) => Some(a.as_str()),
            _ => None,
        });
        let exp = self.find(|v| match v {
            Variation::AssertionLifetime(s) => Some(*s),
            _ => None,
        });
        (aud.is_some() || exp.is_some()).then_some((aud, exp))
    }

    /// The untrusted issuer a jwt-bearer assertion names instead, if asked.
    pub fn untrusted_assertion_issuer(&self) -> Option<&str> {
        self.find(|v| match v {
            Variation::UntrustedAssertionIssuer(iss) => Some(iss.as_str()),
            _ => None,
        })
    }

    /// The length of the padded claims request, if asked.
    pub fn claims_padding(&self) -> Option<usize> {
        self.find(|v| match v {
            Variation::ClaimsPadding(n) => Some(*n),
            _ => None,
        })
    }

    /// The URL a UserInfo request is addressed to instead of the endpoint's.
    pub fn request_url(&self) -> Option<&str> {
        self.find(|v| match v {
            Variation::RequestUrl(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// The key set a registration publishes instead of the RP's public keys.
    pub fn registration_jwks(&self) -> Option<&Variation> {
        self.find(|v| match v {
            Variation::RegisterPrivateKeys
            | Variation::RegisterSymmetricKey
            | Variation::RegisterManyKeys => Some(v),
            _ => None,
        })
    }
}

/// The request object a variation sends instead of the honest one:
/// unsigned, or signed by a key of its own.
pub(crate) fn vary_request_object(
    variation: &Variation,
    honest: &str,
) -> Result<String, StepError> {
    if *variation == Variation::UnsignedRequestObject {
        use base64::Engine;
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let claims = honest.split('.').nth(1).unwrap_or_default();
        return Ok(format!(
            "{}.{claims}.",
            b64(br#"{"alg":"none","typ":"oauth-authz-req+jwt"}"#)
        ));
    }
    let stranger = oauth_core::jose::SigningKey::generate(oauth_core::jose::JwsAlgorithm::ES256)
        .map_err(|e| StepError::BadArgument(e.to_string()))?;
    let claims = oauth_core::jose::decode_unverified(honest)
        .map_err(|e| StepError::BadArgument(e.to_string()))?
        .claims;
    stranger
        .sign("oauth-authz-req+jwt", &claims)
        .map_err(|e| StepError::BadArgument(e.to_string()))
}

/// The claims request of `claims_padding=N`: N bytes of a claim name (an
/// attack on what the OP keeps for an anonymous request).
pub(crate) fn padded_claims(n: usize) -> String {
    format!(r#"{{"userinfo":{{"{}":null}}}}"#, "x".repeat(n))
}

/// The claims of a client assertion that names `aud` (default: the
/// endpoint) and expires `exp` seconds ahead (default 60).
pub(crate) fn varied_assertion_claims(
    client_id: &str,
    endpoint: &str,
    now: i64,
    (aud, exp): (Option<&str>, Option<i64>),
) -> Value {
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": aud.unwrap_or(endpoint),
        "jti": oauth_core::random::token(16),
        "iat": now,
        "exp": now + exp.unwrap_or(60),
    })
}

/// The key set a registration variation publishes: the RP's private keys,
/// a symmetric key, or 200 copies of one public key under distinct kids
/// (about 40 KB of metadata, meant to fill the OP's memory).
pub(crate) fn varied_registration_jwks(
    variation: &Variation,
    private_jwks: &str,
) -> Result<Value, StepError> {
    match variation {
        Variation::RegisterPrivateKeys => {
            Ok(serde_json::from_str(private_jwks).unwrap_or(Value::Null))
        }
        Variation::RegisterSymmetricKey => Ok(
            json!({"keys": [{"kty": "oct", "kid": "shared", "k": "U1VQRVJoZW1saWd0bMO2c2Vub3Jk"}]}),
        ),
        _ => {
            let one = oauth_core::jose::SigningKey::generate(jsonwebtoken::Algorithm::ES256)
                .map_err(|e| StepError::BadArgument(e.to_string()))?;
            let keys: Vec<Value> = (0..200)
                .map(|i| {
                    let mut jwk = one.public_jwk().clone();
                    jwk["kid"] = Value::String(format!("k{i}"));
                    jwk
                })
                .collect();
            Ok(json!({ "keys": keys }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn honest_arguments_are_no_variation() {
        let parsed = Variations::parse(
            ClientService::Authorization,
            &args(&[
                ("scope", "openid"),
                ("pkce", "S256"),
                ("nonce", "omit"),
                ("response_type", "code"),
                ("extra", "unknown=1"),
            ]),
        )
        .unwrap();
        assert!(parsed.is_empty());
        // A pushed request names its redirect_uri honestly.
        let pushed = Variations::parse(
            ClientService::PushedAuthorization,
            &args(&[("redirect_uri", "https://x/cb")]),
        )
        .unwrap();
        assert!(pushed.is_empty());
    }

    #[test]
    fn an_authorization_request_may_name_an_unregistered_uri_or_no_response_type() {
        let parsed = Variations::parse(
            ClientService::Authorization,
            &args(&[
                ("redirect_uri", "https://attacker.example/cb"),
                ("response_type", "omit"),
            ]),
        )
        .unwrap();
        assert_eq!(
            parsed.unregistered_redirect_uri(),
            Some("https://attacker.example/cb")
        );
        assert!(parsed.has(&Variation::NoResponseType));
        assert_eq!(parsed.redirect_uri(), None, "not a token-step redirect_uri");
    }

    #[test]
    fn each_attack_argument_is_one_typed_variation() {
        let parsed = Variations::parse(
            ClientService::AccessToken,
            &args(&[
                ("client", "client_2"),
                ("code_verifier", "omit"),
                ("redirect_uri", "https://attacker.example/cb"),
                ("assertion_exp", "31536000"),
            ]),
        )
        .unwrap();
        assert_eq!(parsed.client(), Some("client_2"));
        assert_eq!(parsed.code_verifier(), Some(&Variation::NoCodeVerifier));
        assert_eq!(parsed.redirect_uri(), Some("https://attacker.example/cb"));
        assert_eq!(parsed.assertion(), Some((None, Some(31_536_000))));
        let jar = Variations::parse(
            ClientService::Authorization,
            &args(&[("jar_alg", "none"), ("jar_key", "foreign")]),
        )
        .unwrap();
        assert_eq!(
            jar.request_object(),
            Some(&Variation::UnsignedRequestObject)
        );
    }

    #[test]
    fn a_bad_value_is_a_bad_argument() {
        for (name, value) in [
            ("request_uri", "next"),
            ("jar_alg", "HS256"),
            ("dpop_proof", "forged"),
            ("refresh_token", "other"),
            ("assertion_exp", "soon"),
            ("claims_padding", "-1"),
            ("token_scheme", "MAC"),
            ("jwks", "none"),
        ] {
            let e = Variations::parse(ClientService::RefreshToken, &args(&[(name, value)]));
            assert!(
                matches!(e, Err(StepError::BadArgument(_))),
                "{name}={value}"
            );
        }
        // An empty value is no argument at all.
        let empty = Variations::parse(ClientService::RefreshToken, &args(&[("dpop_proof", "")]));
        assert_eq!(empty, Ok(Variations::default()));
    }
}
