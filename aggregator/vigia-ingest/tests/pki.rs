//! The built-in PKI makes certificates in the shape the ingest reads: a CA that survives a PEM
//! round trip, agent certificates whose identity `AgentCert` finds, and clear refusals.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use vigia_ingest::identity::{AGENT_SAN_SUFFIX, AgentCert, agent_san};
use vigia_ingest::pki::{CertificateAuthority, PkiError, Validity};
use vigia_store::AgentId;

fn der(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).expect("one certificate")
}

#[test]
fn an_agent_certificate_carries_its_id_serial_and_expiry() {
    let ca = CertificateAuthority::generate("test CA", &Validity::days_from_now(1)).expect("CA");
    let id = AgentId::new("pop-sao-01").expect("valid");
    assert_eq!(agent_san(&id), format!("pop-sao-01{AGENT_SAN_SUFFIX}"));
    let not_after = UNIX_EPOCH + Duration::from_secs(4_000_000_000);
    let validity = Validity {
        not_before: SystemTime::now() - Duration::from_secs(60),
        not_after,
    };
    let issued = ca.issue_agent(&id, &validity).expect("issued");
    let agent = AgentCert::from_der(&der(&issued.cert_pem)).expect("identity found");
    assert_eq!(agent.id, id);
    assert_eq!(agent.not_after, not_after);
    assert!(!agent.serial.is_empty());
    // The serial as printed for operators is the one the ingest reads, in the revocation
    // list's spelling.
    let printed = issued.serial().expect("serial");
    assert_eq!(
        vigia_ingest::normalise_serial(&printed),
        vigia_ingest::normalise_serial(&agent.serial)
    );
    assert!(printed.contains(':') || printed.len() == 2, "{printed}");
    let other = ca.issue_agent(&id, &validity).expect("issued");
    let other = AgentCert::from_der(&der(&other.cert_pem)).expect("identity found");
    assert_ne!(
        agent.serial, other.serial,
        "every certificate has its own serial"
    );
    assert!(
        !format!("{issued:?}").contains("PRIVATE KEY"),
        "Debug redacts the key"
    );
}

#[test]
fn a_ca_written_as_pem_signs_the_same_as_the_original() {
    let ca = CertificateAuthority::generate("test CA", &Validity::days_from_now(1)).expect("CA");
    let reloaded = CertificateAuthority::from_pem(ca.cert_pem(), &ca.key_pem()).expect("reload");
    assert_eq!(reloaded.cert_pem(), ca.cert_pem());
    let id = AgentId::new("tower-1").expect("valid");
    let issued = reloaded
        .issue_agent(&id, &Validity::days_from_now(1))
        .expect("issued");
    // Chains to the original CA certificate: webpki accepts it as a client certificate.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der(ca.cert_pem())).expect("root");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        roots.into(),
        rustls::crypto::ring::default_provider().into(),
    )
    .build()
    .expect("verifier");
    verifier
        .verify_client_cert(
            &der(&issued.cert_pem),
            &[],
            rustls::pki_types::UnixTime::now(),
        )
        .expect("signed by the original CA");
}

#[test]
fn a_ca_key_from_another_ca_is_refused() {
    let a = CertificateAuthority::generate("a", &Validity::days_from_now(1)).expect("CA");
    let b = CertificateAuthority::generate("b", &Validity::days_from_now(1)).expect("CA");
    let error = CertificateAuthority::from_pem(a.cert_pem(), &b.key_pem()).expect_err("refused");
    assert!(matches!(error, PkiError::KeyMismatch), "{error}");
}

#[test]
fn bad_names_and_empty_validity_are_refused() {
    let ca = CertificateAuthority::generate("test CA", &Validity::days_from_now(1)).expect("CA");
    let error = ca
        .issue_server(&["not a name\u{7f}".into()], &Validity::days_from_now(1))
        .expect_err("refused");
    assert!(matches!(error, PkiError::BadServerName(_)), "{error}");
    let error = ca
        .issue_server(&[], &Validity::days_from_now(1))
        .expect_err("refused");
    assert!(matches!(error, PkiError::NoServerName), "{error}");
    let now = SystemTime::now();
    let empty = Validity {
        not_before: now,
        not_after: now,
    };
    let id = AgentId::new("tower-1").expect("valid");
    let error = ca.issue_agent(&id, &empty).expect_err("refused");
    assert!(matches!(error, PkiError::EmptyValidity), "{error}");
}
