//! TLS for the HTTP front: rustls on aws-lc-rs (the AS's crypto already),
//! a certificate chain and key read from PEM files at start. Handshakes run
//! in each connection's own task with a deadline (`server`), so a client
//! that connects and says nothing holds up no one else.
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The server's TLS settings from a PEM certificate chain (leaf first) and
/// a PEM private key (PKCS #8, SEC 1 or PKCS #1): TLS 1.2 and 1.3,
/// HTTP/2 and HTTP/1.1 offered by ALPN, HTTP/2 preferred (RFC 9113 §3.2;
/// a client that offers neither is served HTTP/1.1).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in the file", cert.display()));
    }
    let private_key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| format!("the certificate and key do not serve: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_certificate_file_is_refused_with_its_name() {
        let dir = std::env::temp_dir().join(format!("as-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let missing = dir.join("missing.pem");
        let e = server_config(&missing, &empty).unwrap_err();
        assert!(e.contains("missing.pem"), "{e}");
        let e = server_config(&empty, &empty).unwrap_err();
        assert!(e.contains("no certificate"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
