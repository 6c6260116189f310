use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{EncodingKey, Header};

use serde_json::{Value, json};

use super::*;

#[test]
fn a_jws_with_a_crit_header_is_rejected() {
    // RFC 7515 §4.1.11: an extension listed in crit and not understood.
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let jwks: JwkSet = serde_json::from_value(json!({"keys": [key.public_jwk().clone()]})).unwrap();
    let header = json!({"alg": "ES256", "kid": key.kid(), "crit": ["exp-ext"], "exp-ext": 1});
    let token = key.sign_exact(&header, &json!({"sub": "a"})).unwrap();
    assert!(matches!(
        verify(&token, &jwks, &[Algorithm::ES256]),
        Err(JoseError::Malformed(_))
    ));
    let plain = key.sign("JWT", &json!({"sub": "a"})).unwrap();
    assert!(verify(&plain, &jwks, &[Algorithm::ES256]).is_ok());
}

#[test]
fn rfc7519_7_2_a_validly_signed_jws_whose_claims_are_not_an_object_is_malformed() {
    // RFC 7519 §7.2 step 10: the JWT Claims Set must be a JSON object. The
    // claims are read only by the verification, which must still say so.
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let jwks: JwkSet = serde_json::from_value(json!({"keys": [key.public_jwk().clone()]})).unwrap();
    let header = json!({"alg": "ES256", "kid": key.kid()});
    for claims in [json!(["sub", "a"]), json!("a"), json!(7)] {
        let token = key.sign_exact(&header, &claims).unwrap();
        assert!(
            matches!(
                verify(&token, &jwks, &[Algorithm::ES256]),
                Err(JoseError::Malformed(_))
            ),
            "claims {claims}"
        );
    }
    let object = key.sign_exact(&header, &json!({"sub": "a"})).unwrap();
    let verified = verify(&object, &jwks, &[Algorithm::ES256]).unwrap();
    assert_eq!(verified.claims["sub"], "a");
    assert_eq!(verified.header["kid"], key.kid());
}

#[test]
fn rfc7638_section_3_1_thumbprint_vector() {
    // RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
    let jwk = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    });
    assert_eq!(
        thumbprint(&jwk).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn generated_keys_survive_a_round_trip_through_the_private_jwks() {
    let set = KeySet::generate().unwrap();
    let text = set.to_private_jwks();
    let again = KeySet::from_private_jwks(&text).unwrap();
    let kids = |s: &KeySet| {
        s.keys()
            .iter()
            .map(|k| k.kid().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(kids(&set), kids(&again));
    // A token signed before the reload verifies with the reloaded public set.
    let jwt = set
        .signing_key(Algorithm::ES256)
        .unwrap()
        .sign("JWT", &json!({"sub": "x"}))
        .unwrap();
    let public = parse_jwks(&again.public_jwks().to_string()).unwrap();
    let v = verify(&jwt, &public, &[Algorithm::ES256]).unwrap();
    assert_eq!(v.claims["sub"], "x");
}

#[test]
fn public_jwks_has_no_private_members() {
    let set = KeySet::generate().unwrap();
    let public = set.public_jwks().to_string();
    for member in ["\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\""] {
        assert!(!public.contains(member), "{member} leaked");
    }
}

#[test]
fn rs256_signs_and_verifies_and_es256_is_refused_when_not_allowed() {
    let set = KeySet::generate().unwrap();
    let jwt = set
        .signing_key(Algorithm::RS256)
        .unwrap()
        .sign("JWT", &json!({"a": 1}))
        .unwrap();
    let public = parse_jwks(&set.public_jwks().to_string()).unwrap();
    assert!(verify(&jwt, &public, &[Algorithm::RS256]).is_ok());
    assert_eq!(
        verify(&jwt, &public, &[Algorithm::ES256]).unwrap_err(),
        JoseError::AlgorithmNotAllowed("RS256".into())
    );
}

#[test]
fn eddsa_keys_sign_verify_and_round_trip() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let jwt = key.sign("JWT", &json!({"sub": "x"})).unwrap();
    let set = parse_jwks(&json!({"keys": [key.public_jwk()]}).to_string()).unwrap();
    assert_eq!(
        verify(&jwt, &set, &[Algorithm::EdDSA]).unwrap().claims["sub"],
        "x"
    );
    let again = SigningKey::from_private_jwk(key.private.clone()).unwrap();
    assert_eq!(again.kid(), key.kid());
}

#[test]
fn tampered_claims_fail_the_signature() {
    let set = KeySet::generate().unwrap();
    let jwt = set
        .signing_key(Algorithm::ES256)
        .unwrap()
        .sign("JWT", &json!({"scope": "a"}))
        .unwrap();
    let mut parts: Vec<&str> = jwt.split('.').collect();
    let forged = b64(br#"{"scope":"admin"}"#);
    parts[1] = &forged;
    let public = parse_jwks(&set.public_jwks().to_string()).unwrap();
    assert_eq!(
        verify(&parts.join("."), &public, &[Algorithm::ES256]).unwrap_err(),
        JoseError::BadSignature
    );
}

#[test]
fn hs256_with_the_public_key_as_secret_is_refused() {
    let set = KeySet::generate().unwrap();
    let kid = set.signing_key(Algorithm::ES256).unwrap().kid().to_owned();
    let public_text = set.public_jwks().to_string();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid);
    let forged = jsonwebtoken::encode(
        &header,
        &json!({"sub": "x"}),
        &EncodingKey::from_secret(public_text.as_bytes()),
    )
    .unwrap();
    let public = parse_jwks(&public_text).unwrap();
    // Refused whether or not the caller lists HS256.
    assert!(verify(&forged, &public, &[Algorithm::ES256]).is_err());
    assert!(verify(&forged, &public, &[Algorithm::ES256, Algorithm::HS256]).is_err());
}

#[test]
fn alg_none_and_garbage_are_malformed() {
    let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(br#"{"sub":"x"}"#));
    let set = KeySet::generate().unwrap();
    let public = parse_jwks(&set.public_jwks().to_string()).unwrap();
    assert!(verify(&none, &public, &[Algorithm::ES256]).is_err());
    assert!(matches!(
        decode_unverified("a.b"),
        Err(JoseError::Malformed(_))
    ));
    assert!(matches!(
        decode_unverified("!!.!!.!!"),
        Err(JoseError::Malformed(_))
    ));
}

#[test]
fn refuses_a_mismatched_ec_key() {
    let set = KeySet::generate().unwrap();
    let mut jwks: Value = serde_json::from_str(&set.to_private_jwks()).unwrap();
    // Swap in the y of a different key: the public part no longer fits d.
    let other = SigningKey::generate(Algorithm::ES256).unwrap();
    jwks["keys"][1]["y"] = other.public_jwk()["y"].clone();
    assert!(KeySet::from_private_jwks(&jwks.to_string()).is_err());
}

#[test]
fn debug_shows_no_private_key_member_and_no_server_secret() {
    let mut set = KeySet::generate_ec();
    set.keep_server_secret(crate::secret::Secret::new("the-server-secret-value"));
    let file: Value = serde_json::from_str(&set.to_private_jwks()).unwrap();
    assert_eq!(file["server_secret"], "the-server-secret-value");
    let private_d = file["keys"][0]["d"].as_str().unwrap().to_owned();
    let reread = KeySet::from_private_jwks(&set.to_private_jwks()).unwrap();
    for shown in [
        format!("{set:?}"),
        format!("{reread:?}"),
        format!("{set:#?}"),
    ] {
        assert!(!shown.contains("the-server-secret-value"), "{shown}");
        assert!(!shown.contains(&private_d), "{shown}");
        assert!(shown.contains(set.keys()[0].kid()), "{shown}");
    }
    assert_eq!(
        reread.server_secret().map(crate::secret::Secret::expose),
        Some("the-server-secret-value")
    );
}
