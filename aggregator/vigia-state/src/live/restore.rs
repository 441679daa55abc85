//! Rebuilding the live state from what the store holds.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use vigia_store::{EdgeRow, EntityRow, StateChange};

use super::{EdgeInfo, EdgeSource, LiveState};
use crate::id::EntityId;
use crate::model::{Entity, State, StateInfo};

/// What [`LiveState::restore`] loaded, and what it skipped as unreadable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    pub entities: usize,
    pub edges: usize,
    pub states: usize,
    /// Rows with an invalid id or state (logged and left out).
    pub skipped: usize,
}

impl LiveState {
    /// Replaces the state with the persisted rows: entities, edges and each entity's latest
    /// change (its current state). The observations list and metric windows start empty; apply
    /// the overrides again after this.
    ///
    /// Last-up times: an entity restored `up` or `degraded` was last up when its state was last
    /// confirmed; one restored `down` or `unknown` takes its time from `last_up` (entity id →
    /// when its last up period ended, see [`last_up_from_history`]), else it has none.
    pub fn restore(
        &mut self,
        entities: Vec<EntityRow>,
        edges: Vec<EdgeRow>,
        latest_changes: Vec<StateChange>,
        last_up: &HashMap<String, u64>,
    ) -> Restored {
        let version = self.topology_version;
        *self = LiveState::new(self.config.clone());
        self.topology_version = version + 1;
        let mut report = Restored::default();
        for row in entities {
            let Ok(id) = EntityId::parse(&row.id) else {
                tracing::warn!(entity = %row.id, "stored entity with an invalid id skipped");
                report.skipped += 1;
                continue;
            };
            let slot = Self::new_slot(&mut self.slots);
            let mut entity = Entity::new(id.clone(), row.first_seen_ms, slot);
            entity.last_seen_ms = row.last_seen_ms.max(row.first_seen_ms);
            entity.name = (row.name != row.id && !row.name.is_empty()).then_some(row.name);
            entity.site = row.site;
            let (attributes, sources) = parse_attributes(&row.attributes_json);
            entity.attributes = attributes;
            entity.sources = sources.into_iter().collect();
            entity.attrs_at_ms = entity.last_seen_ms;
            if let (Some(Value::Array(alarms)), Some(slot)) = (
                entity.attributes.get("alarms"),
                self.slots.get_mut(slot as usize),
            ) {
                slot.alarms = !alarms.is_empty();
            }
            entity.dirty = false;
            entity.persisted_seen_ms = Some(entity.last_seen_ms);
            self.order.insert(id.clone());
            self.entities.insert(id, Box::new(entity));
            report.entities += 1;
        }
        for change in latest_changes {
            let (Ok(id), Ok(state)) = (
                EntityId::parse(&change.entity_id),
                change.state.parse::<State>(),
            ) else {
                tracing::warn!(entity = %change.entity_id, state = %change.state, "stored state change skipped");
                report.skipped += 1;
                continue;
            };
            let source_id = self.state_sources.id(&change.source);
            let Some(entity) = self.entities.get_mut(&id) else {
                report.skipped += 1;
                continue;
            };
            entity.state_seen_ms = entity.last_seen_ms.max(change.at_ms);
            entity.last_up_ms = if state.is_up() {
                Some(entity.state_seen_ms)
            } else {
                last_up.get(id.as_str()).copied()
            };
            entity.state = Some(StateInfo {
                state,
                since_ms: change.at_ms,
                reason: change.reason,
                source: change.source,
            });
            if let Some(slot) = self.slots.get_mut(entity.slot as usize) {
                slot.sync(entity, Some(source_id));
            }
            report.states += 1;
        }
        for row in edges {
            let (Ok(parent), Ok(child)) =
                (EntityId::parse(&row.parent), EntityId::parse(&row.child))
            else {
                report.skipped += 1;
                continue;
            };
            let source: EdgeSource = row.source.into();
            self.parents
                .entry(child.clone())
                .or_default()
                .insert((parent.clone(), source.clone()));
            self.children
                .entry(parent.clone())
                .or_default()
                .insert((child.clone(), source.clone()));
            self.edges.insert(
                (parent, child, source),
                EdgeInfo {
                    relation: row.relation,
                    seen_ms: row.seen_ms,
                    dirty: false,
                    persisted_seen_ms: Some(row.seen_ms),
                    touched_seq: 0,
                },
            );
            report.edges += 1;
        }
        report
    }
}

/// When an entity's last up period ended, from its recent history (newest first, as
/// `StateStore::history` returns it): the time of the change right after its newest `up` or
/// `degraded` change. `None` when no such change is in the history. When the newest change is
/// itself up (the history ends in an up period), its time is the latest known up time.
pub(crate) fn last_up_from_history(history: &[StateChange]) -> Option<u64> {
    let newest_up = history
        .iter()
        .position(|c| c.state.parse::<State>().is_ok_and(State::is_up))?;
    let ended_by = newest_up.checked_sub(1).unwrap_or(newest_up);
    history.get(ended_by).map(|c| c.at_ms)
}

/// Reads `{"attributes": {...}, "sources": [...]}`; any other object is taken as the attributes.
fn parse_attributes(json: &str) -> (BTreeMap<String, Value>, Vec<String>) {
    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(json) else {
        return (BTreeMap::new(), Vec::new());
    };
    let wrapped = object.len() <= 2 && object.get("attributes").is_some_and(Value::is_object);
    if !wrapped {
        return (object.into_iter().collect(), Vec::new());
    }
    let sources = match object.remove("sources") {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let attributes = match object.remove("attributes") {
        Some(Value::Object(map)) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    };
    (attributes, sources)
}
