//! What this server offers, and nothing it lacks: OAuth 2.0 Authorization
//! Server Metadata (RFC 8414 §2) and OpenID Provider Metadata (OIDC
//! Discovery 1.0 §3) — one document, built once at start from the
//! configuration; `endpoint::metadata` serves it at both well-known URLs.
use oauth_core::oidc;
use oauth_core::scope::Scope;
use serde_json::{Value, json};

use crate::config::{
    ASSERTION_ALGS, AUTH_METHODS, CLIENT_JWT_ALGS, Config, Endpoint, GRANT_TYPES, ID_TOKEN_ALGS,
    RESPONSE_TYPES, SUBJECT_TYPES, alg_names,
};

/// Builds the metadata document once, at start, from the canonical
/// endpoint URLs (the same ones every request is checked against).
pub fn document(config: &Config) -> Value {
    let url = |endpoint: Endpoint| config.endpoints.url(endpoint).to_string();
    let scopes = config
        .clients
        .values()
        .flat_map(|c| c.scopes.iter().map(str::to_owned))
        .chain(config.registration.scopes.iter().cloned());
    let scopes = Scope::from_tokens(scopes);
    let auth_methods: Vec<&str> = AUTH_METHODS.iter().map(|m| m.as_str()).collect();
    let mut pkce_methods = vec!["S256"];
    if config.pkce_plain_allowed {
        pkce_methods.push("plain");
    }
    let mut claims = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "azp",
    ];
    claims.extend(oidc::standard_claims());
    let mut doc = json!({
        "issuer": config.issuer,
        "authorization_endpoint": url(Endpoint::Authorization),
        "token_endpoint": url(Endpoint::Token),
        "userinfo_endpoint": url(Endpoint::Userinfo),
        "jwks_uri": url(Endpoint::Jwks),
        "introspection_endpoint": url(Endpoint::Introspection),
        "revocation_endpoint": url(Endpoint::Revocation),
        "scopes_supported": scopes.iter().collect::<Vec<_>>(),
        "response_types_supported": RESPONSE_TYPES.map(|r| r.as_str()),
        // Form Post Response Mode, and JARM §4 for the .jwt modes.
        "response_modes_supported": crate::endpoint::authorization_request::RESPONSE_MODES,
        "authorization_signing_alg_values_supported": alg_names(&ID_TOKEN_ALGS),
        "grant_types_supported": GRANT_TYPES.map(|g| g.as_str()),
        "acr_values_supported": [config.login_acr],
        "subject_types_supported": SUBJECT_TYPES.map(|t| t.as_str()),
        "id_token_signing_alg_values_supported": alg_names(&ID_TOKEN_ALGS),
        "token_endpoint_auth_methods_supported": auth_methods,
        // Introspection is for clients that can authenticate (RFC 7662 §2.1).
        "introspection_endpoint_auth_methods_supported":
            auth_methods.iter().filter(|m| **m != "none").collect::<Vec<_>>(),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": pkce_methods,
        "claims_supported": claims,
        "claims_parameter_supported": true,
        // OIDC Core §3.1.2.1, §5.2: every display value is answered with
        // the same plain page; the pages are in English, and the claims
        // are released as configured, untagged (the built-in ones English).
        "display_values_supported": crate::endpoint::authorization_request::DISPLAY_VALUES,
        "ui_locales_supported": ["en"],
        "claims_locales_supported": ["en"],
        // RFC 9101: request objects by value; by reference only through PAR.
        "request_parameter_supported": true,
        // OIDC Discovery §3 defaults this to true; no URL is ever fetched here.
        "request_uri_parameter_supported": false,
        "request_object_signing_alg_values_supported": alg_names(&CLIENT_JWT_ALGS),
        "token_endpoint_auth_signing_alg_values_supported": alg_names(&ASSERTION_ALGS),
        "pushed_authorization_request_endpoint": url(Endpoint::PushedAuthorization),
        // RFC 8628 §4.
        "device_authorization_endpoint": url(Endpoint::DeviceAuthorization),
        "require_pushed_authorization_requests": config.par.required,
        "dpop_signing_alg_values_supported":
            oauth_core::dpop::ALGS.iter().map(|a| oauth_core::jose::alg_name(*a)).collect::<Vec<_>>(),
        // RFC 9207 §3: the authorization response carries `iss`.
        "authorization_response_iss_parameter_supported": true,
        // OIDC RP-Initiated Logout §2.1; Back-Channel Logout §2.1: logout
        // tokens carry sid, which ID tokens carry too.
        "end_session_endpoint": url(Endpoint::EndSession),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    });
    // RFC 9396 §10: the authorization details types understood.
    if !config.authorization_details_types.is_empty() {
        doc["authorization_details_types_supported"] = serde_json::json!(
            config
                .authorization_details_types
                .keys()
                .collect::<Vec<_>>()
        );
    }
    if config.registration.enabled {
        doc["registration_endpoint"] = Value::String(url(Endpoint::Registration));
    }
    doc
}
