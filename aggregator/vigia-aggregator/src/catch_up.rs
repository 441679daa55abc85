//! Keeps the live state off the agents' acknowledgement path without losing anything.
//!
//! The ingest acks a batch once it is durable and then offers its runs to the live state without
//! waiting ([`StateFeed`]). When the state's queue is full (it applies more slowly than agents
//! send, e.g. while a thousand agents replay their backlogs), the batch is not dropped from the
//! state's view: the feed marks the time, and [`run`] later reads every batch received since that
//! mark back from the store, in received order, and hands it to the state with waiting allowed.
//! Applying a batch twice changes nothing (the state is idempotent and ignores observations older
//! than what it holds), so re-reading batches that also went through the queue is harmless.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use vigia_core::run::RunResult;
use vigia_ingest::CommitListener;
use vigia_state::Committed;
use vigia_store::{AgentId, IngestStore, ReceivedCursor};

/// Batches per store read while catching up, and their payload bytes.
const PAGE_BATCHES: usize = 256;
const PAGE_BYTES: usize = 16 * 1024 * 1024;
/// A store batch is stamped when committed, a little before the feed sees it full: start reading
/// this much earlier than the mark.
const MARK_MARGIN_MS: u64 = 2_000;
/// Wait after a failed store read before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Where the state fell behind, shared by the feed and the catch-up task.
#[derive(Debug)]
pub(crate) struct Lag {
    /// Earliest receive time (Unix ms) not yet given to the state; `u64::MAX` when none.
    mark: AtomicU64,
    wake: Notify,
    catching_up: AtomicBool,
    overflowed_batches: AtomicU64,
    reread_batches: AtomicU64,
    undecodable: AtomicU64,
}

impl Default for Lag {
    fn default() -> Self {
        Self {
            mark: AtomicU64::new(u64::MAX),
            wake: Notify::new(),
            catching_up: AtomicBool::new(false),
            overflowed_batches: AtomicU64::new(0),
            reread_batches: AtomicU64::new(0),
            undecodable: AtomicU64::new(0),
        }
    }
}

impl Lag {
    fn mark(&self, at_ms: u64) {
        self.overflowed_batches.fetch_add(1, Ordering::Relaxed);
        self.mark
            .fetch_min(at_ms.saturating_sub(MARK_MARGIN_MS), Ordering::AcqRel);
        self.wake.notify_one();
    }

    fn take(&self) -> Option<u64> {
        let mark = self.mark.swap(u64::MAX, Ordering::AcqRel);
        (mark != u64::MAX).then_some(mark)
    }

    /// True while batches wait to be re-read from the store.
    pub(crate) fn lagging(&self) -> bool {
        self.catching_up.load(Ordering::Relaxed) || self.mark.load(Ordering::Relaxed) != u64::MAX
    }

    pub(crate) fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let _ = write!(
            out,
            "# HELP vigia_state_overflowed_batches_total Committed batches the live state could not \
             take at once (re-read from the store later).\n\
             # TYPE vigia_state_overflowed_batches_total counter\n\
             vigia_state_overflowed_batches_total {}\n\
             # HELP vigia_state_reread_batches_total Batches re-read from the store to catch up.\n\
             # TYPE vigia_state_reread_batches_total counter\n\
             vigia_state_reread_batches_total {}\n\
             # HELP vigia_state_reread_undecodable_total Re-read batches whose runs did not convert.\n\
             # TYPE vigia_state_reread_undecodable_total counter\n\
             vigia_state_reread_undecodable_total {}\n\
             # HELP vigia_state_lagging 1 while the live state is behind the stored batches.\n\
             # TYPE vigia_state_lagging gauge\nvigia_state_lagging {}\n",
            get(&self.overflowed_batches),
            get(&self.reread_batches),
            get(&self.undecodable),
            u8::from(self.lagging()),
        );
    }
}

/// The ingest's [`CommitListener`]: offers committed runs to the state without waiting.
pub(crate) struct StateFeed {
    pub(crate) tx: mpsc::Sender<Committed>,
    pub(crate) lag: Arc<Lag>,
}

#[async_trait]
impl CommitListener for StateFeed {
    async fn committed(&self, agent: &AgentId, runs: Vec<RunResult>) {
        let committed = Committed {
            agent: agent.to_string(),
            runs,
        };
        match self.tx.try_send(committed) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.lag.mark(now_ms()),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // Only during shutdown: the batch is stored; the state refills from new results.
                tracing::debug!(agent_id = %agent, "state service stopped; batch not applied");
            }
        }
    }
}

/// Re-reads what the state missed, whenever the feed marks a lag, until `stop`.
pub(crate) async fn run(
    store: Arc<dyn IngestStore>,
    tx: mpsc::Sender<Committed>,
    lag: Arc<Lag>,
    stop: CancellationToken,
) {
    loop {
        let Some(from_ms) = lag.take() else {
            tokio::select! {
                () = stop.cancelled() => return,
                () = lag.wake.notified() => continue,
            }
        };
        lag.catching_up.store(true, Ordering::Relaxed);
        tracing::info!(
            from_ms,
            "live state behind the ingest: re-reading stored batches"
        );
        let finished = tokio::select! {
            () = stop.cancelled() => false,
            done = replay(&*store, &tx, &lag, from_ms) => done,
        };
        lag.catching_up.store(false, Ordering::Relaxed);
        if !finished {
            return;
        }
    }
}

/// Hands every batch received since `from_ms` to the state; false when the state stopped.
async fn replay(
    store: &dyn IngestStore,
    tx: &mpsc::Sender<Committed>,
    lag: &Lag,
    from_ms: u64,
) -> bool {
    let mut cursor = ReceivedCursor::start(from_ms);
    loop {
        let page = match store
            .received_after(&cursor, PAGE_BATCHES, PAGE_BYTES)
            .await
        {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(%error, "cannot re-read stored batches; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
        };
        let Some(last) = page.last() else {
            return true;
        };
        let next = last.cursor.clone();
        for received in page {
            lag.reread_batches.fetch_add(1, Ordering::Relaxed);
            let runs = match decode(&received.batch.payload) {
                Ok(runs) => runs,
                Err(error) => {
                    lag.undecodable.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(agent_id = %received.agent, seq = received.batch.seq, %error,
                        "stored batch does not convert; skipped");
                    continue;
                }
            };
            let committed = Committed {
                agent: received.agent.to_string(),
                runs,
            };
            if tx.send(committed).await.is_err() {
                return false;
            }
        }
        cursor = next;
    }
}

/// A stored payload is the encoded `ResultBatch` as the agent sent it.
fn decode(payload: &[u8]) -> Result<Vec<RunResult>, String> {
    let batch: vigia_proto::agent::v1::ResultBatch =
        vigia_proto::decode(payload).map_err(|error| error.to_string())?;
    vigia_proto::convert::run_results_from_proto(batch.results).map_err(|error| error.to_string())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use vigia_proto::Message;
    use vigia_store::{Batch, SqliteStore};

    use super::*;

    fn stored_batch(seq: u64) -> Batch {
        Batch {
            seq,
            live: true,
            payload: vigia_ingest::testing::result_batch(7, seq, true).encode_to_vec(),
        }
    }

    /// The state's queue holds one batch and nobody reads it at first: every other batch
    /// overflows. Once the state reads again, catch-up re-reads them from the real store, so
    /// the state sees every stored run.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_the_state_could_not_take_are_reread_from_the_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path()).expect("store"));
        let agent = AgentId::new("tower-1").expect("id");
        let (tx, mut rx) = mpsc::channel(1);
        let lag = Arc::new(Lag::default());
        let feed = StateFeed {
            tx: tx.clone(),
            lag: Arc::clone(&lag),
        };
        for seq in 1..=40 {
            store
                .commit(&agent, 7, vec![stored_batch(seq)])
                .await
                .expect("commit");
            let runs = decode(&stored_batch(seq).payload).expect("runs");
            feed.committed(&agent, runs).await;
        }
        assert!(lag.lagging());
        assert_eq!(lag.overflowed_batches.load(Ordering::Relaxed), 39);

        let stop = CancellationToken::new();
        let task = tokio::spawn(run(store, tx, Arc::clone(&lag), stop.clone()));
        let mut seen = BTreeSet::new();
        let expected: BTreeSet<String> = (1..=40).map(|seq| format!("run-7-{seq}")).collect();
        tokio::time::timeout(Duration::from_secs(20), async {
            while seen != expected {
                let committed = rx.recv().await.expect("state queue open");
                assert_eq!(committed.agent, "tower-1");
                seen.extend(committed.runs.into_iter().map(|run| run.run_id));
            }
        })
        .await
        .unwrap_or_else(|_| panic!("every stored run reached the state; got {seen:?}"));
        stop.cancel();
        task.await.expect("catch-up task");
        assert_eq!(lag.reread_batches.load(Ordering::Relaxed), 40);
        assert!(!lag.lagging());
        let mut text = String::new();
        lag.render(&mut text);
        assert!(
            text.contains("vigia_state_overflowed_batches_total 39\n"),
            "{text}"
        );
    }
}
