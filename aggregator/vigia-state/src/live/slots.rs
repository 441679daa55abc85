//! A dense copy of what the outage correlator reads of every entity each cycle (state, times,
//! source, whether it has alarms), indexed by a number each entity gets when it is created.
//! A cycle reads 100,000 members' layers: from this array that is a few cache lines per member,
//! where a lookup by id through the entity table costs several cache misses each.
//!
//! The entity record stays the source of truth: every place that changes an entity's state,
//! confirmation time or last-up time (fold, sweep, restore) copies them here right after.

use super::{FastMap, LiveState};
use crate::model::{Entity, State};

/// No source known (the sweep, or never observed).
pub(crate) const NO_SOURCE: u32 = u32::MAX;

/// One entity's correlation-relevant state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// `None` until an observation gives it a state.
    pub state: Option<State>,
    pub since_ms: u64,
    pub seen_ms: u64,
    pub last_up_ms: Option<u64>,
    /// The state's source, as a [`StateSources`] id ([`NO_SOURCE`] when none).
    pub source: u32,
    /// Its attributes hold alarms.
    pub alarms: bool,
}

impl Default for Slot {
    fn default() -> Self {
        Self {
            state: None,
            since_ms: 0,
            seen_ms: 0,
            last_up_ms: None,
            source: NO_SOURCE,
            alarms: false,
        }
    }
}

impl Slot {
    /// Copies the entity's state fields; `source` replaces the source id when given.
    pub(crate) fn sync(&mut self, entity: &Entity, source: Option<u32>) {
        self.state = entity.state.as_ref().map(|s| s.state);
        self.since_ms = entity.state.as_ref().map_or(0, |s| s.since_ms);
        self.seen_ms = entity.state_seen_ms;
        self.last_up_ms = entity.last_up_ms;
        if let Some(source) = source {
            self.source = source;
        }
    }
}

/// Stable numbers for state source texts (`plugin:<id>@<agent>`), so a slot holds a number.
#[derive(Debug, Default)]
pub(crate) struct StateSources {
    ids: FastMap<String, u32>,
}

impl StateSources {
    /// The id of `text`, given on first use.
    pub(crate) fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = u32::try_from(self.ids.len()).unwrap_or(NO_SOURCE - 1);
        self.ids.insert(text.to_owned(), id);
        id
    }

    pub(crate) fn get(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

impl LiveState {
    /// A new slot for an entity being created.
    pub(super) fn new_slot(slots: &mut Vec<Slot>) -> u32 {
        slots.push(Slot::default());
        u32::try_from(slots.len() - 1).unwrap_or(u32::MAX)
    }

    /// The slot of an entity (a default one if the index is out of range).
    pub(crate) fn slot(&self, index: u32) -> Slot {
        self.slots.get(index as usize).copied().unwrap_or_default()
    }
}
