//! The outbox: notices stored for delivery, one entry per channel. The aggregator implements
//! [`Outbox`] over its store; [`MemoryOutbox`] keeps entries in memory (tests, tools).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use vigia_correlate::Notice;

/// An outbox entry to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Unique and increasing in the order entries were stored.
    pub id: u64,
    pub channel: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it was stored (Unix ms).
    pub created_ms: u64,
    pub notice: Notice,
}

/// An outbox store failed.
#[derive(Debug, thiserror::Error)]
#[error("outbox {operation} failed")]
pub struct OutboxError {
    pub operation: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl OutboxError {
    pub fn new(
        operation: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            operation,
            source: source.into(),
        }
    }
}

/// Where notices wait for delivery. Times are Unix milliseconds.
///
/// **Order contract.** Entries of one channel are delivered in id order: `due` returns, for each
/// channel, only entries with no older pending entry of the same channel waiting for a later
/// attempt (the oldest pending entry of a channel blocks the others until it is sent or failed).
/// `next_due_ms` is the earliest time `due` would return something under that rule.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync {
    /// Pending entries whose next attempt is at or before `now_ms`, in id order (see the order
    /// contract), at most `limit`.
    async fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<Pending>, OutboxError>;
    /// When the next entry becomes due, if any is pending.
    async fn next_due_ms(&self) -> Result<Option<u64>, OutboxError>;
    /// Delivered: never attempt again.
    async fn sent(&self, id: u64, at_ms: u64) -> Result<(), OutboxError>;
    /// Failed for now: `attempts` made so far, next attempt not before `next_attempt_ms`.
    async fn retry(
        &self,
        id: u64,
        attempts: u32,
        next_attempt_ms: u64,
        error: &str,
    ) -> Result<(), OutboxError>;
    /// Given up: never attempt again.
    async fn failed(&self, id: u64, attempts: u32, error: &str) -> Result<(), OutboxError>;
}

/// An entry's state in a [`MemoryOutbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryState {
    Pending {
        next_attempt_ms: u64,
        last_error: Option<String>,
    },
    Sent {
        at_ms: u64,
    },
    Failed {
        error: String,
    },
}

/// An entry of a [`MemoryOutbox`], as [`MemoryOutbox::entries`] shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryEntry {
    pub id: u64,
    pub channel: String,
    pub attempts: u32,
    pub created_ms: u64,
    pub notice: Notice,
    pub state: MemoryState,
}

/// An [`Outbox`] in memory: lost on restart, fine for tests and tools.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    entries: Mutex<BTreeMap<u64, MemoryEntry>>,
}

impl MemoryOutbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a notice for a channel, due now; returns its id.
    pub fn push(&self, channel: &str, notice: Notice) -> u64 {
        self.push_at(channel, notice, now_ms())
    }

    /// Stores a notice for a channel as if stored at `created_ms` (due then).
    pub fn push_at(&self, channel: &str, notice: Notice, created_ms: u64) -> u64 {
        let mut entries = self.lock();
        let id = entries.last_key_value().map_or(1, |(id, _)| id + 1);
        entries.insert(
            id,
            MemoryEntry {
                id,
                channel: channel.to_owned(),
                attempts: 0,
                created_ms,
                notice,
                state: MemoryState::Pending {
                    next_attempt_ms: created_ms,
                    last_error: None,
                },
            },
        );
        id
    }

    /// Every entry, in id order.
    pub fn entries(&self) -> Vec<MemoryEntry> {
        self.lock().values().cloned().collect()
    }

    /// One entry.
    pub fn entry(&self, id: u64) -> Option<MemoryEntry> {
        self.lock().get(&id).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, MemoryEntry>> {
        // No code panics while holding it; a poisoned map is still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The oldest pending entry of every channel: the only ones that may be due.
    fn heads(entries: &BTreeMap<u64, MemoryEntry>) -> BTreeMap<&str, (u64, u64)> {
        let mut heads = BTreeMap::new();
        for entry in entries.values() {
            if let MemoryState::Pending {
                next_attempt_ms, ..
            } = entry.state
            {
                heads
                    .entry(entry.channel.as_str())
                    .or_insert((entry.id, next_attempt_ms));
            }
        }
        heads
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut MemoryEntry)) -> Result<(), OutboxError> {
        match self.lock().get_mut(&id) {
            Some(entry) => {
                f(entry);
                Ok(())
            }
            None => Err(OutboxError::new("update", format!("no outbox entry {id}"))),
        }
    }
}

#[async_trait::async_trait]
impl Outbox for MemoryOutbox {
    async fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<Pending>, OutboxError> {
        let entries = self.lock();
        let heads = Self::heads(&entries);
        let mut due = Vec::new();
        // A channel is open while its entries are due in id order; the first one not due
        // blocks the rest of that channel.
        let mut blocked: BTreeMap<&str, bool> = BTreeMap::new();
        for entry in entries.values() {
            if due.len() >= limit {
                break;
            }
            let MemoryState::Pending {
                next_attempt_ms, ..
            } = entry.state
            else {
                continue;
            };
            let channel = entry.channel.as_str();
            if !heads.contains_key(channel) || blocked.get(channel).copied().unwrap_or(false) {
                continue;
            }
            if next_attempt_ms > now_ms {
                blocked.insert(channel, true);
                continue;
            }
            due.push(Pending {
                id: entry.id,
                channel: entry.channel.clone(),
                attempts: entry.attempts,
                created_ms: entry.created_ms,
                notice: entry.notice.clone(),
            });
        }
        Ok(due)
    }

    async fn next_due_ms(&self) -> Result<Option<u64>, OutboxError> {
        let entries = self.lock();
        Ok(Self::heads(&entries).values().map(|(_, at)| *at).min())
    }

    async fn sent(&self, id: u64, at_ms: u64) -> Result<(), OutboxError> {
        self.update(id, |entry| {
            entry.attempts += 1;
            entry.state = MemoryState::Sent { at_ms };
        })
    }

    async fn retry(
        &self,
        id: u64,
        attempts: u32,
        next_attempt_ms: u64,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.update(id, |entry| {
            entry.attempts = attempts;
            entry.state = MemoryState::Pending {
                next_attempt_ms,
                last_error: Some(error.to_owned()),
            };
        })
    }

    async fn failed(&self, id: u64, attempts: u32, error: &str) -> Result<(), OutboxError> {
        self.update(id, |entry| {
            entry.attempts = attempts;
            entry.state = MemoryState::Failed {
                error: error.to_owned(),
            };
        })
    }
}

/// Wall-clock time in Unix milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use vigia_correlate::NoticeKind;

    use super::{MemoryOutbox, MemoryState, Outbox};
    use crate::render::tests::sample_notice;

    #[tokio::test]
    async fn a_waiting_entry_blocks_its_channel_only() {
        let outbox = MemoryOutbox::new();
        let a1 = outbox.push_at("a", sample_notice(NoticeKind::Opened, 1), 1_000);
        let a2 = outbox.push_at("a", sample_notice(NoticeKind::Resolved, 1), 1_100);
        let b1 = outbox.push_at("b", sample_notice(NoticeKind::Opened, 1), 1_200);

        let due: Vec<u64> = outbox
            .due(2_000, 10)
            .await
            .expect("due")
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(due, [a1, a2, b1]);
        assert_eq!(outbox.due(2_000, 2).await.expect("due").len(), 2);

        outbox.retry(a1, 1, 5_000, "busy").await.expect("retry");
        let due: Vec<u64> = outbox
            .due(2_000, 10)
            .await
            .expect("due")
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(due, [b1], "a2 waits behind a1");
        assert_eq!(outbox.next_due_ms().await.expect("next"), Some(1_200));

        outbox.sent(b1, 2_000).await.expect("sent");
        assert_eq!(outbox.next_due_ms().await.expect("next"), Some(5_000));
        assert!(outbox.due(4_999, 10).await.expect("due").is_empty());
        let due: Vec<u64> = outbox
            .due(5_000, 10)
            .await
            .expect("due")
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(due, [a1, a2]);

        outbox.failed(a1, 2, "gone").await.expect("failed");
        outbox.sent(a2, 5_001).await.expect("sent");
        assert_eq!(outbox.next_due_ms().await.expect("next"), None);
        let entry = outbox.entry(a1).expect("entry");
        assert_eq!(entry.attempts, 2);
        assert_eq!(
            entry.state,
            MemoryState::Failed {
                error: "gone".into()
            }
        );
        assert!(outbox.sent(99, 0).await.is_err());
    }
}
