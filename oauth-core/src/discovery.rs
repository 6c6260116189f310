//! Where metadata lives (RFC 8414 §3.1) and how endpoint URLs hang off an issuer.
use url::Url;

/// RFC 8414 §3.1: the well-known suffix goes between the host and the
/// issuer's path: `https://example.com/as` -> `https://example.com/.well-known/oauth-authorization-server/as`.
pub fn well_known_url(issuer: &str, suffix: &str) -> Result<Url, url::ParseError> {
    let mut url = Url::parse(issuer)?;
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("/.well-known/{suffix}{path}"));
    url.set_query(None);
    Ok(url)
}

/// An endpoint under the issuer: `https://example.com/` + `token`.
pub fn endpoint_url(issuer: &str, path: &str) -> Result<Url, url::ParseError> {
    let mut base = Url::parse(issuer)?;
    if !base.path().ends_with('/') {
        let with_slash = format!("{}/", base.path());
        base.set_path(&with_slash);
    }
    base.join(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8414_section_3_1_inserts_well_known_before_the_path() {
        assert_eq!(
            well_known_url("https://example.com/", "oauth-authorization-server")
                .unwrap()
                .as_str(),
            "https://example.com/.well-known/oauth-authorization-server"
        );
        // The example of RFC 8414 §3.1.
        assert_eq!(
            well_known_url("https://example.com/issuer1", "oauth-authorization-server")
                .unwrap()
                .as_str(),
            "https://example.com/.well-known/oauth-authorization-server/issuer1"
        );
    }

    #[test]
    fn endpoints_hang_off_the_issuer_path() {
        assert_eq!(
            endpoint_url("https://example.com/", "token")
                .unwrap()
                .as_str(),
            "https://example.com/token"
        );
        assert_eq!(
            endpoint_url("https://example.com/as", "token")
                .unwrap()
                .as_str(),
            "https://example.com/as/token"
        );
    }
}
