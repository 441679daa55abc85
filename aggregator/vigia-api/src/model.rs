//! What the API reads and changes, as traits the aggregator implements: [`ReadModel`] over its
//! live state (this crate does not depend on `vigia-state`), [`OutageModel`] over its outage
//! events and maintenance windows (nor on `vigia-correlate`).

use async_trait::async_trait;

use crate::{
    Agent, ApiError, Entity, EntityPage, EventDetail, EventPage, EventStatus, MaintenanceWindow,
    NewMaintenance, Observation, StateChange, StateValue,
};

/// Most items one page or list may hold.
pub const MAX_LIMIT: u32 = 1000;
/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: u32 = 100;

/// A listing of entities: filters (all must match) and the page wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityQuery {
    /// Only entities of this kind.
    pub kind: Option<String>,
    /// Only entities of this site.
    pub site: Option<String>,
    /// Only entities in this state.
    pub state: Option<StateValue>,
    /// Page size, `1..=MAX_LIMIT` (the API validates it before calling the model).
    pub limit: u32,
    /// Where to continue: a `next_cursor` the model returned earlier, opaque to the API. A cursor
    /// the model cannot read is the client's error: return [`ApiError::bad_request`].
    pub cursor: Option<String>,
}

impl Default for EntityQuery {
    fn default() -> Self {
        Self {
            kind: None,
            site: None,
            state: None,
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

/// The read side of the aggregator's state, as the API needs it.
///
/// Calls should be cheap (in-memory reads): the API's latency goal is a p99 of 5 ms at
/// 5,000 requests/s. `Err` is for failures the client should see (a bad cursor: 400) or real
/// failures (500); "no such entity" is `None`, which the API turns into a 404.
#[async_trait]
pub trait ReadModel: Send + Sync + 'static {
    /// Every known agent, ordered by id.
    async fn agents(&self) -> Vec<Agent>;

    /// One agent.
    async fn agent(&self, id: &str) -> Option<Agent>;

    /// One page of entities matching `query`, in a stable order.
    async fn entities(&self, query: &EntityQuery) -> Result<EntityPage, ApiError>;

    /// One entity.
    async fn entity(&self, id: &str) -> Option<Entity>;

    /// The latest observations of an entity, newest first, at most `limit`; `None` when the
    /// entity is unknown.
    async fn observations(&self, id: &str, limit: u32) -> Option<Vec<Observation>>;

    /// State changes of an entity at or after `since_ms` (Unix ms; all when `None`), newest
    /// first, at most `limit`; `Ok(None)` when the entity is unknown.
    async fn history(
        &self,
        id: &str,
        since_ms: Option<u64>,
        limit: u32,
    ) -> Result<Option<Vec<StateChange>>, ApiError>;
}

/// A listing of events: filters (all must match) and the page wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    /// Only events with this status.
    pub status: Option<EventStatus>,
    /// Only events active now, or that started or resolved at or after this time (Unix ms).
    pub since_ms: Option<u64>,
    /// Only events of this kind: an [`EventKind`](crate::EventKind) name (`mass_outage`...),
    /// which the API has checked.
    pub kind: Option<String>,
    /// Page size, `1..=MAX_LIMIT` (the API validates it before calling the model).
    pub limit: u32,
    /// Where to continue: a `next_cursor` the model returned earlier, opaque to the API. A cursor
    /// the model cannot read is the client's error: return [`ApiError::bad_request`].
    pub cursor: Option<String>,
}

impl Default for EventQuery {
    fn default() -> Self {
        Self {
            status: None,
            since_ms: None,
            kind: None,
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

/// The aggregator's outage events (read) and maintenance windows (read and write), as the API
/// needs them.
///
/// `Err` is for failures the client should see (a bad cursor: 400) or real failures (a store
/// error: 500, or 503 when the store cannot answer now); "no such event or window" is `None`
/// (or `false`), which the API turns into a 404. The API validates a [`NewMaintenance`]
/// ([`NewMaintenance::validate`]) before handing it over.
#[async_trait]
pub trait OutageModel: Send + Sync + 'static {
    /// One page of events matching `query`, newest first (by start, then id).
    async fn events(&self, query: &EventQuery) -> Result<EventPage, ApiError>;

    /// One event with its timeline and notifications.
    async fn event(&self, id: u64) -> Result<Option<EventDetail>, ApiError>;

    /// Every maintenance window (past, current and future), ordered by id.
    async fn maintenance_windows(&self) -> Result<Vec<MaintenanceWindow>, ApiError>;

    /// One maintenance window.
    async fn maintenance_window(&self, id: u64) -> Result<Option<MaintenanceWindow>, ApiError>;

    /// Creates a window; `created_by` is the calling API key's id. Returns it with its new id.
    async fn create_maintenance(
        &self,
        new: NewMaintenance,
        created_by: String,
    ) -> Result<MaintenanceWindow, ApiError>;

    /// Replaces a window's entities, times and reason (its id, creator and creation time stay);
    /// `Ok(None)` when there is no such window.
    async fn update_maintenance(
        &self,
        id: u64,
        new: NewMaintenance,
    ) -> Result<Option<MaintenanceWindow>, ApiError>;

    /// Deletes a window; `Ok(false)` when there was no such window.
    async fn delete_maintenance(&self, id: u64) -> Result<bool, ApiError>;
}
