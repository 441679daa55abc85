//! What the correlator and the notifier keep, behind [`EventStore`]: outage events, the outbox of
//! notices about them, the correlator's checkpoint, and the operators' maintenance windows.
//! Deciding what an event is, rendering and sending notices is their business
//! (`vigia-correlate` and the notifier); the store keeps them durable and in order.

mod checked;
mod rows;

use async_trait::async_trait;

use crate::StoreError;
pub(crate) use checked::{Delivery, SqlEvent, SqlFilter, SqlMaintenance, SqlNotice, lookup_id};
pub use rows::{EventFilter, EventRow, MaintenanceRow, NoticeRow};

/// Storage of outage events, their notices, the correlator checkpoint and maintenance windows.
/// Every write is one transaction with the store's usual durability (see the crate doc).
///
/// Events, notices and windows do not reference each other in the schema (no foreign keys): a
/// notice may outlive its event (see [`prune_events`](Self::prune_events)).
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Saves a step of the correlator in ONE transaction, so an event change and its notices
    /// (and the checkpoint they lead to) are durable together or not at all:
    ///
    /// - upserts `events` by id, replacing every column (the same id twice: the later wins);
    /// - inserts `notices` in the given order (their `id` is ignored and assigned), except that a
    ///   new *pending* notice of kind `updated` is coalesced into an existing one: if a pending
    ///   `updated` notice of the same `(event_id, channel)` is not yet due at the new notice's
    ///   `created_ms` (`next_attempt_ms > created_ms`), that notice takes the new `payload_json`,
    ///   `created_ms` and `next_attempt_ms` (keeping its id, so its place in the channel's order)
    ///   and nothing is inserted. `opened` and `resolved` notices never coalesce, and neither do
    ///   notices sent or failed. A notice that is due may be in delivery right now, so it is never
    ///   changed: marking it sent must not mark a payload that was not sent;
    /// - when `checkpoint` is `Some`, replaces the correlator checkpoint with it.
    ///
    /// Times or ids above `i64::MAX` fail with [`StoreError::OutOfRange`] before anything is
    /// written.
    async fn save_events(
        &self,
        events: Vec<EventRow>,
        notices: Vec<NoticeRow>,
        checkpoint: Option<String>,
    ) -> Result<(), StoreError>;

    /// The last checkpoint [`save_events`](Self::save_events) stored, if any.
    async fn correlator_checkpoint(&self) -> Result<Option<String>, StoreError>;

    /// Every event with status `active`, ordered by id.
    async fn active_events(&self) -> Result<Vec<EventRow>, StoreError>;

    /// The event with this id.
    async fn event(&self, id: u64) -> Result<Option<EventRow>, StoreError>;

    /// Events matching `filter`, newest (highest id) first; see [`EventFilter`].
    async fn list_events(&self, filter: EventFilter) -> Result<Vec<EventRow>, StoreError>;

    /// The highest event id stored, 0 when there is none (where the correlator numbers on from).
    async fn max_event_id(&self) -> Result<u64, StoreError>;

    /// Retention: deletes the events with status `resolved` and `resolved_ms < resolved_before_ms`,
    /// and their notices that are not pending (a pending one is still delivered), in one
    /// transaction. Returns how many events went.
    async fn prune_events(&self, resolved_before_ms: u64) -> Result<u64, StoreError>;

    /// Stores a new maintenance window and returns it with its assigned id. Fails with
    /// [`StoreError::InvalidWindow`] unless `starts_ms < ends_ms`.
    async fn create_maintenance(&self, row: MaintenanceRow) -> Result<MaintenanceRow, StoreError>;

    /// Replaces every field of the window with `row.id`; false when there is none. Fails with
    /// [`StoreError::InvalidWindow`] unless `starts_ms < ends_ms`.
    async fn update_maintenance(&self, row: MaintenanceRow) -> Result<bool, StoreError>;

    /// Deletes a window; false when there is none with this id.
    async fn delete_maintenance(&self, id: u64) -> Result<bool, StoreError>;

    /// The window with this id.
    async fn maintenance(&self, id: u64) -> Result<Option<MaintenanceRow>, StoreError>;

    /// Every window, ordered by `starts_ms`, then id.
    async fn list_maintenance(&self) -> Result<Vec<MaintenanceRow>, StoreError>;

    /// Pending notices to deliver now, ordered by id, at most `limit` (0 counts as 1).
    ///
    /// A channel delivers in order: for each channel, its pending notices are taken in id order up
    /// to the first one that is not due (`next_attempt_ms > now_ms`), which holds back the later
    /// ones of that channel (a `resolved` never overtakes its `opened`, even while the `opened`
    /// waits for a retry). Other channels are not held back.
    async fn due_notices(&self, now_ms: u64, limit: usize) -> Result<Vec<NoticeRow>, StoreError>;

    /// When [`due_notices`](Self::due_notices) will next return something: the earliest
    /// `next_attempt_ms` of each channel's oldest pending notice (a later notice of a channel
    /// waits behind its head, so its own time does not count); `None` when nothing is pending.
    async fn next_notice_due_ms(&self) -> Result<Option<u64>, StoreError>;

    /// Marks a pending notice delivered at `at_ms`; false when no pending notice has this id.
    async fn notice_sent(&self, id: u64, at_ms: u64) -> Result<bool, StoreError>;

    /// Records a failed attempt of a pending notice: it stays pending with this attempt count,
    /// error and next attempt time. False when no pending notice has this id.
    async fn notice_retry(
        &self,
        id: u64,
        attempts: u32,
        next_attempt_ms: u64,
        error: String,
    ) -> Result<bool, StoreError>;

    /// Gives a pending notice up: it becomes `failed` with this attempt count and error. False
    /// when no pending notice has this id.
    async fn notice_failed(
        &self,
        id: u64,
        attempts: u32,
        error: String,
    ) -> Result<bool, StoreError>;

    /// How many notices are pending.
    async fn pending_notices(&self) -> Result<u64, StoreError>;

    /// Every notice of an event, whatever its state, ordered by id (its delivery status).
    async fn notices_for_event(&self, event_id: u64) -> Result<Vec<NoticeRow>, StoreError>;
}
