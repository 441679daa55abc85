//! The Vigia aggregator (scaffold).
//!
//! It will ingest result batches from agents over mutually authenticated gRPC (`vigia.agent.v1`,
//! crate `vigia-proto`), de-duplicate them by (agent, epoch, sequence), keep live state and
//! topology, correlate outages and serve the REST diagnosis API.
//!
//! Today it holds only [`dedup::SequenceWindow`], the de-duplication rule of the wire contract, so
//! that the contract's idempotency key is pinned down by tests before ingest is built on it.
//! It does no I/O yet.

pub mod dedup;
