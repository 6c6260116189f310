//! What the RP makes of an authorization answer that is not a plain grant:
//! where an answer to a request naming a redirect_uri the client never
//! registered went (RFC 6749 §3.1.2.4, §4.1.2.1: never there), and whether
//! the refusal of an unsigned request object is the provider's lawful
//! answer (OIDC Core §6.1, §3.1.2.6; OIDC Discovery §3). A leaf: it imports
//! the check ids, the outcome and the session.
use crate::service::check_id::CheckId;
use crate::service::outcome::Parsed;
use crate::session::{AuthorizationState, SentAs, Session};

/// The refusals OIDC Core §3.1.2.6 names for a request object the OP does
/// not take: the request parameter not supported, or the object invalid.
const NOT_TAKEN: [&str; 2] = ["request_not_supported", "invalid_request_object"];

/// The redirect URI that is the client's own: the one it registered when
/// the request named another, else the one the request named.
pub(crate) fn own_redirect_uri<'a>(session: &'a Session, sent: &'a AuthorizationState) -> &'a str {
    match (
        sent.redirect_uri_unregistered,
        &session.profile.redirect_uri,
    ) {
        (true, Some(registered)) => registered,
        _ => &sent.redirect_uri,
    }
}

/// RFC 6749 §3.1.2.4, §4.1.2.1: a request naming a redirect_uri the client
/// never registered must not be answered there — neither with a code nor
/// with an error (an open redirector otherwise). `target`: where the
/// answer sends the user agent (scheme, host and path), if anywhere. Made
/// only for such a request; answers whether the answer may be read on.
pub(crate) fn not_to_unregistered(
    sent: &AuthorizationState,
    target: Option<&str>,
    status: u16,
    parsed: &mut Parsed,
) -> bool {
    if !sent.redirect_uri_unregistered {
        return true;
    }
    let unregistered = without_query(&sent.redirect_uri);
    let there = target.is_some_and(|t| without_query(t) == unregistered);
    parsed.must(
        CheckId::AuthorizationNotToUnregistered,
        "no answer goes to the redirect_uri the client never registered",
        !there,
        match target {
            Some(t) if there => format!("sent to {t}"),
            Some(t) => format!("sent to {t}, not to {unregistered}"),
            None => format!("answered to the user agent itself (status {status})"),
        },
        "RFC 6749 §3.1.2.4, §4.1.2.1",
    );
    !there
}

/// A URI as the user agent would go there: its query and fragment left
/// out, its spelling normalised (an empty path is `/`).
pub(crate) fn without_query(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}

/// A refused unsigned request object (OIDC Core §6.1): where the provider
/// offers one — request objects by value and `none` among their
/// algorithms (OIDC Discovery §3) — the refusal goes back on its word, a
/// failed MUST; elsewhere `request_not_supported` or
/// `invalid_request_object` is its lawful answer, a passed check the
/// caller reads as such ([`CheckId::judges_refusal_lawful`]).
pub(crate) fn judge_unsigned_refusal(
    session: &Session,
    sent: &AuthorizationState,
    parsed: &mut Parsed,
) {
    if sent.sent_as != SentAs::UnsignedRequestObject {
        return;
    }
    let Some((code, _)) = &parsed.error else {
        return;
    };
    let code = code.as_str().to_owned();
    let (by_value, none) = session.metadata.as_ref().map_or((false, false), |m| {
        (m.request_parameter_supported, m.request_object_none)
    });
    let (ok, detail) = if by_value && none {
        (
            false,
            format!(
                "{code}, though the metadata offers request objects by value with none among their algorithms"
            ),
        )
    } else if NOT_TAKEN.contains(&code.as_str()) {
        let why = if by_value {
            "none is not among request_object_signing_alg_values_supported"
        } else {
            "request_parameter_supported is not true"
        };
        (true, format!("{code}: not offered ({why})"))
    } else {
        (
            false,
            format!(
                "{code}, where {} says it is not taken",
                NOT_TAKEN.join(" or ")
            ),
        )
    };
    parsed.must(
        CheckId::UnsignedRequestObjectRefused,
        "an unsigned request object is refused only where it is not offered",
        ok,
        detail,
        "OIDC Core §6.1, §3.1.2.6; OIDC Discovery §3",
    );
}
