//! The scheduler on the real plugin host with the real `ping` plugin (built by `cargo xtask
//! plugins`): loopback answers every round; an address routed into a blackhole (a `/32`
//! blackhole route added for the test, needs root) is confirmed down after two rounds, its
//! breaker opens after three, and later rounds carry a notice for it instead of probing it.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use vigia_plugin_host::{Grants, HostConfig, Limits, PluginHost, RunOutcome, Target};

use super::support::{options, states};
use crate::scheduler::runner::PluginRunner;
use crate::scheduler::spec::{BreakerPolicy, PluginIdentity, ProbeSpec};
use crate::scheduler::{Options, Scheduler};

/// A `/32` blackhole route for an address in 198.19.0.0/16 (benchmarking space) picked from the
/// process id; removed on drop. Panics, naming the cause, without root or iproute2.
struct Blackhole {
    address: String,
}

impl Blackhole {
    fn create() -> Self {
        let pid = std::process::id();
        let address = format!("198.19.{}.{}", (pid >> 8) & 0xff, pid & 0xff);
        let out = Command::new("ip")
            .args(["route", "add", "blackhole", &format!("{address}/32")])
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run `ip` ({e}): install iproute2; this test needs root")
            });
        assert!(
            out.status.success(),
            "cannot add a blackhole route for {address} (this test needs root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { address }
    }
}

impl Drop for Blackhole {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["route", "del", "blackhole", &format!("{}/32", self.address)])
            .status();
    }
}

fn ping_wasm() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins/ping.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `cargo xtask plugins` first",
            path.display()
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_rounds_confirm_a_blackholed_address_down_and_open_its_breaker() {
    let blackhole = Blackhole::create();
    let host = PluginHost::new(HostConfig {
        max_instances: 8,
        ..HostConfig::default()
    })
    .expect("host builds");
    let plugin = host
        .load(&ping_wasm(), "ping.wasm")
        .await
        .expect("ping loads");
    let target = |id: &str, address: &str| Target {
        id: id.into(),
        address: address.into(),
        labels: Vec::new(),
    };
    let spec = ProbeSpec {
        name: "lab-ping".into(),
        plugin: PluginIdentity::from(plugin.info()),
        runner: Arc::new(PluginRunner::new(host.clone(), plugin.clone())),
        interval: Duration::from_secs(1),
        jitter: 0.0,
        offline_after: 2,
        breaker: BreakerPolicy {
            open_after: 3,
            backoff_min: Duration::from_secs(60),
            backoff_max: Duration::from_secs(60),
        },
        batch_size: 1000,
        targets: vec![
            target("lo", "127.0.0.1"),
            target("dead", &blackhole.address),
        ],
        config: serde_json::json!({"count": 1, "timeout_ms": 300}),
        grants: Grants {
            icmp: true,
            ..Grants::none()
        },
        limits: Limits {
            deadline: Duration::from_millis(900),
            ..Limits::default()
        },
    };
    let sink = Arc::new(crate::scheduler::sink::MemorySink::default());
    let options = Options {
        max_rounds: Some(5),
        ..options()
    };
    let scheduler = Scheduler::new(vec![spec], sink.clone(), options);
    let counters = scheduler.counters();
    scheduler
        .run(tokio_util::sync::CancellationToken::new())
        .await;
    drop(blackhole);

    let runs = sink.runs();
    let plugin_runs: Vec<_> = runs
        .iter()
        .filter(|r| r.report.stats.host_calls > 0)
        .collect();
    let notices: Vec<_> = runs
        .iter()
        .filter(|r| r.report.stats.host_calls == 0)
        .collect();
    assert_eq!((plugin_runs.len(), notices.len()), (5, 2), "{runs:#?}");
    for run in &runs {
        assert_eq!(run.plugin.id, "ping");
        assert_eq!(run.plugin.sha256, plugin.info().sha256);
        assert!(
            matches!(run.report.outcome, RunOutcome::Completed(_)),
            "{:?}",
            run.report.outcome
        );
    }
    let lo: Vec<String> = plugin_runs
        .iter()
        .map(|r| states(r)["lo"].clone())
        .collect();
    assert_eq!(lo, ["up"; 5]);
    let dead: Vec<Option<String>> = plugin_runs
        .iter()
        .map(|r| states(r).remove("dead"))
        .collect();
    let state = |s: &str| Some(s.to_owned());
    assert_eq!(
        dead,
        [
            state("unconfirmed"),
            state("down"),
            state("down"),
            None,
            None
        ],
        "probed in the first three rounds only"
    );
    for notice in &notices {
        let observations = notice.observations();
        assert_eq!(observations.len(), 1);
        assert_eq!(observations[0].target, "dead");
        assert!(
            observations[0]
                .labels
                .contains(&("vigia.breaker".into(), "open".into()))
        );
    }
    let snapshot = counters.snapshot();
    assert_eq!((snapshot.runs_finished, snapshot.faults), (5, 0));
}
