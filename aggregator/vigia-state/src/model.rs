//! The state vocabulary: what an entity's current state is, and the in-memory entity record.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::id::EntityId;
use crate::view::ObservationView;

/// An entity's operational state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Up,
    Down,
    Degraded,
    /// No fresh information (never observed with a state, or stale).
    Unknown,
}

impl State {
    pub const ALL: [State; 4] = [State::Up, State::Down, State::Degraded, State::Unknown];

    /// `up` or `degraded`: the entity works.
    pub fn is_up(self) -> bool {
        matches!(self, Self::Up | Self::Degraded)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Degraded => "degraded",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text that is not one of `up`, `down`, `degraded`, `unknown`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown state {0:?} (expected up, down, degraded or unknown)")]
pub struct ParseStateError(pub String);

impl FromStr for State {
    type Err = ParseStateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "up" => Ok(Self::Up),
            "down" => Ok(Self::Down),
            "degraded" => Ok(Self::Degraded),
            "unknown" => Ok(Self::Unknown),
            other => Err(ParseStateError(other.to_owned())),
        }
    }
}

/// The current state of an entity: what, since when, why and who said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateInfo {
    pub state: State,
    /// When this state began, Unix ms.
    pub since_ms: u64,
    pub reason: String,
    /// `plugin:<id>@<agent>`, `sweep`, or empty when never observed.
    pub source: String,
}

impl StateInfo {
    /// The state of an entity that no observation has given a state yet.
    pub(crate) fn never_observed() -> Self {
        Self {
            state: State::Unknown,
            since_ms: 0,
            reason: "never observed".to_owned(),
            source: String::new(),
        }
    }
}

/// Most drops remembered per entity (for "recent disconnects").
pub(crate) const RECENT_DOWNS: usize = 16;

/// One entity in memory.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub id: EntityId,
    /// Name from observations (or the id); the override wins when set.
    pub name: Option<String>,
    pub name_override: Option<String>,
    /// Site from a `vigia.site` label; the override wins when set.
    pub site: Option<String>,
    pub site_override: Option<String>,
    pub attributes: BTreeMap<String, Value>,
    /// Time of the newest observation that set the name or attributes: older ones (a replayed
    /// backlog) do not overwrite them.
    pub attrs_at_ms: u64,
    pub first_seen_ms: u64,
    pub last_seen_ms: u64,
    /// `plugin:<id>@<agent>` of every source that named it.
    pub sources: BTreeSet<String>,
    /// `None` until an observation gives it a state.
    pub state: Option<StateInfo>,
    /// Last time an observation confirmed (or changed) the state: what `sweep` ages.
    pub state_seen_ms: u64,
    /// Whether the current state came from the network or from an administrative record (not
    /// persisted: a restored state counts as the network's).
    pub state_authority: crate::apply::Authority,
    /// The latest observation time at which the state was confirmed `up` or `degraded` (on a
    /// restore: from the restored state, or from the history of the last day).
    pub last_up_ms: Option<u64>,
    /// When it last went from up (or degraded) to down, newest last, at most
    /// [`RECENT_DOWNS`] (since the aggregator started: not persisted).
    pub recent_downs: Vec<u64>,
    pub observations: VecDeque<ObservationView>,
    /// The row differs from what was last persisted in more than volatile readings.
    pub dirty: bool,
    /// `last_seen_ms` as last persisted (`None`: never persisted).
    pub persisted_seen_ms: Option<u64>,
    /// The sequence of the apply (or sweep, ...) that last listed it as touched.
    pub touched_seq: u64,
    /// Its index in the live state's correlation slots.
    pub slot: u32,
}

impl Entity {
    pub(crate) fn new(id: EntityId, at_ms: u64, slot: u32) -> Self {
        Self {
            id,
            name: None,
            name_override: None,
            site: None,
            site_override: None,
            attributes: BTreeMap::new(),
            attrs_at_ms: 0,
            first_seen_ms: at_ms,
            last_seen_ms: at_ms,
            sources: BTreeSet::new(),
            state: None,
            state_seen_ms: 0,
            state_authority: crate::apply::Authority::Network,
            last_up_ms: None,
            recent_downs: Vec::new(),
            observations: VecDeque::new(),
            dirty: true,
            persisted_seen_ms: None,
            touched_seq: 0,
            slot,
        }
    }

    /// The name shown: override, else observed name, else the id.
    pub(crate) fn display_name(&self) -> &str {
        self.name_override
            .as_deref()
            .or(self.name.as_deref())
            .unwrap_or(self.id.as_str())
    }

    /// The site set on this entity itself (override, else label), not inherited.
    pub(crate) fn own_site(&self) -> Option<&str> {
        self.site_override.as_deref().or(self.site.as_deref())
    }

    pub(crate) fn current_state(&self) -> State {
        self.state.as_ref().map_or(State::Unknown, |s| s.state)
    }

    /// Remembers a drop (up or degraded to down) at `at_ms`.
    pub(crate) fn record_down(&mut self, previous: State, next: State, at_ms: u64) {
        if previous.is_up() && next == State::Down {
            if self.recent_downs.len() == RECENT_DOWNS {
                self.recent_downs.remove(0);
            }
            self.recent_downs.push(at_ms);
        }
    }

    /// Records an observation at `at_ms` that confirmed (or set) the state `state`.
    pub(crate) fn confirm_state(&mut self, state: State, at_ms: u64) {
        self.state_seen_ms = self.state_seen_ms.max(at_ms);
        if state.is_up() {
            self.last_up_ms = Some(self.last_up_ms.map_or(at_ms, |t| t.max(at_ms)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_as_text() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>().unwrap(), state);
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{state}\""));
        }
        assert!("UP".parse::<State>().is_err());
    }
}
