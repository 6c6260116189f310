//! The hot core operations: minting access and ID tokens (ES256, RS256,
//! EdDSA), verifying a JWT, PKCE S256, checking a DPoP proof — and, for
//! reference, `jsonwebtoken::encode` with a key parsed on every call.
//!
//! `cargo bench -p oauth-core --bench core`
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::Algorithm;
use oauth_core::jose::{self, SigningKey};
use oauth_core::token::{ACCESS_TOKEN_TYP, AccessTokenClaims, Audience};
use oauth_core::{dpop, pkce, random};
use serde_json::json;

fn claims() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: "https://example.com/".into(),
        sub: "client_1".into(),
        aud: Audience::One("https://example.org/appl".into()),
        exp: 1_800_003_600,
        iat: 1_800_000_000,
        jti: random::token(16),
        client_id: "client_1".into(),
        scope: Some("resourceA".into()),
        sid: None,
        cnf: None,
        authorization_details: None,
    }
}

fn minting(c: &mut Criterion) {
    let mut group = c.benchmark_group("mint_access_token");
    for alg in [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA] {
        let key = SigningKey::generate(alg).unwrap();
        group.bench_function(jose::alg_name(alg), |b| {
            b.iter(|| {
                let mut c = claims();
                c.jti = random::token(16);
                black_box(key.sign(ACCESS_TOKEN_TYP, &c).unwrap())
            })
        });
    }
    group.finish();

    // The same ES256 token through jsonwebtoken::encode, which parses the
    // PKCS#8 key on every call: why SigningKey keeps a parsed key pair.
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let der = pair.to_pkcs8v1().unwrap();
    let encoding = jsonwebtoken::EncodingKey::from_ec_der(der.as_ref());
    let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
    header.typ = Some(ACCESS_TOKEN_TYP.into());
    c.bench_function("jsonwebtoken_encode_es256", |b| {
        b.iter(|| black_box(jsonwebtoken::encode(&header, &claims(), &encoding).unwrap()))
    });

    let rs256 = SigningKey::generate(Algorithm::RS256).unwrap();
    let id_token = json!({
        "iss": "https://example.com/", "sub": "diana", "aud": "client", "azp": "client",
        "exp": 1_800_086_400, "iat": 1_800_000_000, "auth_time": 1_800_000_000,
        "nonce": "n-0S6_WzA2Mj", "acr": "urn:oasis:names:tc:SAML:2.0:ac:classes:InternetProtocolPassword",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "email": "diana@example.org", "email_verified": false,
    });
    c.bench_function("mint_id_token_rs256", |b| {
        b.iter(|| black_box(rs256.sign("JWT", &id_token).unwrap()))
    });
}

fn verifying(c: &mut Criterion) {
    for alg in [Algorithm::ES256, Algorithm::RS256] {
        let key = SigningKey::generate(alg).unwrap();
        let jwks = jose::parse_jwks(&json!({"keys": [key.public_jwk()]}).to_string()).unwrap();
        let token = key.sign(ACCESS_TOKEN_TYP, &claims()).unwrap();
        c.bench_function(&format!("verify_jwt_{}", jose::alg_name(alg)), |b| {
            b.iter(|| black_box(jose::verify(&token, &jwks, &[alg]).unwrap()))
        });
    }
}

fn pkce_and_dpop(c: &mut Criterion) {
    let verifier = pkce::new_verifier();
    let challenge = pkce::challenge(&verifier, pkce::Method::S256);
    c.bench_function("pkce_s256_verify", |b| {
        b.iter(|| black_box(pkce::verify(&verifier, &challenge, pkce::Method::S256)))
    });

    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let url = url::Url::parse("https://example.com/token").unwrap();
    let proof = dpop::proof(&key, "POST", &url, 1_800_000_000, None, None).unwrap();
    let expected = dpop::Expected {
        method: "POST",
        url: &url,
        now: 1_800_000_000,
        max_age: 300,
        leeway: 60,
        access_token: None,
    };
    c.bench_function("dpop_proof_check", |b| {
        b.iter(|| black_box(dpop::check(&proof, &expected).unwrap()))
    });
}

criterion_group!(benches, minting, verifying, pkce_and_dpop);
criterion_main!(benches);
