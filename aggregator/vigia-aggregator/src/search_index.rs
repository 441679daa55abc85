//! The subscriber search index, rebuilt in the background from the live state: at once (spaced by
//! ten times what the last build cost) when entities or links changed, else at most every
//! `diagnosis.search_refresh_ms` when readings changed. Readers take the current index and never
//! wait for a build.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigia_search::Index;
use vigia_state::StateHandle;

/// How often the loop looks for changes.
const CHECK_EVERY: Duration = Duration::from_millis(500);
/// A build waits at least this many times the last build's cost after it.
const SPACING: u32 = 10;

/// The current index and what it cost.
#[derive(Debug, Default)]
pub(crate) struct SearchIndex {
    current: RwLock<Arc<Index>>,
    pub(crate) builds: AtomicU64,
    pub(crate) last_build_us: AtomicU64,
    pub(crate) docs: AtomicU64,
}

impl SearchIndex {
    pub(crate) fn current(&self) -> Arc<Index> {
        Arc::clone(&self.current.read())
    }

    /// Builds the index from the live state now.
    pub(crate) fn rebuild(&self, state: &StateHandle) {
        let started = Instant::now();
        let docs = state.read().search_docs();
        let count = docs.len() as u64;
        match Index::build(docs) {
            Ok(index) => {
                *self.current.write() = Arc::new(index);
                self.docs.store(count, Ordering::Relaxed);
            }
            Err(error) => {
                tracing::error!(%error, "search index not rebuilt; the previous one stays")
            }
        }
        self.builds.fetch_add(1, Ordering::Relaxed);
        self.last_build_us
            .store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }

    pub(crate) fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let index = self.current();
        for (name, help, kind, value) in [
            (
                "vigia_search_builds_total",
                "Search index builds.",
                "counter",
                self.builds.load(Ordering::Relaxed),
            ),
            (
                "vigia_search_last_build_microseconds",
                "What the last search index build took.",
                "gauge",
                self.last_build_us.load(Ordering::Relaxed),
            ),
            (
                "vigia_search_subscribers",
                "Subscribers in the search index.",
                "gauge",
                index.len() as u64,
            ),
            (
                "vigia_search_memory_bytes",
                "Approximate memory of the search index.",
                "gauge",
                index.memory_bytes() as u64,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
    }

    /// Keeps the index fresh until `stop`.
    pub(crate) fn start(
        self: Arc<Self>,
        state: StateHandle,
        refresh: Duration,
        stop: CancellationToken,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut built: Option<(Instant, u64, u64)> = None;
            let mut cost = Duration::ZERO;
            let mut ticks = tokio::time::interval(CHECK_EVERY);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = ticks.tick() => {}
                }
                let (topology, observations) = {
                    let live = state.read();
                    (live.topology_version(), live.stats().observations)
                };
                let due = match built {
                    None => true,
                    Some((at, t, o)) => {
                        let spaced = at.elapsed() >= cost * SPACING;
                        (t != topology && spaced) || (o != observations && at.elapsed() >= refresh)
                    }
                };
                if !due {
                    continue;
                }
                let (this, state2) = (Arc::clone(&self), state.clone());
                let started = Instant::now();
                if tokio::task::spawn_blocking(move || this.rebuild(&state2))
                    .await
                    .is_err()
                {
                    tracing::error!("search index build failed; retrying at the next change");
                }
                cost = started.elapsed();
                built = Some((Instant::now(), topology, observations));
            }
        })
    }
}
