//! Misbehaving guests: each one ends as the right fault or failure, and afterwards a normal run on
//! the same host completes (the host survives every guest).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use vigia_core::ErrorClass;
use vigia_plugin_host::{FaultKind, Grants, HostConfig, Limits, LogLevel, RunOutcome, RunReport};

use crate::support::{assert_host_survives, host, host_with, load, request, target};

/// Marker in the `panic` guest's panic message (plugins/test-guests/panic).
const PANIC_MARKER: &str = "vigia test guest: deliberate panic in run (marker 7f3a9c)";

fn fault(report: &RunReport, kind: FaultKind) -> &str {
    match &report.outcome {
        RunOutcome::Fault(f) if f.kind == kind => &f.message,
        other => panic!(
            "expected a {kind:?} fault, got {other:?} (logs: {:?})",
            report.logs
        ),
    }
}

#[tokio::test]
async fn spin_is_stopped_at_its_deadline() {
    let host = host();
    let spin = load(&host, "test-guests/spin").await;
    let deadline = Duration::from_millis(300);
    let mut req = request(json!({}), vec![target("t", "127.0.0.1")], Grants::none());
    req.limits.deadline = deadline;
    let report = host.run(&spin, req).await;
    let message = fault(&report, FaultKind::Timeout);
    assert!(
        message.starts_with("run exceeded its deadline of 300 ms"),
        "{message}"
    );
    let wall = report.stats.wall_time;
    // Epoch ticks are 10 ms; the slack covers a loaded 2-core machine.
    assert!(
        wall >= deadline && wall < deadline + Duration::from_millis(200),
        "{wall:?}"
    );
    assert_eq!(report.logs[0].message, "spin: entering an endless loop");
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn spinning_guests_do_not_starve_each_other() {
    // On a current-thread runtime, two spinning runs and a normal one all finish on time: a busy
    // guest yields to tokio every epoch tick.
    let host = host();
    let spin = load(&host, "test-guests/spin").await;
    let bench = load(&host, "test-guests/bench").await;
    let spin_req = || {
        let mut req = request(json!({}), vec![target("t", "127.0.0.1")], Grants::none());
        req.limits.deadline = Duration::from_millis(400);
        req
    };
    let (a, b, normal) = tokio::join!(
        host.run(&spin, spin_req()),
        host.run(&spin, spin_req()),
        host.run(
            &bench,
            request(json!({}), vec![target("t", "127.0.0.1")], Grants::none())
        ),
    );
    fault(&a, FaultKind::Timeout);
    fault(&b, FaultKind::Timeout);
    assert!(
        matches!(normal.outcome, RunOutcome::Completed(_)),
        "{:?}",
        normal.outcome
    );
    assert!(
        normal.stats.wall_time < Duration::from_millis(200),
        "{:?}",
        normal.stats.wall_time
    );
}

/// A secret store stuck on its backend.
struct StuckSecrets;

impl vigia_plugin_host::SecretStore for StuckSecrets {
    fn get(&self, _name: &str) -> Option<String> {
        // Simulates a backend that never answers in time (not a readiness wait).
        std::thread::sleep(Duration::from_secs(3));
        None
    }
}

#[tokio::test]
async fn a_run_stuck_in_a_host_call_ends_at_its_deadline() {
    let host = host_with(HostConfig {
        secrets: Arc::new(StuckSecrets),
        ..HostConfig::default()
    });
    let guest = load(&host, "test-guests/forbidden").await;
    let grants = Grants {
        secrets: vec!["not-granted".into()],
        ..Grants::none()
    };
    let deadline = Duration::from_millis(300);
    let mut req = request(json!({}), vec![target("t", "127.0.0.1")], grants);
    req.limits.deadline = deadline;
    let report = host.run(&guest, req).await;
    let message = fault(&report, FaultKind::Timeout);
    assert_eq!(
        message,
        "run exceeded its deadline of 300 ms (waiting on a host call)"
    );
    let wall = report.stats.wall_time;
    assert!(
        wall >= deadline && wall < deadline + Duration::from_millis(200),
        "{wall:?}"
    );
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn membomb_hits_the_memory_limit() {
    let host = host();
    let membomb = load(&host, "test-guests/membomb").await;
    let mut req = request(json!({}), vec![target("t", "127.0.0.1")], Grants::none());
    req.limits.memory_bytes = 32 << 20;
    let report = host.run(&membomb, req).await;
    let message = fault(&report, FaultKind::MemoryLimit);
    assert!(
        message.starts_with("memory limit exceeded: wanted "),
        "{message}"
    );
    assert!(message.ends_with(" bytes, limit 33554432"), "{message}");
    assert!(
        report.stats.peak_memory_bytes <= 32 << 20,
        "{:?}",
        report.stats
    );
    assert!(
        report.stats.peak_memory_bytes > 16 << 20,
        "{:?}",
        report.stats
    );
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn membomb_under_the_limit_completes() {
    let host = host();
    let membomb = load(&host, "test-guests/membomb").await;
    let req = request(
        json!({"total_mib": 8, "step_mib": 4}),
        vec![target("t", "127.0.0.1")],
        Grants::none(),
    );
    let report = host.run(&membomb, req).await;
    assert!(
        matches!(report.outcome, RunOutcome::Completed(ref o) if o.len() == 1),
        "{:?}",
        report.outcome
    );
    assert!(
        report.stats.peak_memory_bytes >= 8 << 20,
        "{:?}",
        report.stats
    );
}

#[tokio::test]
async fn panic_is_reported_with_the_guest_message() {
    let host = host();
    let guest = load(&host, "test-guests/panic").await;
    let report = host
        .run(
            &guest,
            request(json!({}), vec![target("t", "127.0.0.1")], Grants::none()),
        )
        .await;
    let message = fault(&report, FaultKind::Panic);
    assert!(message.starts_with(PANIC_MARKER), "{message}");
    assert!(
        message.contains(" at "),
        "the location follows the message: {message}"
    );
    let logged = report
        .logs
        .iter()
        .find(|l| l.level == LogLevel::Error)
        .expect("the panic line is logged");
    assert_eq!(logged.message, format!("panic: {message}"));
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn forbidden_calls_are_denied_with_the_missing_grant_named() {
    let host = host();
    let guest = load(&host, "test-guests/forbidden").await;
    // Grant what it declares; the two calls it makes are still outside the grants.
    let grants = Grants {
        http_hosts: vec!["allowed.example.invalid".into()],
        secrets: vec!["granted".into()],
        ..Grants::none()
    };
    for grants in [Grants::none(), grants] {
        let report = host
            .run(
                &guest,
                request(json!({}), vec![target("t", "127.0.0.1")], grants),
            )
            .await;
        let RunOutcome::Failed(error) = &report.outcome else {
            panic!("expected a denied failure, got {:?}", report.outcome);
        };
        assert_eq!(error.class, ErrorClass::Denied, "{error}");
        assert!(
            error.message.contains(
                "secret 'not-granted' is not granted to plugin 'forbidden': add it to this probe's grants.secrets in the agent config"
            ),
            "{error}"
        );
        assert!(
            error.message.contains(
                "http to forbidden.example.invalid is not granted to plugin 'forbidden': add it to this probe's grants.http_hosts in the agent config"
            ),
            "{error}"
        );
        assert_eq!(report.stats.host_calls, 2);
    }
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn a_host_call_budget_of_one_ends_the_bench_run() {
    let host = host();
    let bench = load(&host, "test-guests/bench").await;
    let mut req = request(json!({}), vec![target("t", "127.0.0.1")], Grants::none());
    req.limits = Limits {
        max_host_calls: 1,
        ..req.limits
    };
    let report = host.run(&bench, req).await;
    let message = fault(&report, FaultKind::HostCallBudget);
    assert_eq!(
        message,
        "host call budget exhausted: more than 1 calls to host imports"
    );
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn output_over_the_cap_is_a_fault() {
    let host = host();
    let bench = load(&host, "test-guests/bench").await;
    let mut req = request(json!({}), vec![target("t", "127.0.0.1")], Grants::none());
    req.limits.max_output_bytes = 10;
    let report = host.run(&bench, req).await;
    let message = fault(&report, FaultKind::OutputTooLarge);
    assert!(message.contains("10 bytes"), "{message}");
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn bench_completes_with_two_host_calls() {
    let host = host();
    let bench = load(&host, "test-guests/bench").await;
    let report = host
        .run(
            &bench,
            request(json!({}), vec![target("t1", "127.0.0.1")], Grants::none()),
        )
        .await;
    let RunOutcome::Completed(observations) = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert_eq!(observations.len(), 1);
    assert_eq!(observations[0].target, "t1");
    assert_eq!(report.stats.host_calls, 2);
    assert_eq!(report.logs.len(), 1);
    assert!(report.stats.peak_memory_bytes > 0);
}

#[tokio::test]
async fn a_wasi_guest_runs_but_its_file_env_and_socket_attempts_are_refused() {
    let host = host();
    let guest = load(&host, "test-guests/wasi").await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "secret host file").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = json!({
        "path": file.path().to_str().unwrap(),
        "env_var": "PATH",
        "tcp_address": listener.local_addr().unwrap().to_string(),
    });
    assert!(
        std::env::var("PATH").is_ok(),
        "the host process has the variable the guest asks for"
    );
    let report = host
        .run(
            &guest,
            request(config, vec![target("t", "127.0.0.1")], Grants::none()),
        )
        .await;
    let RunOutcome::Completed(observations) = &report.outcome else {
        panic!(
            "the wasi guest must run, got {:?} (logs: {:?})",
            report.outcome, report.logs
        );
    };
    let mut attempts = Vec::new();
    for o in observations {
        let vigia_core::ObservationKind::Metric(m) = &o.kind else {
            panic!("{o:?}")
        };
        let label = |k: &str| {
            m.metric_labels
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let (attempt, result) = (label("attempt"), label("result"));
        assert_eq!(m.value, 0.0, "{attempt} must fail: {result}");
        assert!(result.starts_with("error: "), "{attempt}: {result}");
        if attempt == "tcp_connect" {
            assert!(result.contains("access-denied"), "{result}");
        }
        attempts.push(attempt);
    }
    assert_eq!(attempts, ["fs_read", "env_var", "tcp_connect"]);
    // Nothing connected to the listener.
    let accepted = tokio::time::timeout(Duration::ZERO, listener.accept()).await;
    assert!(accepted.is_err(), "the guest reached the host's socket");
    assert_host_survives(&host).await;
}
