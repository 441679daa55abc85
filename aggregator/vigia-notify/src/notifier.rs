//! The delivery worker: sends what is due in the outbox, retries, gives up, counts.

mod backoff;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::config::{DeliveryOptions, LoadedConfig};
use crate::metrics::{NotifyMetrics, Outcome};
use crate::outbox::{Outbox, OutboxError, Pending, now_ms};
use crate::send::{SendError, Sender, http_client};

/// Most entries taken from the outbox per round.
const BATCH: usize = 100;
/// Longest sleep without looking at the outbox (entries stored without a [`Wake`] are found).
const IDLE_POLL: Duration = Duration::from_secs(30);
/// Pause after an outbox error.
const OUTBOX_ERROR_PAUSE: Duration = Duration::from_secs(5);
/// First pause when the outbox says something is due but returns nothing (its `next_due_ms`
/// counts entries blocked behind an older one of their channel); it doubles while that lasts,
/// up to [`EMPTY_ROUND_PAUSE_MAX`], so such an outbox costs a query a second, not a busy loop.
const EMPTY_ROUND_PAUSE: Duration = Duration::from_millis(50);
const EMPTY_ROUND_PAUSE_MAX: Duration = Duration::from_secs(1);

/// The notifier could not start.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot build the notifier's HTTP client: {0}")]
    HttpClient(String),
}

/// Wakes the notifier after new notices are stored, so they go out at once. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        // Stores a permit when the worker is busy: the next wait returns at once.
        self.0.notify_one();
    }
}

/// Delivers outbox entries to their channels. See the crate docs for the guarantees.
pub struct Notifier {
    inner: Arc<Inner>,
    wake: Arc<Notify>,
}

struct Inner {
    senders: HashMap<String, Sender>,
    outbox: Arc<dyn Outbox>,
    delivery: DeliveryOptions,
    metrics: Arc<NotifyMetrics>,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Round {
    /// Entries taken from the outbox.
    taken: usize,
}

impl Notifier {
    pub fn new(config: LoadedConfig, outbox: Arc<dyn Outbox>) -> Result<Self, NotifyError> {
        let http = http_client(config.delivery.request_timeout).map_err(NotifyError::HttpClient)?;
        let render = Arc::new(config.render);
        let metrics = Arc::new(NotifyMetrics::new(
            config.channels.iter().map(|c| c.name.as_str()),
        ));
        let senders = config
            .channels
            .into_iter()
            .map(|c| (c.name, Sender::new(c.target, http.clone(), render.clone())))
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                senders,
                outbox,
                delivery: config.delivery,
                metrics,
            }),
            wake: Arc::new(Notify::new()),
        })
    }

    /// A handle to call after storing notices.
    pub fn wake_handle(&self) -> Wake {
        Wake(self.wake.clone())
    }

    /// The counters (they outlive [`Self::run`]).
    pub fn metrics(&self) -> Arc<NotifyMetrics> {
        self.inner.metrics.clone()
    }

    /// Delivers until `shutdown` is cancelled: everything due, then sleeps until the next entry
    /// is due, a [`Wake`], or shutdown. A round in progress finishes the request it is making.
    pub async fn run(self, shutdown: CancellationToken) {
        info!(channels = self.inner.senders.len(), "notifier started");
        let mut empty_pause = EMPTY_ROUND_PAUSE;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let pause = match self.deliver_all_due(&shutdown).await {
                Err(error) => {
                    self.inner.metrics.outbox_error();
                    warn!(error = %error_chain(&error), "notifier outbox failed");
                    OUTBOX_ERROR_PAUSE
                }
                Ok(round) => match self.inner.outbox.next_due_ms().await {
                    Err(error) => {
                        self.inner.metrics.outbox_error();
                        warn!(error = %error_chain(&error), "notifier outbox failed");
                        OUTBOX_ERROR_PAUSE
                    }
                    Ok(None) => IDLE_POLL,
                    Ok(Some(at_ms)) => {
                        let wait = Duration::from_millis(at_ms.saturating_sub(now_ms()));
                        if wait.is_zero() && round.taken == 0 {
                            let pause = empty_pause;
                            empty_pause = (empty_pause * 2).min(EMPTY_ROUND_PAUSE_MAX);
                            pause
                        } else {
                            empty_pause = EMPTY_ROUND_PAUSE;
                            wait.min(IDLE_POLL)
                        }
                    }
                },
            };
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        info!("notifier stopped");
    }

    /// Rounds until the outbox returns less than a full batch.
    async fn deliver_all_due(&self, shutdown: &CancellationToken) -> Result<Round, OutboxError> {
        let mut total = Round::default();
        loop {
            let round = self.deliver_due(shutdown).await?;
            total.taken += round.taken;
            if round.taken < BATCH || shutdown.is_cancelled() {
                return Ok(total);
            }
        }
    }

    /// One round: takes what is due and delivers it, channels in parallel, each in order.
    async fn deliver_due(&self, shutdown: &CancellationToken) -> Result<Round, OutboxError> {
        let due = self.inner.outbox.due(now_ms(), BATCH).await?;
        let taken = due.len();
        let mut by_channel: Vec<(String, Vec<Pending>)> = Vec::new();
        for pending in due {
            match by_channel.iter_mut().find(|(c, _)| *c == pending.channel) {
                Some((_, list)) => list.push(pending),
                None => by_channel.push((pending.channel.clone(), vec![pending])),
            }
        }
        let mut tasks = JoinSet::new();
        for (_, list) in by_channel {
            let inner = self.inner.clone();
            let shutdown = shutdown.clone();
            tasks.spawn(async move { inner.deliver_channel(list, &shutdown).await });
        }
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    first_error.get_or_insert(error);
                }
                Err(join) => {
                    first_error.get_or_insert(OutboxError::new("delivery", join.to_string()));
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(Round { taken }),
        }
    }
}

impl Inner {
    /// Delivers one channel's due entries in order; stops at the first one to retry.
    async fn deliver_channel(
        &self,
        list: Vec<Pending>,
        shutdown: &CancellationToken,
    ) -> Result<(), OutboxError> {
        for pending in list {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let channel = pending.channel.as_str();
            let Some(sender) = self.senders.get(channel) else {
                let error = format!("channel {channel:?} is not configured (removed or renamed?)");
                warn!(
                    id = pending.id,
                    channel, "notice for an unknown channel failed"
                );
                self.metrics.unknown_channel();
                self.outbox
                    .failed(pending.id, pending.attempts, &error)
                    .await?;
                continue;
            };
            let result = sender.send(pending.id, &pending.notice).await;
            let now = now_ms();
            let attempts = pending.attempts.saturating_add(1);
            let error = match result {
                Ok(()) => {
                    debug!(id = pending.id, channel, "notice delivered");
                    self.outbox.sent(pending.id, now).await?;
                    self.metrics.record(channel, Outcome::Sent);
                    continue;
                }
                Err(error) => error,
            };
            if let SendError::Permanent(text) = &error {
                warn!(id = pending.id, channel, error = %text, "notice refused, not retried");
                self.outbox.failed(pending.id, attempts, text).await?;
                self.metrics.record(channel, Outcome::Failed);
                continue;
            }
            let age = Duration::from_millis(now.saturating_sub(pending.created_ms));
            if age >= self.delivery.give_up_after {
                let text = format!(
                    "gave up after {attempts} attempts over {} s: {error}",
                    age.as_secs()
                );
                warn!(id = pending.id, channel, error = %text, "notice given up");
                self.outbox.failed(pending.id, attempts, &text).await?;
                self.metrics.record(channel, Outcome::Failed);
                continue;
            }
            let (delay, rate_limited) = match &error {
                SendError::RetryAfter(delay) => (*delay, true),
                _ => (
                    backoff::delay(
                        attempts,
                        self.delivery.retry_initial,
                        self.delivery.retry_max,
                        &mut rand::rng(),
                    ),
                    false,
                ),
            };
            // `now` is rounded down: one more millisecond so the retry is never early.
            let next = now.saturating_add(1).saturating_add(ceil_ms(delay));
            warn!(
                id = pending.id,
                channel,
                attempts,
                retry_in_ms = ceil_ms(delay),
                error = %error,
                "notice delivery failed, will retry"
            );
            self.outbox
                .retry(pending.id, attempts, next, &error.to_string())
                .await?;
            self.metrics
                .record(channel, Outcome::Retried { rate_limited });
            // Later entries of this channel wait, so the order holds.
            return Ok(());
        }
        Ok(())
    }
}

/// Milliseconds, rounded up (a retry is never earlier than asked).
fn ceil_ms(delay: Duration) -> u64 {
    let ms = delay.as_nanos().div_ceil(1_000_000);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
