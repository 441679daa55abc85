//! Shared test helpers: notices, a config with secrets in a temp dir, a running notifier.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigia_correlate::{Cause, Event, EventKind, EventStatus, Notice, NoticeKind, NotifiedState};
use vigia_notify::{
    LoadedConfig, MemoryEntry, MemoryOutbox, MemoryState, Notifier, NotifyConfig, NotifyMetrics,
    Wake,
};

pub const TG_TOKEN: &str = "123456:TEST-bot-token";
pub const WA_TOKEN: &str = "EAAG-test-access-token";
pub const WA_PHONE_ID: &str = "106540352242922";
pub const HOOK_SECRET: &str = "hook-shared-secret";
pub const WAIT: Duration = Duration::from_secs(10);

/// Event `id` (a fibre outage on `PON OLT CENTRO/1/1`, 3 of 64 down) as a notice of `kind`.
pub fn notice(kind: NoticeKind, id: u64) -> Notice {
    let started_ms = now_ms().saturating_sub(10 * 60_000);
    Notice {
        kind,
        at_ms: now_ms(),
        event: Event {
            id,
            kind: EventKind::MassOutage,
            status: if kind == NoticeKind::Resolved {
                EventStatus::Resolved
            } else {
                EventStatus::Active
            },
            root: "pon_port:OLT CENTRO/1/1".into(),
            root_kind: "pon_port".into(),
            root_name: "OLT CENTRO/1/1".into(),
            cause: Cause::Fibre,
            cause_detail: "3 of 3 lost signal".into(),
            started_ms,
            updated_ms: now_ms(),
            resolved_ms: (kind == NoticeKind::Resolved).then(now_ms),
            resolution: (kind == NoticeKind::Resolved).then(|| "all recovered".to_owned()),
            affected: vec![
                "subscriber:ana".into(),
                "subscriber:bruno".into(),
                "subscriber:carla".into(),
            ],
            entities: vec!["pon_port:OLT CENTRO/1/1".into()],
            down_now: 3,
            peak_down: 3,
            group_size: 64,
            suppressed_by: None,
            maintenance: None,
            notified: NotifiedState::default(),
            timeline: Vec::new(),
        },
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// Loads `channels` (TOML; `$DIR` is the directory holding the secret files `tg`, `wa`, `hook`
/// and `wrong-hook`) with fast retries.
pub fn load(channels: &str) -> (LoadedConfig, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, value) in [
        ("tg", TG_TOKEN),
        ("wa", WA_TOKEN),
        ("hook", HOOK_SECRET),
        ("wrong-hook", "not-the-secret"),
    ] {
        std::fs::write(dir.path().join(name), format!("{value}\n")).expect("write secret");
    }
    let toml = format!(
        "public_url = \"https://vigia.example.net\"\n\
         utc_offset = \"-03:00\"\n\
         request_timeout_secs = 5\n\
         retry_initial_ms = 100\n\
         retry_max_ms = 400\n\
         {}",
        channels.replace("$DIR", &dir.path().display().to_string())
    );
    let config = NotifyConfig::from_toml(&toml)
        .expect("parse")
        .load()
        .expect("load");
    (config, dir)
}

/// A notifier running over a memory outbox.
pub struct Running {
    pub outbox: Arc<MemoryOutbox>,
    pub wake: Wake,
    pub metrics: Arc<NotifyMetrics>,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
    _dir: TempDir,
}

impl Running {
    pub fn start(channels: &str) -> Self {
        let (config, dir) = load(channels);
        Self::start_with(config, dir)
    }

    pub fn start_with(config: LoadedConfig, dir: TempDir) -> Self {
        let outbox = Arc::new(MemoryOutbox::new());
        let notifier = Notifier::new(config, outbox.clone()).expect("notifier");
        let wake = notifier.wake_handle();
        let metrics = notifier.metrics();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(notifier.run(shutdown.clone()));
        Self {
            outbox,
            wake,
            metrics,
            shutdown,
            task,
            _dir: dir,
        }
    }

    /// Stores a notice for a channel and wakes the notifier; returns the entry id.
    pub fn push(&self, channel: &str, notice: Notice) -> u64 {
        let id = self.outbox.push(channel, notice);
        self.wake.wake();
        id
    }

    /// Polls the outbox until entry `id` is no longer pending (bounded).
    pub async fn settled(&self, id: u64) -> MemoryEntry {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let entry = self.outbox.entry(id).expect("entry exists");
            if !matches!(entry.state, MemoryState::Pending { .. }) {
                return entry;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "entry {id} still pending after {WAIT:?}: {entry:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the notifier and checks it stops promptly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("notifier stops within 5 s")
            .expect("notifier task did not panic");
    }
}
