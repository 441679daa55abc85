//! [`LiveState`]: every entity, edge and current state in memory, folded from committed runs,
//! and the [`Changes`] that must be persisted for it to survive a restart.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::json;
use vigia_core::run::{RunOutcome, RunResult};
use vigia_store::{EdgeRow, EntityRow, StateChange};

use crate::apply::Effects;
use crate::config::StateConfig;
use crate::id::{EntityId, KnownIds};
use crate::metrics::MetricsWindow;
use crate::model::{Entity, State, StateInfo};
use crate::view::SourceView;

mod facts;
mod fold;
mod overrides;
mod read;
mod restore;
mod rows;
mod search_docs;
mod slots;

pub use facts::{FactsOptions, Origin, Origins, merge_observations};
pub use restore::Restored;
pub(crate) use restore::last_up_from_history;
use rows::RowCounts;
pub(crate) use slots::{NO_SOURCE, Slot, StateSources};

#[cfg(test)]
mod tests;

/// Source of the edges and names that come from the operator's overrides file.
pub const OVERRIDE_SOURCE: &str = "override";
/// Source of the `unknown` states that [`LiveState::sweep`] decides.
pub const SWEEP_SOURCE: &str = "sweep";

/// What must be persisted after an apply, a sweep or an overrides change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Entities whose row changed materially (or whose `last_seen_ms` moved by at least the
    /// configured granularity).
    pub entities: Vec<EntityRow>,
    /// Edges that are new, changed, or confirmed after the granularity.
    pub edges: Vec<EdgeRow>,
    /// Edges to delete: `(parent, child, source)`.
    pub removed_edges: Vec<(String, String, String)>,
    /// State changes, in the order they happened.
    pub states: Vec<StateChange>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
            && self.edges.is_empty()
            && self.removed_edges.is_empty()
            && self.states.is_empty()
    }
}

/// Counters of what [`LiveState::apply`] saw, since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApplyStats {
    pub runs: u64,
    /// Runs that failed or faulted (they change no state).
    pub failed_runs: u64,
    pub observations: u64,
    /// Observations skipped because they named an entity by an invalid id.
    pub invalid_observations: u64,
    pub state_changes: u64,
}

/// Source of an edge: `plugin:<id>` or [`OVERRIDE_SOURCE`] (shared: every edge holds one).
pub(crate) type EdgeSource = Arc<str>;
type EdgeKey = (EntityId, EntityId, EdgeSource);
/// A hash map with a fast, per-process seeded hasher (ids are short strings looked up often).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Debug, Clone)]
pub(crate) struct EdgeInfo {
    pub relation: String,
    pub seen_ms: u64,
    pub dirty: bool,
    pub persisted_seen_ms: Option<u64>,
    /// The [`Touched::seq`] that last listed this edge.
    pub touched_seq: u64,
}

/// What one apply touched, to build its [`Changes`] without scanning everything. Entities and
/// edges carry the `seq` that last listed them, so each is listed once without a set lookup.
#[derive(Default)]
struct Touched {
    seq: u64,
    entities: Vec<EntityId>,
    edges: Vec<EdgeKey>,
    removed: BTreeSet<EdgeKey>,
    states: Vec<StateChange>,
}

impl Touched {
    fn entity(&mut self, entity: &mut Entity) {
        if entity.touched_seq != self.seq {
            entity.touched_seq = self.seq;
            self.entities.push(entity.id.clone());
        }
    }
}

/// The live state: entities (hashed by id, with the ids kept in order for pages), topology,
/// current states, latest observations, metric windows and source health.
#[derive(Debug)]
pub struct LiveState {
    config: StateConfig,
    /// Boxed: the table stays small (cache-friendly probes, cheap growth).
    pub(crate) entities: FastMap<EntityId, Box<Entity>>,
    /// Every entity id, in order (touched only when an entity is created).
    pub(crate) order: BTreeSet<EntityId>,
    edges: FastMap<EdgeKey, EdgeInfo>,
    /// child → (parent, source)
    pub(crate) parents: FastMap<EntityId, BTreeSet<(EntityId, EdgeSource)>>,
    /// parent → (child, source)
    pub(crate) children: FastMap<EntityId, BTreeSet<(EntityId, EdgeSource)>>,
    /// Observed edges the operator hides: (parent, child).
    pub(crate) hidden: BTreeSet<(EntityId, EntityId)>,
    metrics: MetricsWindow,
    pub(crate) sources: BTreeMap<(String, String), SourceView>,
    stats: ApplyStats,
    /// Observation counts of recent runs, per (agent, plugin) and probe.
    rows: BTreeMap<(String, String), BTreeMap<String, RowCounts>>,
    /// Bumped whenever an entity or edge is added or removed, a name or site changes, or the
    /// overrides are applied: what the correlation topology is built from.
    pub(crate) topology_version: u64,
    /// What the correlator reads of each entity, by [`Entity::slot`].
    pub(crate) slots: Vec<Slot>,
    /// Ids of the state source texts the slots refer to.
    pub(crate) state_sources: StateSources,
    /// Sequence of the last [`Touched`] handed out.
    seq: u64,
    /// Buffers reused from one observation to the next.
    scratch: Effects,
    id_text: String,
    /// PON neighbour summaries computed by recent diagnoses (see `facts.rs`).
    pub(crate) neighbours: facts::NeighbourCache,
}

impl LiveState {
    pub fn new(config: StateConfig) -> Self {
        Self {
            metrics: MetricsWindow::new(config.metrics.clone()),
            config,
            entities: FastMap::default(),
            order: BTreeSet::new(),
            edges: FastMap::default(),
            parents: FastMap::default(),
            children: FastMap::default(),
            hidden: BTreeSet::new(),
            sources: BTreeMap::new(),
            stats: ApplyStats::default(),
            rows: BTreeMap::new(),
            topology_version: 0,
            slots: Vec::new(),
            state_sources: StateSources::default(),
            seq: 0,
            scratch: Effects::default(),
            id_text: String::new(),
            neighbours: facts::NeighbourCache::default(),
        }
    }

    pub fn config(&self) -> &StateConfig {
        &self.config
    }

    pub fn stats(&self) -> ApplyStats {
        self.stats
    }

    /// Folds one committed batch of `agent` into the state. Observation times after `now_ms`
    /// are taken as `now_ms` (an agent's clock running ahead must not pin a state).
    pub fn apply(&mut self, agent: &str, runs: &[RunResult], now_ms: u64) -> Changes {
        let mut touched = self.begin();
        for run in runs {
            let plugin_id = run.plugin.plugin_id.as_str();
            match &run.outcome {
                RunOutcome::Observations(observations) => {
                    let ctx = self.run_succeeded(agent, plugin_id, run.finished_at_ms);
                    self.record_rows(agent, plugin_id, &run.probe, observations.len() as u64);
                    for obs in observations {
                        self.observe(&ctx, Cow::Borrowed(obs), now_ms, &mut touched);
                    }
                }
                failed => self.run_failed(agent, plugin_id, run.finished_at_ms, failed),
            }
        }
        self.finish(touched)
    }

    /// [`LiveState::apply`] for a batch the caller gives away: the observations kept as an
    /// entity's latest are moved, not cloned. Same result as `apply`.
    pub fn apply_owned(&mut self, agent: &str, runs: Vec<RunResult>, now_ms: u64) -> Changes {
        let mut touched = self.begin();
        for run in runs {
            let plugin_id = run.plugin.plugin_id.as_str();
            match run.outcome {
                RunOutcome::Observations(observations) => {
                    let ctx = self.run_succeeded(agent, plugin_id, run.finished_at_ms);
                    self.record_rows(agent, plugin_id, &run.probe, observations.len() as u64);
                    for obs in observations {
                        self.observe(&ctx, Cow::Owned(obs), now_ms, &mut touched);
                    }
                }
                failed => self.run_failed(agent, plugin_id, run.finished_at_ms, &failed),
            }
        }
        self.finish(touched)
    }

    /// Marks `unknown` every entity whose state no observation confirmed for `stale_after_ms`,
    /// and expires quiet metric series.
    pub fn sweep(&mut self, now_ms: u64) -> Changes {
        let stale = self.stale_entities(now_ms);
        self.sweep_entities(&stale, now_ms)
    }

    /// The entities [`LiveState::sweep`] would turn `unknown` at `now_ms`. A read: the service
    /// finds them under the read lock (readers go on meanwhile) and takes the write lock only to
    /// change those few ([`LiveState::sweep_entities`]).
    pub fn stale_entities(&self, now_ms: u64) -> Vec<EntityId> {
        self.entities
            .values()
            .filter(|entity| self.is_stale(entity, now_ms))
            .map(|entity| entity.id.clone())
            .collect()
    }

    fn is_stale(&self, entity: &Entity, now_ms: u64) -> bool {
        entity.state.as_ref().is_some_and(|state| {
            state.state != State::Unknown
                && now_ms.saturating_sub(entity.state_seen_ms) >= self.config.stale_after_ms
                && now_ms > state.since_ms
        })
    }

    /// Turns those of `ids` that are still stale at `now_ms` `unknown` (an observation may have
    /// confirmed one since [`LiveState::stale_entities`]), and expires old metric samples.
    pub fn sweep_entities(&mut self, ids: &[EntityId], now_ms: u64) -> Changes {
        let mut touched = self.begin();
        for id in ids {
            let stale = self
                .entities
                .get(id)
                .is_some_and(|entity| self.is_stale(entity, now_ms));
            let Some(entity) = self.entities.get_mut(id).filter(|_| stale) else {
                continue;
            };
            let quiet_s = now_ms.saturating_sub(entity.state_seen_ms) / 1000;
            let info = StateInfo {
                state: State::Unknown,
                since_ms: now_ms,
                reason: format!("no observation for {quiet_s} s"),
                source: SWEEP_SOURCE.to_owned(),
            };
            touched.states.push(state_change(&entity.id, &info));
            entity.state = Some(info);
            if let Some(slot) = self.slots.get_mut(entity.slot as usize) {
                slot.sync(entity, Some(NO_SOURCE));
            }
        }
        // One time for all: in id order, as the entities are listed.
        touched
            .states
            .sort_unstable_by(|a, b| a.entity_id.cmp(&b.entity_id));
        self.metrics.expire(now_ms);
        self.finish(touched)
    }

    /// Rows of every entity and edge whose last-seen time moved since it was last persisted
    /// (the granularity skipped them): written at shutdown so a restart restores exact times.
    pub fn unpersisted_seen(&mut self) -> Changes {
        let mut touched = self.begin();
        for entity in self.entities.values_mut() {
            if entity.persisted_seen_ms != Some(entity.last_seen_ms) {
                entity.dirty = true;
                touched.entity(entity);
            }
        }
        for (key, info) in &mut self.edges {
            if info.persisted_seen_ms != Some(info.seen_ms) {
                info.dirty = true;
                info.touched_seq = touched.seq;
                touched.edges.push(key.clone());
            }
        }
        self.collect(touched)
    }

    fn begin(&mut self) -> Touched {
        self.seq += 1;
        Touched {
            seq: self.seq,
            ..Touched::default()
        }
    }

    fn finish(&mut self, touched: Touched) -> Changes {
        self.stats.state_changes += touched.states.len() as u64;
        self.collect(touched)
    }

    // === changes ===

    fn collect(&mut self, touched: Touched) -> Changes {
        let granularity = self.config.last_seen_granularity_ms;
        let mut changes = Changes {
            states: touched.states,
            ..Changes::default()
        };
        for id in &touched.entities {
            let Some(entity) = self.entities.get_mut(id) else {
                continue;
            };
            let seen_moved = entity
                .persisted_seen_ms
                .is_none_or(|p| entity.last_seen_ms >= p.saturating_add(granularity));
            if entity.dirty || seen_moved {
                entity.dirty = false;
                entity.persisted_seen_ms = Some(entity.last_seen_ms);
                changes.entities.push(entity_row(entity));
            }
        }
        for key in &touched.edges {
            let Some(info) = self.edges.get_mut(key) else {
                continue;
            };
            let seen_moved = info
                .persisted_seen_ms
                .is_none_or(|p| info.seen_ms >= p.saturating_add(granularity));
            if info.dirty || seen_moved {
                info.dirty = false;
                info.persisted_seen_ms = Some(info.seen_ms);
                changes.edges.push(EdgeRow {
                    parent: key.0.to_string(),
                    child: key.1.to_string(),
                    relation: info.relation.clone(),
                    source: key.2.to_string(),
                    seen_ms: info.seen_ms,
                });
            }
        }
        // In key order, each row once (an edge removed and added again is listed twice).
        changes.entities.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        changes.entities.dedup_by(|a, b| a.id == b.id);
        changes
            .edges
            .sort_unstable_by(|a, b| edge_key(a).cmp(&edge_key(b)));
        changes.edges.dedup_by(|a, b| edge_key(a) == edge_key(b));
        changes.removed_edges = touched
            .removed
            .into_iter()
            .map(|(p, c, s)| (p.into_string(), c.into_string(), s.to_string()))
            .collect();
        changes
    }

    // === sources ===

    fn source_entry(&mut self, agent: &str, plugin_id: &str) -> &mut SourceView {
        self.sources
            .entry((agent.to_owned(), plugin_id.to_owned()))
            .or_insert_with(|| SourceView {
                agent: agent.to_owned(),
                plugin_id: plugin_id.to_owned(),
                ..SourceView::default()
            })
    }

    fn source_failed(&mut self, agent: &str, plugin_id: &str, at_ms: u64, error: String) {
        let source = self.source_entry(agent, plugin_id);
        source.consecutive_failures += 1;
        source.last_failure_ms = Some(source.last_failure_ms.map_or(at_ms, |t| t.max(at_ms)));
        source.last_error = Some(error);
    }

    /// Records a run that failed or faulted (it changes no state).
    fn run_failed(&mut self, agent: &str, plugin_id: &str, at_ms: u64, outcome: &RunOutcome) {
        self.stats.runs += 1;
        self.stats.failed_runs += 1;
        let text = match outcome {
            RunOutcome::Failed(error) => error.to_string(),
            RunOutcome::Fault { kind, message } => format!("fault {kind}: {message}"),
            RunOutcome::Observations(_) => return,
        };
        self.source_failed(agent, plugin_id, at_ms, text);
    }

    /// Records a run that completed; its observations are folded with the context returned.
    fn run_succeeded<'a>(
        &mut self,
        agent: &'a str,
        plugin_id: &'a str,
        at_ms: u64,
    ) -> RunContext<'a> {
        self.stats.runs += 1;
        let source = self.source_entry(agent, plugin_id);
        source.consecutive_failures = 0;
        source.last_success_ms = Some(source.last_success_ms.map_or(at_ms, |t| t.max(at_ms)));
        let source = format!("plugin:{plugin_id}@{agent}");
        RunContext {
            agent,
            plugin_id,
            source_id: self.state_sources.id(&source),
            source,
            edge_source: format!("plugin:{plugin_id}").into(),
        }
    }
}

/// Who sent a run's observations, and the source names derived from it (built once a run).
struct RunContext<'a> {
    agent: &'a str,
    plugin_id: &'a str,
    /// `plugin:<id>@<agent>`: the source of entities and states.
    source: String,
    /// The id of `source` among the state sources.
    source_id: u32,
    /// `plugin:<id>`: the source of the edges it asserts.
    edge_source: EdgeSource,
}

impl KnownIds for FastMap<EntityId, Box<Entity>> {
    fn find(&self, text: &str) -> Option<EntityId> {
        self.get_key_value(text).map(|(id, _)| id.clone())
    }
}

/// An edge row's key, for ordering rows as the edges are ordered.
fn edge_key(e: &EdgeRow) -> (&str, &str, &str) {
    (&e.parent, &e.child, &e.source)
}

fn state_change(id: &EntityId, info: &StateInfo) -> StateChange {
    StateChange {
        entity_id: id.to_string(),
        at_ms: info.since_ms,
        state: info.state.as_str().to_owned(),
        reason: info.reason.clone(),
        source: info.source.clone(),
    }
}

/// The stored form of an entity's attributes: `{"attributes": {...}, "sources": [...]}`.
pub(crate) fn entity_row(entity: &Entity) -> EntityRow {
    let attributes_json = json!({
        "attributes": entity.attributes,
        "sources": entity.sources,
    })
    .to_string();
    EntityRow {
        id: entity.id.to_string(),
        kind: entity.id.kind().to_owned(),
        name: entity.display_name().to_owned(),
        site: entity.own_site().map(str::to_owned),
        attributes_json,
        first_seen_ms: entity.first_seen_ms,
        last_seen_ms: entity.last_seen_ms,
    }
}
