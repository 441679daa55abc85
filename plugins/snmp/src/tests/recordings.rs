//! Replays the real device recordings (`../shared/testdata/snmprec`, or `$VIGIA_SNMPREC_DIR`)
//! through FakeHost: every recording gives its interfaces, its vendor observations, or the one
//! unsupported observation. Skips loudly when the recordings are not there.

use std::collections::BTreeSet;
use std::path::PathBuf;

use vigia_plugin_sdk::snmp::Value;
use vigia_plugin_sdk::testing::FakeHost;

use super::{V2C, device, interfaces, label, metrics, radio_links, run};
use crate::SUPPORTED_METRIC;

fn recordings_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("VIGIA_SNMPREC_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/snmprec"),
    };
    dir.is_dir().then_some(dir)
}

/// One `OID|TYPE|VALUE` line as a value (None for types the fake does not need).
fn value(kind: &str, text: &str) -> Option<Value> {
    let hex = |text: &str| -> Option<Vec<u8>> {
        (0..text.len() / 2)
            .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    };
    Some(match kind {
        "2" => Value::Integer(text.parse().ok()?),
        "4" => Value::Octets(text.as_bytes().to_vec()),
        "4x" => Value::Octets(hex(text)?),
        "6" => Value::ObjectId(text.to_owned()),
        "64x" => {
            let b = hex(text)?;
            Value::IpAddress((*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?))
        }
        "65" => Value::Counter32(text.parse().ok()?),
        "66" => Value::Gauge32(text.parse().ok()?),
        "67" => Value::Timeticks(text.parse().ok()?),
        "70" => Value::Counter64(text.parse().ok()?),
        _ => return None,
    })
}

struct Recording {
    name: String,
    oids: Vec<String>,
    host: FakeHost,
}

fn load(path: &std::path::Path, address: &str) -> Recording {
    let text = std::fs::read_to_string(path).unwrap();
    let mut host = FakeHost::new();
    let mut oids = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, '|');
        let (Some(oid), Some(kind), Some(raw)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if let Some(v) = value(kind, raw) {
            host = host.snmp_value(address, oid, v);
            oids.push(oid.to_owned());
        }
    }
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    Recording { name, oids, host }
}

impl Recording {
    fn has(&self, prefix: &str) -> bool {
        self.oids.iter().any(|oid| oid.starts_with(prefix))
    }
    /// Distinct ifIndexes in ifTable/ifXTable.
    fn if_indexes(&self) -> BTreeSet<u32> {
        self.oids
            .iter()
            .filter_map(|oid| {
                let rest = oid
                    .strip_prefix("1.3.6.1.2.1.2.2.1.")
                    .or_else(|| oid.strip_prefix("1.3.6.1.2.1.31.1.1.1."))?;
                let (_, index) = rest.split_once('.')?;
                index.parse().ok()
            })
            .collect()
    }
}

#[test]
fn every_recording_gives_interfaces_vendor_data_or_unsupported() {
    let Some(dir) = recordings_dir() else {
        eprintln!(
            "!!! SKIPPED: no snmprec recordings (set VIGIA_SNMPREC_DIR or check out ../shared/testdata/snmprec)"
        );
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "snmprec"));
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the 20 recordings in {}",
        dir.display()
    );
    let config = r#"{"credentials": {"type": "v2c", "community_secret": "c"}, "max_rows": 5000}"#;
    for path in files {
        let recording = load(&path, "192.0.2.1");
        let name = recording.name.as_str();
        let observations = run(config, &[device(name, "192.0.2.1")], &recording.host).unwrap();
        let expected = recording.if_indexes();
        let found: BTreeSet<u32> = interfaces(&observations).iter().map(|i| i.index).collect();
        assert_eq!(found, expected, "{name}: interfaces");
        let supported = metrics(&observations, SUPPORTED_METRIC);
        assert_eq!(supported.len(), 1, "{name}");
        if supported[0].value == 0.0 {
            assert!(expected.is_empty(), "{name}: unsupported with an ifTable");
            assert_eq!(
                observations.len(),
                1,
                "{name}: unsupported is one observation"
            );
            assert_eq!(
                label(&observations[0], "support"),
                Some("unsupported"),
                "{name}"
            );
            continue;
        }
        assert_eq!(supported[0].value, 1.0, "{name}: {observations:?}");
        let check = |metric: &str| {
            assert!(
                !metrics(&observations, metric).is_empty(),
                "{name}: no {metric}"
            )
        };
        match name {
            "routeros" => assert_eq!(
                radio_links(&observations).len(),
                recording
                    .oids
                    .iter()
                    .filter(|o| o.starts_with("1.3.6.1.4.1.14988.1.1.1.2.1.3."))
                    .count(),
                "{name}: one radio link per registration"
            ),
            "routeros_crs317" => check("sfp_module_present"),
            "routeros_station" => check("wireless_signal_dbm"),
            "epmp" => check("radio_snr_db"),
            "pmp" | "pmp_450i" => check("radio_rssi_dbm"),
            "airos_airos8" => check("radio_ccq_ratio"),
            "airos-af60_v3.4" => check("radio_channel_width_mhz"),
            "smartax" => check("pon_tx_power_dbm"),
            "zxa10_c320" => check("pon_onus"),
            _ => assert!(!found.is_empty(), "{name}: supported without interfaces"),
        }
    }
}

#[test]
fn system_only_recordings_are_unsupported() {
    let Some(dir) = recordings_dir() else {
        eprintln!(
            "!!! SKIPPED: no snmprec recordings (set VIGIA_SNMPREC_DIR or check out ../shared/testdata/snmprec)"
        );
        return;
    };
    for name in [
        "cnpilote",
        "routeros_1",
        "vrp",
        "zxa10",
        "linux",
        "fiberhome",
    ] {
        let recording = load(&dir.join(format!("{name}.snmprec")), "192.0.2.1");
        assert!(!recording.has("1.3.6.1.2.1.2.2.1"), "{name} has no ifTable");
        let observations = run(V2C, &[device(name, "192.0.2.1")], &recording.host).unwrap();
        assert_eq!(observations.len(), 1, "{name}: {observations:?}");
        assert_eq!(
            label(&observations[0], "support"),
            Some("unsupported"),
            "{name}"
        );
    }
}
