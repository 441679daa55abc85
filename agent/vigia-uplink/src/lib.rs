//! `vigia-uplink`: the agent's side of the `vigia.agent.v1` stream. It dials the aggregator over
//! mutually authenticated TLS (rustls with the ring provider; the agent's client certificate is
//! its identity), streams the result batches waiting in the spool and deletes them once the
//! aggregator acks them as durably stored: at-least-once delivery, the aggregator de-duplicates.
//!
//! # The contract, step by step
//!
//! 1. **Dial and resume.** Connect (TCP + TLS + HTTP/2), open `Connect` with a `Hello` carrying
//!    the spool epoch and the highest cumulative ack known. The aggregator's first `Ack` says what
//!    it already holds; those records are deleted and skipped.
//! 2. **Live before backlog.** Records that became durable after the stream opened are *live*:
//!    sent as soon as the spool commits them ([`Spool::subscribe`](vigia_spool::Spool::subscribe)).
//!    Older unacked records are *backlog*: replayed oldest first, paced at
//!    [`UplinkConfig::backlog_rate`], into at most three quarters of the in-flight window, so a
//!    long outage never starves live data. After any reconnect everything unacked is resent.
//! 3. **Acks delete.** `Ack.up_to` and `Ack.sequences` go to
//!    [`Spool::ack`](vigia_spool::Spool::ack) and [`Spool::ack_each`](vigia_spool::Spool::ack_each):
//!    only what the aggregator acked is deleted. `Throttle` resizes the window (never above
//!    [`UplinkConfig::max_in_flight`]).
//! 4. **Reconnect forever.** Any failure (refused certificate, dead peer, missing acks for
//!    [`UplinkConfig::ack_timeout`], `Goodbye`) ends the stream; the next attempt waits an
//!    exponential backoff with full jitter, at least `Goodbye.reconnect_after_ms`.
//! 5. **Heartbeats** every [`UplinkConfig::heartbeat_interval`] carry the agent's
//!    [`HealthSnapshot`] plus the last ack time. `PluginOffer` and `ConfigUpdate` are logged and
//!    ignored, for now.
//! 6. **On-demand probes.** A `ProbeRequest` goes to the agent's [`OnDemand`] handler (given with
//!    [`Uplink::with_on_demand`]) without blocking the stream: acks, throttles and batches keep
//!    flowing while it runs. Its [`ProbeAnswer`] goes out on the same stream when it is ready
//!    (dropped, and logged, if that stream has ended meanwhile). Without a handler every request
//!    is refused `NOT_ALLOWED`. The uplink only carries requests: choosing a probe, checking the
//!    request and running the plugin are the agent's.
//!
//! The spool payload format is [`encode_batch`]: a `ResultBatch` holding only its runs. A record
//! that is not one (or is unreadable, or too large to send) is quarantined in the spool and the
//! stream goes on.
//!
//! # What it does NOT do
//! No probing and no spooling (the agent appends to the spool; the uplink only reads, acks and
//! quarantines; on-demand requests are run by the agent's handler), no de-duplication (the
//! aggregator's job), no plugin installs or config updates yet, and no metrics export:
//! [`UplinkStatus`] holds the figures for the agent's `/metrics`.

mod backoff;
mod clock;
mod config;
mod dial;
mod error;
mod flow;
mod health;
mod on_demand;
mod pacer;
mod payload;
mod session;
mod spool_io;
mod status;
mod tls;
mod uplink;

pub use config::UplinkConfig;
pub use error::{ConfigError, DialError, LinkError, PayloadError};
pub use health::{HealthSnapshot, HealthSource};
pub use on_demand::{
    BoxFuture, OnDemand, ProbeAnswer, ProbeRequest, ProbeTarget, Refusal, RefusalReason,
};
pub use payload::{decode_batch, encode_batch};
pub use status::{StatusSnapshot, UplinkStatus};
pub use tls::TlsIdentity;
pub use uplink::Uplink;
