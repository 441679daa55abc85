//! The `snmp` plugin (`target/plugins/snmp.wasm`, built by `cargo xtask plugins`; or
//! `$VIGIA_PLUGIN_DIR/snmp.wasm`) in the real plugin host, against real SNMP peers:
//! - net-snmp's `snmpd` on a loopback port, v2c and v3 authPriv (SHA/AES-128): the host's `lo`
//!   interface with live counters, and a wrong community as a timeout failure;
//! - every shared device recording served by snmpsim: the interfaces the file holds, the vendor
//!   observations of its family, or the one "unsupported" observation. Skipped, loudly, when the
//!   recordings are not beside the workspace (`$VIGIA_SNMPREC_DIR` overrides).
//!
//! snmpd must be installed (apt `snmpd`) and snmpsim in `target/pyenv` (`cargo xtask test`
//! makes both): these tests fail without them.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use vigia_core::{ErrorClass, LinkStatus, Observation, ObservationKind};
use vigia_plugin_host::{
    Grants, HostConfig, Limits, Plugin, PluginHost, RunOutcome, RunRequest, SecretMap, Target,
};
use vigia_sim::snmp::{Snmpd, SnmpdConfig, Snmpsim, V3User, recordings_dir, snmpsim_executable};

const COMMUNITY: &str = "vigia-lab";

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plugin_dir() -> PathBuf {
    match std::env::var_os("VIGIA_PLUGIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("target/plugins"),
    }
}

fn host(secrets: HashMap<String, String>) -> PluginHost {
    PluginHost::new(HostConfig {
        max_instances: 8,
        secrets: Arc::new(SecretMap::new(secrets)),
        ..HostConfig::default()
    })
    .expect("host builds")
}

async fn load(host: &PluginHost) -> Plugin {
    let path = plugin_dir().join("snmp.wasm");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `cargo xtask plugins` first",
            path.display()
        )
    });
    host.load(&bytes, "snmp.wasm")
        .await
        .unwrap_or_else(|e| panic!("cannot load snmp.wasm: {e}"))
}

async fn run(
    host: &PluginHost,
    plugin: &Plugin,
    config: serde_json::Value,
    targets: Vec<Target>,
    secrets: &[&str],
) -> Vec<Observation> {
    let request = RunRequest {
        config,
        targets,
        grants: Grants {
            snmp: true,
            secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
            ..Grants::none()
        },
        limits: Limits {
            deadline: Duration::from_secs(60),
            ..Limits::default()
        },
    };
    let report = host.run(plugin, request).await;
    match report.outcome {
        RunOutcome::Completed(observations) => observations,
        other => panic!("run did not complete: {other:?} (logs {:?})", report.logs),
    }
}

fn target(id: &str, address: &str) -> Target {
    Target {
        id: id.into(),
        address: address.into(),
        labels: vec![("vigia.site".into(), "lab".into())],
    }
}

fn label<'a>(observation: &'a Observation, key: &str) -> Option<&'a str> {
    observation
        .labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn metric_values(observations: &[Observation], name: &str) -> Vec<f64> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Metric(m) if m.name == name => Some(m.value),
            _ => None,
        })
        .collect()
}

fn lab_snmpd() -> Snmpd {
    Snmpd::start(&SnmpdConfig {
        community: COMMUNITY.into(),
        v3_users: vec![V3User {
            name: "vigia".into(),
            auth_pass: "vigia-auth-pass".into(),
            priv_pass: "vigia-priv-pass".into(),
        }],
    })
    .unwrap_or_else(|e| panic!("{e:#?} (apt install snmpd)"))
}

/// The `lo` interface of the host snmpd runs on, with counters, named as a net-snmp host.
fn assert_linux_host_with_lo(observations: &[Observation], id: &str) {
    let interfaces: Vec<_> = observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Interface(i) => Some(i),
            _ => None,
        })
        .collect();
    let lo = interfaces
        .iter()
        .find(|i| i.name == "lo")
        .unwrap_or_else(|| panic!("no lo among {interfaces:?}"));
    assert_eq!(lo.oper_status, LinkStatus::Up);
    assert!(lo.in_octets.is_some() && lo.out_octets.is_some(), "{lo:?}");
    for observation in observations {
        assert_eq!(observation.target, id);
        assert_eq!(
            label(observation, "vigia.entity"),
            Some(&*format!("host:{id}"))
        );
        assert_eq!(label(observation, "vigia.device_type"), Some("net_snmp"));
        assert_eq!(label(observation, "vigia.site"), Some("lab"));
    }
    assert_eq!(
        metric_values(observations, "snmp_device_supported"),
        vec![1.0]
    );
    assert!(metric_values(observations, "snmp_uptime_seconds")[0] >= 0.0);
}

#[tokio::test]
async fn snmpd_v2c_gives_lo_with_counters() {
    let snmpd = lab_snmpd();
    let host = host(HashMap::from([("lab-community".into(), COMMUNITY.into())]));
    let plugin = load(&host).await;
    let config = json!({
        "credentials": {"type": "v2c", "community_secret": "lab-community"},
        "port": snmpd.port(),
    });
    let observations = run(
        &host,
        &plugin,
        config,
        vec![target("srv", "127.0.0.1")],
        &["lab-community"],
    )
    .await;
    assert_linux_host_with_lo(&observations, "srv");
}

#[tokio::test]
async fn snmpd_v3_auth_priv_gives_lo_with_counters() {
    let snmpd = lab_snmpd();
    let host = host(HashMap::from([
        ("v3-auth".into(), "vigia-auth-pass".into()),
        ("v3-priv".into(), "vigia-priv-pass".into()),
    ]));
    let plugin = load(&host).await;
    let config = json!({
        "credentials": {
            "type": "v3", "user": "vigia",
            "auth_protocol": "sha1", "auth_secret": "v3-auth",
            "priv_protocol": "aes128", "priv_secret": "v3-priv",
        },
    });
    let address = format!("127.0.0.1:{}", snmpd.port());
    let observations = run(
        &host,
        &plugin,
        config,
        vec![target("srv3", &address)],
        &["v3-auth", "v3-priv"],
    )
    .await;
    assert_linux_host_with_lo(&observations, "srv3");
}

#[tokio::test]
async fn a_wrong_community_is_a_timeout_failure_and_the_other_target_still_runs() {
    let snmpd = lab_snmpd();
    let host = host(HashMap::from([(
        "wrong".into(),
        "not-the-community".into(),
    )]));
    let plugin = load(&host).await;
    let config = json!({
        "credentials": {"type": "v2c", "community_secret": "wrong"},
        "port": snmpd.port(), "timeout_ms": 200, "retries": 0,
    });
    let targets = vec![target("a", "127.0.0.1"), target("b", "127.0.0.1:1")];
    let observations = run(&host, &plugin, config, targets, &["wrong"]).await;
    assert_eq!(observations.len(), 2, "{observations:?}");
    let ObservationKind::Failure(error) = &observations[0].kind else {
        panic!("expected a failure, got {:?}", observations[0]);
    };
    assert_eq!(error.class, ErrorClass::Timeout, "{error}");
    assert_eq!(observations[1].target, "b");
    assert!(matches!(observations[1].kind, ObservationKind::Failure(_)));
}

/// What a recording holds, read from the file: its ifIndexes and its OIDs.
struct Recording {
    name: String,
    oids: Vec<String>,
}

impl Recording {
    fn read(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        Self {
            name: path.file_stem().unwrap().to_string_lossy().into_owned(),
            oids: text
                .lines()
                .filter_map(|line| line.split('|').next())
                .map(str::to_owned)
                .collect(),
        }
    }

    fn if_indexes(&self) -> BTreeSet<u32> {
        self.oids
            .iter()
            .filter_map(|oid| {
                let rest = oid
                    .strip_prefix("1.3.6.1.2.1.2.2.1.")
                    .or_else(|| oid.strip_prefix("1.3.6.1.2.1.31.1.1.1."))?;
                rest.split_once('.')?.1.parse().ok()
            })
            .collect()
    }

    fn count(&self, prefix: &str) -> usize {
        self.oids.iter().filter(|o| o.starts_with(prefix)).count()
    }
}

/// The vendor observation each family's recording must give (a metric name, or radio links).
fn vendor_expectation(name: &str) -> Option<&'static str> {
    Some(match name {
        "routeros" | "routeros_station" => "radio",
        "routeros_crs317" => "sfp_module_present",
        "epmp" => "radio_snr_db",
        "pmp" | "pmp_450i" => "radio_rssi_dbm",
        "airos_airos8" => "radio_ccq_ratio",
        "airos-af60_v3.4" => "radio_frequency_mhz",
        "smartax" => "pon_tx_power_dbm",
        "zxa10_c320" => "pon_onus",
        _ => return None,
    })
}

#[tokio::test]
async fn every_recording_through_snmpsim() {
    let Some(dir) = recordings_dir(&workspace_root()) else {
        eprintln!(
            "\n!!! SKIPPED every_recording_through_snmpsim: no recordings at \
             <workspace>/../shared/testdata/snmprec and VIGIA_SNMPREC_DIR is not set\n"
        );
        return;
    };
    let mut recordings: Vec<Recording> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "snmprec"))
        .map(|path| Recording::read(&path))
        .collect();
    recordings.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!recordings.is_empty(), "no .snmprec in {}", dir.display());
    let executable = snmpsim_executable(&workspace_root());
    let snmpsim = Snmpsim::start(&executable, &dir, &recordings[0].name)
        .unwrap_or_else(|e| panic!("{e:#?}: run `cargo xtask test` to install snmpsim"));

    // One secret per recording: its community is its file name.
    let secrets = recordings
        .iter()
        .map(|r| (r.name.clone(), r.name.clone()))
        .collect();
    let host = host(secrets);
    let plugin = load(&host).await;
    let address = snmpsim.address().to_string();
    for recording in &recordings {
        let name = recording.name.as_str();
        let config = json!({
            "credentials": {"type": "v2c", "community_secret": name},
            "timeout_ms": 3000, "retries": 1, "max_rows": 5000,
        });
        let observations = run(
            &host,
            &plugin,
            config,
            vec![target(name, &address)],
            &[name],
        )
        .await;
        let supported = metric_values(&observations, "snmp_device_supported");
        assert_eq!(supported.len(), 1, "{name}: {observations:?}");
        let expected = recording.if_indexes();
        let found: BTreeSet<u32> = observations
            .iter()
            .filter_map(|o| match &o.kind {
                ObservationKind::Interface(i) => Some(i.index),
                _ => None,
            })
            .collect();
        assert_eq!(found, expected, "{name}: interfaces");
        match vendor_expectation(name) {
            Some("radio") => {
                let links = observations
                    .iter()
                    .filter(|o| matches!(o.kind, ObservationKind::RadioLink(_)))
                    .count();
                let signals = metric_values(&observations, "wireless_signal_dbm").len();
                let registrations = recording.count("1.3.6.1.4.1.14988.1.1.1.2.1.3.");
                let stations = recording.count("1.3.6.1.4.1.14988.1.1.1.1.1.4.");
                assert_eq!((links, signals), (registrations, stations), "{name}");
                assert!(links + signals > 0, "{name}: no radio data");
            }
            Some(metric) => assert!(
                !metric_values(&observations, metric).is_empty(),
                "{name}: no {metric} in {observations:?}"
            ),
            None if expected.is_empty() => {
                assert_eq!(observations.len(), 1, "{name}: {observations:?}");
                assert_eq!(supported, vec![0.0], "{name}");
                assert_eq!(label(&observations[0], "support"), Some("unsupported"));
                assert!(label(&observations[0], "reason").is_some(), "{name}");
            }
            None => assert_eq!(supported, vec![1.0], "{name}"),
        }
        let kind = label(&observations[0], "vigia.entity").unwrap_or_default();
        eprintln!(
            "{name}: {kind}, {} observations, {} interfaces",
            observations.len(),
            found.len()
        );
    }
}
