//! `vigia-sim`: a simulated ISP for tests, demos and first trials, so that nobody has to point
//! Vigia at production to see it work.
//!
//! One [`World`] (built from a [`Scenario`] file: POPs, concentrators, OLTs with PON ports and
//! splitter boxes, towers with access points, backhaul links, plans, and generated subscribers
//! with their ONUs or radios, PPPoE logins and billing states) is served through every vendor
//! view at once: SmartOLT, IXC Provedor, ISPCube and cnMaestro REST APIs, the MikroTik RouterOS
//! API of each concentrator, and SNMP devices through net-snmp or snmpsim ([`snmp`]). A control
//! API ([`control`]) injects faults (a cut PON, a power outage, a tower down, a billing block, a
//! vendor outage, ...) that change every view consistently.
//!
//! What it is not: a performance model of the vendors (it answers fast unless a fault slows it),
//! nor a complete implementation of their APIs. It implements what Vigia's plugins and the
//! ISPs' existing tools use, as `docs/plugins/*.md` and the vendor notes describe, including
//! their quirks (string-typed values, per-endpoint payload keys, rate limits, error shapes).
//! The HTTP servers use axum: this crate is a test peer, not part of the aggregator's API.

pub mod control;
pub mod cpe;
mod names;
mod rng;
pub mod routeros;
pub mod scenario;
pub mod serve;
mod sim;
pub mod snmp;
pub mod vendor;
pub mod world;

pub use scenario::{Scenario, ScenarioError};
pub use serve::{Running, start};
pub use sim::Sim;
pub use world::{Change, Fault, World};
