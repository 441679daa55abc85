//! The commit counters both backends keep.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of the writer, cumulative since open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// `commit` calls received.
    pub commit_calls: u64,
    /// Transactions committed (each one durable); fewer than `commit_calls` when grouped.
    pub transactions: u64,
    /// Transactions that failed and were rolled back.
    pub failed_transactions: u64,
    /// Batches inserted.
    pub batches_inserted: u64,
    /// Batches that were already stored.
    pub duplicates: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) commit_calls: AtomicU64,
    pub(crate) transactions: AtomicU64,
    pub(crate) failed_transactions: AtomicU64,
    pub(crate) batches_inserted: AtomicU64,
    pub(crate) duplicates: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> StoreStats {
        StoreStats {
            commit_calls: self.commit_calls.load(Ordering::Relaxed),
            transactions: self.transactions.load(Ordering::Relaxed),
            failed_transactions: self.failed_transactions.load(Ordering::Relaxed),
            batches_inserted: self.batches_inserted.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
        }
    }

    /// Counts one committed transaction and what each of its calls did.
    pub(crate) fn committed<'a>(&self, outcomes: impl IntoIterator<Item = &'a crate::Committed>) {
        self.transactions.fetch_add(1, Ordering::Relaxed);
        for committed in outcomes {
            self.batches_inserted
                .fetch_add(committed.inserted.len() as u64, Ordering::Relaxed);
            self.duplicates
                .fetch_add(committed.duplicates.len() as u64, Ordering::Relaxed);
        }
    }
}
