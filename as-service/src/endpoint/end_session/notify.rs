//! Ending a login: its grants revoked, and a logout token for each client
//! of it that registered a back-channel logout URI (OIDC Back-Channel
//! Logout 1.0 §2.4 the token, §2.5 the request).
use oauth_core::error::OAuthError;
use oauth_core::http::HttpRequest;
use oauth_core::random;
use serde_json::json;

use crate::AuthServer;
use crate::config::Client;
use crate::store::SessionMember;

/// The media type of a logout token (OIDC Back-Channel Logout §2.4).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";

/// How long a logout token may be accepted (§2.4: exp; a short lifetime,
/// since it is delivered at once).
pub const LOGOUT_TOKEN_LIFETIME: i64 = 120;

/// The event a logout token announces (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Ends session `sid`: revokes each of its grants and returns the
/// notifications to send. A session already ended yields none.
pub async fn end_login(server: &AuthServer, sid: &str) -> Result<Vec<HttpRequest>, OAuthError> {
    let now = server.clock.now();
    // A code issued in the session may be redeemed until it expires: the
    // session stays ended at least as long.
    let ended_until = now + server.config.code_lifetime;
    let members = server.store.end_session(sid, ended_until, now).await?;
    // The members are handed out once: every grant is revoked before any
    // notification is made, and one that fails stops none of the others.
    let mut failed = None;
    for member in &members {
        if let Err(e) = server.store.revoke_grant(&member.grant_id).await {
            tracing::error!(grant_id = %member.grant_id, error = %e, "a grant of an ended login could not be revoked");
            failed = Some(e);
        }
    }
    if let Some(e) = failed {
        return Err(e.into());
    }
    let mut outbound = Vec::new();
    for member in &members {
        let client = match server.client(&member.client_id).await {
            Ok(Some(client)) => client,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(client_id = %member.client_id, error = %e, "no logout token: the client could not be read");
                continue;
            }
        };
        match notification(server, &client, member, sid) {
            Ok(Some(request)) => outbound.push(request),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(client_id = %member.client_id, error = ?e, "no logout token for this client");
            }
        }
    }
    Ok(outbound)
}

/// The POST of a logout token to the client's back-channel logout URI
/// (§2.5), if it registered one.
fn notification(
    server: &AuthServer,
    client: &Client,
    member: &SessionMember,
    sid: &str,
) -> Result<Option<HttpRequest>, OAuthError> {
    let Some(uri) = &client.backchannel_logout_uri else {
        return Ok(None);
    };
    if client.dynamic && !reachable_for_anyone(&server.config.issuer, uri) {
        tracing::warn!(client_id = %client.client_id, uri = %uri, "no logout token: a self-registered client's back-channel logout URI names this host or a private network");
        return Ok(None);
    }
    let token = logout_token(server, client, &member.subject, sid)?;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("logout_token", &token)
        .finish();
    let request = HttpRequest::new(
        "POST",
        uri,
        [("content-type", "application/x-www-form-urlencoded")],
        body,
    )
    .map_err(|e| {
        OAuthError::server_error("a registered back-channel logout URI is unusable")
            .with_cause(format!("backchannel_logout_uri {uri:?}: {e}"))
    })?;
    Ok(Some(request))
}

/// Whether the server may post to `uri` for a client anyone could have
/// registered: not at an address of its own host or private network
/// (loopback, private, link-local, unique local — a request forged on the
/// server's behalf, RFC 9700 §4.11, CWE-918), unless the issuer is itself
/// on loopback (a server run for development, its clients beside it).
/// Names are not resolved here: a name is judged by the URL alone.
fn reachable_for_anyone(issuer: &str, uri: &str) -> bool {
    let local = |host: Option<url::Host<&str>>| match host {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        Some(url::Host::Ipv6(ip)) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_private())
        }
        None => true,
    };
    let issuer_local = url::Url::parse(issuer).is_ok_and(|u| local(u.host()));
    issuer_local || !url::Url::parse(uri).is_ok_and(|u| local(u.host()))
}

/// §2.4: iss, aud, iat, exp, jti, sub and sid, the event — and never a
/// nonce, so that it cannot pass for an ID token. Signed as the client's
/// ID tokens are, explicitly typed `logout+jwt`.
pub fn logout_token(
    server: &AuthServer,
    client: &Client,
    subject: &str,
    sid: &str,
) -> Result<String, OAuthError> {
    let now = server.clock.now();
    let claims = json!({
        "iss": server.config.issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME,
        "jti": random::token(16),
        "sub": subject,
        "sid": sid,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    crate::id_token::sign_as_id_tokens(
        server,
        client.id_token_alg,
        LOGOUT_TOKEN_TYP,
        &claims,
        "logout token",
    )
}

#[cfg(test)]
mod tests {
    use super::reachable_for_anyone;

    const PUBLIC_ISSUER: &str = "https://op.example.com";

    #[test]
    fn a_self_registered_uri_on_this_host_or_a_private_network_is_not_posted_to() {
        for uri in [
            "http://127.0.0.1:6379/",
            "http://localhost/logout",
            "http://api.localhost/logout",
            "http://[::1]/logout",
            "https://10.0.0.7/logout",
            "https://192.168.1.1/logout",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/logout",
            "https://[fe80::1]/logout",
            "https://[::ffff:127.0.0.1]/logout",
            "https://0.0.0.0/logout",
        ] {
            assert!(!reachable_for_anyone(PUBLIC_ISSUER, uri), "{uri}");
        }
    }

    #[test]
    fn a_public_uri_is_posted_to_and_a_loopback_issuer_may_post_to_loopback() {
        assert!(reachable_for_anyone(
            PUBLIC_ISSUER,
            "https://rp.example.org/backchannel"
        ));
        assert!(reachable_for_anyone(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:9000/backchannel"
        ));
    }
}
