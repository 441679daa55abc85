//! The agent's TLS identity: the CA it trusts for the aggregator, and its own certificate and key
//! (the agent's identity). Checked completely when loaded, so a bad file is a startup error with
//! its path, not a failure at every reconnect.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::error::ConfigError;

/// PEM text of the trust anchors, the client certificate chain and its private key, validated.
#[derive(Clone)]
pub struct TlsIdentity {
    client_config: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// Reads and checks three PEM files: the CA certificate(s) that sign the aggregator's
    /// certificate, the agent's certificate (chain, leaf first) and the agent's private key.
    pub fn from_files(ca: &Path, cert: &Path, key: &Path) -> Result<Self, ConfigError> {
        let read = |what, path: &Path| {
            std::fs::read(path).map_err(|source| ConfigError::ReadFile {
                what,
                path: path.to_path_buf(),
                source,
            })
        };
        Self::from_pem(
            &read("CA certificate", ca)?,
            &read("client certificate", cert)?,
            &read("client key", key)?,
        )
    }

    /// Checks PEM text: at least one usable CA certificate, at least one client certificate,
    /// exactly one private key (PKCS#8, PKCS#1 or SEC1), and the key matching the certificate.
    pub fn from_pem(ca_pem: &[u8], cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, ConfigError> {
        let ca = certificates("CA certificate", ca_pem)?;
        let chain = certificates("client certificate", cert_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|source| match source {
            rustls::pki_types::pem::Error::NoItemsFound => ConfigError::Empty {
                what: "client key",
                expected: "private key",
            },
            source => ConfigError::Pem {
                what: "client key",
                source,
            },
        })?;

        let mut roots = RootCertStore::empty();
        for (index, cert) in ca.into_iter().enumerate() {
            roots
                .add(cert)
                .map_err(|source| ConfigError::BadCaCertificate { index, source })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|source| ConfigError::ClientIdentity { source })?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|source| match source {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                    ConfigError::KeyMismatch
                }
                source => ConfigError::ClientIdentity { source },
            })?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            client_config: Arc::new(config),
        })
    }

    /// The rustls client configuration (ring provider, ALPN h2, client certificate).
    pub(crate) fn client_config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.client_config)
    }
}

fn certificates(
    what: &'static str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ConfigError::Pem { what, source })?;
    if certs.is_empty() {
        return Err(ConfigError::Empty {
            what,
            expected: "certificate",
        });
    }
    Ok(certs)
}
