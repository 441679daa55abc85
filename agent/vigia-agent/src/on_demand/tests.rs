//! The on-demand handler against real plugins (built by `cargo xtask plugins`) on the real plugin
//! host, from a real config file: ping to loopback (ICMP: needs root, fails loudly without),
//! refusals, the deadline, the concurrency limit and the scheduler's run permits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use vigia_core::ObservationKind;
use vigia_core::run::{FaultKind, RunOutcome, RunResult};
use vigia_uplink::{OnDemand, ProbeAnswer, ProbeRequest, ProbeTarget, RefusalReason};

use super::OnDemandRunner;
use crate::check;
use crate::scheduler::Permits;
use crate::scheduler::spec::Capabilities;

/// Every test ends within this, even if a run hangs.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

fn built(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/plugins")
        .join(relative);
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask plugins` first",
        path.display()
    );
    path
}

/// The probes every test starts from: ping with ad-hoc targets, two probes of the hanging `spin`
/// guest (long and short timeouts) and `panic` with on-demand disabled.
const PROBES: &str = r#"
[[probe]]
name = "cpe-ping"
plugin = "ping"
interval_secs = 60
timeout_ms = 5000
targets = ["lo=127.0.0.1"]
on_demand_adhoc = true
[probe.grants]
icmp = true
[probe.config]
count = 1
timeout_ms = 1000

[[probe]]
name = "hang"
plugin = "spin"
interval_secs = 60
timeout_ms = 30000
targets = ["box=127.0.0.1"]

[[probe]]
name = "hang-short"
plugin = "spin"
interval_secs = 60
timeout_ms = 400
targets = ["short=127.0.0.1"]

[[probe]]
name = "scheduled-only"
plugin = "panic"
interval_secs = 60
targets = ["p=127.0.0.1"]
on_demand = false
"#;

struct Lab {
    runner: OnDemandRunner,
    permits: Arc<Permits>,
    _dir: tempfile::TempDir,
}

/// Writes a config (`agent_extra` goes in the `[agent]` part) with [`PROBES`], loads it like
/// `vigia-agent run` does and builds the handler.
async fn lab(agent_extra: &str) -> Lab {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).expect("plugin dir");
    for (from, to) in [
        ("ping.wasm", "ping.wasm"),
        ("test-guests/spin.wasm", "spin.wasm"),
        ("test-guests/panic.wasm", "panic.wasm"),
    ] {
        std::fs::copy(built(from), plugins.join(to)).expect("copy plugin");
    }
    let file = dir.path().join("agent.toml");
    std::fs::write(
        &file,
        format!("[agent]\nid = \"t\"\nplugin_dir = \"plugins\"\n{agent_extra}\n{PROBES}"),
    )
    .expect("write config");
    let loaded = match check::load_checked(&file).await {
        Ok(loaded) => loaded,
        Err(errors) => panic!("config refused: {errors:?}"),
    };
    let permits = Arc::new(Permits::new(loaded.config.concurrency));
    let runner = OnDemandRunner::new(&loaded.config, loaded.host, loaded.plugins, permits.clone());
    Lab {
        runner,
        permits,
        _dir: dir,
    }
}

fn request(
    plugin: &str,
    targets: &[(&str, &str)],
    config_json: &str,
    deadline_ms: u64,
) -> ProbeRequest {
    ProbeRequest {
        request_id: format!("req-{plugin}"),
        plugin_id: plugin.into(),
        targets: targets
            .iter()
            .map(|(id, address)| ProbeTarget {
                id: (*id).into(),
                address: (*address).into(),
                labels: Vec::new(),
            })
            .collect(),
        config_json: config_json.into(),
        deadline: Duration::from_millis(deadline_ms),
    }
}

async fn answer(runner: &OnDemandRunner, request: ProbeRequest) -> ProbeAnswer {
    tokio::time::timeout(TEST_TIMEOUT, runner.run(request))
        .await
        .expect("answered in time")
}

fn result(answer: ProbeAnswer) -> RunResult {
    match answer {
        ProbeAnswer::Result(result) => result,
        ProbeAnswer::Refused(refusal) => panic!("expected a run, got a refusal: {refusal:?}"),
    }
}

fn refusal(answer: ProbeAnswer) -> (RefusalReason, String) {
    match answer {
        ProbeAnswer::Refused(refusal) => (refusal.reason, refusal.message),
        ProbeAnswer::Result(result) => panic!("expected a refusal, got a run: {result:?}"),
    }
}

/// `(target, up, address)` of each reachability observation.
fn reachability(result: &RunResult) -> Vec<(String, bool, String)> {
    let RunOutcome::Observations(observations) = &result.outcome else {
        panic!("expected observations, got {:?}", result.outcome);
    };
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Reachability(r) => Some((o.target.clone(), r.up, r.address.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_runs_now_on_an_adhoc_loopback_target() {
    let lab = lab("").await;
    let run = result(
        answer(
            &lab.runner,
            request("ping", &[("cpe-joao", "127.0.0.1")], "", 5000),
        )
        .await,
    );
    assert_eq!(run.probe, "cpe-ping");
    assert_eq!(run.plugin.plugin_id, "ping");
    assert!(run.run_id.starts_with("cpe-ping-"), "{}", run.run_id);
    assert_eq!(
        reachability(&run),
        [("cpe-joao".to_owned(), true, "127.0.0.1".to_owned())],
        "loopback answers ICMP echo (this test needs root for the ICMP socket)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_target_runs_with_its_configured_address_and_the_overlay() {
    let lab = lab("").await;
    let run = result(
        answer(
            &lab.runner,
            request("ping", &[("lo", "")], r#"{"count": 2}"#, 5000),
        )
        .await,
    );
    assert_eq!(
        reachability(&run),
        [("lo".to_owned(), true, "127.0.0.1".to_owned())],
        "this test needs root for the ICMP socket"
    );
    let RunOutcome::Observations(observations) = &run.outcome else {
        unreachable!("checked above");
    };
    let sent = observations.iter().find_map(|o| match &o.kind {
        ObservationKind::Reachability(r) => Some(r.sent),
        _ => None,
    });
    assert_eq!(sent, Some(2), "the overlay's count replaced the probe's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_agent_cannot_serve_are_refused_with_their_reason() {
    let lab = lab("").await;
    let cases = [
        (
            request("snmp", &[("lo", "")], "", 5000),
            RefusalReason::PluginNotInstalled,
            "not installed",
        ),
        (
            request("panic", &[("p", "")], "", 5000),
            RefusalReason::NotAllowed,
            "on_demand = false",
        ),
        (
            request("spin", &[("elsewhere", "192.0.2.1")], "", 5000),
            RefusalReason::NotAllowed,
            "on_demand_adhoc",
        ),
        (
            request("ping", &[("lo", "")], r#"{"count": 0}"#, 5000),
            RefusalReason::InvalidRequest,
            "/count",
        ),
        (
            request("ping", &[("lo", "")], r#"{"flood": true}"#, 5000),
            RefusalReason::InvalidRequest,
            "flood",
        ),
        (
            request("ping", &[("lo", "10.9.9.9")], "", 5000),
            RefusalReason::InvalidRequest,
            "127.0.0.1",
        ),
        (
            request("ping", &[("lo", "")], "", 0),
            RefusalReason::InvalidRequest,
            "deadline_ms",
        ),
        (
            request("ping", &[("lo", "")], "", 120_001),
            RefusalReason::InvalidRequest,
            "deadline_ms",
        ),
    ];
    for (request, reason, text) in cases {
        let what = format!("{request:?}");
        let (got, message) = refusal(answer(&lab.runner, request).await);
        assert_eq!(got, reason, "{what}: {message}");
        assert!(message.contains(text), "{what}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_plugin_is_stopped_at_the_request_deadline_or_the_probe_timeout() {
    let lab = lab("").await;
    let started = Instant::now();
    let run = result(answer(&lab.runner, request("spin", &[("box", "")], "", 700)).await);
    let took = started.elapsed();
    assert_eq!(run.probe, "hang");
    assert!(
        matches!(
            run.outcome,
            RunOutcome::Fault {
                kind: FaultKind::Timeout,
                ..
            }
        ),
        "{:?}",
        run.outcome
    );
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(5),
        "the 700 ms request deadline, not the probe's 30 s: took {took:?}"
    );

    // The probe's own timeout (400 ms) is shorter than the request's 60 s.
    let started = Instant::now();
    let run = result(answer(&lab.runner, request("spin", &[("short", "")], "", 60_000)).await);
    let took = started.elapsed();
    assert_eq!(run.probe, "hang-short");
    assert!(
        matches!(
            run.outcome,
            RunOutcome::Fault {
                kind: FaultKind::Timeout,
                ..
            }
        ),
        "{:?}",
        run.outcome
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_max_concurrent_are_refused_busy_at_once() {
    let lab = lab("[agent.on_demand]\nmax_concurrent = 2\n").await;
    let first = lab.runner.run(request("spin", &[("box", "")], "", 800));
    let second = lab.runner.run(request("spin", &[("box", "")], "", 800));
    let started = Instant::now();
    let (reason, message) =
        refusal(answer(&lab.runner, request("spin", &[("box", "")], "", 800)).await);
    assert_eq!(reason, RefusalReason::Busy, "{message}");
    assert!(message.contains("max_concurrent"), "{message}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "refused at once"
    );

    let (first, second) = tokio::time::timeout(TEST_TIMEOUT, async { tokio::join!(first, second) })
        .await
        .expect("runs ended");
    for run in [result(first), result(second)] {
        assert!(
            matches!(
                run.outcome,
                RunOutcome::Fault {
                    kind: FaultKind::Timeout,
                    ..
                }
            ),
            "{:?}",
            run.outcome
        );
    }
    // The slots are free again.
    let run = result(answer(&lab.runner, request("spin", &[("box", "")], "", 300)).await);
    assert_eq!(run.probe, "hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_demand_runs_take_the_schedulers_run_permits() {
    let lab = lab("[agent.concurrency]\noverall = 1\n").await;
    // A scheduled run holds the only overall permit.
    let held = lab
        .permits
        .acquire(Capabilities::default())
        .await
        .expect("permit");
    let started = Instant::now();
    let (reason, message) =
        refusal(answer(&lab.runner, request("spin", &[("box", "")], "", 400)).await);
    assert_eq!(reason, RefusalReason::Busy, "{message}");
    assert!(message.contains("permit"), "{message}");
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "waited for a permit until the deadline"
    );

    // Freed while the request waits: the run starts and gets what is left of the deadline.
    let pending = lab.runner.run(request("spin", &[("box", "")], "", 1500));
    let release = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(held);
    };
    let started = Instant::now();
    let (answered, ()) =
        tokio::time::timeout(TEST_TIMEOUT, async { tokio::join!(pending, release) })
            .await
            .expect("answered");
    let took = started.elapsed();
    let run = result(answered);
    assert!(
        matches!(
            run.outcome,
            RunOutcome::Fault {
                kind: FaultKind::Timeout,
                ..
            }
        ),
        "{:?}",
        run.outcome
    );
    assert!(
        took >= Duration::from_millis(1300) && took < Duration::from_secs(5),
        "the deadline counts from receipt, permit wait included: took {took:?}"
    );
}
