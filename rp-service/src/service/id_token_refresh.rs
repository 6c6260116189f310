//! An ID token that came with a refresh (OIDC Core §12.2), compared with
//! the session's ID token of the same login: the same issuer, subject,
//! audiences, azp and authentication time, issued later, and no nonce of
//! its own. A leaf: it imports the check ids, the outcome and the session.
use crate::service::check_id::CheckId;
use crate::service::outcome::Parsed;
use crate::session::Identity;

/// OIDC Core §12.2: an ID token from a refresh must name the same issuer,
/// subject, audiences and azp as the original one (azp absent if it was),
/// and the original authentication time — it is the same login, not a
/// switch to another user or client —, be issued no earlier than it, and
/// carry no nonce (if it does, the caller's nonce check holds it to the
/// original's). `has_auth_time`, `has_nonce`: whether the new token
/// carries those claims.
pub(crate) fn check_refresh(
    original: Option<&Identity>,
    new: &Identity,
    (has_auth_time, has_nonce): (bool, bool),
    parsed: &mut Parsed,
) {
    const REF: &str = "OIDC Core §12.2";
    let Some(original) = original else {
        parsed.must(
            CheckId::RefreshSub,
            "sub is the original ID token's sub",
            false,
            "no ID token of the original authentication in this session",
            REF,
        );
        return;
    };
    let same =
        |parsed: &mut Parsed, id: CheckId, what: &str, ok: bool, was: String, got: String| {
            parsed.must(
                id,
                format!("{what} is the original ID token's {what}"),
                ok,
                if ok {
                    got
                } else {
                    format!("{got}, originally {was}")
                },
                REF,
            );
        };
    same(
        parsed,
        CheckId::RefreshIss,
        "iss",
        new.iss == original.iss,
        format!("{:?}", original.iss),
        format!("{:?}", new.iss),
    );
    same(
        parsed,
        CheckId::RefreshSub,
        "sub",
        new.sub == original.sub,
        format!("{:?}", original.sub),
        format!("{:?}", new.sub),
    );
    fn set(a: &[String]) -> std::collections::BTreeSet<&String> {
        a.iter().collect()
    }
    same(
        parsed,
        CheckId::RefreshAud,
        "aud",
        set(&new.aud) == set(&original.aud),
        format!("{:?}", original.aud),
        format!("{:?}", new.aud),
    );
    same(
        parsed,
        CheckId::RefreshAzp,
        "azp",
        new.azp == original.azp,
        format!("{:?}", original.azp),
        format!("{:?}", new.azp),
    );
    // Its iat is the time the new token is issued: never before the one
    // it follows (one of the same second is the same time).
    if let (Some(was), Some(now)) = (original.iat, new.iat) {
        parsed.must(
            CheckId::RefreshIat,
            "iat is the new token's, not before the original's",
            now >= was,
            if now >= was {
                format!("issued {} s after the original", now - was)
            } else {
                format!("{now}, before the original's {was}")
            },
            REF,
        );
    }
    parsed.should(
        CheckId::RefreshNonce,
        "no nonce: a refresh is no authentication request",
        !has_nonce,
        if has_nonce {
            "a nonce, held to the original's"
        } else {
            "none"
        },
        REF,
    );
    if has_auth_time {
        same(
            parsed,
            CheckId::RefreshAuthTime,
            "auth_time",
            new.auth_time == original.auth_time,
            format!("{:?}", original.auth_time),
            format!("{:?}", new.auth_time),
        );
    }
}
