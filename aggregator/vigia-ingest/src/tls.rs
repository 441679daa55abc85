//! The server's TLS material and the rustls configuration built from it (ring provider, client
//! certificates required and checked by [`crate::verifier::AgentVerifier`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig, WebPkiClientVerifier};

use crate::registry::{AgentRegistry, StaticRegistry};
use crate::verifier::AgentVerifier;

/// Why the TLS material cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {what} from {path}")]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The PEM text is malformed.
    #[error("{what} is not valid PEM")]
    Pem {
        what: &'static str,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// The PEM text holds no certificate.
    #[error("{what} holds no certificate")]
    NoCertificate { what: &'static str },
    /// An agent CA certificate is not usable as a trust anchor.
    #[error("agent CA certificate is not a usable trust anchor")]
    BadCa(#[source] rustls::Error),
    /// The client verifier could not be built (e.g. no CA).
    #[error("cannot build the client certificate verifier")]
    Verifier(#[source] rustls::server::VerifierBuilderError),
    /// rustls refused the server certificate and key (e.g. they do not match).
    #[error("server certificate and key are not usable together")]
    ServerCert(#[source] rustls::Error),
}

/// The server's certificate chain and key, and the CA that signs agent certificates.
#[derive(Debug)]
pub struct ServerTls {
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    agent_ca: Vec<CertificateDer<'static>>,
}

impl Clone for ServerTls {
    fn clone(&self) -> Self {
        Self {
            cert_chain: self.cert_chain.clone(),
            key: self.key.clone_key(),
            agent_ca: self.agent_ca.clone(),
        }
    }
}

impl ServerTls {
    /// Reads PEM files: the server certificate chain, its private key, and the agent CA
    /// certificate(s).
    pub fn from_pem_files(cert: &Path, key: &Path, agent_ca: &Path) -> Result<Self, TlsError> {
        let read = |what, path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                what,
                path: path.to_path_buf(),
                source,
            })
        };
        Self::from_pem(
            &read("server certificate", cert)?,
            &read("server key", key)?,
            &read("agent CA", agent_ca)?,
        )
    }

    /// Parses PEM text (see [`from_pem_files`](Self::from_pem_files)).
    pub fn from_pem(cert: &[u8], key: &[u8], agent_ca: &[u8]) -> Result<Self, TlsError> {
        let tls = Self {
            cert_chain: certificates("server certificate", cert)?,
            key: PrivateKeyDer::from_pem_slice(key).map_err(|source| TlsError::Pem {
                what: "server key",
                source,
            })?,
            agent_ca: certificates("agent CA", agent_ca)?,
        };
        // Fail now, not at the first connection, on a key that does not match or a bad CA.
        tls.server_config(Arc::new(StaticRegistry::any()))?;
        Ok(tls)
    }

    /// The rustls configuration: TLS 1.2 and 1.3 with the ring provider, ALPN `h2`, and a
    /// client certificate required, chained to the agent CA, valid now, carrying an agent
    /// identity that `registry` admits.
    pub(crate) fn server_config(
        &self,
        registry: Arc<dyn AgentRegistry>,
    ) -> Result<Arc<ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for ca in &self.agent_ca {
            roots.add(ca.clone()).map_err(TlsError::BadCa)?;
        }
        let webpki = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(TlsError::Verifier)?;
        let verifier = Arc::new(AgentVerifier::new(webpki, registry));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::ServerCert)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.cert_chain.clone(), self.key.clone_key())
            .map_err(TlsError::ServerCert)?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(config))
    }
}

fn certificates(what: &'static str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Pem { what, source })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate { what });
    }
    Ok(certs)
}
