//! What the API sends: agents, entities, observations and state changes. These are the API's
//! own types (a stable contract for clients), filled in by the [`ReadModel`](crate::ReadModel)
//! implementation from whatever the aggregator keeps.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Timestamp;

/// A connected or known agent.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Agent {
    /// The agent's identity (from its certificate).
    pub id: String,
    /// Whether at least one stream from it is open now.
    pub connected: bool,
    /// How many ingest streams it has open.
    pub open_streams: u32,
    /// When its current (or last) connection began.
    pub connected_at: Option<Timestamp>,
    /// When it last disconnected; `null` while connected or never seen disconnecting.
    pub disconnected_at: Option<Timestamp>,
    /// The agent's software version, as it reported it.
    pub version: Option<String>,
    /// The agent's current stream epoch.
    pub epoch: Option<u64>,
    /// The last health report it sent, if any.
    pub health: Option<AgentHealth>,
}

/// An agent's self-reported health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AgentHealth {
    /// Records waiting in its spool.
    pub spool_records: u64,
    /// Bytes used by its spool.
    pub spool_bytes: u64,
    /// Age of the oldest record not yet acknowledged, milliseconds (0 when none).
    pub oldest_unacked_age_ms: u64,
    /// Records dropped because the spool was full.
    pub dropped_records: u64,
    /// Plugin traps, panics and other faults since start.
    pub plugin_faults: u64,
    /// Probe runs stopped for exceeding their budget, since start.
    pub budget_exhaustions: u64,
    /// When the aggregator last acknowledged its results.
    pub last_ack_at: Option<Timestamp>,
    /// How long the agent has been running, milliseconds.
    pub uptime_ms: u64,
    /// Probe runs since start.
    pub probe_runs: u64,
    /// Runs skipped because the previous run of the same probe was still going.
    pub skipped_overlapping_runs: u64,
    /// When the agent produced this report.
    pub reported_at: Timestamp,
}

/// The state of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateValue {
    Up,
    Down,
    Degraded,
    Unknown,
}

impl StateValue {
    /// The lowercase name (`up`, `down`, `degraded`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Degraded => "degraded",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for StateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not `up`, `down`, `degraded` or `unknown`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown state {0:?} (expected up, down, degraded or unknown)")]
pub struct UnknownState(pub String);

impl FromStr for StateValue {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "up" => Ok(Self::Up),
            "down" => Ok(Self::Down),
            "degraded" => Ok(Self::Degraded),
            "unknown" => Ok(Self::Unknown),
            other => Err(UnknownState(other.to_owned())),
        }
    }
}

/// An entity's current state and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EntityState {
    /// The state.
    pub value: StateValue,
    /// When it entered this state.
    pub since: Timestamp,
    /// Why, in words (e.g. `LOS`, `3 of 3 echoes lost`).
    pub reason: Option<String>,
    /// Which observation source decided it (`plugin:<id>@<agent>`).
    pub source: Option<String>,
}

/// A descriptive attribute value: a string or a number.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AttributeValue {
    /// Text.
    Text(String),
    /// A finite number (JSON numbers cannot be NaN or infinite).
    #[schema(value_type = f64)]
    Number(serde_json::Number),
}

impl From<&str> for AttributeValue {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for AttributeValue {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<i64> for AttributeValue {
    fn from(value: i64) -> Self {
        Self::Number(value.into())
    }
}

impl From<u64> for AttributeValue {
    fn from(value: u64) -> Self {
        Self::Number(value.into())
    }
}

impl AttributeValue {
    /// A float attribute; `None` for NaN or infinities, which JSON cannot carry.
    pub fn float(value: f64) -> Option<Self> {
        serde_json::Number::from_f64(value).map(Self::Number)
    }
}

/// A topology neighbour of an entity (a parent it depends on, or a child depending on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Link {
    /// The neighbour's id.
    pub id: String,
    /// The neighbour's kind.
    pub kind: String,
    /// The relation (`fibre`, `radio`, `ethernet`, `power`, `logical`, ...).
    pub relation: String,
    /// Who said so: `plugin:<id>` or `override`.
    pub source: String,
}

/// One entity with its state, attributes and neighbours.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Entity {
    /// Canonical id, `<kind>:<vendor id>` (e.g. `pon_port:olt-1/0/3`).
    pub id: String,
    /// Kind in snake case (`olt`, `pon_port`, `onu`, `ap`, `subscriber`, ...).
    pub kind: String,
    /// Human name.
    pub name: String,
    /// The site/POP it belongs to, when known.
    pub site: Option<String>,
    /// Current state.
    pub state: EntityState,
    /// Descriptive attributes (strings and numbers).
    pub attributes: BTreeMap<String, AttributeValue>,
    /// What it depends on.
    pub parents: Vec<Link>,
    /// What depends on it (possibly only the first ones: see `children_total`).
    pub children: Vec<Link>,
    /// How many children it has in all.
    pub children_total: u64,
    /// Last time an observation named it.
    pub last_seen: Option<Timestamp>,
}

/// An entity in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EntitySummary {
    /// Canonical id.
    pub id: String,
    /// Kind in snake case.
    pub kind: String,
    /// Human name.
    pub name: String,
    /// The site/POP, when known.
    pub site: Option<String>,
    /// Current state.
    pub state: StateValue,
    /// When it entered the current state.
    pub since: Timestamp,
    /// Last time an observation named it.
    pub last_seen: Option<Timestamp>,
}

/// One page of entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EntityPage {
    /// The entities of this page, in a stable order.
    pub items: Vec<EntitySummary>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The latest observation of an entity by one source.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Observation {
    /// The agent that observed it.
    pub agent: String,
    /// The plugin that produced it.
    pub plugin: String,
    /// When it was observed.
    pub observed_at: Timestamp,
    /// What was observed (e.g. `onu_optics`, `ping`).
    pub kind: String,
    /// The observation's fields, as the plugin reported them.
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// A change of an entity's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StateChange {
    /// When the new state began.
    pub at: Timestamp,
    /// The new state.
    pub state: StateValue,
    /// Why, in words.
    pub reason: String,
    /// Which observation source decided it.
    pub source: String,
}
