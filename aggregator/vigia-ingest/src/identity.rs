//! How an agent's identity is carried in its client certificate, and reading it back.
//!
//! The identity is a subject alternative name of type DNS, `<agent-id>.agents.vigia`, where
//! `<agent-id>` is a valid [`AgentId`] (a DNS label). Exactly one such name must be present. The
//! subject CN is set to the bare id by [`crate::pki`] for humans reading the certificate, but it
//! is never trusted: SANs are the modern place for identities, and the `.vigia` suffix keeps them
//! apart from any real host name in the same certificate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::CertificateDer;
use vigia_store::AgentId;
use x509_parser::extensions::GeneralName;

/// The DNS suffix that marks an agent identity SAN.
pub const AGENT_SAN_SUFFIX: &str = ".agents.vigia";

/// The SAN DNS name that carries `id`.
pub fn agent_san(id: &AgentId) -> String {
    format!("{id}{AGENT_SAN_SUFFIX}")
}

/// What the ingest knows about an authenticated agent from its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCert {
    /// The agent's identity.
    pub id: AgentId,
    /// The certificate's serial number, hex (for revocation lists and logs).
    pub serial: String,
    /// When the certificate expires.
    pub not_after: SystemTime,
}

/// Why a certificate carries no usable agent identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The bytes are not an X.509 certificate.
    #[error("client certificate does not parse: {0}")]
    Parse(String),
    /// No SAN `<id>.agents.vigia`.
    #[error(
        "client certificate has no agent identity (a DNS subject alternative name `<id>{AGENT_SAN_SUFFIX}`)"
    )]
    Missing,
    /// More than one agent identity SAN.
    #[error("client certificate names {0} agent identities; exactly one is allowed")]
    Ambiguous(usize),
    /// The name before the suffix is not a valid agent id.
    #[error("client certificate agent identity is invalid: {0}")]
    Invalid(vigia_store::InvalidAgentId),
}

impl AgentCert {
    /// Reads the agent identity from a DER certificate. Does not verify anything else: the TLS
    /// verifier has already checked the chain and the validity period.
    pub fn from_der(cert: &CertificateDer<'_>) -> Result<Self, IdentityError> {
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
            .map_err(|error| IdentityError::Parse(error.to_string()))?;
        let sans = parsed
            .subject_alternative_name()
            .map_err(|error| IdentityError::Parse(error.to_string()))?;
        let names: Vec<&str> = sans
            .iter()
            .flat_map(|ext| ext.value.general_names.iter())
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => dns.strip_suffix(AGENT_SAN_SUFFIX),
                _ => None,
            })
            .collect();
        let id = match names.as_slice() {
            [] => return Err(IdentityError::Missing),
            [one] => AgentId::new(*one).map_err(IdentityError::Invalid)?,
            many => return Err(IdentityError::Ambiguous(many.len())),
        };
        let not_after = u64::try_from(parsed.validity().not_after.timestamp())
            .map_or(UNIX_EPOCH, |secs| UNIX_EPOCH + Duration::from_secs(secs));
        let serial = parsed
            .raw_serial()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(Self {
            id,
            serial,
            not_after,
        })
    }
}
