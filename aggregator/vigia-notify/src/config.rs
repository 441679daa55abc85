//! Configuration as written (serde, unknown fields rejected) and as loaded (validated, with the
//! secrets read). The aggregator embeds [`NotifyConfig`] in its own file, for example:
//!
//! ```toml
//! public_url = "https://vigia.example.net"
//! utc_offset = "-03:00"
//!
//! [[channels]]
//! name = "noc-telegram"
//! [channels.telegram]
//! bot_token_file = "/etc/vigia/telegram-token"
//! chat_id = -1001234567890
//! [channels.route]
//! min_affected = 10
//!
//! [[channels]]
//! name = "noc-whatsapp"
//! [channels.whatsapp]
//! access_token_env = "VIGIA_WHATSAPP_TOKEN"
//! phone_number_id = "106540352242922"
//! to = "5511999990000"
//! template = "vigia_outage"
//! language = "pt_BR"
//!
//! [[channels]]
//! name = "ticketing"
//! [channels.webhook]
//! url = "https://tickets.example.net/hooks/vigia"
//! secret_file = "/etc/vigia/webhook-secret"
//! headers = { "X-Tenant" = "isp-1" }
//! ```

mod load;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};
use vigia_correlate::{EventKind, NoticeKind};

pub use load::{
    Channel, ConfigError, DeliveryOptions, LoadedConfig, Target, TelegramTarget, WebhookTarget,
    WhatsAppTarget,
};

/// Default Telegram Bot API base URL.
pub const TELEGRAM_API_URL: &str = "https://api.telegram.org";
/// Default WhatsApp Cloud API (Graph API) base URL.
pub const WHATSAPP_API_URL: &str = "https://graph.facebook.com";
/// Default Graph API version in WhatsApp request paths.
pub const WHATSAPP_API_VERSION: &str = "v21.0";

/// Notification settings and channels, as written in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Base URL people open Vigia at (`https://vigia.example.net`); messages link to
    /// `{public_url}/events/{id}`. No link when unset.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Most subscriber logins listed in a message; the others are counted ("… and 40 more").
    /// 0 lists none.
    #[serde(default = "default_max_logins")]
    pub max_logins: usize,
    /// Offset of the times shown in messages: minutes east of UTC (`-180`) or `"-03:00"`.
    /// Default UTC.
    #[serde(default)]
    pub utc_offset: UtcOffsetSetting,
    /// Timeout of one HTTP request to a channel's API, connection included (1 to 300).
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// A notice still failing this long after it was stored is given up (marked failed).
    #[serde(default = "default_give_up_after_secs")]
    pub give_up_after_secs: u64,
    /// First delay before retrying after a transient failure; it doubles on every attempt.
    #[serde(default = "default_retry_initial_ms")]
    pub retry_initial_ms: u64,
    /// Longest delay between retries after transient failures.
    #[serde(default = "default_retry_max_ms")]
    pub retry_max_ms: u64,
    /// Where notices go.
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            max_logins: default_max_logins(),
            utc_offset: UtcOffsetSetting::default(),
            request_timeout_secs: default_request_timeout_secs(),
            give_up_after_secs: default_give_up_after_secs(),
            retry_initial_ms: default_retry_initial_ms(),
            retry_max_ms: default_retry_max_ms(),
            channels: Vec::new(),
        }
    }
}

/// One destination. Exactly one of `telegram`, `whatsapp` and `webhook` is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// Unique name (letters, digits, `-`, `_`, `.`), used in the outbox and in metrics.
    pub name: String,
    #[serde(default)]
    pub telegram: Option<TelegramConfig>,
    #[serde(default)]
    pub whatsapp: Option<WhatsAppConfig>,
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
    /// Which notices this channel receives (default: every notice).
    #[serde(default)]
    pub route: Route,
}

/// A Telegram chat, through a bot (`sendMessage` with HTML parse mode).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramConfig {
    /// File holding the bot token (`123456:ABC-DEF...`); surrounding whitespace is ignored.
    #[serde(default)]
    pub bot_token_file: Option<PathBuf>,
    /// Environment variable holding the bot token (instead of `bot_token_file`).
    #[serde(default)]
    pub bot_token_env: Option<String>,
    /// Chat id (`-1001234567890` for a group or channel) or `@channelusername`.
    #[serde(deserialize_with = "string_or_integer")]
    pub chat_id: String,
    /// Bot API base URL (a local Bot API server, or a fake in tests).
    #[serde(default = "default_telegram_api_url")]
    pub api_url: String,
}

/// A WhatsApp number, through the Cloud API. Only pre-approved *template* messages can be sent
/// to a number that has not written first, so the text is the template's and Vigia fills its
/// body parameters (`{{1}}`, `{{2}}`...) in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppConfig {
    /// File holding the access token (a system-user token); surrounding whitespace is ignored.
    #[serde(default)]
    pub access_token_file: Option<PathBuf>,
    /// Environment variable holding the access token (instead of `access_token_file`).
    #[serde(default)]
    pub access_token_env: Option<String>,
    /// The sending business phone number's id (not the number itself).
    #[serde(deserialize_with = "string_or_integer")]
    pub phone_number_id: String,
    /// Recipient number in international format, digits only (`5511999990000`; a leading `+`
    /// is accepted).
    #[serde(deserialize_with = "string_or_integer")]
    pub to: String,
    /// Approved template name.
    pub template: String,
    /// The template's language code (`pt_BR`, `es_AR`, `en_US`...).
    pub language: String,
    /// The body parameters, in order.
    #[serde(default = "default_template_fields")]
    pub parameters: Vec<TemplateField>,
    /// Graph API base URL.
    #[serde(default = "default_whatsapp_api_url")]
    pub api_url: String,
    /// Graph API version (`v21.0`).
    #[serde(default = "default_whatsapp_api_version")]
    pub api_version: String,
}

/// A value a WhatsApp template body parameter is filled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateField {
    /// `Outage #42 opened: PON OLT CENTRO/1/1`.
    Title,
    /// `opened`, `updated` or `resolved`.
    Notice,
    /// `#42`.
    Event,
    /// The root's kind and name: `PON OLT CENTRO/1/1`.
    Root,
    /// The cause and its detail: `fibre (48 of 52 lost signal)`.
    Cause,
    /// `52 of 64 subscribers down` (now, or at the peak once resolved).
    Down,
    /// `10:02 (UTC-03:00)`: when it started.
    Since,
    /// `23 min`: how long it has lasted (or lasted).
    Duration,
    /// The first logins and `… and K more`.
    Logins,
    /// `{public_url}/events/{id}` (or `-` without a public URL).
    Link,
}

/// Which notices a channel receives. Every condition must hold.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Event kinds (`mass_outage`, `device_down`, `collector_stale`); default all.
    #[serde(default = "all_event_kinds")]
    pub kinds: Vec<EventKind>,
    /// Notice kinds (`opened`, `updated`, `resolved`); default all.
    #[serde(default = "all_notice_kinds")]
    pub notices: Vec<NoticeKind>,
    /// Least subscribers affected: the larger of the event's affected list and its peak down
    /// count, so a channel that got the "opened" also gets the "resolved".
    #[serde(default)]
    pub min_affected: u64,
    /// Only events whose root is of one of these kinds (`olt`, `pon_port`, `tower`...).
    #[serde(default)]
    pub root_kinds: Option<Vec<String>>,
    /// Only events whose root entity id starts with one of these (`olt:CENTRO`, `tower:`).
    #[serde(default)]
    pub roots: Option<Vec<String>>,
}

impl Default for Route {
    fn default() -> Self {
        Self {
            kinds: all_event_kinds(),
            notices: all_notice_kinds(),
            min_affected: 0,
            root_kinds: None,
            roots: None,
        }
    }
}

/// A webhook: a signed JSON `POST` per notice (see the crate docs for the signature).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `http://` or `https://` URL.
    pub url: String,
    /// File holding the signing secret; surrounding whitespace is ignored.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// Environment variable holding the signing secret (instead of `secret_file`).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Extra request headers (an API key of the receiver, a tenant...). They cannot replace
    /// `Content-Type` nor the `X-Vigia-*` headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// A UTC offset for the times shown in messages, in minutes east of UTC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawOffset")]
pub struct UtcOffsetSetting {
    pub minutes: i16,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawOffset {
    Minutes(i64),
    Text(String),
}

impl TryFrom<RawOffset> for UtcOffsetSetting {
    type Error = String;

    fn try_from(raw: RawOffset) -> Result<Self, String> {
        let minutes = match raw {
            RawOffset::Minutes(m) => m,
            RawOffset::Text(text) => parse_offset(&text).ok_or_else(|| {
                format!(
                    "utc_offset {text:?} is not an offset like \"-03:00\", \"+05:30\" or \"UTC\""
                )
            })?,
        };
        if !(-14 * 60..=14 * 60).contains(&minutes) {
            return Err(format!(
                "utc_offset {minutes} minutes is out of range (-840 to 840)"
            ));
        }
        // In range, so it fits.
        Ok(Self {
            minutes: minutes as i16,
        })
    }
}

/// `"-03:00"`, `"+0530"`, `"UTC"`, `"Z"`.
fn parse_offset(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("utc") || text == "Z" {
        return Some(0);
    }
    let text = text.strip_prefix("UTC").unwrap_or(text);
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    if hours.is_empty() || hours.len() > 2 || !hours.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if minutes.len() > 2 || !minutes.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = hours.parse().ok()?;
    let minutes: i64 = minutes.parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    Some(sign * (hours * 60 + minutes))
}

/// Accepts `chat_id = -1001234` as well as `chat_id = "-1001234"`.
fn string_or_integer<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Integer(i64),
        Text(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Integer(n) => n.to_string(),
        Raw::Text(s) => s,
    })
}

fn default_max_logins() -> usize {
    20
}
fn default_request_timeout_secs() -> u64 {
    10
}
fn default_give_up_after_secs() -> u64 {
    24 * 3600
}
fn default_retry_initial_ms() -> u64 {
    1_000
}
fn default_retry_max_ms() -> u64 {
    600_000
}
fn default_telegram_api_url() -> String {
    TELEGRAM_API_URL.to_owned()
}
fn default_whatsapp_api_url() -> String {
    WHATSAPP_API_URL.to_owned()
}
fn default_whatsapp_api_version() -> String {
    WHATSAPP_API_VERSION.to_owned()
}
fn default_template_fields() -> Vec<TemplateField> {
    vec![
        TemplateField::Title,
        TemplateField::Cause,
        TemplateField::Down,
        TemplateField::Since,
        TemplateField::Link,
    ]
}
fn all_event_kinds() -> Vec<EventKind> {
    vec![
        EventKind::MassOutage,
        EventKind::DeviceDown,
        EventKind::CollectorStale,
    ]
}
fn all_notice_kinds() -> Vec<NoticeKind> {
    vec![
        NoticeKind::Opened,
        NoticeKind::Updated,
        NoticeKind::Resolved,
    ]
}
