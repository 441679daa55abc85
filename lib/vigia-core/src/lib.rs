//! Vigia's domain vocabulary, shared by the agent and the aggregator.
//!
//! It holds the typed observations that plugins produce (mirroring the `vigia:plugin` WIT
//! `types` interface), the identities that name them, and the result of a probe run
//! ([`run::RunResult`]: which plugin build ran, when, and how it ended). It does no I/O, knows
//! nothing of wasmtime, protobuf or storage, and has no clock: time is always a value passed in.
//!
//! The types are `serde` (JSON for the CLI and the REST API). The wire form between agent and
//! aggregator is protobuf, converted in `vigia-proto`.

mod observation;
pub mod run;

pub use observation::{
    Alarm, BillingState, Customer, EdgeKind, EntityKind, EntityRef, ErrorClass, InterfaceStatus,
    LinkStatus, Metric, MetricKind, Observation, ObservationKind, Onu, OnuStatus, PluginError,
    PppoeSession, RadioLink, RadioStatus, Reachability, Severity, TopologyEdge,
};

/// A key/value label on an observation or metric.
pub type Label = (String, String);
