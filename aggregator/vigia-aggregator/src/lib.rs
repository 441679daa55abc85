//! The Vigia aggregator's library part: the de-duplication rule of the wire contract.
//!
//! [`dedup::SequenceWindow`] states the rule in memory: a batch is stored once per
//! (agent, epoch, sequence) and acks are cumulative plus the sequences stored out of order. The
//! running aggregator (`src/main.rs`) applies the same rule durably in `vigia-store` (primary key
//! and SQL watermark). This library does no I/O; the binary does the wiring (config, store,
//! ingest, signals, PKI).

pub mod dedup;
