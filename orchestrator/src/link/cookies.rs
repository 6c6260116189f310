//! The cookies of one story's browser: what the server sets (RFC 6265
//! §4.1) at the endpoints a browser visits (the authorization endpoint and
//! its login, the end-session and verification endpoints), sent back to
//! the host that set it (§5.4), and nothing kept beyond the story. Deliberately small: name and value per host, a cookie deleted by
//! an empty value or `Max-Age` of zero or less; a cookie marked `Secure`
//! goes back over https only.
use std::collections::BTreeMap;

use oidc_story_proto::v1::OAuthResponse;

/// At most this many cookies per host, each at most this long.
const MAX_COOKIES: usize = 50;
const MAX_COOKIE_BYTES: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Jar {
    /// Host -> name -> (value, secure only).
    hosts: BTreeMap<String, BTreeMap<String, (String, bool)>>,
}

impl Jar {
    /// Keeps the cookies `response` (from `from`) sets. The carrier joins
    /// several `Set-Cookie` headers with line breaks (a date's comma would
    /// make a comma ambiguous).
    pub(crate) fn keep(&mut self, from: &url::Url, response: &OAuthResponse) {
        let (Some(host), Some(set)) = (from.host_str(), response.headers.get("set-cookie")) else {
            return;
        };
        let jar = self.hosts.entry(host.to_ascii_lowercase()).or_default();
        for line in set.lines() {
            if line.len() > MAX_COOKIE_BYTES {
                continue;
            }
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() {
                continue;
            }
            let mut secure = false;
            let mut expired = value.is_empty();
            for attribute in parts {
                let attribute = attribute.trim();
                let lower = attribute.to_ascii_lowercase();
                if lower == "secure" {
                    secure = true;
                } else if let Some(age) = lower.strip_prefix("max-age=") {
                    expired |= age.trim().parse::<i64>().is_ok_and(|a| a <= 0);
                }
            }
            if expired {
                jar.remove(name);
            } else if jar.len() < MAX_COOKIES || jar.contains_key(name) {
                jar.insert(name.to_owned(), (value.to_owned(), secure));
            }
        }
    }

    /// The `Cookie` header for a request to `to`, if any cookie is for it.
    pub(crate) fn header_for(&self, to: &url::Url) -> Option<String> {
        let jar = self.hosts.get(&to.host_str()?.to_ascii_lowercase())?;
        let https = to.scheme() == "https";
        let pairs: Vec<String> = jar
            .iter()
            .filter(|(_, (_, secure))| https || !secure)
            .map(|(name, (value, _))| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(cookies: &str) -> OAuthResponse {
        OAuthResponse {
            status: 302,
            headers: [("set-cookie".to_owned(), cookies.to_owned())].into(),
            ..Default::default()
        }
    }

    #[test]
    fn cookies_go_back_to_the_host_that_set_them_only() {
        let op = url::Url::parse("http://127.0.0.1:8000/accounts/login/").unwrap();
        let mut jar = Jar::default();
        jar.keep(
            &op,
            &setting(
                "csrftoken=abc; expires=Tue, 07 Dec 2027 18:00:00 GMT; Max-Age=31449600; Path=/\nsessionid=s1; HttpOnly; Path=/",
            ),
        );
        assert_eq!(
            jar.header_for(&url::Url::parse("http://127.0.0.1:8000/o/authorize/").unwrap()),
            Some("csrftoken=abc; sessionid=s1".to_owned())
        );
        assert_eq!(
            jar.header_for(&url::Url::parse("http://elsewhere.example/").unwrap()),
            None
        );
        // Deleted by the server; a secure cookie stays off plain http.
        jar.keep(&op, &setting("sessionid=; Max-Age=0\nsecret=x; Secure"));
        assert_eq!(jar.header_for(&op), Some("csrftoken=abc".to_owned()));
    }
}
