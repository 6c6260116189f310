//! Whether a client following the metadata reaches this HTTP listener.
//!
//! Every URL the metadata publishes is built from the issuer, never from
//! the address the front listens on. A client that follows the metadata
//! therefore connects to the issuer's scheme, host and port; if that is not
//! what `--http-listen` serves, it reaches something else (nothing, or a
//! proxy), unless a proxy in front forwards the issuer's URLs here — which
//! only the operator can say (`--http-behind-proxy`).
use std::net::{IpAddr, SocketAddr};

/// What the HTTP listener serves.
#[derive(Debug, Clone, Copy)]
pub struct Listener {
    /// The address it is bound to (its port resolved).
    pub address: SocketAddr,
    /// Whether it speaks TLS itself.
    pub tls: bool,
    /// Whether the operator said a proxy sits between the issuer's URLs
    /// and this listener (TLS ending there, another port, another host).
    pub behind_proxy: bool,
}

/// Why clients following the metadata will not reach `listener`, as one
/// line for the log; `None` when they can (or a proxy is said to forward).
pub fn mismatch(issuer: &url::Url, listener: Listener) -> Option<String> {
    if listener.behind_proxy {
        return None;
    }
    let origin = issuer.origin().ascii_serialization();
    let served = if listener.tls { "https" } else { "plain http" };
    let why = match (issuer.scheme(), listener.tls) {
        ("https", false) => Some("the issuer is https and this listener is not TLS".to_owned()),
        ("http", true) => Some("the issuer is plain http and this listener speaks TLS".to_owned()),
        _ => None,
    }
    .or_else(|| {
        let port = issuer.port_or_known_default()?;
        (port != listener.address.port()).then(|| {
            format!(
                "the issuer names port {port} and this listener is on port {}",
                listener.address.port()
            )
        })
    })
    .or_else(|| host_mismatch(issuer, listener.address.ip()))?;
    Some(format!(
        "the HTTP front on {} ({served}) cannot be the issuer's: clients following the metadata will connect to {origin}, not here ({why}); if a proxy forwards {origin} to this listener, say so with --http-behind-proxy (AS_HTTP_BEHIND_PROXY=true)",
        listener.address
    ))
}

/// An issuer host that cannot be this listener's: an IP address other than
/// the one it is bound to, or `localhost` while it listens off loopback. A
/// listener on every address (0.0.0.0, ::) may be any; a DNS name cannot be
/// told from here.
fn host_mismatch(issuer: &url::Url, bound: IpAddr) -> Option<String> {
    if bound.is_unspecified() {
        return None;
    }
    let named = match issuer.host()? {
        url::Host::Ipv4(ip) => IpAddr::V4(ip),
        url::Host::Ipv6(ip) => IpAddr::V6(ip),
        url::Host::Domain(name) if name.eq_ignore_ascii_case("localhost") => {
            return (!bound.is_loopback()).then(|| {
                format!("the issuer names localhost and this listener is bound to {bound}")
            });
        }
        url::Host::Domain(_) => return None,
    };
    (named != bound)
        .then(|| format!("the issuer names {named} and this listener is bound to {bound}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(address: &str, tls: bool) -> Listener {
        Listener {
            address: address.parse().unwrap(),
            tls,
            behind_proxy: false,
        }
    }

    fn issuer(url: &str) -> url::Url {
        url::Url::parse(url).unwrap()
    }

    #[test]
    fn a_plain_listener_on_the_issuers_loopback_port_is_the_issuer() {
        let to = issuer("http://127.0.0.1:8080");
        assert_eq!(mismatch(&to, listener("127.0.0.1:8080", false)), None);
    }

    #[test]
    fn a_listener_on_every_address_at_the_issuers_port_is_the_issuer() {
        // As in compose: 0.0.0.0:8080 in the container, published on the
        // host's 127.0.0.1:8080.
        let to = issuer("http://127.0.0.1:8080/");
        assert_eq!(mismatch(&to, listener("0.0.0.0:8080", false)), None);
        assert_eq!(mismatch(&to, listener("[::]:8080", false)), None);
    }

    #[test]
    fn an_https_issuer_over_a_plain_listener_is_not_reached() {
        let to = issuer("https://example.com/");
        let line = mismatch(&to, listener("0.0.0.0:8080", false)).unwrap();
        assert!(
            line.contains("clients following the metadata will connect to https://example.com"),
            "{line}"
        );
        assert!(line.contains("the issuer is https and this listener is not TLS"));
        assert!(line.contains("--http-behind-proxy"), "{line}");
        assert!(!line.contains('\n'), "one line");
    }

    #[test]
    fn an_https_issuer_over_tls_on_its_default_port_is_the_issuer() {
        let to = issuer("https://op.example.org/");
        assert_eq!(mismatch(&to, listener("0.0.0.0:443", true)), None);
    }

    #[test]
    fn a_plain_issuer_over_a_tls_listener_is_not_reached() {
        let to = issuer("http://localhost:8443");
        let line = mismatch(&to, listener("127.0.0.1:8443", true)).unwrap();
        assert!(
            line.contains("plain http and this listener speaks TLS"),
            "{line}"
        );
    }

    #[test]
    fn another_port_is_not_reached() {
        let to = issuer("http://127.0.0.1:8080");
        let line = mismatch(&to, listener("127.0.0.1:9090", false)).unwrap();
        assert!(
            line.contains("the issuer names port 8080 and this listener is on port 9090"),
            "{line}"
        );
        assert!(
            line.contains("will connect to http://127.0.0.1:8080"),
            "{line}"
        );
    }

    #[test]
    fn an_issuer_without_a_port_names_its_schemes_default() {
        let to = issuer("https://example.com/");
        let line = mismatch(&to, listener("0.0.0.0:8443", true)).unwrap();
        assert!(line.contains("names port 443"), "{line}");
    }

    #[test]
    fn another_address_is_not_reached() {
        let to = issuer("http://127.0.0.1:8080");
        let line = mismatch(&to, listener("127.0.0.2:8080", false)).unwrap();
        assert!(line.contains("names 127.0.0.1"), "{line}");
        let to = issuer("http://localhost:8080");
        let line = mismatch(&to, listener("192.0.2.7:8080", false)).unwrap();
        assert!(line.contains("names localhost"), "{line}");
        assert_eq!(mismatch(&to, listener("[::1]:8080", false)), None);
    }

    #[test]
    fn a_domain_name_is_not_judged() {
        let to = issuer("https://op.example.org:8443/");
        assert_eq!(mismatch(&to, listener("192.0.2.7:8443", true)), None);
    }

    #[test]
    fn a_proxy_said_to_be_in_front_silences_every_mismatch() {
        let to = issuer("https://example.com/");
        let behind = Listener {
            behind_proxy: true,
            ..listener("127.0.0.1:8080", false)
        };
        assert_eq!(mismatch(&to, behind), None);
    }
}
