//! The state service against the in-memory store: applies, persists, retries, sweeps, prunes,
//! restores and flushes on shutdown. Every wait is on a condition with a deadline.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vigia_core::OnuStatus;
use vigia_state::testing::MemoryStateStore;
use vigia_state::testing::fixtures::{obs, onu, reach, run};
use vigia_state::{
    Committed, Overrides, ServiceConfig, State, StateConfig, StateHandle, StateService,
};

const DEADLINE: Duration = Duration::from_secs(10);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A time safely in the past: observations after "now" are clamped to the apply time.
fn past_ms() -> u64 {
    now_ms() - 10_000
}

fn config(service: ServiceConfig) -> StateConfig {
    StateConfig {
        service: ServiceConfig {
            retry_initial_ms: 10,
            retry_max_ms: 50,
            ..service
        },
        ..StateConfig::default()
    }
}

fn onus(at: u64, status: OnuStatus) -> Committed {
    let observations = (1..=4)
        .map(|i| {
            obs(
                "acct",
                at,
                onu(&format!("hwtc{i:02}"), "olt-1", 1, status, None, None),
            )
        })
        .collect();
    Committed {
        agent: "agent-a".into(),
        runs: vec![run("smartolt", at, observations)],
    }
}

/// Polls `check` until it holds or the deadline passes.
async fn eventually(check: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    check()
}

async fn start(
    store: &Arc<MemoryStateStore>,
    config: StateConfig,
    overrides: Option<Overrides>,
) -> (StateHandle, tokio::task::JoinHandle<()>) {
    StateService::start(store.clone(), config, overrides)
        .await
        .unwrap()
}

#[tokio::test]
async fn applies_persists_and_restores() {
    let store = Arc::new(MemoryStateStore::new());
    let overrides = Overrides::parse(
        "[[entity]]\nid = \"olt:olt-1\"\nname = \"OLT 1\"\nsite = \"centro\"\n",
        Path::new("o.toml"),
    )
    .unwrap();
    let (handle, task) = start(
        &store,
        config(ServiceConfig::default()),
        Some(overrides.clone()),
    )
    .await;
    let t = past_ms();
    handle
        .sender()
        .send(onus(t, OnuStatus::Online))
        .await
        .unwrap();
    handle
        .sender()
        .send(onus(t + 1, OnuStatus::Los))
        .await
        .unwrap();
    assert!(
        store
            .wait_for(DEADLINE, |s| s.all_changes().len() == 8)
            .await,
        "changes: {:?}",
        store.all_changes()
    );
    assert!(
        store
            .wait_for(DEADLINE, |s| s.entity_rows().len() == 7)
            .await
    );
    let olt_row = store
        .entity_rows()
        .into_iter()
        .find(|r| r.id == "olt:olt-1")
        .unwrap();
    assert_eq!(olt_row.name, "OLT 1");
    assert_eq!(olt_row.site.as_deref(), Some("pop:centro"));
    assert_eq!(store.edge_rows().len(), 5, "olt -> pon, pon -> 4 onus");
    {
        let live = handle.read();
        assert_eq!(live.entity("onu:HWTC01").unwrap().state.state, State::Down);
    }
    let counters = handle.counters();
    assert_eq!(counters.applied_runs, 2);
    assert_eq!(counters.state_changes, 8);
    assert_eq!(counters.store_errors, 0);

    handle.shutdown();
    tokio::time::timeout(DEADLINE, task).await.unwrap().unwrap();
    let before: Vec<_> = {
        let live = handle.read();
        [
            "onu:HWTC01",
            "olt:olt-1",
            "pon_port:olt-1/0/1",
            "pop:centro",
        ]
        .into_iter()
        .map(|id| live.entity(id).unwrap())
        .collect()
    };

    // A new service on the same store comes back with the same views.
    let (again, task) = start(&store, config(ServiceConfig::default()), Some(overrides)).await;
    {
        let live = again.read();
        for want in &before {
            let mut got = live.entity(&want.id).unwrap();
            // A down entity's last up time comes back from its history as the time its up
            // period ended (the change to down), not its last up observation: never earlier.
            if let (Some(live_up), Some(restored_up)) = (want.last_up_ms, got.last_up_ms) {
                assert!(restored_up >= live_up, "{}", want.id);
                assert!(restored_up <= want.state.since_ms, "{}", want.id);
                got.last_up_ms = want.last_up_ms;
            }
            assert_eq!(&got, want);
        }
    }
    again.shutdown();
    tokio::time::timeout(DEADLINE, task).await.unwrap().unwrap();
}

#[tokio::test]
async fn store_failures_are_retried_and_changes_kept() {
    let store = Arc::new(MemoryStateStore::new());
    let (handle, task) = start(&store, config(ServiceConfig::default()), None).await;
    // The start-up prune is a write too: let it pass first.
    assert!(
        store
            .wait_for(DEADLINE, |s| s.prune_calls().len() == 1)
            .await
    );
    store.fail_next_writes(3);
    handle
        .sender()
        .send(onus(now_ms(), OnuStatus::Online))
        .await
        .unwrap();
    assert!(
        store
            .wait_for(DEADLINE, |s| s.all_changes().len() == 4)
            .await
    );
    assert_eq!(store.failed_writes(), 3);
    assert_eq!(handle.counters().store_errors, 3);
    assert_eq!(handle.counters().dropped_changes, 0);
    assert_eq!(store.entity_rows().len(), 6);
    handle.shutdown();
    tokio::time::timeout(DEADLINE, task).await.unwrap().unwrap();
}

#[tokio::test]
async fn pending_changes_are_bounded_and_drops_counted() {
    let store = Arc::new(MemoryStateStore::new());
    let (handle, task) = start(
        &store,
        config(ServiceConfig {
            max_pending_changes: 3,
            shutdown_flush_ms: 2_000,
            ..ServiceConfig::default()
        }),
        None,
    )
    .await;
    assert!(
        store
            .wait_for(DEADLINE, |s| s.prune_calls().len() == 1)
            .await
    );
    store.fail_next_writes(u64::MAX);
    let t = now_ms();
    handle
        .sender()
        .send(onus(t, OnuStatus::Online))
        .await
        .unwrap();
    assert!(eventually(|| handle.counters().dropped_changes == 1).await);
    assert_eq!(handle.counters().pending_changes, 3);
    assert!(handle.counters().store_errors >= 1);
    // The state itself is complete: only persistence lost history.
    assert_eq!(handle.read().counts().by_kind["onu"][&State::Up], 4);
    // The store recovers: the kept changes are written.
    store.fail_next_writes(0);
    assert!(
        store
            .wait_for(DEADLINE, |s| s.all_changes().len() == 3)
            .await
    );
    handle.shutdown();
    tokio::time::timeout(DEADLINE, task).await.unwrap().unwrap();
}

#[tokio::test]
async fn sweep_and_prune_run_periodically() {
    let store = Arc::new(MemoryStateStore::new());
    let mut cfg = config(ServiceConfig {
        sweep_every_ms: 20,
        prune_every_ms: 50,
        history_days: 90,
        batches_days: 7,
        ..ServiceConfig::default()
    });
    cfg.stale_after_ms = 200;
    let before = now_ms();
    let (handle, task) = start(&store, cfg, None).await;
    let t = now_ms();
    handle
        .sender()
        .send(Committed {
            agent: "a".into(),
            runs: vec![run("ping", t, vec![obs("x", t, reach("10.0.0.1", true))])],
        })
        .await
        .unwrap();
    assert!(
        store
            .wait_for(DEADLINE, |s| s
                .all_changes()
                .iter()
                .any(|c| c.entity_id == "host:10.0.0.1" && c.state == "unknown"))
            .await,
        "{:?}",
        store.all_changes()
    );
    assert_eq!(
        handle.read().entity("host:10.0.0.1").unwrap().state.state,
        State::Unknown
    );
    assert!(
        store
            .wait_for(DEADLINE, |s| s.prune_calls().len() >= 2)
            .await
    );
    let after = now_ms();
    const DAY: u64 = 86_400_000;
    for (history_before, batches_before) in store.prune_calls() {
        assert!(history_before >= before - 90 * DAY && history_before <= after - 90 * DAY);
        assert!(batches_before >= before - 7 * DAY && batches_before <= after - 7 * DAY);
    }
    assert!(handle.counters().prunes >= 2);
    handle.shutdown();
    tokio::time::timeout(DEADLINE, task).await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_flushes_queued_batches() {
    let store = Arc::new(MemoryStateStore::new());
    let (handle, task) = start(&store, config(ServiceConfig::default()), None).await;
    let t = past_ms();
    let sender = handle.sender();
    for i in 0..10 {
        sender.send(onus(t + i, OnuStatus::Online)).await.unwrap();
    }
    sender
        .send(onus(t + 10, OnuStatus::PowerFail))
        .await
        .unwrap();
    handle.shutdown();
    tokio::time::timeout(DEADLINE, task).await.unwrap().unwrap();
    let changes = store.all_changes();
    assert_eq!(changes.len(), 8, "{changes:?}");
    assert_eq!(
        changes.iter().filter(|c| c.reason == "power fail").count(),
        4
    );
    assert_eq!(handle.counters().applied_runs, 11);
    assert!(
        handle
            .sender()
            .send(onus(t, OnuStatus::Online))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn overrides_reload_replaces_override_edges() {
    let store = Arc::new(MemoryStateStore::new());
    let first = Overrides::parse(
        "[[edge]]\nparent = \"pop:a\"\nchild = \"olt:olt-1\"\n",
        Path::new("o.toml"),
    )
    .unwrap();
    let (handle, task) = start(&store, config(ServiceConfig::default()), Some(first)).await;
    assert!(store.wait_for(DEADLINE, |s| s.edge_rows().len() == 1).await);
    let second = Overrides::parse(
        "[[edge]]\nparent = \"pop:b\"\nchild = \"olt:olt-1\"\n",
        Path::new("o.toml"),
    )
    .unwrap();
    handle.reload_overrides(second).await.unwrap();
    assert!(
        store
            .wait_for(DEADLINE, |s| {
                let edges = s.edge_rows();
                edges.len() == 1 && edges[0].parent == "pop:b"
            })
            .await,
        "{:?}",
        store.edge_rows()
    );
    handle.shutdown();
    tokio::time::timeout(DEADLINE, task).await.unwrap().unwrap();
}
