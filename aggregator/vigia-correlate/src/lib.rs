//! Outage correlation, pure and deterministic: no I/O, no clock (time comes with each cycle).
//!
//! # What this crate does
//!
//! - **Input** ([`Topology`], [`Cycle`]): groups (entities subscribers depend on: concentrator,
//!   OLT, PON, splitter box, AP, tower, POP, backhaul link, CRM `conexao`) with their parent
//!   links, members (subscribers, or ONUs/SMs without one) under them, and per cycle each
//!   member's two layers (PPPoE session; ONU or radio) with since/seen/last-up times and a cause
//!   hint, each group's own device state, vendor evidence (SmartOLT outage PONs, cnMaestro
//!   alarms) and the sources' health. The aggregator builds them from its live state.
//! - **Engine** ([`Correlator::cycle`]), level-based: every cycle recomputes what the state shows
//!   and reconciles it with the active events. Rules (all in [`CorrelateConfig`]):
//!   - a member is *newly down* when it went down within the sliding window having been up
//!     within `recent_up_ms` before (churned subscribers in LOS for months never count);
//!   - a group fires when its newly-down members reach `min_down` and `min_fraction` of its
//!     size (per level), with enough fresh members (coverage), for `fire_cycles` cycles (per
//!     level when it sets its own hysteresis);
//!   - the roots reported are the groups that explain the drops best (purest, then largest,
//!     then highest), and siblings firing together give way to their parent: a whole OLT, not
//!     16 PONs; physical groups ignore session drops whose ONU was confirmed online after them
//!     (a concentrator reboot is not a fibre cut);
//!   - an active event grows with later drops under its root, its root moves up when a higher
//!     group explains more (same event, never a second one), and it resolves when every
//!     affected member is back for `clear_cycles` cycles, or by the residual rule;
//!   - three states: a source that is stale or returns far fewer rows than usual makes its
//!     members unknown and raises one collector-stale event; groups and events without enough
//!     fresh members neither fire nor resolve;
//!   - cause: dying gasp in most down members = power, LOS in most = fibre, both = mixed;
//!     vendor evidence corroborates, or decides when the members' ONUs say nothing yet;
//!   - devices down by their own state raise device-down events (part of the mass event when
//!     they are its root);
//!   - suppression: an event whose root's parents are all down is recorded with
//!     `suppressed_by` and not notified; maintenance windows silence notifications; neither
//!     stops detection or a resolution notice.
//! - **Output** ([`Output`]): events that changed (to persist), [`Notice`]s (open, throttled
//!   updates, resolve) and whether the [`Checkpoint`] (hysteresis counters, next id) changed.
//!   [`Correlator::restore`] comes back from the stored active events and checkpoint, so a
//!   restart is neither blind nor opens a duplicate.
//!
//! # What it does not do
//!
//! It reads no state store, sends nothing and keeps no time: the aggregator builds the input
//! from its live state, persists the output, and delivers the notices (`vigia-notify`).

mod cause;
mod config;
mod engine;
mod event;
mod input;
mod maintenance;
mod select;
mod tally;

pub use config::{ConfigError, CorrelateConfig, GroupClass, LevelConfig};
pub use engine::{Checkpoint, Correlator, Output, Track};
pub use event::{
    Cause, Event, EventKind, EventStatus, MAX_TIMELINE, Notice, NoticeKind, NotifiedState,
    TimelineEntry, TimelineKind,
};
pub use input::{
    CauseHint, Cycle, DeviceReading, Evidence, Group, GroupIdx, Layer, LayerState, MemberIdx,
    Reading, SourceReading, Topology, TopologyBuilder,
};
pub use maintenance::MaintenanceWindow;
