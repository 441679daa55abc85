//! One behaviour suite for every backend: each case is an async function over a [`Backend`]
//! (which opens, and reopens, one test's store as `Arc<dyn Store>`), and [`behaviour_suite!`]
//! expands one `#[tokio::test]` per case in a backend's test file, so a case added here runs
//! against every backend.

#![allow(dead_code)] // Each test binary uses the helpers it needs.

pub mod api_keys;
pub mod events;
pub mod ingest;
pub mod maintenance;
pub mod outbox;
pub mod received;
pub mod state;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use vigia_store::{AgentId, Batch, Store};

/// Longest a single case may run before it fails.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// A backend under test, for one test case.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Opens this case's store; called again after dropping it, it reopens the same data.
    async fn open(&self) -> Arc<dyn Store>;
}

/// Expands one `#[tokio::test]` per suite case; `$backend` is an expression (it may `.await`)
/// giving a fresh [`Backend`] for one case.
macro_rules! behaviour_suite {
    ($backend:expr) => {
        behaviour_suite!(@cases $backend;
            ingest::a_resent_batch_is_a_duplicate_and_stored_once,
            ingest::the_same_sequence_in_another_epoch_or_agent_is_another_batch,
            ingest::the_watermark_stops_at_the_first_gap_and_lists_what_is_above,
            ingest::the_watermark_matches_a_set_model_over_random_commits,
            ingest::acked_lists_at_most_the_limit_above_the_watermark,
            ingest::sequences_outside_the_stored_range_are_refused,
            ingest::concurrent_commits_all_land_with_the_right_watermarks,
            ingest::everything_committed_survives_reopening,
            received::paging_in_received_order_returns_each_batch_once_in_order,
            received::a_start_cursor_skips_batches_received_before_it,
            received::max_bytes_bounds_a_page_but_never_leaves_it_empty,
            received::an_empty_store_has_nothing_received,
            state::entities_are_upserted_by_id_keeping_first_and_last_seen,
            state::edges_are_upserted_and_deleted_by_parent_child_and_source,
            state::history_is_idempotent_newest_first_and_bounded,
            state::latest_changes_give_each_entitys_current_state,
            state::prune_keeps_each_entitys_latest_change_and_drops_old_batches,
            state::times_above_i64_are_refused_and_nothing_is_written,
            state::empty_writes_are_accepted,
            api_keys::an_api_key_is_created_once_and_found_by_hash,
            api_keys::api_keys_are_listed_by_creation_and_revoked_once,
            events::events_are_upserted_by_id_replacing_every_column,
            events::a_save_stores_events_notices_and_checkpoint_together,
            events::pending_updates_coalesce_but_opens_resolves_and_sent_ones_do_not,
            events::active_events_are_listed_by_id,
            events::events_are_listed_newest_first_filtered_and_paged,
            events::since_keeps_events_started_or_resolved_since_and_active_ones,
            events::max_event_id_is_zero_then_the_highest,
            maintenance::maintenance_windows_are_created_updated_listed_and_deleted,
            outbox::a_channel_delivers_in_order_and_a_waiting_head_holds_back_only_its_channel,
            outbox::delivery_moves_notices_to_sent_retry_or_failed,
            events::prune_events_drops_old_resolved_events_and_their_settled_notices,
            events::events_notices_windows_and_checkpoint_survive_reopening,
        );
    };
    (@cases $backend:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let backend = $backend;
                tokio::time::timeout(suite::CASE_TIMEOUT, suite::$module::$case(&backend))
                    .await
                    .expect(concat!(stringify!($case), " timed out"));
            }
        )*
    };
}

pub fn agent(id: &str) -> AgentId {
    AgentId::new(id).expect("valid agent id")
}

pub fn batch(seq: u64) -> Batch {
    Batch {
        seq,
        payload: format!("payload of batch {seq}").into_bytes(),
        live: seq.is_multiple_of(2),
    }
}

pub fn batches(seqs: impl IntoIterator<Item = u64>) -> Vec<Batch> {
    seqs.into_iter().map(batch).collect()
}

/// Wall-clock now, Unix ms (what the stores stamp `received_at_ms` with).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// Waits (bounded) until the wall clock has passed `ms`, so that what is committed next is
/// stamped later than `ms`.
pub async fn clock_past(ms: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while now_ms() <= ms {
        assert!(
            tokio::time::Instant::now() < deadline,
            "clock did not advance"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Throughput of `committers` concurrent callers each making `calls` commits of `per_call`
/// batches (1 KiB payloads) to their own stream: durable batches per second.
pub async fn throughput(backend: &dyn Backend, committers: u64, calls: u64, per_call: u64) -> f64 {
    let store = backend.open().await;
    let started = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..committers)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let who = agent(&format!("bench-{n}"));
                for call in 0..calls {
                    let first = call * per_call + 1;
                    let call_batches = (first..first + per_call)
                        .map(|seq| Batch {
                            seq,
                            payload: vec![0x5a; 1024],
                            live: true,
                        })
                        .collect();
                    let committed = store.commit(&who, 1, call_batches).await.expect("commit");
                    assert_eq!(committed.up_to, first + per_call - 1);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("committer");
    }
    let seconds = started.elapsed().as_secs_f64();
    (committers * calls * per_call) as f64 / seconds
}
