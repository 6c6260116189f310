//! A walked login (`--login`) in a step's page: each request the walk made
//! and its answer, one line each, escaped for HTML.
use std::fmt::Write;

use crate::render::safe::html;
use crate::runner::LoginHop;

/// The login's lines, after the request they began with.
pub(super) fn section(out: &mut String, hops: &[LoginHop]) {
    if hops.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Login</h3><p class=\"note\">The server's login, walked as a browser would (<code>--login</code>):</p><ol class=\"login\">",
    );
    for hop in hops {
        let _ = write!(
            out,
            "<li><code>{}</code></li>",
            html(&super::super::login_line(hop))
        );
    }
    out.push_str("</ol>");
}
