//! Message rendering, pure: Telegram HTML text, WhatsApp template parameters and the webhook body.
//!
//! A Telegram message looks like this (HTML parse mode; names are escaped):
//!
//! ```text
//! 🔴 Outage #42 opened: PON OLT CENTRO/1/1
//! Cause: fibre (48 of 52 lost signal)
//! 52 of 64 subscribers down since 10:02 (UTC-03:00)
//! Subscribers: ana, bruno, carla … and 49 more
//! https://vigia.example.net/events/42
//! ```

#[cfg(test)]
pub(crate) mod tests;

use std::fmt::Write as _;

use serde::Serialize;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};
use vigia_correlate::{Cause, Event, EventKind, Notice, NoticeKind};

use crate::config::TemplateField;

/// Version of the webhook body (`"vigia_version": 1`); bumped only for incompatible changes.
pub const WEBHOOK_BODY_VERSION: u32 = 1;

/// Longest free text (cause detail, resolution) put in a message, in characters.
const MAX_DETAIL_CHARS: usize = 300;

/// How messages are rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Base URL for `{public_url}/events/{id}` links, without a trailing `/`.
    pub public_url: Option<String>,
    /// Most logins listed.
    pub max_logins: usize,
    /// Offset of the times shown.
    pub utc_offset: UtcOffset,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            public_url: None,
            max_logins: 20,
            utc_offset: UtcOffset::UTC,
        }
    }
}

/// Telegram's limit on a message's text, in characters (after entity parsing; counting the
/// HTML source is stricter, so safe).
pub const TELEGRAM_MAX_CHARS: usize = 4096;

/// The Telegram message text, for `parse_mode = "HTML"`. Fewer logins are listed when that many
/// would not fit in one message.
pub fn telegram_text(notice: &Notice, options: &RenderOptions) -> String {
    let mut max_logins = options.max_logins;
    loop {
        let text = telegram_text_with(notice, options, max_logins);
        if max_logins == 0 || text.chars().count() <= TELEGRAM_MAX_CHARS {
            return text;
        }
        max_logins /= 2;
    }
}

fn telegram_text_with(notice: &Notice, options: &RenderOptions, max_logins: usize) -> String {
    let event = &notice.event;
    let mut out = String::new();
    let icon = match notice.kind {
        NoticeKind::Opened => "🔴",
        NoticeKind::Updated => "🟠",
        NoticeKind::Resolved => "✅",
    };
    let _ = writeln!(out, "{icon} <b>{}</b>", escape_html(&title(notice)));
    if let Some(cause) = cause_text(event) {
        let _ = writeln!(out, "Cause: {}", escape_html(&cause));
    }
    let _ = writeln!(out, "{}", escape_html(&status_line(notice, options)));
    if let Some(logins) = logins_text(event, max_logins) {
        let _ = writeln!(out, "Subscribers: {}", escape_html(&logins));
    }
    if let Some(resolution) = event.resolution.as_deref().filter(|r| !r.is_empty())
        && notice.kind == NoticeKind::Resolved
    {
        let _ = writeln!(
            out,
            "Resolution: {}",
            escape_html(&truncate(resolution, MAX_DETAIL_CHARS))
        );
    }
    if let Some(parent) = event.suppressed_by {
        let _ = writeln!(
            out,
            "<i>Explained by upstream event #{parent}: this one is kept for the record.</i>"
        );
    }
    if let Some(window) = event.maintenance {
        let _ = writeln!(out, "<i>During maintenance window #{window}.</i>");
    }
    if let Some(link) = link(event, options) {
        let _ = writeln!(out, "{}", escape_html(&link));
    }
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

/// The WhatsApp template body parameters, in the configured order. WhatsApp rejects parameters
/// with new lines, tabs or more than four spaces in a row, and empty ones: those are cleaned up
/// and an empty value becomes `-`.
pub fn whatsapp_parameters(
    notice: &Notice,
    fields: &[TemplateField],
    options: &RenderOptions,
) -> Vec<String> {
    let event = &notice.event;
    fields
        .iter()
        .map(|field| {
            let text = match field {
                TemplateField::Title => title(notice),
                TemplateField::Notice => notice.kind.as_str().to_owned(),
                TemplateField::Event => format!("#{}", event.id),
                TemplateField::Root => root_text(event),
                TemplateField::Cause => cause_text(event).unwrap_or_default(),
                TemplateField::Down => down_text(notice),
                TemplateField::Since => format!(
                    "{} ({})",
                    local_time(event.started_ms, notice.at_ms, options.utc_offset),
                    offset_label(options.utc_offset)
                ),
                TemplateField::Duration => {
                    format_duration(end_ms(notice).saturating_sub(event.started_ms))
                }
                TemplateField::Logins => logins_text(event, options.max_logins).unwrap_or_default(),
                TemplateField::Link => link(event, options).unwrap_or_default(),
            };
            one_line(&text)
        })
        .collect()
}

/// The webhook body: the notice as JSON plus `"vigia_version": 1`.
pub fn webhook_body(notice: &Notice) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Serialize)]
    struct Body<'a> {
        vigia_version: u32,
        #[serde(flatten)]
        notice: &'a Notice,
    }
    serde_json::to_vec(&Body {
        vigia_version: WEBHOOK_BODY_VERSION,
        notice,
    })
}

/// Escapes text for Telegram's HTML parse mode (`&`, `<`, `>`, and `"` for attribute values).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// `Outage #42 opened: PON OLT CENTRO/1/1`, `... resolved after 23 min`.
pub fn title(notice: &Notice) -> String {
    let event = &notice.event;
    let what = match event.kind {
        EventKind::MassOutage => "Outage",
        EventKind::DeviceDown => "Device down",
        EventKind::CollectorStale => "Collector stale",
    };
    let verb = match notice.kind {
        NoticeKind::Opened => "opened".to_owned(),
        NoticeKind::Updated => "updated".to_owned(),
        NoticeKind::Resolved => format!(
            "resolved after {}",
            format_duration(end_ms(notice).saturating_sub(event.started_ms))
        ),
    };
    format!("{what} #{} {verb}: {}", event.id, root_text(event))
}

/// The root's kind label and name: `PON OLT CENTRO/1/1`.
fn root_text(event: &Event) -> String {
    let name = if event.root_name.is_empty() {
        // `kind:id` without the kind.
        event
            .root
            .split_once(':')
            .map_or(event.root.as_str(), |(_, id)| id)
    } else {
        event.root_name.as_str()
    };
    match kind_label(&event.root_kind) {
        Some(label) => format!("{label} {name}"),
        None => name.to_owned(),
    }
}

fn kind_label(kind: &str) -> Option<&str> {
    Some(match kind {
        "pon_port" => "PON",
        "olt" => "OLT",
        "onu" => "ONU",
        "splitter" => "Splitter",
        "tower" => "Tower",
        "access_point" => "AP",
        "backhaul_link" => "Backhaul",
        "pop" => "POP",
        "concentrator" => "Concentrator",
        "crm_group" => "Group",
        "source" => "Collector",
        "" => return None,
        other => other,
    })
}

fn cause_text(event: &Event) -> Option<String> {
    let detail = truncate(event.cause_detail.trim(), MAX_DETAIL_CHARS);
    match (event.cause, detail.is_empty()) {
        (Cause::Unknown, true) => None,
        (cause, true) => Some(cause.as_str().to_owned()),
        (cause, false) => Some(format!("{} ({detail})", cause.as_str())),
    }
}

/// `52 of 64 subscribers down`, or the peak once resolved.
fn down_text(notice: &Notice) -> String {
    let event = &notice.event;
    let (count, prefix) = if notice.kind == NoticeKind::Resolved {
        (event.peak_down, "at most ")
    } else {
        (event.down_now, "")
    };
    match event.kind {
        EventKind::CollectorStale => "no data from this source".to_owned(),
        _ if event.group_size > 0 => {
            format!("{prefix}{count} of {} subscribers down", event.group_size)
        }
        EventKind::DeviceDown => "device down".to_owned(),
        EventKind::MassOutage => format!("{prefix}{count} subscribers down"),
    }
}

/// `52 of 64 subscribers down since 10:02 (UTC-03:00)`; resolved: `... from 10:02 to 10:25`.
fn status_line(notice: &Notice, options: &RenderOptions) -> String {
    let event = &notice.event;
    let offset = options.utc_offset;
    let start = local_time(event.started_ms, notice.at_ms, offset);
    if notice.kind == NoticeKind::Resolved {
        let end = local_time(end_ms(notice), notice.at_ms, offset);
        format!(
            "{} from {start} to {end} ({})",
            down_text(notice),
            offset_label(offset)
        )
    } else {
        format!(
            "{} since {start} ({})",
            down_text(notice),
            offset_label(offset)
        )
    }
}

/// The first `max` logins (`subscriber:<login>` shown as `<login>`) and `… and K more`.
fn logins_text(event: &Event, max: usize) -> Option<String> {
    if max == 0 || event.affected.is_empty() {
        return None;
    }
    let shown: Vec<&str> = event
        .affected
        .iter()
        .take(max)
        .map(|id| id.strip_prefix("subscriber:").unwrap_or(id))
        .collect();
    let mut text = shown.join(", ");
    let more = event.affected.len().saturating_sub(max);
    if more > 0 {
        let _ = write!(text, " … and {more} more");
    }
    Some(text)
}

fn link(event: &Event, options: &RenderOptions) -> Option<String> {
    options
        .public_url
        .as_deref()
        .map(|base| format!("{}/events/{}", base.trim_end_matches('/'), event.id))
}

/// When the event ended (resolved) or the notice was issued.
fn end_ms(notice: &Notice) -> u64 {
    notice.event.resolved_ms.unwrap_or(notice.at_ms)
}

const TIME: &[BorrowedFormatItem<'_>] = format_description!("[hour]:[minute]");
const DATE_TIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]");

/// `10:02` when on the same local day as `reference_ms`, `2024-05-01 10:02` otherwise.
fn local_time(at_ms: u64, reference_ms: u64, offset: UtcOffset) -> String {
    let (Some(at), Some(reference)) = (to_local(at_ms, offset), to_local(reference_ms, offset))
    else {
        return format!("{at_ms} ms");
    };
    let format = if at.date() == reference.date() {
        TIME
    } else {
        DATE_TIME
    };
    at.format(format).unwrap_or_else(|_| format!("{at_ms} ms"))
}

fn to_local(ms: u64, offset: UtcOffset) -> Option<OffsetDateTime> {
    let nanos = i128::from(ms).checked_mul(1_000_000)?;
    Some(
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()?
            .to_offset(offset),
    )
}

/// `UTC`, `UTC-03:00`, `UTC+05:30`.
pub fn offset_label(offset: UtcOffset) -> String {
    if offset.is_utc() {
        return "UTC".to_owned();
    }
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// `45 s`, `23 min`, `2 h 5 min`, `3 d 4 h`.
pub fn format_duration(ms: u64) -> String {
    let secs = ms / 1000;
    let minutes = secs / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    if secs < 60 {
        format!("{secs} s")
    } else if minutes < 60 {
        format!("{minutes} min")
    } else if hours < 24 {
        match minutes % 60 {
            0 => format!("{hours} h"),
            m => format!("{hours} h {m} min"),
        }
    } else {
        match hours % 24 {
            0 => format!("{days} d"),
            h => format!("{days} d {h} h"),
        }
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Longest WhatsApp template parameter, in characters (the whole body is capped at 1024).
const WHATSAPP_MAX_PARAMETER_CHARS: usize = 500;

/// One line, no tabs, at most one space in a row, not too long, never empty (`-`).
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        "-".to_owned()
    } else {
        truncate(&joined, WHATSAPP_MAX_PARAMETER_CHARS)
    }
}
