//! The aggregator's domain model and live state.
//!
//! # What this crate does
//!
//! - **Model** ([`EntityId`], [`State`]): entities are named `<kind>:<id>` with vigia-core's
//!   [`EntityKind`](vigia_core::EntityKind) in snake case (`olt:olt-centro-1`,
//!   `pon_port:olt-centro-1/0/3`, `onu:HWTC1A2B3C4D`, `subscriber:joao.silva`, `customer:1234`,
//!   `access_point:<mac>`, `subscriber_module:<mac>`, `tower:<name>`, `concentrator:<name>`,
//!   `splitter:<id>`, `pop:<name>`, `backhaul_link:<id>`, `host:<address>` ...), normalised so
//!   sources agree (trimmed; ONU serials upper case; MACs lower-case colon form). A state is
//!   `up`, `down`, `degraded` or `unknown`, with `since_ms`, `reason` and `source`.
//! - **Mapping** (`apply`): each observation kind says something about entities, edges and
//!   states. `Onu` gives olt → pon_port (`<olt>/<board>/<port>`) → (splitter →) onu → subscriber
//!   and the ONU's state (Online = up, or degraded outside the Rx thresholds; LOS, Offline,
//!   PowerFail = down with that reason). `PppoeSession` gives concentrator → subscriber and the
//!   subscriber's state. `RadioLink` gives tower → access_point → subscriber_module and the SM's
//!   state (degraded under the RSSI/SNR thresholds). `Customer` gives the customer (billing as
//!   an attribute, no state) and customer → subscriber per login. `Reachability` sets the state of
//!   the entity named by the label `vigia.entity=<kind>:<id>`, else of `host:<address>`.
//!   An observation labelled `vigia.authority=crm` (IXC's `online` flag, which trails RADIUS
//!   accounting) never contradicts a state the network (router, OLT) gave within `stale_after_ms`.
//!   `Interface` and `Alarm` become attributes (`interfaces`, `alarms`; each alarm also records
//!   the `source` that reported it), `Metric` and readings (Rx/Tx dBm, RTT, loss, RSSI, SNR) go
//!   to the metrics window. A label `vigia.site=<pop>` sets
//!   the site of the observation's main device (OLT, concentrator, tower, or the target).
//! - **Topology edges from vendor plugins.** Plugins that know topology emit
//!   `TopologyEdge { parent, child, edge_kind }` ("child depends on parent"), taken as given with
//!   source `plugin:<id>`. The convention: IXC `conexao` → parent `crm_group:<conexao>`, child
//!   `subscriber:<login>` (kind `other("conexao")` if a plugin prefers); IXC `id_transmissor` and
//!   ISPCube `node_id` → parent `concentrator:<name>` (or the named transmitter's kind), child
//!   `subscriber:<login>`; cnMaestro → `tower:<name>` → `access_point:<mac>`; SmartOLT topology
//!   → `olt:<name>` → `pon_port:<olt>/<board>/<port>` → `splitter:<odb>` → `onu:<serial>`. Edges
//!   that mappings derive (ONU, PPPoE, radio, customer) are one-parent-per-source: when a source
//!   reports a child under a new parent of the same role, the old edge is removed.
//! - **Live state** ([`LiveState`]): entities in a hash map by id (a fast seeded hasher; ids are
//!   shared text, so an id already known is reused, not allocated, and compares by pointer),
//!   with every id also in an ordered set (for pages; touched only when an entity is created),
//!   parent/child indexes, current states, the latest K observations per entity, metric windows
//!   and each (agent, plugin) source's health. [`LiveState::apply`] (or
//!   [`LiveState::apply_owned`], which moves the observations it keeps instead of cloning them;
//!   the service uses it) returns the [`Changes`] to persist:
//!   state changes only when the state differs (history is changes, not samples; replays change
//!   nothing; an observation not newer than the current state's `since_ms` never flips it), and
//!   entity/edge rows only when they changed materially or their last-seen time moved by the
//!   configured granularity. [`LiveState::sweep`] turns states no observation confirmed for
//!   `stale_after_ms` into `unknown`. Failed and faulted runs, and `Failure` observations, never
//!   change an entity's state (a failing source is not a down device): they are recorded per
//!   (agent, plugin) in [`LiveState::sources`], with the observation counts of its successful
//!   runs (the latest and the median of the last 9, per probe, summed). Each entity keeps its
//!   last up time (the latest observation confirming it `up` or `degraded`); a restart takes it
//!   from the restored state, or for an entity down within the last day from its history.
//! - **Correlation input** ([`CorrelationInput`]): the outage correlator's topology (groups:
//!   entities of the kinds the correlation config lists, linked by their edges and own sites;
//!   members: subscribers, and ONUs/SMs without one, through their access devices) built by
//!   [`LiveState::correlation_input`] when [`LiveState::topology_version`] moved, and each
//!   cycle's readings ([`LiveState::correlation_cycle`]): members' session and access layers
//!   with cause hints, groups' own states, open vendor alarms as evidence, sources' health.
//! - **Overrides** ([`Overrides`]): the operator's TOML file of names, sites, extra edges and
//!   hidden edges; overrides win over observations.
//! - **Metrics window** ([`MetricsWindow`]): bounded by time, samples and series count;
//!   [`LiveState::render_prometheus`] exports entity counts and the latest values.
//! - **Runtime** ([`StateService`]): restores from a [`vigia_store::StateStore`], applies committed
//!   batches from a bounded channel, persists in order with retries, sweeps and prunes.
//!
//! # What it does not do
//!
//! It does not correlate outages or decide verdicts (`vigia-correlate` does, from the input built
//! here; the aggregator runs it and adds maintenance windows), decode wire formats, or store
//! anything itself: persistence is the `StateStore` trait of `vigia-store`.
//! Observations and metric windows are not persisted (they refill from live data); the entity
//! rows store the effective name and site (overrides included) with the attributes and sources
//! as `{"attributes": {...}, "sources": [...]}`.

mod apply;
mod config;
mod correlation;
mod id;
mod live;
mod metrics;
mod model;
mod overrides;
mod service;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod view;

pub use apply::{AUTHORITY_LABEL, ENTITY_LABEL, SITE_LABEL};
pub use config::{MetricsConfig, ServiceConfig, StateConfig, Thresholds};
pub use correlation::CorrelationInput;
pub use id::{EntityId, IdError, MAX_ID_LEN, kind_name, normalise_mac};
pub use live::{
    ApplyStats, Changes, FactsOptions, LiveState, OVERRIDE_SOURCE, Origin, Origins, Restored,
    SWEEP_SOURCE, merge_observations,
};
pub use metrics::{MetricsWindow, Reading, SeriesView};
pub use model::{ParseStateError, State, StateInfo};
pub use overrides::{EdgeOverride, EntityOverride, Overrides, OverridesError};
pub use service::{Committed, CountersSnapshot, StateError, StateHandle, StateService};
pub use view::{
    Counts, EdgeView, EntityFilter, EntitySummary, EntityView, MAX_PAGE, ObservationView, Page,
    SourceView,
};
