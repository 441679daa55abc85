//! [`LiveState`]: every entity, edge and current state in memory, folded from committed runs,
//! and the [`Changes`] that must be persisted for it to survive a restart.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};
use vigia_core::run::{RunOutcome, RunResult};
use vigia_store::{EdgeRow, EntityRow, StateChange};

use crate::apply::{self, AttrOp, Effects, Proposal, Touch};
use crate::config::StateConfig;
use crate::id::EntityId;
use crate::metrics::MetricsWindow;
use crate::model::{Entity, State, StateInfo};
use crate::view::{ObservationView, SourceView};

mod overrides;
mod read;
mod restore;

pub use restore::Restored;

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

type EdgeKey = (EntityId, EntityId, String);

#[derive(Debug, Clone)]
pub(crate) struct EdgeInfo {
    pub relation: String,
    pub seen_ms: u64,
    pub dirty: bool,
    pub persisted_seen_ms: Option<u64>,
}

/// What one apply touched, to build its [`Changes`] without scanning everything.
#[derive(Default)]
struct Touched {
    entities: BTreeSet<EntityId>,
    edges: BTreeSet<EdgeKey>,
    removed: BTreeSet<EdgeKey>,
    states: Vec<StateChange>,
}

/// The live state: entities (ordered by id), topology, current states, latest observations,
/// metric windows and source health.
#[derive(Debug)]
pub struct LiveState {
    config: StateConfig,
    entities: BTreeMap<EntityId, Entity>,
    edges: BTreeMap<EdgeKey, EdgeInfo>,
    /// child → (parent, source)
    parents: HashMap<EntityId, BTreeSet<(EntityId, String)>>,
    /// parent → (child, source)
    children: HashMap<EntityId, BTreeSet<(EntityId, String)>>,
    /// Observed edges the operator hides: (parent, child).
    hidden: BTreeSet<(EntityId, EntityId)>,
    metrics: MetricsWindow,
    sources: BTreeMap<(String, String), SourceView>,
    stats: ApplyStats,
}

impl LiveState {
    pub fn new(config: StateConfig) -> Self {
        Self {
            metrics: MetricsWindow::new(config.metrics.clone()),
            config,
            entities: BTreeMap::new(),
            edges: BTreeMap::new(),
            parents: HashMap::new(),
            children: HashMap::new(),
            hidden: BTreeSet::new(),
            sources: BTreeMap::new(),
            stats: ApplyStats::default(),
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
        let mut touched = Touched::default();
        for run in runs {
            self.stats.runs += 1;
            let plugin_id = run.plugin.plugin_id.as_str();
            match &run.outcome {
                RunOutcome::Failed(error) => {
                    self.stats.failed_runs += 1;
                    self.source_failed(agent, plugin_id, run.finished_at_ms, error.to_string());
                }
                RunOutcome::Fault { kind, message } => {
                    self.stats.failed_runs += 1;
                    let text = format!("fault {kind}: {message}");
                    self.source_failed(agent, plugin_id, run.finished_at_ms, text);
                }
                RunOutcome::Observations(observations) => {
                    self.source_succeeded(agent, plugin_id, run.finished_at_ms);
                    for obs in observations {
                        self.stats.observations += 1;
                        let effects = match apply::map(obs, &self.config.thresholds) {
                            Ok(effects) => effects,
                            Err(error) => {
                                self.stats.invalid_observations += 1;
                                tracing::debug!(%error, agent, plugin_id, "observation skipped");
                                continue;
                            }
                        };
                        let at_ms = obs.observed_at_ms.min(now_ms);
                        if let Some(failure) = &effects.failure {
                            self.source_failed(agent, plugin_id, at_ms, failure.clone());
                        }
                        let view = effects.primary.is_some().then(|| ObservationView {
                            agent: agent.to_owned(),
                            plugin_id: plugin_id.to_owned(),
                            observed_at_ms: obs.observed_at_ms,
                            observation: obs.clone(),
                        });
                        let site = apply::site_label(obs);
                        let ctx = Context {
                            agent,
                            plugin_id,
                            at_ms,
                        };
                        self.fold(&ctx, effects, site, view, &mut touched);
                    }
                }
            }
        }
        self.stats.state_changes += touched.states.len() as u64;
        self.collect(touched)
    }

    /// Marks `unknown` every entity whose state no observation confirmed for `stale_after_ms`,
    /// and expires quiet metric series.
    pub fn sweep(&mut self, now_ms: u64) -> Changes {
        let stale_after = self.config.stale_after_ms;
        let mut touched = Touched::default();
        for entity in self.entities.values_mut() {
            let Some(state) = &entity.state else { continue };
            if state.state == State::Unknown
                || now_ms.saturating_sub(entity.state_seen_ms) < stale_after
                || now_ms <= state.since_ms
            {
                continue;
            }
            let quiet_s = now_ms.saturating_sub(entity.state_seen_ms) / 1000;
            let info = StateInfo {
                state: State::Unknown,
                since_ms: now_ms,
                reason: format!("no observation for {quiet_s} s"),
                source: SWEEP_SOURCE.to_owned(),
            };
            touched.states.push(state_change(&entity.id, &info));
            entity.state = Some(info);
        }
        self.metrics.expire(now_ms);
        self.stats.state_changes += touched.states.len() as u64;
        self.collect(touched)
    }

    /// Rows of every entity and edge whose last-seen time moved since it was last persisted
    /// (the granularity skipped them): written at shutdown so a restart restores exact times.
    pub fn unpersisted_seen(&mut self) -> Changes {
        let mut touched = Touched::default();
        for (id, entity) in &mut self.entities {
            if entity.persisted_seen_ms != Some(entity.last_seen_ms) {
                entity.dirty = true;
                touched.entities.insert(id.clone());
            }
        }
        for (key, info) in &mut self.edges {
            if info.persisted_seen_ms != Some(info.seen_ms) {
                info.dirty = true;
                touched.edges.insert(key.clone());
            }
        }
        self.collect(touched)
    }

    // === fold ===

    fn fold(
        &mut self,
        ctx: &Context<'_>,
        effects: Effects,
        site: Option<EntityId>,
        view: Option<ObservationView>,
        touched: &mut Touched,
    ) {
        let source = format!("plugin:{}@{}", ctx.plugin_id, ctx.agent);
        for touch in effects.touches {
            self.touch(touch, ctx.at_ms, &source, touched);
        }
        if let (Some(site), Some(target)) = (site, &effects.site_entity) {
            self.touch(
                Touch {
                    id: site.clone(),
                    name: None,
                    attrs: Vec::new(),
                },
                ctx.at_ms,
                &source,
                touched,
            );
            if let Some(entity) = self.entities.get_mut(target)
                && entity.site.as_deref() != Some(site.as_str())
            {
                entity.site = Some(site.into_string());
                entity.dirty = true;
                touched.entities.insert(target.clone());
            }
        }
        let edge_source = format!("plugin:{}", ctx.plugin_id);
        for edge in effects.edges {
            if !edge.exclusive_of.is_empty() {
                let stale: Vec<EdgeKey> = self
                    .parents
                    .get(&edge.child)
                    .into_iter()
                    .flatten()
                    .filter(|(parent, src)| {
                        *src == edge_source
                            && *parent != edge.parent
                            && edge.exclusive_of.contains(&parent.kind())
                    })
                    .map(|(parent, src)| (parent.clone(), edge.child.clone(), src.clone()))
                    .collect();
                for key in stale {
                    self.remove_edge(&key, touched);
                }
            }
            let key = (edge.parent, edge.child, edge_source.clone());
            self.upsert_edge(key, edge.relation, ctx.at_ms, touched);
        }
        for proposal in effects.states {
            self.propose(proposal, ctx.at_ms, &source, touched);
        }
        for sample in effects.samples {
            self.metrics.record(
                sample.entity.as_str(),
                &sample.name,
                &sample.labels,
                ctx.at_ms,
                sample.value,
            );
        }
        if let (Some(primary), Some(view)) = (effects.primary, view) {
            let keep = self.config.observations_per_entity;
            if let Some(entity) = self.entities.get_mut(&primary) {
                remember(&mut entity.observations, view, keep);
            }
        }
    }

    fn touch(&mut self, touch: Touch, at_ms: u64, source: &str, touched: &mut Touched) {
        let alarms_cap = self.config.alarms_per_entity;
        let interfaces_cap = self.config.interfaces_per_entity;
        let entity = self
            .entities
            .entry(touch.id.clone())
            .or_insert_with(|| Entity::new(touch.id.clone(), at_ms));
        entity.first_seen_ms = entity.first_seen_ms.min(at_ms);
        entity.last_seen_ms = entity.last_seen_ms.max(at_ms);
        if !entity.sources.contains(source) {
            entity.sources.insert(source.to_owned());
            entity.dirty = true;
        }
        let describes = touch.name.is_some() || !touch.attrs.is_empty();
        if describes && at_ms >= entity.attrs_at_ms {
            entity.attrs_at_ms = at_ms;
            if let Some(name) = touch.name.filter(|n| !n.is_empty())
                && entity.name.as_deref() != Some(name.as_str())
            {
                entity.name = Some(name);
                entity.dirty = true;
            }
            for op in touch.attrs {
                apply_attr(entity, op, alarms_cap, interfaces_cap);
            }
        }
        touched.entities.insert(touch.id);
    }

    fn propose(&mut self, proposal: Proposal, at_ms: u64, source: &str, touched: &mut Touched) {
        let Some(entity) = self.entities.get_mut(&proposal.id) else {
            return;
        };
        match &entity.state {
            Some(current) if current.state == proposal.state => {
                entity.state_seen_ms = entity.state_seen_ms.max(at_ms);
            }
            // Older than (or as old as) the current state: a late replay must not flip it back.
            Some(current) if at_ms <= current.since_ms => {}
            _ => {
                let info = StateInfo {
                    state: proposal.state,
                    since_ms: at_ms,
                    reason: proposal.reason,
                    source: source.to_owned(),
                };
                touched.states.push(state_change(&entity.id, &info));
                entity.state = Some(info);
                entity.state_seen_ms = entity.state_seen_ms.max(at_ms);
            }
        }
    }

    // === edges ===

    fn upsert_edge(&mut self, key: EdgeKey, relation: String, at_ms: u64, touched: &mut Touched) {
        match self.edges.get_mut(&key) {
            Some(info) => {
                info.seen_ms = info.seen_ms.max(at_ms);
                if info.relation != relation {
                    info.relation = relation;
                    info.dirty = true;
                }
            }
            None => {
                self.parents
                    .entry(key.1.clone())
                    .or_default()
                    .insert((key.0.clone(), key.2.clone()));
                self.children
                    .entry(key.0.clone())
                    .or_default()
                    .insert((key.1.clone(), key.2.clone()));
                self.edges.insert(
                    key.clone(),
                    EdgeInfo {
                        relation,
                        seen_ms: at_ms,
                        dirty: true,
                        persisted_seen_ms: None,
                    },
                );
            }
        }
        touched.removed.remove(&key);
        touched.edges.insert(key);
    }

    fn remove_edge(&mut self, key: &EdgeKey, touched: &mut Touched) {
        if self.edges.remove(key).is_none() {
            return;
        }
        if let Some(set) = self.parents.get_mut(&key.1) {
            set.remove(&(key.0.clone(), key.2.clone()));
            if set.is_empty() {
                self.parents.remove(&key.1);
            }
        }
        if let Some(set) = self.children.get_mut(&key.0) {
            set.remove(&(key.1.clone(), key.2.clone()));
            if set.is_empty() {
                self.children.remove(&key.0);
            }
        }
        touched.edges.remove(key);
        // Deleted even when this state never persisted it: an earlier, still pending Changes
        // may carry its upsert. Deleting a missing edge is harmless.
        touched.removed.insert(key.clone());
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
                    source: key.2.clone(),
                    seen_ms: info.seen_ms,
                });
            }
        }
        changes.removed_edges = touched
            .removed
            .into_iter()
            .map(|(p, c, s)| (p.into_string(), c.into_string(), s))
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

    fn source_succeeded(&mut self, agent: &str, plugin_id: &str, at_ms: u64) {
        let source = self.source_entry(agent, plugin_id);
        source.consecutive_failures = 0;
        source.last_success_ms = Some(source.last_success_ms.map_or(at_ms, |t| t.max(at_ms)));
    }
}

struct Context<'a> {
    agent: &'a str,
    plugin_id: &'a str,
    at_ms: u64,
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

/// Keeps the latest `keep` observations, ordered by time; an identical replay is not added twice.
fn remember(
    list: &mut std::collections::VecDeque<ObservationView>,
    view: ObservationView,
    keep: usize,
) {
    if keep == 0 {
        return;
    }
    if list.iter().any(|o| {
        o.observed_at_ms == view.observed_at_ms
            && o.plugin_id == view.plugin_id
            && o.agent == view.agent
            && o.observation == view.observation
    }) {
        return;
    }
    let at = list.partition_point(|o| o.observed_at_ms <= view.observed_at_ms);
    if list.len() >= keep && at == 0 {
        return;
    }
    list.insert(at, view);
    while list.len() > keep {
        list.pop_front();
    }
}

fn apply_attr(entity: &mut Entity, op: AttrOp, alarms_cap: usize, interfaces_cap: usize) {
    match op {
        AttrOp::Set {
            key,
            value,
            volatile,
        } => {
            if entity.attributes.get(key) != Some(&value) {
                entity.attributes.insert(key.to_owned(), value);
                entity.dirty |= !volatile;
            }
        }
        AttrOp::Alarm(alarm) => {
            let list = entity
                .attributes
                .entry("alarms".to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            let Value::Array(items) = list else { return };
            match items.iter_mut().find(|a| a["code"] == alarm["code"]) {
                Some(existing) if *existing == alarm => return,
                Some(existing) => *existing = alarm,
                None => items.push(alarm),
            }
            let excess = items.len().saturating_sub(alarms_cap);
            items.drain(..excess);
            entity.dirty = true;
        }
        AttrOp::Interface { name, value } => {
            let map = entity
                .attributes
                .entry("interfaces".to_owned())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if !map.is_object() {
                *map = Value::Object(serde_json::Map::new());
            }
            let Value::Object(interfaces) = map else {
                return;
            };
            if interfaces.get(&name) == Some(&value) {
                return;
            }
            if !interfaces.contains_key(&name) && interfaces.len() >= interfaces_cap {
                return;
            }
            interfaces.insert(name, value);
            entity.dirty = true;
        }
    }
}
