//! DPoP proofs (RFC 9449): building one (the client) and checking one (the
//! server) — everything but the replay cache and nonces, which need state.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde_json::{Value, json};
use url::Url;

use crate::jose::{self, JwsAlgorithm, SigningKey};

/// The JOSE `typ` of a proof (RFC 9449 §4.2).
pub const TYP: &str = "dpop+jwt";

/// Algorithms a server accepts on proofs (announced as
/// `dpop_signing_alg_values_supported`).
pub const ALGS: [JwsAlgorithm; 4] = [
    JwsAlgorithm::ES256,
    JwsAlgorithm::ES384,
    JwsAlgorithm::RS256,
    JwsAlgorithm::PS256,
];

/// `ath`: base64url SHA-256 of the access token (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// `htu`: the request URL without query and fragment (RFC 9449 §4.2, §4.3).
pub fn htu(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// Builds a proof for a request (RFC 9449 §4.2), with the public key in
/// the header.
pub fn proof(
    key: &SigningKey,
    method: &str,
    url: &Url,
    now: i64,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> Result<String, jose::JoseError> {
    let mut claims = json!({
        "jti": crate::random::token(16),
        "htm": method,
        "htu": htu(url),
        "iat": now,
    });
    if let Some(token) = access_token {
        claims["ath"] = Value::String(ath(token));
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = Value::String(nonce.to_owned());
    }
    let mut jwk = key.public_jwk().clone();
    if let Value::Object(m) = &mut jwk {
        // The proof's key is identified by itself, not by a kid.
        m.remove("kid");
        m.remove("use");
        m.remove("alg");
    }
    key.sign_with_header(TYP, &claims, Some(jwk))
}

/// A proof that passed every stateless check.
#[derive(Debug, Clone)]
pub struct CheckedProof {
    /// RFC 7638 thumbprint of the proof's key: what a token is bound to.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
    pub nonce: Option<String>,
}

/// What the request the proof came with looked like.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub method: &'a str,
    pub url: &'a Url,
    pub now: i64,
    /// How old a proof may be, seconds.
    pub max_age: i64,
    /// How far in the future its `iat` may be, seconds.
    pub leeway: i64,
    /// The access token it must be bound to (`ath`), at a resource.
    pub access_token: Option<&'a str>,
}

/// Why a proof fails the checks of RFC 9449 §4.3; `Display` names the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    NotAJws(jose::JoseError),
    Typ,
    UnknownAlg(String),
    AlgNotAccepted(JwsAlgorithm),
    NoJwk,
    PrivateJwk,
    BadJwk(String),
    Signature(jose::JoseError),
    NoJti,
    Htm { claimed: String, method: String },
    NoHtu,
    HtuNotAUrl,
    Htu { claimed: String, expected: String },
    NoIat,
    IatInTheFuture,
    TooOld { max_age: i64 },
    Ath,
    Thumbprint(jose::JoseError),
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAJws(e) => write!(f, "not a JWS: {e}"),
            Self::Typ => write!(f, "typ must be {TYP}"),
            Self::UnknownAlg(alg) => write!(f, "alg {alg:?} is not supported"),
            Self::AlgNotAccepted(alg) => {
                write!(f, "alg {} is not accepted for proofs", jose::alg_name(*alg))
            }
            Self::NoJwk => f.write_str("the header has no jwk"),
            Self::PrivateJwk => f.write_str("the jwk in the header holds private key material"),
            Self::BadJwk(why) => write!(f, "jwk: {why}"),
            Self::Signature(e) => write!(f, "signature: {e}"),
            Self::NoJti => f.write_str("jti is missing"),
            Self::Htm { claimed, method } => {
                write!(f, "htm {claimed:?} is not the request's method {method}")
            }
            Self::NoHtu => f.write_str("htu is missing"),
            Self::HtuNotAUrl => f.write_str("htu is not a URL"),
            Self::Htu { claimed, expected } => {
                write!(f, "htu {claimed:?} is not the request's URL {expected}")
            }
            Self::NoIat => f.write_str("iat is missing"),
            Self::IatInTheFuture => f.write_str("iat is in the future"),
            Self::TooOld { max_age } => write!(f, "the proof is older than {max_age} s"),
            Self::Ath => f.write_str("ath does not match the access token"),
            Self::Thumbprint(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ProofError {}

/// RFC 9449 §4.3: the stateless checks of a proof, in the order given
/// there. Each failure says which rule it broke.
pub fn check(proof: &str, expected: &Expected<'_>) -> Result<CheckedProof, ProofError> {
    let unverified = jose::decode_unverified(proof).map_err(ProofError::NotAJws)?;
    let header = &unverified.header;
    if header.get("typ").and_then(Value::as_str) != Some(TYP) {
        return Err(ProofError::Typ);
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg: JwsAlgorithm = alg
        .parse()
        .map_err(|_| ProofError::UnknownAlg(alg.to_owned()))?;
    if !ALGS.contains(&alg) {
        return Err(ProofError::AlgNotAccepted(alg));
    }
    let jwk_value = header.get("jwk").ok_or(ProofError::NoJwk)?;
    const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
    if PRIVATE.iter().any(|m| jwk_value.get(*m).is_some()) {
        return Err(ProofError::PrivateJwk);
    }
    let jwk: Jwk =
        serde_json::from_value(jwk_value.clone()).map_err(|e| ProofError::BadJwk(e.to_string()))?;
    let set = JwkSet { keys: vec![jwk] };
    let verified = jose::verify(proof, &set, &[alg]).map_err(ProofError::Signature)?;
    let claims = &verified.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(ProofError::NoJti)?;
    if text("htm") != Some(expected.method) {
        return Err(ProofError::Htm {
            claimed: text("htm").unwrap_or("").to_owned(),
            method: expected.method.to_owned(),
        });
    }
    let htu_claim = text("htu").ok_or(ProofError::NoHtu)?;
    let htu_url = Url::parse(htu_claim).map_err(|_| ProofError::HtuNotAUrl)?;
    if htu(&htu_url) != htu(expected.url) {
        return Err(ProofError::Htu {
            claimed: htu_claim.to_owned(),
            expected: htu(expected.url),
        });
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(ProofError::NoIat)?;
    if iat > expected.now + expected.leeway {
        return Err(ProofError::IatInTheFuture);
    }
    if iat < expected.now - expected.max_age {
        return Err(ProofError::TooOld {
            max_age: expected.max_age,
        });
    }
    if let Some(token) = expected.access_token
        && text("ath") != Some(ath(token).as_str())
    {
        return Err(ProofError::Ath);
    }
    let jkt = jose::thumbprint(jwk_value).map_err(ProofError::Thumbprint)?;
    Ok(CheckedProof {
        jkt,
        jti: jti.to_owned(),
        iat,
        nonce: text("nonce").map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn expected<'a>(method: &'a str, u: &'a Url, now: i64) -> Expected<'a> {
        Expected {
            method,
            url: u,
            now,
            max_age: 300,
            leeway: 60,
            access_token: None,
        }
    }

    #[test]
    fn rfc9449_section_4_1_example_proof_is_well_formed() {
        // RFC 9449 §4.1, Figure 3: the example proof. Its key and signature
        // are the RFC's; checked here structurally (header, claims, key),
        // then against its own htm/htu at its own iat.
        let proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik\
VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR\
nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE\
QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIj\
oiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwia\
WF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg\
4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
        let u = url("https://server.example.com/token");
        let decoded = jose::decode_unverified(proof).unwrap();
        assert_eq!(decoded.header["typ"], "dpop+jwt");
        assert_eq!(decoded.header["alg"], "ES256");
        assert_eq!(decoded.header["jwk"]["crv"], "P-256");
        assert_eq!(decoded.claims["htm"], "POST");
        assert_eq!(decoded.claims["htu"], "https://server.example.com/token");
        let checked = check(proof, &expected("POST", &u, 1562262616)).unwrap();
        assert_eq!(checked.jti, "-BwC3ESc6acc2lTc");
        // The wrong method or URL, or a much later time, is refused.
        assert!(
            check(proof, &expected("GET", &u, 1562262616))
                .unwrap_err()
                .to_string()
                .contains("htm")
        );
        let other = url("https://server.example.com/userinfo");
        assert!(
            check(proof, &expected("POST", &other, 1562262616))
                .unwrap_err()
                .to_string()
                .contains("htu")
        );
        assert!(
            check(proof, &expected("POST", &u, 1562262616 + 301))
                .unwrap_err()
                .to_string()
                .contains("older")
        );
    }

    #[test]
    fn a_built_proof_checks_and_binds_to_the_key_thumbprint() {
        let key = SigningKey::generate(JwsAlgorithm::ES256).unwrap();
        let u = url("https://example.com/userinfo?x=1");
        let p = proof(&key, "GET", &u, 1000, Some("token-value"), Some("n1")).unwrap();
        let mut e = expected("GET", &u, 1000);
        e.access_token = Some("token-value");
        let checked = check(&p, &e).unwrap();
        assert_eq!(checked.jkt, jose::thumbprint(key.public_jwk()).unwrap());
        assert_eq!(checked.nonce.as_deref(), Some("n1"));
        e.access_token = Some("another-token");
        assert!(check(&p, &e).unwrap_err().to_string().contains("ath"));
    }

    #[test]
    fn a_proof_carrying_a_private_key_or_the_wrong_typ_is_refused() {
        let key = SigningKey::generate(JwsAlgorithm::ES256).unwrap();
        let u = url("https://example.com/token");
        let claims =
            json!({"jti": "j", "htm": "POST", "htu": "https://example.com/token", "iat": 1000});
        let wrong_typ = key
            .sign_with_header("JWT", &claims, Some(key.public_jwk().clone()))
            .unwrap();
        assert!(
            check(&wrong_typ, &expected("POST", &u, 1000))
                .unwrap_err()
                .to_string()
                .contains("typ")
        );
        let mut leaky = key.public_jwk().clone();
        leaky["d"] = json!("AAAA");
        let header = json!({"typ": TYP, "alg": "ES256", "jwk": leaky});
        let leaked = key.sign_exact(&header, &claims).unwrap();
        assert!(
            check(&leaked, &expected("POST", &u, 1000))
                .unwrap_err()
                .to_string()
                .contains("private")
        );
    }
}
