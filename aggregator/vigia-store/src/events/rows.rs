//! The rows [`EventStore`](crate::EventStore) keeps: outage events, their notices (the outbox) and
//! maintenance windows. Payloads (`*_json`) are opaque text to the store; only the columns here
//! are looked at.

/// One outage event as the correlator last described it. Saved by `id`: a save replaces every
/// column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Given by the correlator (sequential), `0..=i64::MAX`; unique.
    pub id: u64,
    /// `mass_outage`, `device_down`, `collector_stale`, ... (opaque to the store).
    pub kind: String,
    /// [`EventRow::ACTIVE`] or [`EventRow::RESOLVED`]; the store reads only `active` (the events
    /// still going on) and `resolved` (what retention may delete).
    pub status: String,
    /// Entity id of the root cause.
    pub root: String,
    /// Unix ms, like every time here (`0..=i64::MAX`).
    pub started_ms: u64,
    pub updated_ms: u64,
    pub resolved_ms: Option<u64>,
    /// The whole event, opaque.
    pub body_json: String,
}

impl EventRow {
    /// The status of an event still going on.
    pub const ACTIVE: &'static str = "active";
    /// The status of an event that is over.
    pub const RESOLVED: &'static str = "resolved";
}

/// One notification to deliver on one channel: a row of the outbox.
///
/// A channel delivers its notices in id order (see
/// [`due_notices`](crate::EventStore::due_notices)), so a notice is never overtaken by a later
/// one of the same channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    /// Assigned by the store on insert (give 0); never reused.
    pub id: u64,
    /// The event it is about.
    pub event_id: u64,
    /// Channel name from the configuration (`noc-telegram`).
    pub channel: String,
    /// [`NoticeRow::OPENED`], [`NoticeRow::UPDATED`] or [`NoticeRow::RESOLVED`]; the store reads
    /// only `updated` (those coalesce, see [`save_events`](crate::EventStore::save_events)).
    pub kind: String,
    pub created_ms: u64,
    /// When it is due (the first attempt, or the next retry).
    pub next_attempt_ms: u64,
    /// Attempts made so far.
    pub attempts: u32,
    /// [`NoticeRow::PENDING`] (to deliver), [`NoticeRow::SENT`] or [`NoticeRow::FAILED`] (given
    /// up).
    pub state: String,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub sent_ms: Option<u64>,
    /// What to render, opaque.
    pub payload_json: String,
}

impl NoticeRow {
    /// Kind: the event opened.
    pub const OPENED: &'static str = "opened";
    /// Kind: the event changed (these coalesce while pending).
    pub const UPDATED: &'static str = "updated";
    /// Kind: the event was resolved.
    pub const RESOLVED: &'static str = "resolved";
    /// State: still to deliver.
    pub const PENDING: &'static str = "pending";
    /// State: delivered.
    pub const SENT: &'static str = "sent";
    /// State: given up.
    pub const FAILED: &'static str = "failed";
}

/// An operator's maintenance window: the entities in it are expected to go down between
/// `starts_ms` (inclusive) and `ends_ms` (exclusive). The store requires `starts_ms < ends_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceRow {
    /// Assigned by the store on create (give 0); never reused.
    pub id: u64,
    /// JSON array of entity ids, opaque.
    pub entities_json: String,
    pub starts_ms: u64,
    pub ends_ms: u64,
    pub reason: String,
    /// Who created it (an API key id or a user name).
    pub created_by: String,
    pub created_ms: u64,
}

/// Which events [`list_events`](crate::EventStore::list_events) returns, newest (highest id)
/// first. The default lists the latest 100 events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events with exactly this status.
    pub status: Option<String>,
    /// Only events that concern the time from `since_ms` on: started at or after it, resolved at
    /// or after it, or still active (an event going on is always "since").
    pub since_ms: Option<u64>,
    /// The page cursor: only events with `id < before_id` (give the last id of the previous page).
    pub before_id: Option<u64>,
    /// Most events returned, clamped to `1..=1000`; 0 means 100.
    pub limit: usize,
}

impl EventFilter {
    /// The page size used when `limit` is 0.
    pub const DEFAULT_LIMIT: usize = 100;
    /// The largest page.
    pub const MAX_LIMIT: usize = 1000;

    /// The page size this filter asks for, after the clamping described on `limit`.
    pub fn page_size(&self) -> usize {
        match self.limit {
            0 => Self::DEFAULT_LIMIT,
            limit => limit.min(Self::MAX_LIMIT),
        }
    }
}
