//! Shared by the uplink's integration tests: certificates, the test aggregator, a real spool in
//! a temporary directory, and an uplink task that is stopped when the test ends.
#![allow(dead_code, unused_imports)]

pub mod aggregator;
pub mod pki;
pub mod service;
pub mod store;
pub mod tls_incoming;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigia_core::run::{FaultKind, PluginRef, RunOutcome, RunResult};
use vigia_spool::{SledSpool, Spool, SpoolOptions};
use vigia_uplink::{
    HealthSnapshot, HealthSource, OnDemand, TlsIdentity, Uplink, UplinkConfig, UplinkStatus,
    encode_batch,
};

pub use aggregator::TestAggregator;
pub use pki::{Ca, Pem};

/// A bound on every test, so a protocol deadlock fails instead of hanging.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("test finished in time");
}

/// A free loopback address: bound, read, released (for a server that starts later).
pub async fn free_addr() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    listener.local_addr().expect("addr")
}

/// A real spool in a temporary directory; commits right away.
pub struct TestSpool {
    pub spool: Arc<SledSpool>,
    _dir: tempfile::TempDir,
}

impl TestSpool {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = SpoolOptions {
            max_delay: Duration::ZERO,
            cache_capacity_bytes: 8 * 1024 * 1024,
            ..SpoolOptions::default()
        };
        let (spool, _) = SledSpool::open(dir.path().join("spool"), options).expect("open spool");
        Self {
            spool: Arc::new(spool),
            _dir: dir,
        }
    }

    pub fn dyn_spool(&self) -> Arc<dyn Spool> {
        Arc::clone(&self.spool) as Arc<dyn Spool>
    }

    /// Appends one batch per id, each holding one run with that `run_id`; returns their
    /// sequences once durable.
    pub async fn append_runs(&self, ids: impl IntoIterator<Item = String>) -> Vec<u64> {
        let payloads = ids
            .into_iter()
            .map(|id| encode_batch(vec![run(&id)]))
            .collect();
        self.spool.append(payloads).await.expect("append")
    }

    pub async fn append_raw(&self, payload: Vec<u8>) -> u64 {
        self.spool.append(vec![payload]).await.expect("append")[0]
    }

    pub fn depth(&self) -> u64 {
        self.spool.depth().records
    }
}

pub fn ids(prefix: &str, range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("{prefix}-{i}")).collect()
}

pub fn run(run_id: &str) -> RunResult {
    RunResult {
        probe: "cpe-ping".into(),
        plugin: PluginRef {
            plugin_id: "ping".into(),
            version: "0.1.0".into(),
            sha256: [9; 32],
        },
        run_id: run_id.into(),
        started_at_ms: 1_700_000_000_000,
        finished_at_ms: 1_700_000_000_250,
        outcome: RunOutcome::Fault {
            kind: FaultKind::Timeout,
            message: "deadline".into(),
        },
    }
}

/// Health figures: spool depth from the real spool, fixed counters otherwise.
pub struct TestHealth {
    pub spool: Arc<dyn Spool>,
}

impl HealthSource for TestHealth {
    fn snapshot(&self) -> HealthSnapshot {
        let depth = self.spool.depth();
        HealthSnapshot {
            spool_records: depth.records,
            spool_bytes: depth.bytes,
            oldest_unacked_age_ms: 0,
            dropped_records: 2,
            plugin_faults: 3,
            budget_exhaustions: 4,
            probe_runs: 5,
            skipped_overlapping_runs: 6,
            uptime_ms: 7,
        }
    }
}

/// An uplink config for `endpoint` with the agent's certificate and short test timings.
pub fn config(endpoint: String, ca: &Ca, agent: &Pem) -> UplinkConfig {
    let tls = TlsIdentity::from_pem(
        ca.pem().as_bytes(),
        agent.cert.as_bytes(),
        agent.key.as_bytes(),
    )
    .expect("agent tls identity");
    let mut config = UplinkConfig::new(endpoint, "localhost", tls, "agent-1");
    config.backoff_min = Duration::from_millis(20);
    config.backoff_max = Duration::from_millis(200);
    config.heartbeat_interval = Duration::from_secs(3600);
    config.connect_timeout = Duration::from_secs(5);
    config.open_timeout = Duration::from_secs(5);
    config.resume_timeout = Duration::from_secs(5);
    config.ack_timeout = Duration::from_secs(30);
    config
}

/// A running uplink; cancelled when dropped.
pub struct RunningUplink {
    pub status: UplinkStatus,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl RunningUplink {
    pub fn spawn(config: UplinkConfig, spool: &TestSpool) -> Self {
        Self::spawn_with(config, spool, None)
    }

    /// Like [`spawn`](Self::spawn), with an on-demand probe handler when given one.
    pub fn spawn_with(
        config: UplinkConfig,
        spool: &TestSpool,
        on_demand: Option<Arc<dyn OnDemand>>,
    ) -> Self {
        let health = Arc::new(TestHealth {
            spool: spool.dyn_spool(),
        });
        let mut uplink =
            Uplink::new(config, spool.dyn_spool(), health).expect("valid uplink config");
        if let Some(handler) = on_demand {
            uplink = uplink.with_on_demand(handler);
        }
        let status = uplink.status();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(uplink.run(shutdown.clone()));
        Self {
            status,
            shutdown,
            task: Some(task),
        }
    }

    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Cancels and waits for the uplink to return.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let task = self.task.take().expect("task");
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("uplink stopped in time")
            .expect("uplink task did not panic");
    }
}

impl Drop for RunningUplink {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Polls `done` every 10 ms until it holds; panics with `what` after `timeout`.
pub async fn eventually(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
