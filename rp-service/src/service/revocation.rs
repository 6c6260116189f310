//! Token revocation (RFC 7009), as the client that holds the token.
use std::collections::BTreeMap;

use oauth_core::http::{HttpRequest, HttpResponse};

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::client_auth::arg;
use crate::service::introspection::token_post;
use crate::service::outcome::{Parsed, StepError};
use crate::service::registry::AsEndpoint;
use crate::session::{Pending, Session};

pub fn request(
    rp: &RelyingParty,
    session: &Session,
    args: &BTreeMap<String, String>,
) -> Result<HttpRequest, StepError> {
    token_post(rp, session, args, AsEndpoint::Revocation)
}

/// RFC 7009 §2.2: 200 means revoked — or never valid. The session keeps
/// the token, so that a later step can show the AS now calls it inactive.
pub fn verify(pending: &Pending, response: &HttpResponse, parsed: &mut Parsed) {
    parsed.must(
        CheckId::RevocationStatus,
        "HTTP status is 200: the token is no longer valid",
        response.status == 200,
        response.status.to_string(),
        "RFC 7009 §2.2",
    );
    let which = arg(&pending.args, "token").unwrap_or("access_token");
    parsed.parsed = serde_json::json!({ "revoked": which });
}
