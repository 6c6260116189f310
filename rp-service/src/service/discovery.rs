//! Discovering the AS/OP: Authorization Server Metadata (RFC 8414) or
//! OpenID Provider metadata (OIDC Discovery 1.0).
use oauth_core::discovery::well_known_url;
use oauth_core::http::HttpRequest;
use serde_json::Value;

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::outcome::{Parsed, Staged, StepError};
use crate::service::registry::ClientService;
use crate::session::Metadata;

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

/// Whether a host is loopback: `localhost`, 127.0.0.0/8 or `::1` — the
/// only hosts the RP reaches over plain `http` (RFC 8252 §8.3).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The metadata members naming the endpoints a client sends requests to
/// (RFC 8414 §2, OIDC Discovery §3, RFC 9126 §5).
pub const ENDPOINT_MEMBERS: [&str; 10] = [
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "pushed_authorization_request_endpoint",
    "device_authorization_endpoint",
    "end_session_endpoint",
];

/// Why an endpoint URL may not be used, if it may not: it must be an
/// absolute `https` URL (RFC 6749 §3.1, §3.2, §2.3.1: credentials only
/// over TLS; RFC 8414 §2, OIDC Discovery §3) — or `http` on a loopback
/// host, and no other scheme there either — with no fragment (RFC 6749
/// §3.1, §3.2).
pub fn endpoint_url_problem(value: &str) -> Option<String> {
    let url = match url::Url::parse(value) {
        Ok(u) => u,
        Err(e) => return Some(format!("not a URL: {e}")),
    };
    let scheme_ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(&url),
        _ => false,
    };
    if !scheme_ok {
        return Some(format!(
            "scheme {:?} on host {:?}: https, or http on a loopback host only",
            url.scheme(),
            url.host_str().unwrap_or("")
        ));
    }
    if url.fragment().is_some() {
        return Some("has a fragment".into());
    }
    None
}

/// RFC 8414 §3.3, OIDC Discovery §4.3: the `issuer` must be exactly the one
/// the RP asked about, or an attacker's metadata could impersonate the AS.
/// Every `*_endpoint` member and `jwks_uri` must be a URL the RP may send
/// credentials or tokens to. The typed members are kept only if all of
/// this passed.
pub fn verify(
    rp: &RelyingParty,
    service: ClientService,
    body: Value,
    parsed: &mut Parsed,
    staged: &mut Staged,
) {
    let openid = service == ClientService::ProviderInfo;
    let issuer = body.get("issuer").and_then(Value::as_str).unwrap_or("");
    parsed.must(
        CheckId::MetadataIssuer,
        "issuer is the one asked about",
        issuer == rp.config.issuer,
        format!("{issuer:?}, expected {:?}", rp.config.issuer),
        if openid {
            "OIDC Discovery §4.3"
        } else {
            "RFC 8414 §3.3"
        },
    );
    let required = |m: &str| {
        m == "token_endpoint" || (openid && (m == "authorization_endpoint" || m == "jwks_uri"))
    };
    // The members the RP uses first (required or present), then any other
    // endpoint the document names: the RP does not call those, but an
    // endpoint announced over http is a misconfigured or hostile AS.
    let mut members: Vec<&str> = ENDPOINT_MEMBERS
        .into_iter()
        .filter(|m| required(m) || body.get(*m).is_some())
        .collect();
    if let Some(object) = body.as_object() {
        for name in object.keys() {
            if (name.ends_with("_endpoint") || name == "jwks_uri")
                && !members.contains(&name.as_str())
            {
                members.push(name);
            }
        }
    }
    for member in members {
        let problem = match body.get(member) {
            None => Some("missing".to_owned()),
            Some(Value::String(v)) => endpoint_url_problem(v),
            Some(other) => Some(format!("not a string: {other}")),
        };
        let shown = body
            .get(member)
            .and_then(Value::as_str)
            .unwrap_or("missing");
        crate::service::response::within_bound(
            parsed,
            member,
            shown.len(),
            crate::service::response::MAX_URL_BYTES,
        );
        // Plain http passes on loopback alone, and the detail says so.
        let loopback_http = shown.starts_with("http://");
        parsed.must(
            CheckId::endpoint_https(member),
            format!("{member} is an https URL (http on loopback only)"),
            problem.is_none(),
            match &problem {
                None if loopback_http => format!("{shown}: http on loopback, allowed"),
                None => shown.to_owned(),
                Some(why) => format!("{shown}: {why}"),
            },
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
        parsed.must(
            CheckId::MetadataRs256,
            "ID tokens can be RS256-signed",
            algs.contains(&"RS256"),
            algs.join(", "),
            "OIDC Discovery §3",
        );
        let subject_types = list("subject_types_supported");
        parsed.must(
            CheckId::MetadataSubjectTypes,
            "subject types are announced",
            !subject_types.is_empty(),
            subject_types.join(", "),
            "OIDC Discovery §3",
        );
    }
    staged.metadata = Some(Metadata::from_document(&body));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_are_https_or_loopback_http() {
        for ok in [
            "https://as.example/token",
            "http://127.0.0.1:8080/token",
            "http://127.3.4.5/token",
            "http://localhost/token",
            "http://[::1]/token",
        ] {
            assert_eq!(endpoint_url_problem(ok), None, "{ok}");
        }
        for bad in [
            "http://evil.example/par",
            "ftp://127.0.0.1/token",
            "file:///etc/passwd",
            "http://128.0.0.1/token",
            "http://localhost.evil.example/token",
            "https://as.example/token#frag",
            "/token",
        ] {
            assert!(endpoint_url_problem(bad).is_some(), "{bad}");
        }
    }
}
