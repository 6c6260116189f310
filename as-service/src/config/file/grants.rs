//! The configuration of what grants may carry beyond scope: the issuers a
//! JWT bearer grant trusts (RFC 7523) and the authorization details types
//! understood (RFC 9396).
use serde::Deserialize;

/// An issuer the jwt-bearer grant trusts (RFC 7523 §3 item 1): its name
/// (the assertions' `iss`) and its public keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtBearerIssuerFileConfig {
    pub issuer: String,
    pub jwks: serde_json::Value,
}

/// An authorization details type the server understands (RFC 9396 §2):
/// its name and the members a detail of that type may carry beside `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailsTypeFileConfig {
    #[serde(rename = "type")]
    pub type_name: String,
    pub fields: Vec<String>,
}
