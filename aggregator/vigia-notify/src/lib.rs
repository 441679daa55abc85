//! Delivers outage notices to the NOC's channels: Telegram chats, WhatsApp numbers (Cloud API
//! template messages) and signed webhooks, from a persisted outbox.
//!
//! # What it does
//!
//! 1. **Configuration** ([`NotifyConfig`]): channels, their routes and their secrets. Secrets are
//!    read once at load ([`NotifyConfig::load`]) from a file or an environment variable and are
//!    never logged nor `Debug`-printed ([`Secret`]).
//! 2. **Routing** ([`channels_for`]): which channels a [`Notice`] goes to, from each channel's
//!    [`Route`] (event kinds, notice kinds, minimum affected subscribers, root kinds and roots).
//!    Pure; the aggregator calls it when it stores notices, one outbox entry per channel.
//! 3. **Rendering** ([`render`]): Telegram HTML text, WhatsApp template parameters and the webhook
//!    JSON body. Pure.
//! 4. **Sending** ([`Sender`]): one HTTP request per notice and channel, classified as
//!    [`SendError::RetryAfter`] (the API said when), [`SendError::Transient`] (network, timeout,
//!    5xx) or [`SendError::Permanent`] (the API refused the message: bad chat, bad token,
//!    template rejected).
//! 5. **Delivering** ([`Notifier`]): a worker over an [`Outbox`] (the aggregator's store
//!    implements it; [`MemoryOutbox`] is an in-memory one). It sends what is due, in order per
//!    channel, retries with exponential backoff or exactly after the API's `retry_after`, gives
//!    up after a maximum age, and counts what it did ([`NotifyMetrics`]).
//!
//! # What it does not do
//!
//! It does **not** decide *when* to notify: the correlator (`vigia-correlate`) issues one notice
//! when an event opens, throttled updates, and one when it resolves, and never one per
//! subscriber. Suppressed and silenced events are the correlator's business too; a notice that
//! reaches this crate is sent. It does not store anything itself (the outbox does), and it does
//! not receive messages (no bot commands, no WhatsApp replies).
//!
//! # Delivery guarantees
//!
//! At least once, in order per channel: an entry is marked sent only after the API accepted it,
//! so a crash between the two sends it again. A channel whose oldest pending entry waits for a
//! retry sends nothing newer meanwhile (an "opened" never arrives after its "resolved").
//!
//! # Webhook signatures
//!
//! Every webhook request is a `POST` with a JSON body (the [`Notice`] plus `"vigia_version": 1`)
//! and these headers:
//!
//! | Header | Value |
//! |---|---|
//! | `X-Vigia-Notice` | `opened`, `updated` or `resolved` |
//! | `X-Vigia-Delivery` | the outbox entry id: the same on every retry of one delivery |
//! | `X-Vigia-Timestamp` | Unix time in seconds when this attempt was signed |
//! | `X-Vigia-Signature` | `sha256=` and the lowercase hex HMAC-SHA256 of `"{timestamp}.{body}"` keyed with the channel's secret |
//!
//! A receiver verifies a request like this:
//!
//! 1. Read the raw body bytes (before any JSON parsing) and the timestamp header.
//! 2. Compute HMAC-SHA256 with the shared secret over the timestamp, a `.`, then the body.
//! 3. Compare `sha256=<hex>` with `X-Vigia-Signature` in constant time; reject on mismatch.
//! 4. Reject timestamps too far from the receiver's clock (five minutes is usual) so a
//!    captured request cannot be replayed later.
//! 5. Use `X-Vigia-Delivery` to drop duplicates (delivery is at least once).
//!
//! [`signature::verify`] does steps 2–3 for Rust receivers.
//!
//! # Testing
//!
//! The `testing` feature adds fake Telegram, WhatsApp and webhook servers on loopback
//! (module `testing`) that answer like the real APIs and can be scripted to fail.

mod config;
mod metrics;
mod notifier;
mod outbox;
pub mod render;
mod route;
mod secret;
mod send;
pub mod signature;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{
    Channel, ChannelConfig, ConfigError, DeliveryOptions, LoadedConfig, NotifyConfig, Route,
    Target, TelegramConfig, TelegramTarget, TemplateField, UtcOffsetSetting, WebhookConfig,
    WebhookTarget, WhatsAppConfig, WhatsAppTarget,
};
pub use metrics::{ChannelCounts, NotifyMetrics};
pub use notifier::{Notifier, NotifyError, Wake};
pub use outbox::{MemoryEntry, MemoryOutbox, MemoryState, Outbox, OutboxError, Pending};
pub use render::RenderOptions;
pub use route::channels_for;
pub use secret::Secret;
pub use send::{SendError, Sender, http_client};

pub use vigia_correlate::{Notice, NoticeKind};
