//! The `snmp-walk` test guest through the full WIT path against a real net-snmp `snmpd` on a free
//! loopback port: the walk's row count matches `snmpbulkwalk`, and the community's secret must be
//! granted. snmpd and the `snmp` tools must be installed (`cargo xtask test` installs them):
//! these tests fail without them.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use vigia_core::{ErrorClass, ObservationKind};
use vigia_plugin_host::{Grants, HostConfig, RunOutcome, SecretMap};

use crate::support::{host_with, load, request, target};

const SNMPD: &str = "/usr/sbin/snmpd";
const COMMUNITY: &str = "testcomm";
const IF_TABLE: &str = "1.3.6.1.2.1.2.2";

/// snmpd on a free loopback UDP port, killed on drop.
struct Snmpd {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Snmpd {
    /// Starts snmpd and polls it with `snmpget` (50 ms timeout, no retry) until it answers.
    fn start() -> Self {
        assert!(
            Path::new(SNMPD).exists(),
            "{SNMPD} is missing: install the `snmpd` and `snmp` packages (`cargo xtask test` does)"
        );
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("snmpd.conf");
        std::fs::write(
            &conf,
            format!("agentAddress udp:127.0.0.1:{port}\nrocommunity {COMMUNITY} 127.0.0.1\n"),
        )
        .unwrap();
        let child = Command::new(SNMPD)
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(&conf)
            .arg("-p")
            .arg(dir.path().join("snmpd.pid"))
            .env("SNMP_PERSISTENT_DIR", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SNMPD}: {e}"));
        let snmpd = Self {
            child,
            port,
            _dir: dir,
        };
        let give_up = Instant::now() + Duration::from_secs(10);
        while Instant::now() < give_up {
            let answered = snmp_tool(
                "snmpget",
                port,
                &["-t", "0.05", "-r", "0"],
                "1.3.6.1.2.1.1.1.0",
            )
            .status
            .success();
            if answered {
                return snmpd;
            }
        }
        panic!("snmpd on port {port} did not answer snmpget within 10 s");
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn snmp_tool(tool: &str, port: u16, extra: &[&str], oid: &str) -> std::process::Output {
    Command::new(tool)
        .args(["-v2c", "-c", COMMUNITY, "-On"])
        .args(extra)
        .arg(format!("127.0.0.1:{port}"))
        .arg(oid)
        .env("MIBS", "")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} (package `snmp`): {e}"))
}

fn snmp_host() -> vigia_plugin_host::PluginHost {
    let secrets = HashMap::from([("lab-community".to_owned(), COMMUNITY.to_owned())]);
    host_with(HostConfig {
        secrets: Arc::new(SecretMap::new(secrets)),
        ..HostConfig::default()
    })
}

fn config(port: u16) -> serde_json::Value {
    json!({"port": port, "community_secret": "lab-community", "root": IF_TABLE, "max_rows": 100000})
}

#[tokio::test]
async fn snmp_walk_guest_counts_what_snmpbulkwalk_prints() {
    let snmpd = Snmpd::start();
    let reference = snmp_tool("snmpbulkwalk", snmpd.port, &[], IF_TABLE);
    assert!(reference.status.success(), "{reference:?}");
    let expected = String::from_utf8(reference.stdout).unwrap().lines().count();
    assert!(expected > 20, "ifTable has at least lo's row");

    let host = snmp_host();
    let guest = load(&host, "test-guests/snmp-walk").await;
    let grants = Grants {
        snmp: true,
        secrets: vec!["lab-community".into()],
        ..Grants::none()
    };
    let targets = vec![target("a", "127.0.0.1"), target("b", "localhost")];
    let report = host
        .run(&guest, request(config(snmpd.port), targets, grants))
        .await;
    let RunOutcome::Completed(observations) = &report.outcome else {
        panic!(
            "run did not complete: {:?} (logs {:?})",
            report.outcome, report.logs
        );
    };
    assert_eq!(observations.len(), 2);
    for observation in observations {
        match &observation.kind {
            ObservationKind::Metric(m) => {
                assert_eq!(m.name, "snmp_walk_rows");
                assert_eq!(m.value, expected as f64, "target {}", observation.target);
            }
            other => panic!("unexpected observation {other:?}"),
        }
    }
}

#[tokio::test]
async fn snmp_walk_guest_needs_the_community_secret_granted() {
    let snmpd = Snmpd::start();
    let host = snmp_host();
    let guest = load(&host, "test-guests/snmp-walk").await;
    let grants = Grants {
        snmp: true,
        ..Grants::none()
    };
    let report = host
        .run(
            &guest,
            request(config(snmpd.port), vec![target("a", "127.0.0.1")], grants),
        )
        .await;
    match &report.outcome {
        RunOutcome::Failed(error) => {
            assert_eq!(error.class, ErrorClass::Denied, "{error}");
            assert!(error.message.contains("grants.secrets"), "{error}");
        }
        other => panic!("expected a denied failure, got {other:?}"),
    }
}
