//! [`ReadModel`]: what the API reads, as a trait the aggregator implements over its live state
//! (this crate does not depend on `vigia-state`).

use async_trait::async_trait;

use crate::{Agent, ApiError, Entity, EntityPage, Observation, StateChange, StateValue};

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
