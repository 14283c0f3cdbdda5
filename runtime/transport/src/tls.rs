//! TLS configuration helpers (rustls with aws-lc-rs; TLS 1.2 and 1.3 only).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Lowest TLS version accepted. Older versions are not offered at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersion {
    #[default]
    Tls12,
    Tls13,
}

/// A certificate or key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read TLS certificate `{path}`: {reason}")]
    Certificate { path: PathBuf, reason: String },
    #[error("cannot read TLS private key `{path}`: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("TLS configuration with `{cert}` and `{key}`: {source}")]
    Config {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: rustls::Error,
    },
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    // An explicit provider: the process default panics when more than one
    // backend is compiled in.
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn versions(min: TlsVersion) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static TLS12_UP: [&rustls::SupportedProtocolVersion; 2] =
        [&rustls::version::TLS13, &rustls::version::TLS12];
    static TLS13_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match min {
        TlsVersion::Tls12 => &TLS12_UP,
        TlsVersion::Tls13 => &TLS13_ONLY,
    }
}

/// Builds a server configuration from a PEM certificate chain and a PEM
/// private key (PKCS#8, PKCS#1 or SEC1).
pub fn server_config_from_pem(
    cert_path: &Path,
    key_path: &Path,
    min_version: TlsVersion,
) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_err = |reason: String| TlsError::Certificate {
        path: cert_path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| cert_err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(cert_err("no CERTIFICATE block found".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| TlsError::Key {
        path: key_path.to_owned(),
        reason: e.to_string(),
    })?;
    let config_err = |source| TlsError::Config {
        cert: cert_path.to_owned(),
        key: key_path.to_owned(),
        source,
    };
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(min_version))
        .map_err(config_err)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(config_err)?;
    Ok(Arc::new(config))
}

/// A client configuration trusting exactly `roots` (no system roots), for
/// outbound TLS to SIP peers and for tests.
pub fn client_config_with_roots(
    roots: rustls::RootCertStore,
    min_version: TlsVersion,
) -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(min_version))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_named() {
        let err = server_config_from_pem(
            Path::new("no/such/cert.pem"),
            Path::new("no/such/key.pem"),
            TlsVersion::Tls12,
        )
        .unwrap_err();
        assert!(err.to_string().contains("no/such/cert.pem"), "{err}");
    }

    #[test]
    fn loads_rcgen_pem_and_names_a_bad_key() {
        let dir = std::env::temp_dir().join(format!("sbcctl-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let bad = dir.join("bad.pem");
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
        std::fs::write(&bad, "not pem").unwrap();
        assert!(server_config_from_pem(&cert, &key, TlsVersion::Tls12).is_ok());
        let err = server_config_from_pem(&cert, &bad, TlsVersion::Tls13).unwrap_err();
        assert!(err.to_string().contains("bad.pem"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
