//! What readers get from [`crate::LiveState`]: serialisable views, filters and pages.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use vigia_core::Observation;

use crate::model::{State, StateInfo};

/// Most entities in one [`Page`].
pub const MAX_PAGE: usize = 1000;

/// One entity, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityView {
    pub id: String,
    pub kind: String,
    pub name: String,
    /// The site (a `pop:` id): the entity's own, else the nearest ancestor's.
    pub site: Option<String>,
    /// The site came from an ancestor, not from the entity itself.
    pub site_inherited: bool,
    pub state: StateInfo,
    /// The latest time the state was confirmed `up` or `degraded` (`None`: not within what is
    /// known, e.g. down for more than a day before a restart).
    pub last_up_ms: Option<u64>,
    pub attributes: BTreeMap<String, Value>,
    pub parents: Vec<EdgeView>,
    /// The first children by id (at most the configured number).
    pub children: Vec<EdgeView>,
    pub children_total: usize,
    pub first_seen_ms: u64,
    pub last_seen_ms: u64,
    /// `plugin:<id>@<agent>` of every source that named it.
    pub sources: Vec<String>,
}

/// The other end of an edge, with the edge's relation and sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeView {
    pub id: String,
    pub relation: String,
    /// The sources asserting it (`plugin:<id>`, `override`).
    pub sources: Vec<String>,
    /// The other end's current state.
    pub state: State,
}

/// One entity in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntitySummary {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub site: Option<String>,
    pub state: State,
    pub since_ms: u64,
    pub last_seen_ms: u64,
}

/// Which entities to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityFilter {
    /// Only this kind (`onu`, `pon_port`, ...).
    pub kind: Option<String>,
    /// Only entities whose (possibly inherited) site is this (`pop:centro`).
    pub site: Option<String>,
    pub state: Option<State>,
    /// Cursor: list ids strictly after this text in id order (the previous page's `next`; any
    /// text is a valid position).
    pub after: Option<String>,
    /// Page size, clamped to `1..=1000`; 0 means 100.
    pub limit: usize,
}

/// A page of results, ordered by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page (`None`: this was the last).
    pub next: Option<String>,
}

/// An observation as received, with who sent it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservationView {
    pub agent: String,
    pub plugin_id: String,
    pub observed_at_ms: u64,
    pub observation: Observation,
}

/// Entity counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: u64,
    /// kind → state → count (only non-zero counts).
    pub by_kind: BTreeMap<String, BTreeMap<State, u64>>,
}

/// The health of one observation source: (agent, plugin).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceView {
    pub agent: String,
    pub plugin_id: String,
    pub last_success_ms: Option<u64>,
    pub last_failure_ms: Option<u64>,
    /// Failed or faulted runs (and per-target failures) since the last good run.
    pub consecutive_failures: u64,
    pub last_error: Option<String>,
    /// Observations in the latest successful run of each of its probes, summed.
    pub rows_last: u64,
    /// The usual count (the median of each probe's last 9 successful runs), summed over its
    /// probes; the correlator judges a much shorter last run as a stale source.
    pub rows_usual: u64,
}
