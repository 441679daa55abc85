//! Folding one observation's [`Effects`] into the live state: entities, edges, states, samples
//! and the entity's latest observations. The hot path of [`LiveState::apply`]: ids are looked up
//! by hash, shared ids are cloned by reference count, and nothing is allocated for what is
//! already there unless it changed.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::collections::hash_map::Entry;

use serde_json::Value;
use vigia_core::Observation;

use super::{EdgeInfo, EdgeKey, LiveState, RunContext, Touched, state_change};
use crate::apply::{self, AttrOp, Effects, Proposal, Touch};
use crate::id::{EntityId, IdMaker};
use crate::model::{Entity, StateInfo};
use crate::view::ObservationView;

impl LiveState {
    /// Folds one observation of a completed run.
    pub(super) fn observe(
        &mut self,
        run: &RunContext<'_>,
        obs: Cow<'_, Observation>,
        now_ms: u64,
        touched: &mut Touched,
    ) {
        self.stats.observations += 1;
        let mut effects = std::mem::take(&mut self.scratch);
        let mut ids = IdMaker::new(&self.entities, std::mem::take(&mut self.id_text));
        let mapped = apply::map_into(&obs, &self.config.thresholds, &mut ids, &mut effects);
        self.id_text = ids.into_buffer();
        if let Err(error) = mapped {
            self.stats.invalid_observations += 1;
            tracing::debug!(%error, agent = run.agent, plugin_id = run.plugin_id, "observation skipped");
            self.scratch = effects;
            return;
        }
        let at_ms = obs.observed_at_ms.min(now_ms);
        if let Some(failure) = effects.failure.take() {
            self.source_failed(run.agent, run.plugin_id, at_ms, failure);
        }
        let site = apply::site_label(&obs);
        let view = effects.primary.is_some().then(|| ObservationView {
            agent: run.agent.to_owned(),
            plugin_id: run.plugin_id.to_owned(),
            observed_at_ms: obs.observed_at_ms,
            observation: obs.into_owned(),
        });
        self.fold(run, at_ms, &mut effects, site, view, touched);
        self.scratch = effects;
    }

    fn fold(
        &mut self,
        run: &RunContext<'_>,
        at_ms: u64,
        effects: &mut Effects,
        site: Option<EntityId>,
        view: Option<ObservationView>,
        touched: &mut Touched,
    ) {
        let source = run.source.as_str();
        for touch in effects.touches.drain(..) {
            self.touch(touch, at_ms, source, touched);
        }
        if let (Some(site), Some(target)) = (site, &effects.site_entity) {
            self.touch(
                Touch {
                    id: site.clone(),
                    name: None,
                    attrs: Vec::new(),
                },
                at_ms,
                source,
                touched,
            );
            if let Some(entity) = self.entities.get_mut(target)
                && entity.site.as_deref() != Some(site.as_str())
            {
                entity.site = Some(site.into_string());
                entity.dirty = true;
                touched.entity(entity);
                self.topology_version += 1;
            }
        }
        for edge in effects.edges.drain(..) {
            if !edge.exclusive_of.is_empty() {
                let stale: Vec<EdgeKey> = self
                    .parents
                    .get(&edge.child)
                    .into_iter()
                    .flatten()
                    .filter(|(parent, src)| {
                        *src == run.edge_source
                            && *parent != edge.parent
                            && edge.exclusive_of.contains(&parent.kind())
                    })
                    .map(|(parent, src)| (parent.clone(), edge.child.clone(), src.clone()))
                    .collect();
                for key in stale {
                    self.remove_edge(&key, touched);
                }
            }
            let key = (edge.parent, edge.child, run.edge_source.clone());
            self.upsert_edge(key, edge.relation, at_ms, touched);
        }
        for proposal in effects.states.drain(..) {
            self.propose(proposal, at_ms, source, run.source_id, touched);
        }
        for sample in effects.samples.drain(..) {
            self.metrics.record_shared(
                sample.entity.shared(),
                &sample.name,
                &sample.labels,
                at_ms,
                sample.value,
            );
        }
        if let (Some(primary), Some(view)) = (effects.primary.take(), view) {
            let keep = self.config.observations_per_entity;
            if let Some(entity) = self.entities.get_mut(&primary) {
                remember(&mut entity.observations, view, keep);
            }
        }
    }

    fn touch(&mut self, touch: Touch, at_ms: u64, source: &str, touched: &mut Touched) {
        let alarms_cap = self.config.alarms_per_entity;
        let interfaces_cap = self.config.interfaces_per_entity;
        let entity = match self.entities.entry(touch.id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                self.topology_version += 1;
                self.order.insert(entry.key().clone());
                let id = entry.key().clone();
                let slot = Self::new_slot(&mut self.slots);
                entry.insert(Box::new(Entity::new(id, at_ms, slot)))
            }
        };
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
                // Group names come from entity names.
                self.topology_version += 1;
            }
            for op in touch.attrs {
                if matches!(op, AttrOp::Alarm(_))
                    && let Some(slot) = self.slots.get_mut(entity.slot as usize)
                {
                    slot.alarms = true;
                }
                apply_attr(entity, op, source, alarms_cap, interfaces_cap);
            }
        }
        touched.entity(entity);
    }

    fn propose(
        &mut self,
        proposal: Proposal,
        at_ms: u64,
        source: &str,
        source_id: u32,
        touched: &mut Touched,
    ) {
        let Some(entity) = self.entities.get_mut(&proposal.id) else {
            return;
        };
        let Some(slot) = self.slots.get_mut(entity.slot as usize) else {
            return;
        };
        let network_fresh = entity.state_authority > proposal.authority
            && at_ms.saturating_sub(entity.state_seen_ms) < self.config.stale_after_ms;
        match &entity.state {
            Some(current) if current.state == proposal.state => {
                entity.confirm_state(proposal.state, at_ms);
                slot.sync(entity, None);
            }
            // Older than (or as old as) the current state: a late replay must not flip it back.
            Some(current) if at_ms <= current.since_ms => {}
            // A CRM's flag (trailing RADIUS accounting) never contradicts what the network said
            // recently: the router and the OLT are the technical truth.
            Some(_) if network_fresh => {}
            _ => {
                let info = StateInfo {
                    state: proposal.state,
                    since_ms: at_ms,
                    reason: proposal.reason,
                    source: source.to_owned(),
                };
                touched.states.push(state_change(&entity.id, &info));
                entity.record_down(entity.current_state(), info.state, at_ms);
                entity.state = Some(info);
                entity.state_authority = proposal.authority;
                entity.confirm_state(proposal.state, at_ms);
                slot.sync(entity, Some(source_id));
            }
        }
    }

    // === edges ===

    pub(super) fn upsert_edge(
        &mut self,
        key: EdgeKey,
        relation: String,
        at_ms: u64,
        touched: &mut Touched,
    ) {
        let listed = match self.edges.get_mut(&key) {
            Some(info) => {
                info.seen_ms = info.seen_ms.max(at_ms);
                if info.relation != relation {
                    info.relation = relation;
                    info.dirty = true;
                }
                std::mem::replace(&mut info.touched_seq, touched.seq) == touched.seq
            }
            None => {
                self.topology_version += 1;
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
                        touched_seq: touched.seq,
                    },
                );
                false
            }
        };
        if !touched.removed.is_empty() {
            touched.removed.remove(&key);
        }
        if !listed {
            touched.edges.push(key);
        }
    }

    pub(super) fn remove_edge(&mut self, key: &EdgeKey, touched: &mut Touched) {
        if self.edges.remove(key).is_none() {
            return;
        }
        self.topology_version += 1;
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
        // Deleted even when this state never persisted it: an earlier, still pending Changes
        // may carry its upsert. Deleting a missing edge is harmless.
        touched.removed.insert(key.clone());
    }
}

/// Keeps the latest `keep` observations, ordered by time; an identical replay is not added twice.
fn remember(list: &mut VecDeque<ObservationView>, view: ObservationView, keep: usize) {
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

/// Applies one attribute change; `source` (`plugin:<id>@<agent>`) is recorded in alarms, so
/// that evidence can name who raised them.
fn apply_attr(
    entity: &mut Entity,
    op: AttrOp,
    source: &str,
    alarms_cap: usize,
    interfaces_cap: usize,
) {
    match op {
        AttrOp::Set {
            key,
            value,
            volatile,
        } => match entity.attributes.get_mut(key) {
            Some(old) if *old == value => {}
            Some(old) => {
                *old = value;
                entity.dirty |= !volatile;
            }
            None => {
                entity.attributes.insert(key.to_owned(), value);
                entity.dirty |= !volatile;
            }
        },
        AttrOp::Alarm(mut alarm) => {
            if let Value::Object(fields) = &mut alarm {
                fields.insert("source".to_owned(), Value::String(source.to_owned()));
            }
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
