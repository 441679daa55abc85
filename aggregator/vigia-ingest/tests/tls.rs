//! Agents the ingest must refuse, over real TLS: a certificate from another CA, an expired one,
//! a revoked one, and an id outside the allowed set. The refusal happens in the TLS handshake (the server sends
//! an alert), the agent's call fails, and nothing is stored.

#[path = "support/lab.rs"]
mod lab;

use std::time::{Duration, SystemTime};

use lab::{AgentStream, Lab, agent};
use vigia_ingest::pki::{CertificateAuthority, Validity};
use vigia_ingest::testing::ClientIdentity;
use vigia_ingest::{IngestOptions, StaticRegistry};
use vigia_store::IngestStore;

/// Tries a whole session as `identity`; returns the error text the agent would log.
async fn refused(lab: &Lab, identity: &ClientIdentity, id: &str) -> String {
    match AgentStream::open(lab, identity, id, 1).await {
        Ok((stream, _)) => {
            // Not refused at the call: show that batches would be accepted, then fail.
            stream.send_batch(1, 1).await;
            panic!("agent `{id}` was admitted");
        }
        Err(status) => format!("{status:?}"),
    }
}

async fn assert_nothing_stored(lab: &Lab, id: &str) {
    assert_eq!(lab.store.batch_count(&agent(id)).await.expect("count"), 0);
    assert!(
        lab.agents.get(&agent(id)).is_none(),
        "{id} reached a stream"
    );
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let rogue =
        CertificateAuthority::generate("rogue CA", &Validity::days_from_now(1)).expect("CA");
    let identity = lab.identity_from(&rogue, "tower-1", Validity::days_from_now(1));
    let error = refused(&lab, &identity, "tower-1").await;
    assert!(error.contains("received fatal alert: UnknownCA"), "{error}");
    lab.metrics_reach(|m| m.handshakes_refused == 1).await;
    assert_nothing_stored(&lab, "tower-1").await;
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let now = SystemTime::now();
    let expired = Validity {
        not_before: now - Duration::from_secs(10 * 86_400),
        not_after: now - Duration::from_secs(86_400),
    };
    let identity = lab.identity_from(&lab.ca, "tower-1", expired);
    let error = refused(&lab, &identity, "tower-1").await;
    assert!(
        error.contains("received fatal alert: CertificateExpired"),
        "{error}"
    );
    lab.metrics_reach(|m| m.handshakes_refused == 1).await;
    assert_nothing_stored(&lab, "tower-1").await;
}

#[tokio::test]
async fn an_agent_outside_the_allowed_set_is_refused() {
    let lab = Lab::start(StaticRegistry::allow([agent("tower-1")])).await;
    let error = refused(&lab, &lab.identity("tower-2"), "tower-2").await;
    assert!(
        error.contains("received fatal alert: AccessDenied"),
        "{error}"
    );
    lab.metrics_reach(|m| m.handshakes_refused == 1).await;
    assert_nothing_stored(&lab, "tower-2").await;

    // Same CA, same server, an allowed id: admitted (the refusal was about the id).
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("allowed agent admitted");
    stream.send_batch(1, 1).await;
    stream.acks_until(1).await;
    assert_eq!(lab.metrics.snapshot().handshakes_refused, 1);
}

#[tokio::test]
async fn a_certificate_without_an_agent_identity_is_refused() {
    let lab = Lab::start(StaticRegistry::any()).await;
    // Signed by the right CA, for client authentication, valid now: but its only name is not an
    // `<id>.agents.vigia` identity.
    let issuer = rcgen::Issuer::from_ca_cert_pem(
        lab.ca.cert_pem(),
        rcgen::KeyPair::from_pem(&lab.ca.key_pem()).expect("CA key"),
    )
    .expect("issuer");
    let mut params =
        rcgen::CertificateParams::new(vec!["tower-1.example".to_owned()]).expect("params");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &issuer).expect("sign");
    let identity = ClientIdentity {
        server_ca_pem: lab.ca.cert_pem().to_owned(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    };
    let error = refused(&lab, &identity, "tower-1").await;
    assert!(
        error.contains("received fatal alert: CertificateUnknown"),
        "{error}"
    );
    lab.metrics_reach(|m| m.handshakes_refused == 1).await;
    assert!(lab.agents.list().is_empty());
}

#[tokio::test]
async fn a_server_certificate_cannot_be_used_as_an_agent() {
    let lab = Lab::start(StaticRegistry::any()).await;
    // The aggregator's own kind of certificate: right CA, but for server authentication only.
    let server = lab
        .ca
        .issue_server(&["localhost".into()], &Validity::days_from_now(1))
        .expect("cert");
    let identity = ClientIdentity {
        server_ca_pem: lab.ca.cert_pem().to_owned(),
        cert_pem: server.cert_pem,
        key_pem: server.key_pem,
    };
    let error = refused(&lab, &identity, "localhost").await;
    assert!(
        error.contains("received fatal alert: UnsupportedCertificate"),
        "{error}"
    );
    lab.metrics_reach(|m| m.handshakes_refused == 1).await;
    assert!(lab.agents.list().is_empty());
}

#[tokio::test]
async fn a_revoked_certificate_is_refused_and_its_renewal_admitted() {
    let ca =
        CertificateAuthority::generate("test agent CA", &Validity::days_from_now(2)).expect("CA");
    let old = ca
        .issue_agent(&agent("tower-1"), &Validity::days_from_now(1))
        .expect("agent cert");
    let old = ClientIdentity {
        server_ca_pem: ca.cert_pem().to_owned(),
        cert_pem: old.cert_pem,
        key_pem: old.key_pem,
    };
    // Revoke exactly the serial of that certificate, spelt as an operator would copy it.
    let (_, pem) = x509_parser::pem::parse_x509_pem(old.cert_pem.as_bytes()).expect("pem");
    let serial = pem
        .parse_x509()
        .expect("x509")
        .raw_serial()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let registry = StaticRegistry::any().revoke_serials([serial.as_str()]);
    let lab = Lab::start_with_ca(registry, IngestOptions::default(), ca).await;
    let error = refused(&lab, &old, "tower-1").await;
    assert!(
        error.contains("received fatal alert: AccessDenied"),
        "{error}"
    );
    lab.metrics_reach(|m| m.handshakes_refused == 1).await;
    assert_nothing_stored(&lab, "tower-1").await;

    // A new certificate for the same agent (another serial) is admitted.
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("renewed certificate admitted");
    stream.send_batch(1, 1).await;
    stream.acks_until(1).await;
}
