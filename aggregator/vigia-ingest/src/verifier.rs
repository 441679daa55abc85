//! The client certificate verifier: webpki's checks (chain to the agent CA, validity period,
//! client-auth usage), then the agent identity and the registry, all during the handshake, so a
//! refused agent never reaches gRPC.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, OtherError, SignatureScheme,
};

use crate::identity::AgentCert;
use crate::registry::AgentRegistry;

/// Wraps webpki's verifier with the agent identity and registry checks.
#[derive(Debug)]
pub(crate) struct AgentVerifier {
    webpki: Arc<dyn ClientCertVerifier>,
    registry: Arc<dyn AgentRegistry>,
}

impl AgentVerifier {
    pub(crate) fn new(
        webpki: Arc<dyn ClientCertVerifier>,
        registry: Arc<dyn AgentRegistry>,
    ) -> Self {
        Self { webpki, registry }
    }
}

impl ClientCertVerifier for AgentVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.webpki.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.webpki
            .verify_client_cert(end_entity, intermediates, now)?;
        let agent = AgentCert::from_der(end_entity).map_err(|error| {
            tracing::warn!(%error, "client certificate refused");
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(error))))
        })?;
        self.registry.admit(&agent).map_err(|refusal| {
            tracing::warn!(agent_id = %agent.id, serial = %agent.serial, %refusal, "agent refused");
            // Sent to the agent as an `access_denied` alert.
            rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
        })?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}
