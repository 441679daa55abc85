//! Fakes of the channel APIs for tests (feature `testing`): small HTTP servers on
//! `127.0.0.1:0` that answer like the real ones, record every request with its receive time,
//! and can be scripted to fail. Each gives its base URL (put it in the channel's `api_url` or
//! `url`) and a bounded wait for "N requests arrived" that needs no sleeping.
//!
//! - [`FakeTelegram`]: `POST /bot{token}/sendMessage`; checks the token (401 otherwise) and, in
//!   HTML parse mode, that tags are balanced and `<`, `&` are escaped (400 "can't parse
//!   entities" otherwise), like Telegram.
//! - [`FakeWhatsApp`]: `POST /{version}/{phone_number_id}/messages`; checks the Bearer token
//!   and the template message shape.
//! - [`FakeWebhook`]: any `POST`; verifies the signature with the shared secret.
//!
//! The servers stop when dropped.

mod recorder;
mod server;
mod telegram;
mod webhook;
mod whatsapp;

pub use recorder::WaitTimeout;
pub use telegram::{FakeTelegram, TelegramRequest};
pub use webhook::{FakeWebhook, WebhookDelivery};
pub use whatsapp::{FakeWhatsApp, WhatsAppRequest};
