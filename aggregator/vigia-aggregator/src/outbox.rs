//! The notifier's [`Outbox`] over the store's notice rows: what `vigia-notify` delivers is what the
//! correlator stored with its events, in the same transaction, so no notice is lost across a
//! restart. A row whose payload cannot be read (a bug, or a hand-edited database) is failed with
//! the reason, never retried forever.

use std::sync::Arc;

use async_trait::async_trait;
use vigia_correlate::Notice;
use vigia_notify::{Outbox, OutboxError, Pending};
use vigia_store::{EventStore, NoticeRow, StoreError};

pub(crate) struct StoreOutbox {
    pub(crate) store: Arc<dyn EventStore>,
}

fn failed(operation: &'static str) -> impl Fn(StoreError) -> OutboxError {
    move |error| OutboxError::new(operation, Box::new(error))
}

#[async_trait]
impl Outbox for StoreOutbox {
    async fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<Pending>, OutboxError> {
        let rows = self
            .store
            .due_notices(now_ms, limit)
            .await
            .map_err(failed("due"))?;
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            match serde_json::from_str::<Notice>(&row.payload_json) {
                Ok(notice) => due.push(Pending {
                    id: row.id,
                    channel: row.channel,
                    attempts: row.attempts,
                    created_ms: row.created_ms,
                    notice,
                }),
                Err(error) => {
                    tracing::error!(id = row.id, %error, "unreadable notice payload; failing it");
                    self.store
                        .notice_failed(row.id, row.attempts, format!("unreadable payload: {error}"))
                        .await
                        .map_err(failed("failed"))?;
                }
            }
        }
        Ok(due)
    }

    async fn next_due_ms(&self) -> Result<Option<u64>, OutboxError> {
        self.store
            .next_notice_due_ms()
            .await
            .map_err(failed("next_due_ms"))
    }

    async fn sent(&self, id: u64, at_ms: u64) -> Result<(), OutboxError> {
        self.store
            .notice_sent(id, at_ms)
            .await
            .map(drop)
            .map_err(failed("sent"))
    }

    async fn retry(
        &self,
        id: u64,
        attempts: u32,
        next_attempt_ms: u64,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.store
            .notice_retry(id, attempts, next_attempt_ms, error.to_owned())
            .await
            .map(drop)
            .map_err(failed("retry"))
    }

    async fn failed(&self, id: u64, attempts: u32, error: &str) -> Result<(), OutboxError> {
        self.store
            .notice_failed(id, attempts, error.to_owned())
            .await
            .map(drop)
            .map_err(failed("failed"))
    }
}

/// The outbox rows for a notice: one per channel whose route accepts it.
pub(crate) fn rows_for(
    notice: &Notice,
    channels: &[&str],
    now_ms: u64,
) -> Result<Vec<NoticeRow>, serde_json::Error> {
    let payload = serde_json::to_string(notice)?;
    Ok(channels
        .iter()
        .map(|channel| NoticeRow {
            id: 0,
            event_id: notice.event.id,
            channel: (*channel).to_owned(),
            kind: notice.kind.as_str().to_owned(),
            created_ms: now_ms,
            next_attempt_ms: now_ms,
            attempts: 0,
            state: NoticeRow::PENDING.to_owned(),
            last_error: None,
            sent_ms: None,
            payload_json: payload.clone(),
        })
        .collect())
}
