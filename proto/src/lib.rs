//! The wire contract between Vigia agents and the aggregator: protobuf package `vigia.agent.v1`
//! (`proto/vigia/agent/v1/agent.proto`), its generated Rust types, and conversions to and from
//! the domain types of `vigia_core`.
//!
//! # What this crate does
//!
//! - [`agent::v1`]: the messages, generated at build time by `build.rs` from the `.proto` in this
//!   directory with `protox` (no system `protoc`) and `tonic-prost-build`. Because they are
//!   generated on every build from the checked-in file, the code can never drift from the
//!   `.proto`. With feature `client`, `agent::v1::agent_link_client::AgentLinkClient`; with
//!   feature `server`, `agent::v1::agent_link_server::{AgentLink, AgentLinkServer}`.
//! - [`convert`]: `From` / `TryFrom` between `vigia_core::Observation` (and its records) and the
//!   messages, with [`ConvertError`] for protobuf input the domain cannot hold.
//! - [`decode`], [`Message`] and [`FILE_DESCRIPTOR_SET`]: bytes in and out.
//!
//! It does **not** open connections, configure TLS, store, de-duplicate or validate business
//! rules (sequence order, plugin signatures): the uplink (agent side) and the ingest (aggregator
//! side) do that, following the contract below. Tonic's TLS features stay off here; both ends bring
//! rustls. The generated client has no `connect(url)` constructor (it would clash with the `Connect`
//! rpc): build a `tonic::transport::Channel` and call `AgentLinkClient::new(channel)`.
//!
//! # The stream
//!
//! Agents sit behind CGNAT, so the agent always dials out: it opens one long-lived bidirectional
//! stream, `AgentLink.Connect`, authenticated by its TLS client certificate (the `agent_id` it
//! sends is informational). The aggregator never connects to agents.
//!
//! 1. **Hello.** The agent's first message is `Hello`: its version, the spool `epoch`, the
//!    highest sequence it believes was acked, the plugin WIT versions it supports and its installed
//!    plugins. The aggregator answers with an `Ack` of what it really holds for that epoch.
//!    The aggregator may read the Hello before it answers the call itself, so a client queues
//!    the Hello on its request stream *before* awaiting `AgentLinkClient::connect` (awaiting
//!    first can deadlock; `tests/grpc.rs` shows the order).
//! 2. **Batches and heartbeats.** The agent then sends `ResultBatch`es and periodic `Heartbeat`s,
//!    and answers `ProbeRequest`s (`ProbeAnswer`), `PluginOffer`s and `ConfigUpdate`s
//!    (`PluginStatus`), all interleaved on the same stream.
//! 3. **Live before backlog.** A batch produced now is sent ahead of backlog replayed from the
//!    spool (`live = true` vs `false`), so an outage in progress is visible first. Batches
//!    therefore arrive out of sequence order.
//! 4. **Acks only after durable commit.** The aggregator sends an `Ack` for a sequence only once
//!    the batch is durably stored: `up_to` covers every sequence from 1 to it, and `sequences` lists
//!    those stored above it (out of order). Only then may the agent drop them from its spool.
//!    `Throttle` bounds the batches in flight without an ack.
//! 5. **Resume.** On reconnect the agent says where it believes it is; the aggregator's first
//!    `Ack` says where it is; the agent resends every unacked batch of the epoch. A new spool
//!    means a new `epoch` and sequences restart at 1.
//! 6. **Goodbye.** The aggregator may close with a `Goodbye` telling the agent how long to wait
//!    before reconnecting.
//!
//! # Idempotency
//!
//! `(agent, epoch, sequence)` identifies a batch, where the agent is the identity from its
//! certificate. The aggregator stores each key at most once and acks a duplicate without storing
//! it again, so the agent may resend anything it has not seen acked. Sequences start at 1 and
//! strictly increase within an epoch; 0 is never a sequence (it means "none" in `Ack.up_to` and
//! `Hello.last_acked_sequence`).
//!
//! # Compatibility
//!
//! Agents on hundreds of POPs lag the aggregator by several releases, so within `v1`:
//!
//! - add fields and enum values; never renumber, retype or reuse a field number;
//! - reserve the number **and** the name of a removed field (`reserved 7; reserved "old";`);
//! - enum values: zero is always `<ENUM>_UNSPECIFIED` and means "not set", which readers reject
//!   where a value is required. A reader also rejects values it does not know
//!   ([`ConvertError::UnknownEnumValue`]), so a new value is sent only once the aggregators
//!   reading it are upgraded;
//! - a breaking change is a new package, `vigia.agent.v2` in `vigia/agent/v2/`, served side by
//!   side with `v1` until the last `v1` agent is gone.
//!
//! `tests/compat.rs` guards this: checked-in encodings in `tests/compat/v1/` must still decode to
//! the same values, so renumbering or retyping a field fails the build's tests.

pub mod convert;
mod wire;

pub use convert::ConvertError;
pub use wire::{DecodeError, FILE_DESCRIPTOR_SET, Message, decode};

/// Generated code, by protobuf package.
pub mod agent {
    /// Package `vigia.agent.v1`: the messages, and the `AgentLink` client and server when the
    /// `client` / `server` features are on.
    #[allow(clippy::all, clippy::pedantic, missing_docs, rust_2018_idioms)]
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/vigia.agent.v1.rs"));
    }
}
