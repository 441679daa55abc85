//! Configuration errors are found at startup, each with a clear message: unreadable PEM files
//! (named by path), a key that does not match its certificate, files holding the wrong thing,
//! and invalid endpoints or knobs.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::*;
use vigia_uplink::{ConfigError, TlsIdentity, Uplink, UplinkConfig};

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, text: &str) -> std::path::PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

#[test]
fn valid_pem_files_load() {
    let ca = Ca::new("vigia test ca");
    let agent = ca.agent("agent-1");
    let files = Files::new();
    let identity = TlsIdentity::from_files(
        &files.write("ca.pem", &ca.pem()),
        &files.write("agent.pem", &agent.cert),
        &files.write("agent.key", &agent.key),
    );
    assert!(identity.is_ok(), "{identity:?}");
}

#[test]
fn a_missing_file_is_named_with_its_path() {
    let ca = Ca::new("vigia test ca");
    let agent = ca.agent("agent-1");
    let files = Files::new();
    let missing = files.dir.path().join("nope.key");
    let err = TlsIdentity::from_files(
        &files.write("ca.pem", &ca.pem()),
        &files.write("agent.pem", &agent.cert),
        &missing,
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::ReadFile { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot read client key from {}", missing.display())
    );
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_refused() {
    let ca = Ca::new("vigia test ca");
    let agent = ca.agent("agent-1");
    let other = ca.agent("agent-2");
    let err = TlsIdentity::from_pem(
        ca.pem().as_bytes(),
        agent.cert.as_bytes(),
        other.key.as_bytes(),
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::KeyMismatch), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the client key does not match the client certificate"
    );
}

#[test]
fn files_holding_the_wrong_thing_are_refused() {
    let ca = Ca::new("vigia test ca");
    let agent = ca.agent("agent-1");
    // A key where the CA certificate should be.
    let err = TlsIdentity::from_pem(
        agent.key.as_bytes(),
        agent.cert.as_bytes(),
        agent.key.as_bytes(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "CA certificate holds no certificate");
    // A certificate where the key should be.
    let err = TlsIdentity::from_pem(
        ca.pem().as_bytes(),
        agent.cert.as_bytes(),
        agent.cert.as_bytes(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "client key holds no private key");
    // Broken base64 inside a PEM section.
    let broken = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let err = TlsIdentity::from_pem(
        broken.as_bytes(),
        agent.cert.as_bytes(),
        agent.key.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Pem {
                what: "CA certificate",
                ..
            }
        ),
        "{err:?}"
    );
}

type Change = Box<dyn FnOnce(&mut UplinkConfig)>;

fn uplink_with(change: impl FnOnce(&mut UplinkConfig)) -> Result<Uplink, ConfigError> {
    let ca = Ca::new("vigia test ca");
    let mut config = config("https://127.0.0.1:4443".into(), &ca, &ca.agent("agent-1"));
    change(&mut config);
    let spool = TestSpool::new();
    let health = Arc::new(TestHealth {
        spool: spool.dyn_spool(),
    });
    Uplink::new(config, spool.dyn_spool(), health)
}

#[test]
fn endpoints_and_knobs_are_checked_before_dialling() {
    assert!(uplink_with(|_| {}).is_ok());
    assert!(uplink_with(|c| c.endpoint = "https://[::1]:4443".into()).is_ok());

    let cases: [(&str, Change); 7] = [
        (
            "endpoint \"http://127.0.0.1:4443\" is invalid: the scheme must be https",
            Box::new(|c| c.endpoint = "http://127.0.0.1:4443".into()),
        ),
        (
            "endpoint \"https://agg:4443/v1\" is invalid: a path or query is not allowed",
            Box::new(|c| c.endpoint = "https://agg:4443/v1".into()),
        ),
        (
            "endpoint \"not a url\" is invalid: not a URL",
            Box::new(|c| c.endpoint = "not a url".into()),
        ),
        (
            "server name \"bad name!\" is neither a DNS name nor an IP address",
            Box::new(|c| c.server_name = "bad name!".into()),
        ),
        (
            "max_in_flight is invalid: must be from 1 to 65536",
            Box::new(|c| c.max_in_flight = 0),
        ),
        (
            "backoff_max is invalid: must not be below backoff_min",
            Box::new(|c| c.backoff_max = Duration::from_millis(1)),
        ),
        (
            "heartbeat_interval is invalid: must be above zero",
            Box::new(|c| c.heartbeat_interval = Duration::ZERO),
        ),
    ];
    for (expected, change) in cases {
        match uplink_with(change) {
            Ok(_) => panic!("accepted, expected: {expected}"),
            Err(err) => assert_eq!(err.to_string(), expected),
        }
    }
}
