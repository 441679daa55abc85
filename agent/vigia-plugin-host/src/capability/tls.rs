//! TLS client configs shared by the `http` and `tcp` capabilities (rustls with the ring provider).
//!
//! Verification uses the Mozilla roots from `webpki-roots` (built in, so it works on minimal hosts
//! and offline) plus any roots the agent config adds for private CAs. A probe granted
//! `tls_skip_verify` gets a config that accepts any certificate chain (self-signed device
//! certificates) but still checks that the peer holds the certificate's key.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::HostError;

/// The two client configs: verifying (default) and accepting any certificate.
pub(crate) struct TlsConfigs {
    pub(crate) verify: Arc<ClientConfig>,
    pub(crate) skip_verify: Arc<ClientConfig>,
}

impl TlsConfigs {
    pub(crate) fn new(extra_roots: &[CertificateDer<'static>]) -> Result<Self, HostError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in extra_roots {
            roots.add(cert.clone()).map_err(|e| HostError::Tls {
                reason: format!("extra root certificate is invalid: {e}"),
            })?;
        }
        let verify = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| HostError::Tls {
                reason: e.to_string(),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let skip_verify = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| HostError::Tls {
                reason: e.to_string(),
            })?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate { provider }))
            .with_no_client_auth();
        Ok(Self {
            verify: Arc::new(verify),
            skip_verify: Arc::new(skip_verify),
        })
    }

    pub(crate) fn get(&self, skip_verify: bool) -> Arc<ClientConfig> {
        if skip_verify {
            self.skip_verify.clone()
        } else {
            self.verify.clone()
        }
    }
}

/// Accepts any certificate chain and name; handshake signatures are still verified.
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
