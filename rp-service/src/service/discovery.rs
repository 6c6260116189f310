//! Discovering the AS/OP: Authorization Server Metadata (RFC 8414) or
//! OpenID Provider metadata (OIDC Discovery 1.0).
use oauth_core::discovery::well_known_url;
use oauth_core::http::HttpRequest;
use serde_json::Value;

use super::{ClientService, Parsed, StepError};
use crate::RelyingParty;
use crate::session::Session;

/// The RFC 8414 well-known suffix.
pub const OAUTH: &str = "oauth-authorization-server";
/// The OIDC Discovery well-known suffix.
pub const OPENID: &str = "openid-configuration";

/// `GET` the well-known URL derived from the issuer (RFC 8414 §3.1; OIDC
/// Discovery §4.1 appends its suffix to the issuer's path instead, which is
/// the same for an issuer without a path).
pub fn request(rp: &RelyingParty, suffix: &str) -> Result<HttpRequest, StepError> {
    let url = if suffix == OPENID {
        oauth_core::discovery::endpoint_url(&rp.config.issuer, ".well-known/openid-configuration")
    } else {
        well_known_url(&rp.config.issuer, suffix)
    }
    .map_err(|e| StepError::BadArgument(format!("issuer: {e}")))?;
    HttpRequest::new("GET", url.as_str(), [("Accept", "application/json")], "")
        .map_err(|e| StepError::BadArgument(e.to_string()))
}

/// RFC 8414 §3.3, OIDC Discovery §4.3: the `issuer` must be exactly the one
/// the RP asked about, or an attacker's metadata could impersonate the AS.
pub fn verify(
    rp: &RelyingParty,
    session: &mut Session,
    service: ClientService,
    body: Value,
    parsed: &mut Parsed,
) {
    let openid = service == ClientService::ProviderInfo;
    let issuer = body.get("issuer").and_then(Value::as_str).unwrap_or("");
    let issuer_ok = parsed.check(
        "issuer is the one asked about",
        issuer == rp.config.issuer,
        format!("{issuer:?}, expected {:?}", rp.config.issuer),
        if openid {
            "OIDC Discovery §4.3"
        } else {
            "RFC 8414 §3.3"
        },
    );
    let members = [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "registration_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ];
    let required = |m: &str| {
        m == "token_endpoint" || (openid && (m == "authorization_endpoint" || m == "jwks_uri"))
    };
    for member in members
        .into_iter()
        .filter(|m| required(m) || body.get(*m).is_some())
    {
        let value = body.get(member).and_then(Value::as_str);
        let https = value
            .and_then(|v| url::Url::parse(v).ok())
            .is_some_and(|u| u.scheme() == "https" || u.host_str() == Some("127.0.0.1"));
        parsed.check(
            format!("{member} is an https URL"),
            https,
            value.unwrap_or("missing").to_owned(),
            if openid {
                "OIDC Discovery §3"
            } else {
                "RFC 8414 §2"
            },
        );
    }
    if openid {
        let list = |name: &str| {
            body.get(name)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let algs = list("id_token_signing_alg_values_supported");
        parsed.check(
            "ID tokens can be RS256-signed",
            algs.contains(&"RS256"),
            algs.join(", "),
            "OIDC Discovery §3",
        );
        let subject_types = list("subject_types_supported");
        parsed.check(
            "subject types are announced",
            !subject_types.is_empty(),
            subject_types.join(", "),
            "OIDC Discovery §3",
        );
    }
    if issuer_ok {
        session.metadata = Some(body);
    }
}
