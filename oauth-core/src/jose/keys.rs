//! Signing keys: generated, parsed from and written as private JWKs.
use std::fmt;

use super::*;
use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use pkcs1::EncodeRsaPrivateKey;
use pkcs1::der::Decode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A private JWK as stored in the server's key file (RFC 7517 §4, RFC 7518 §6).
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct PrivateJwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dq: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qi: Option<String>,
    /// Key rotation: when the key starts signing (Unix time); published
    /// before that. Absent: signing since it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activates_at: Option<i64>,
    /// Key rotation: when the key is no longer published (every token it
    /// signed has expired). Absent: published for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retires_at: Option<i64>,
}

impl fmt::Debug for PrivateJwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateJwk")
            .field("kty", &self.kty)
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// The parsed private key, ready to sign.
///
/// JWS signing (RFC 7515 §5.1) is done here rather than through
/// `jsonwebtoken::encode`, which re-parses the private key from its DER
/// form on every signature (`EcdsaKeyPair::from_pkcs8`, `RsaKeyPair::from_der`
/// per call): a measured 2-5x of the signing cost on the token endpoint's
/// hot path (benches/core.rs, `jsonwebtoken_encode_es256`). The key is parsed
/// once; the compact serialization is assembled around aws-lc-rs's signature.
/// Verification stays with `jsonwebtoken`.
pub(super) enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(aws_lc_rs::signature::RsaKeyPair),
    Ed(aws_lc_rs::signature::Ed25519KeyPair),
}

impl Signer {
    pub(super) fn sign(&self, input: &[u8]) -> Result<Vec<u8>, JoseError> {
        let failed = |_| JoseError::Signing("the signature could not be computed".into());
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match self {
            // FIXED: r || s, 64 bytes, the JWS form (RFC 7518 §3.4).
            Self::Ec(pair) => Ok(pair.sign(&rng, input).map_err(failed)?.as_ref().to_vec()),
            Self::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &rng,
                    input,
                    &mut signature,
                )
                .map_err(failed)?;
                Ok(signature)
            }
            Self::Ed(pair) => Ok(pair.sign(input).as_ref().to_vec()),
        }
    }
}

/// A private key the server signs with, with its public JWK and key id.
pub struct SigningKey {
    pub(super) kid: String,
    pub(super) alg: Algorithm,
    pub(super) signer: Signer,
    pub(super) public: Value,
    pub(super) private: PrivateJwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key pair: ES256 (P-256), RS256 (RSA 2048) or EdDSA (Ed25519).
    pub fn generate(alg: Algorithm) -> Result<Self, JoseError> {
        let unspecified = |_| JoseError::BadKey("key generation failed".into());
        let private = match alg {
            Algorithm::ES256 => {
                let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(unspecified)?;
                let d = pair.private_key().as_be_bytes().map_err(unspecified)?;
                let point = pair.public_key().as_ref();
                let (x, y) = split_uncompressed_point(point)?;
                PrivateJwk {
                    kty: "EC".into(),
                    crv: Some("P-256".into()),
                    x: Some(b64(x)),
                    y: Some(b64(y)),
                    d: Some(b64(d.as_ref())),
                    ..PrivateJwk::default()
                }
            }
            Algorithm::RS256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(unspecified)?;
                let pkcs8 =
                    AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).map_err(unspecified)?;
                let info = pkcs8::PrivateKeyInfoRef::try_from(pkcs8.as_ref())
                    .map_err(|e| JoseError::BadKey(format!("PKCS#8: {e}")))?;
                let rsa = pkcs1::RsaPrivateKeyRef::from_der(info.private_key.as_bytes())
                    .map_err(|e| JoseError::BadKey(format!("PKCS#1: {e}")))?;
                PrivateJwk {
                    kty: "RSA".into(),
                    n: Some(b64(rsa.modulus.as_bytes())),
                    e: Some(b64(rsa.public_exponent.as_bytes())),
                    d: Some(b64(rsa.private_exponent.as_bytes())),
                    p: Some(b64(rsa.prime1.as_bytes())),
                    q: Some(b64(rsa.prime2.as_bytes())),
                    dp: Some(b64(rsa.exponent1.as_bytes())),
                    dq: Some(b64(rsa.exponent2.as_bytes())),
                    qi: Some(b64(rsa.coefficient.as_bytes())),
                    ..PrivateJwk::default()
                }
            }
            Algorithm::EdDSA => {
                let pair = aws_lc_rs::signature::Ed25519KeyPair::generate().map_err(unspecified)?;
                let seed = pair.seed().map_err(unspecified)?;
                let seed =
                    AsBigEndian::<aws_lc_rs::encoding::Curve25519SeedBin>::as_be_bytes(&seed)
                        .map_err(unspecified)?;
                PrivateJwk {
                    kty: "OKP".into(),
                    crv: Some("Ed25519".into()),
                    x: Some(b64(pair.public_key().as_ref())),
                    d: Some(b64(seed.as_ref())),
                    ..PrivateJwk::default()
                }
            }
            other => return Err(JoseError::BadKey(format!("cannot generate {other:?} keys"))),
        };
        Self::from_private_jwk(PrivateJwk {
            use_: Some("sig".into()),
            alg: Some(alg_name(alg).into()),
            ..private
        })
    }

    /// Loads a private JWK: EC P-256 (ES256) or RSA (RS256, 2048 bits or more).
    /// The key id is the RFC 7638 thumbprint unless the JWK names one.
    pub fn from_private_jwk(jwk: PrivateJwk) -> Result<Self, JoseError> {
        let (alg, signer, public) = match jwk.kty.as_str() {
            "EC" => {
                if jwk.crv.as_deref() != Some("P-256") {
                    return Err(JoseError::BadKey(
                        "only EC keys on P-256 are supported".into(),
                    ));
                }
                let x = unb64("x", jwk.x.as_ref())?;
                let y = unb64("y", jwk.y.as_ref())?;
                let d = unb64("d", jwk.d.as_ref())?;
                let mut point = Vec::with_capacity(65);
                point.push(4u8);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let pair = EcdsaKeyPair::from_private_key_and_public_key(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &d,
                    &point,
                )
                .map_err(rejected("EC key"))?;
                let public = json!({"kty": "EC", "crv": "P-256", "x": jwk.x, "y": jwk.y});
                (Algorithm::ES256, Signer::Ec(pair), public)
            }
            "RSA" => {
                let parts = [
                    unb64("n", jwk.n.as_ref())?,
                    unb64("e", jwk.e.as_ref())?,
                    unb64("d", jwk.d.as_ref())?,
                    unb64("p", jwk.p.as_ref())?,
                    unb64("q", jwk.q.as_ref())?,
                    unb64("dp", jwk.dp.as_ref())?,
                    unb64("dq", jwk.dq.as_ref())?,
                    unb64("qi", jwk.qi.as_ref())?,
                ];
                fn uint(b: &[u8]) -> Result<pkcs1::UintRef<'_>, JoseError> {
                    pkcs1::UintRef::new(b).map_err(|e| JoseError::BadKey(format!("RSA: {e}")))
                }
                let key = pkcs1::RsaPrivateKey {
                    modulus: uint(&parts[0])?,
                    public_exponent: uint(&parts[1])?,
                    private_exponent: uint(&parts[2])?,
                    prime1: uint(&parts[3])?,
                    prime2: uint(&parts[4])?,
                    exponent1: uint(&parts[5])?,
                    exponent2: uint(&parts[6])?,
                    coefficient: uint(&parts[7])?,
                    other_prime_infos: None,
                };
                let der = key
                    .to_pkcs1_der()
                    .map_err(|e| JoseError::BadKey(format!("RSA: {e}")))?;
                let der = der.as_bytes();
                // Validate now, so a broken key fails at start-up, not at first signature.
                let pair =
                    aws_lc_rs::signature::RsaKeyPair::from_der(der).map_err(rejected("RSA key"))?;
                if pair.public_modulus_len() < 256 {
                    return Err(JoseError::BadKey(
                        "RSA keys must be 2048 bits or more".into(),
                    ));
                }
                let public = json!({"kty": "RSA", "n": jwk.n, "e": jwk.e});
                (Algorithm::RS256, Signer::Rsa(pair), public)
            }
            "OKP" => {
                if jwk.crv.as_deref() != Some("Ed25519") {
                    return Err(JoseError::BadKey(
                        "only OKP keys on Ed25519 are supported".into(),
                    ));
                }
                let x = unb64("x", jwk.x.as_ref())?;
                let d = unb64("d", jwk.d.as_ref())?;
                let pair = aws_lc_rs::signature::Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                    .map_err(rejected("Ed25519 key"))?;
                let public = json!({"kty": "OKP", "crv": "Ed25519", "x": jwk.x});
                (Algorithm::EdDSA, Signer::Ed(pair), public)
            }
            other => return Err(JoseError::BadKey(format!("unsupported key type {other:?}"))),
        };
        if let Some(declared) = &jwk.alg
            && declared != alg_name(alg)
        {
            return Err(JoseError::BadKey(format!(
                "a {} key cannot be used with alg {declared}",
                jwk.kty
            )));
        }
        let kid = match &jwk.kid {
            Some(kid) => kid.clone(),
            None => thumbprint(&public)?,
        };
        let mut public = public;
        if let Value::Object(map) = &mut public {
            map.insert("kid".into(), Value::String(kid.clone()));
            map.insert("use".into(), Value::String("sig".into()));
            map.insert("alg".into(), Value::String(alg_name(alg).into()));
        }
        let private = PrivateJwk {
            kid: Some(kid.clone()),
            alg: Some(alg_name(alg).into()),
            use_: Some("sig".into()),
            ..jwk
        };
        Ok(Self {
            kid,
            alg,
            signer,
            public,
            private,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK, with kid, use and alg.
    pub fn public_jwk(&self) -> &Value {
        &self.public
    }

    /// When the key starts signing (key rotation); `None`: it always has.
    pub fn activates_at(&self) -> Option<i64> {
        self.private.activates_at
    }

    /// When the key stops being published; `None`: never.
    pub fn retires_at(&self) -> Option<i64> {
        self.private.retires_at
    }

    pub(super) fn signs_at(&self, now: i64) -> bool {
        self.activates_at().is_none_or(|a| a <= now) && self.published_at(now)
    }

    pub(super) fn published_at(&self, now: i64) -> bool {
        self.retires_at().is_none_or(|r| r > now)
    }

    /// Signs `claims` as a JWS with this key; `typ` goes in the header (RFC 7515 §4.1.9).
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, JoseError> {
        #[derive(Serialize)]
        struct JoseHeader<'a> {
            typ: &'a str,
            alg: &'a str,
            kid: &'a str,
        }
        let header = JoseHeader {
            typ,
            alg: alg_name(self.alg),
            kid: &self.kid,
        };
        self.sign_parts(&header, claims)
    }

    /// Signs exactly the header given, as given: for the attack stories and
    /// tests that need a header no honest signer would write.
    pub fn sign_exact(&self, header: &Value, claims: &Value) -> Result<String, JoseError> {
        self.sign_parts(header, claims)
    }

    /// Signs with a public JWK in the header instead of a `kid` (DPoP
    /// proofs carry their key, RFC 9449 §4.2).
    pub fn sign_with_header<T: Serialize>(
        &self,
        typ: &str,
        claims: &T,
        jwk: Option<Value>,
    ) -> Result<String, JoseError> {
        let header = match jwk {
            Some(jwk) => json!({"typ": typ, "alg": alg_name(self.alg), "jwk": jwk}),
            None => json!({"typ": typ, "alg": alg_name(self.alg), "kid": self.kid}),
        };
        self.sign_parts(&header, claims)
    }

    /// JWS compact serialization (RFC 7515 §7.1): BASE64URL(header) "."
    /// BASE64URL(payload) "." BASE64URL(signature over the first two).
    pub(super) fn sign_parts<H: Serialize, T: Serialize>(
        &self,
        header: &H,
        claims: &T,
    ) -> Result<String, JoseError> {
        let header = serde_json::to_vec(header).map_err(|e| JoseError::Signing(e.to_string()))?;
        let claims = serde_json::to_vec(claims).map_err(|e| JoseError::Signing(e.to_string()))?;
        let mut out = String::with_capacity((header.len() + claims.len()) * 4 / 3 + 400);
        URL_SAFE_NO_PAD.encode_string(&header, &mut out);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut out);
        let signature = self.signer.sign(out.as_bytes())?;
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
        Ok(out)
    }
}

pub(super) fn split_uncompressed_point(point: &[u8]) -> Result<(&[u8], &[u8]), JoseError> {
    match point.split_first() {
        Some((4, rest)) if rest.len() == 64 => Ok(rest.split_at(32)),
        _ => Err(JoseError::BadKey(
            "unexpected EC public key encoding".into(),
        )),
    }
}
