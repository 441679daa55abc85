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

use nix::sys::resource::{UsageWho, getrusage};
use serde_json::json;
use tokio::time::Instant;
use vigia_core::ObservationKind;
use vigia_plugin_host::{
    Grants, HostConfig, Limits, PluginHost, RunOutcome, RunRequest, SecretMap, Target,
};

fn cpu_seconds() -> f64 {
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(usage.user_time()) + secs(usage.system_time())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let plugin_path = args
        .next()
        .expect("usage: snmp_load SNMP_WALK_WASM [key=value]...");
    let mut opts: HashMap<String, String> = HashMap::new();
    for arg in args {
        let (k, v) = arg.split_once('=').expect("options are key=value");
        opts.insert(k.to_owned(), v.to_owned());
    }
    let opt = |key: &str, default: &str| opts.get(key).cloned().unwrap_or_else(|| default.into());
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
        let (cpu_start, started) = (cpu_seconds(), Instant::now());
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
        let (wall, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu_start);
        println!("{}", json!({"oids": oids, "wall_s": wall, "cpu_s": cpu}));
    });
}
