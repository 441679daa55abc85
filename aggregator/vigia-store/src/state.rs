//! What the live state persists: entities, topology edges and state changes (history), behind
//! [`StateStore`]. The live state itself is in memory (`vigia-state`); this is what lets it come
//! back after a restart, and what history queries read.

use async_trait::async_trait;

use crate::StoreError;

/// One entity as stored: its identity, kind and descriptive attributes. Upserted by `id`: an
/// upsert replaces `kind`, `name`, `site` (also with `None`) and `attributes_json`, and widens the
/// seen times.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRow {
    /// Canonical id, `<kind>:<vendor id>` (e.g. `onu:HWTC1A2B3C4D`); unique.
    pub id: String,
    /// Kind in snake case (`olt`, `pon_port`, `subscriber`, ...).
    pub kind: String,
    /// Human name (the vendor's name or the id).
    pub name: String,
    /// The site/POP it belongs to, when known.
    pub site: Option<String>,
    /// Descriptive attributes as a JSON object, opaque to the store.
    pub attributes_json: String,
    /// First and last time an observation named it, Unix ms. An upsert keeps the smallest
    /// `first_seen_ms` and the largest `last_seen_ms`.
    pub first_seen_ms: u64,
    pub last_seen_ms: u64,
}

/// A topology edge: `child` depends on `parent` (an ONU on a PON port, an SM on an AP...).
/// Upserted by `(parent, child, source)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeRow {
    pub parent: String,
    pub child: String,
    /// The physical or logical relation (`fibre`, `radio`, `ethernet`, `power`, `logical`, ...).
    pub relation: String,
    /// Who said so: `plugin:<id>` for an observation, `override` for the operator's file.
    pub source: String,
    /// Last time the source confirmed it, Unix ms (an upsert keeps the largest).
    pub seen_ms: u64,
}

/// A change of an entity's state (history is changes, not samples). Appending the same
/// `(entity_id, at_ms, state)` twice stores it once (the first copy is kept). Changes are ordered
/// by `at_ms`, then by append order: of two changes of one entity in the same millisecond, the
/// later appended is the later change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub entity_id: String,
    /// When the new state began, Unix ms.
    pub at_ms: u64,
    /// The new state (`up`, `down`, `degraded`, `unknown`).
    pub state: String,
    /// Why, in words (e.g. `LOS`, `3 of 3 echoes lost`).
    pub reason: String,
    /// Which observation source decided it (`plugin:<id>@<agent>`).
    pub source: String,
}

/// What [`StateStore::prune`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// State changes older than the history cut-off, except each entity's latest one.
    pub state_changes: u64,
    /// Result batches received before the batch cut-off.
    pub batches: u64,
}

/// Persistence of the live state. Entities, edges and changes do not reference each other in
/// the schema (no foreign keys): an edge or a change may name an entity not stored yet.
#[async_trait]
pub trait StateStore: Send + Sync + 'static {
    /// Inserts or updates entities (by id), in one transaction. The same id twice in one call is
    /// the same as two calls in that order.
    async fn upsert_entities(&self, entities: Vec<EntityRow>) -> Result<(), StoreError>;

    /// Inserts or updates edges (by parent, child, source), in one transaction.
    async fn upsert_edges(&self, edges: Vec<EdgeRow>) -> Result<(), StoreError>;

    /// Removes the edges a source no longer reports (e.g. an override removed from the file), by
    /// `(parent, child, source)`. Returns how many went (keys not stored, or given twice, count
    /// once at most).
    async fn delete_edges(&self, edges: Vec<(String, String, String)>) -> Result<u64, StoreError>;

    /// Appends state changes, in one transaction; a change already stored is skipped.
    async fn append_changes(&self, changes: Vec<StateChange>) -> Result<(), StoreError>;

    /// Every entity, ordered by id.
    async fn load_entities(&self) -> Result<Vec<EntityRow>, StoreError>;

    /// Every edge, ordered by (parent, child, source).
    async fn load_edges(&self) -> Result<Vec<EdgeRow>, StoreError>;

    /// The latest change of every entity that has one (its current state), ordered by entity id.
    async fn latest_changes(&self) -> Result<Vec<StateChange>, StoreError>;

    /// An entity's changes with `at_ms >= since_ms`, newest first, at most `limit`.
    async fn history(
        &self,
        entity_id: &str,
        since_ms: u64,
        limit: usize,
    ) -> Result<Vec<StateChange>, StoreError>;

    /// Retention: deletes state changes with `at_ms < history_before_ms` (keeping each entity's
    /// latest change, which is its current state) and result batches received before
    /// `batches_before_ms`, in one transaction. Stream watermarks stay, so pruned batches remain
    /// acknowledged and agents do not resend them.
    async fn prune(
        &self,
        history_before_ms: u64,
        batches_before_ms: u64,
    ) -> Result<Pruned, StoreError>;
}
