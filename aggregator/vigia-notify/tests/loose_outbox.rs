//! An outbox whose `next_due_ms` counts entries blocked behind an older one of their channel
//! (looser than the contract) must not make the notifier spin.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{TG_TOKEN, WAIT, load, notice};
use tokio_util::sync::CancellationToken;
use vigia_correlate::NoticeKind;
use vigia_notify::testing::FakeTelegram;
use vigia_notify::{MemoryOutbox, MemoryState, Notifier, Outbox, OutboxError, Pending};

struct LooseOutbox {
    inner: MemoryOutbox,
    due_calls: AtomicUsize,
}

#[async_trait::async_trait]
impl Outbox for LooseOutbox {
    async fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<Pending>, OutboxError> {
        self.due_calls.fetch_add(1, Ordering::Relaxed);
        self.inner.due(now_ms, limit).await
    }
    async fn next_due_ms(&self) -> Result<Option<u64>, OutboxError> {
        // The earliest pending entry, blocked or not.
        Ok(self
            .inner
            .entries()
            .iter()
            .filter_map(|e| match e.state {
                MemoryState::Pending {
                    next_attempt_ms, ..
                } => Some(next_attempt_ms),
                _ => None,
            })
            .min())
    }
    async fn sent(&self, id: u64, at_ms: u64) -> Result<(), OutboxError> {
        self.inner.sent(id, at_ms).await
    }
    async fn retry(
        &self,
        id: u64,
        attempts: u32,
        next: u64,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.inner.retry(id, attempts, next, error).await
    }
    async fn failed(&self, id: u64, attempts: u32, error: &str) -> Result<(), OutboxError> {
        self.inner.failed(id, attempts, error).await
    }
}

#[tokio::test]
async fn a_blocked_entry_does_not_make_the_notifier_spin() {
    let telegram = FakeTelegram::start(TG_TOKEN).await.expect("fake telegram");
    telegram.rate_limit_next(1, 2);
    let (config, _dir) = load(&format!(
        "[[channels]]\nname = \"tg\"\ntelegram = {{ bot_token_file = \"$DIR/tg\", chat_id = 1, api_url = \"{}\" }}\n",
        telegram.url()
    ));
    let outbox = Arc::new(LooseOutbox {
        inner: MemoryOutbox::new(),
        due_calls: AtomicUsize::new(0),
    });
    outbox.inner.push("tg", notice(NoticeKind::Opened, 1));
    outbox.inner.push("tg", notice(NoticeKind::Resolved, 1));
    let notifier = Notifier::new(config, outbox.clone()).expect("notifier");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(notifier.run(shutdown.clone()));

    // The opened notice waits 2 s (retry_after); the resolved one is blocked behind it.
    let requests = telegram
        .wait_for_requests(3, WAIT)
        .await
        .expect("three requests");
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200, 200]);
    assert!(requests[1].text.contains("opened") && requests[2].text.contains("resolved"));
    let calls = outbox.due_calls.load(Ordering::Relaxed);
    // A 50 ms poll would make about 40 calls in those 2 s; the growing pause makes about 7.
    assert!(
        calls <= 15,
        "the notifier polled the outbox {calls} times in 2 s"
    );

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops")
        .expect("no panic");
}
