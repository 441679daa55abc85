//! Load generator for `cargo xtask bench agent`: walks an SNMP subtree of one agent through the
//! plugin host's `snmp` capability (the real `snmp-walk` test guest, SNMPv2c), `rounds` times on
//! one thread, and prints one JSON line: varbinds walked, wall time and CPU time (user + system)
//! of this process during the walks (loading the guest excluded).
//!
//! `snmp_load SNMP_WALK_WASM port=1161 root=1.3.6.1.4.1.99999 rows=100000 rounds=5
//!  community=benchcomm`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use vigia_core::ObservationKind;
use vigia_plugin_host::{
    Grants, HostConfig, Limits, PluginHost, RunOutcome, RunRequest, SecretMap, Target,
};

mod support;

fn main() {
    let args = support::Args::parse("snmp_load SNMP_WALK_WASM [key=value]...");
    let plugin_path = args.plugin_path.clone();
    let opt = |key: &str, default: &str| args.opt(key, default);
    let port: u16 = opt("port", "161").parse().expect("port");
    let rounds: u32 = opt("rounds", "5").parse().expect("rounds");
    let config = json!({
        "port": port,
        "community_secret": "bench-community",
        "root": opt("root", "1.3.6.1.2.1"),
        "max_rows": opt("rows", "100000").parse::<u32>().expect("rows"),
    });
    let secrets = HashMap::from([("bench-community".to_owned(), opt("community", "public"))]);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let host = PluginHost::new(HostConfig {
            max_instances: 4,
            secrets: Arc::new(SecretMap::new(secrets)),
            ..HostConfig::default()
        })
        .expect("host");
        let plugin = host.load_file(&plugin_path).await.expect("snmp-walk loads");
        let request = RunRequest {
            config,
            targets: vec![Target {
                id: "snmpd".into(),
                address: "127.0.0.1".into(),
                labels: Vec::new(),
            }],
            grants: Grants {
                snmp: true,
                secrets: vec!["bench-community".into()],
                ..Grants::none()
            },
            limits: Limits {
                deadline: Duration::from_secs(120),
                memory_bytes: 256 << 20,
                ..Limits::default()
            },
        };
        let mut oids = 0f64;
        let (cpu_start, started) = (support::cpu_seconds(), Instant::now());
        for _ in 0..rounds {
            let report = host.run(&plugin, request.clone()).await;
            let RunOutcome::Completed(observations) = report.outcome else {
                panic!("walk failed: {:?} (logs {:?})", report.outcome, report.logs);
            };
            for o in observations {
                if let ObservationKind::Metric(m) = o.kind {
                    oids += m.value;
                }
            }
        }
        let (wall, cpu) = (
            started.elapsed().as_secs_f64(),
            support::cpu_seconds() - cpu_start,
        );
        println!("{}", json!({"oids": oids, "wall_s": wall, "cpu_s": cpu}));
    });
}
