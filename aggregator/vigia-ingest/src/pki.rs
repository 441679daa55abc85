//! Minting the certificates the ingest expects: a CA, agent certificates carrying the identity
//! SAN of [`crate::identity`], and server certificates. Keys are ECDSA P-256.
//!
//! This is the small built-in PKI behind `vigia-aggregator pki`; enrollment and revocation come
//! later. It holds keys in memory only: writing them (with 0600) is the caller's job.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, ServerName};
use vigia_store::AgentId;

use crate::identity::agent_san;

/// Why a certificate could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// rcgen failed to generate, sign or parse.
    #[error("{what} failed")]
    Rcgen {
        what: &'static str,
        #[source]
        source: rcgen::Error,
    },
    /// The CA key is not the key of the CA certificate.
    #[error("the CA key does not belong to the CA certificate")]
    KeyMismatch,
    /// A server name that is neither an IP address nor a DNS name.
    #[error("server name `{0}` is not a DNS name or IP address")]
    BadServerName(String),
    /// No server name given.
    #[error("a server certificate needs at least one name")]
    NoServerName,
    /// `not_after` is not after `not_before`.
    #[error("validity period is empty")]
    EmptyValidity,
}

fn rcgen_error(what: &'static str) -> impl FnOnce(rcgen::Error) -> PkiError {
    move |source| PkiError::Rcgen { what, source }
}

/// When a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// Not valid before.
    pub not_before: SystemTime,
    /// Not valid after.
    pub not_after: SystemTime,
}

impl Validity {
    /// From an hour ago (tolerates clock skew between hosts) until `days` from now.
    pub fn days_from_now(days: u32) -> Self {
        let now = SystemTime::now();
        Self {
            not_before: now - Duration::from_secs(3600),
            not_after: now + Duration::from_secs(u64::from(days) * 86_400),
        }
    }

    fn apply(&self, params: &mut CertificateParams) -> Result<(), PkiError> {
        if self.not_after <= self.not_before {
            return Err(PkiError::EmptyValidity);
        }
        params.not_before = self.not_before.into();
        params.not_after = self.not_after.into();
        Ok(())
    }
}

/// A certificate and its private key, PEM.
#[derive(Clone)]
pub struct IssuedCert {
    /// The certificate.
    pub cert_pem: String,
    /// The private key (PKCS#8). Secret: write it with mode 0600.
    pub key_pem: String,
}

impl IssuedCert {
    /// The certificate's serial number as operators copy it (`3F:0A:...`, upper-case hex), the
    /// form `[agents] revoked_serials` takes; `None` if the PEM does not parse.
    pub fn serial(&self) -> Option<String> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(self.cert_pem.as_bytes()).ok()?;
        let cert = pem.parse_x509().ok()?;
        let hex: Vec<String> = cert
            .raw_serial()
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect();
        Some(hex.join(":"))
    }
}

impl std::fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCert")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// A certificate authority that signs agent and server certificates.
pub struct CertificateAuthority {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// A new self-signed CA named `common_name`, allowed to sign end-entity certificates only.
    pub fn generate(common_name: &str, validity: &Validity) -> Result<Self, PkiError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity.apply(&mut params)?;
        let key = KeyPair::generate().map_err(rcgen_error("generating the CA key"))?;
        let cert = params
            .self_signed(&key)
            .map_err(rcgen_error("self-signing the CA"))?;
        Ok(Self {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads a CA written by [`cert_pem`](Self::cert_pem) and [`key_pem`](Self::key_pem).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem).map_err(rcgen_error("reading the CA key"))?;
        let der = rustls::pki_types::pem::PemObject::from_pem_slice(cert_pem.as_bytes()).map_err(
            |_| PkiError::Rcgen {
                what: "reading the CA certificate",
                source: rcgen::Error::CouldNotParseCertificate,
            },
        )?;
        let cert_key = spki_key(&der)?;
        if cert_key != key.public_key_raw() {
            return Err(PkiError::KeyMismatch);
        }
        let issuer = Issuer::from_ca_cert_der(&der, key)
            .map_err(rcgen_error("reading the CA certificate"))?;
        Ok(Self {
            cert_pem: cert_pem.to_owned(),
            issuer,
        })
    }

    /// The CA certificate, PEM: what the aggregator trusts for agents, and agents trust for the
    /// aggregator.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA private key, PEM. Secret.
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// An agent certificate: SAN `<id>.agents.vigia`, CN `<id>`, client authentication only.
    pub fn issue_agent(&self, id: &AgentId, validity: &Validity) -> Result<IssuedCert, PkiError> {
        let san = agent_san(id)
            .try_into()
            .map_err(rcgen_error("encoding the agent name"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(id.as_str());
        params.subject_alt_names = vec![SanType::DnsName(san)];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params, validity, "signing the agent certificate")
    }

    /// A server certificate for the aggregator: each name becomes an IP or DNS SAN; server
    /// authentication only.
    pub fn issue_server(
        &self,
        names: &[String],
        validity: &Validity,
    ) -> Result<IssuedCert, PkiError> {
        let first = names.first().ok_or(PkiError::NoServerName)?;
        let sans = names
            .iter()
            .map(|n| server_san(n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(first);
        params.subject_alt_names = sans;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(params, validity, "signing the server certificate")
    }

    fn sign(
        &self,
        mut params: CertificateParams,
        validity: &Validity,
        what: &'static str,
    ) -> Result<IssuedCert, PkiError> {
        validity.apply(&mut params)?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().map_err(rcgen_error("generating a key"))?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(rcgen_error(what))?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// A name agents can dial, checked the way rustls will check it on the agent side.
fn server_san(name: &str) -> Result<SanType, PkiError> {
    let bad = || PkiError::BadServerName(name.to_owned());
    match ServerName::try_from(name).map_err(|_| bad())? {
        ServerName::IpAddress(ip) => Ok(SanType::IpAddress(IpAddr::from(ip))),
        ServerName::DnsName(dns) => dns
            .as_ref()
            .to_owned()
            .try_into()
            .map(SanType::DnsName)
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

/// The raw public key of a certificate (the SPKI bit string).
fn spki_key(der: &CertificateDer<'_>) -> Result<Vec<u8>, PkiError> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der.as_ref()).map_err(|_| PkiError::Rcgen {
            what: "reading the CA certificate",
            source: rcgen::Error::CouldNotParseCertificate,
        })?;
    Ok(cert.public_key().subject_public_key.data.to_vec())
}
