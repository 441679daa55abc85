//! The parts of the `ingest_load` example: what an agent sends, how one agent's stream runs,
//! where agent certificates come from, and the figures printed at the end.

pub mod identities;
pub mod session;
pub mod summary;
pub mod workload;
