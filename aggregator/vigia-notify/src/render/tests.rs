use time::UtcOffset;
use vigia_correlate::{Cause, Event, EventKind, EventStatus, Notice, NoticeKind, NotifiedState};

use super::*;
use crate::config::TemplateField;

/// 2024-05-01 13:02:00 UTC (10:02 at UTC-03:00).
pub(crate) const STARTED_MS: u64 = 1_714_568_520_000;

/// Event #42, a fibre outage on `PON OLT CENTRO/1/1` with `affected` subscribers down of 64.
pub(crate) fn sample_notice(kind: NoticeKind, affected: usize) -> Notice {
    let at_ms = STARTED_MS + 5 * 60_000;
    Notice {
        kind,
        at_ms,
        event: Event {
            id: 42,
            kind: EventKind::MassOutage,
            status: EventStatus::Active,
            root: "pon_port:OLT CENTRO/1/1".into(),
            root_kind: "pon_port".into(),
            root_name: "OLT CENTRO/1/1".into(),
            cause: Cause::Fibre,
            cause_detail: "48 of 52 lost signal".into(),
            started_ms: STARTED_MS,
            updated_ms: at_ms,
            resolved_ms: None,
            resolution: None,
            affected: (0..affected)
                .map(|i| format!("subscriber:login{i:02}"))
                .collect(),
            entities: vec!["pon_port:OLT CENTRO/1/1".into()],
            down_now: affected as u64,
            peak_down: affected as u64,
            group_size: 64,
            suppressed_by: None,
            maintenance: None,
            notified: NotifiedState::default(),
            timeline: Vec::new(),
        },
    }
}

fn options() -> RenderOptions {
    RenderOptions {
        public_url: Some("https://vigia.example.net/".into()),
        max_logins: 3,
        utc_offset: UtcOffset::from_hms(-3, 0, 0).expect("offset"),
    }
}

#[test]
fn opened_message_has_title_cause_counts_logins_and_link() {
    let text = telegram_text(&sample_notice(NoticeKind::Opened, 52), &options());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "🔴 <b>Outage #42 opened: PON OLT CENTRO/1/1</b>",
            "Cause: fibre (48 of 52 lost signal)",
            "52 of 64 subscribers down since 10:02 (UTC-03:00)",
            "Subscribers: login00, login01, login02 … and 49 more",
            "https://vigia.example.net/events/42",
        ]
    );
}

#[test]
fn names_are_escaped_for_telegram_html() {
    let mut notice = sample_notice(NoticeKind::Updated, 2);
    notice.event.root_name = "<OLT> R&D \"1\"".into();
    notice.event.cause_detail = "a < b & c > d".into();
    notice.event.affected = vec!["subscriber:jo<b>".into(), "onu:x&y".into()];
    let text = telegram_text(&notice, &options());
    assert!(
        text.contains("<b>Outage #42 updated: PON &lt;OLT&gt; R&amp;D &quot;1&quot;</b>"),
        "{text}"
    );
    assert!(
        text.contains("Cause: fibre (a &lt; b &amp; c &gt; d)"),
        "{text}"
    );
    assert!(
        text.contains("Subscribers: jo&lt;b&gt;, onu:x&amp;y\n"),
        "{text}"
    );
    // The only tags are ours.
    let tags: Vec<&str> = text
        .match_indices('<')
        .map(|(i, _)| &text[i..i + 3])
        .collect();
    assert_eq!(tags, ["<b>", "</b"], "{text}");
}

#[test]
fn logins_stop_at_max_and_count_the_rest() {
    let mut opts = options();
    opts.max_logins = 20;
    let text = telegram_text(&sample_notice(NoticeKind::Opened, 60), &opts);
    let line = text
        .lines()
        .find(|l| l.starts_with("Subscribers: "))
        .expect("logins line");
    let listed = line
        .trim_start_matches("Subscribers: ")
        .split(" … ")
        .next()
        .expect("list")
        .split(", ")
        .count();
    assert_eq!(listed, 20);
    assert!(line.ends_with("… and 40 more"), "{line}");

    // Exactly max: no "more".
    let text = telegram_text(&sample_notice(NoticeKind::Opened, 20), &opts);
    assert!(!text.contains("more"), "{text}");

    // Zero lists none.
    opts.max_logins = 0;
    let text = telegram_text(&sample_notice(NoticeKind::Opened, 5), &opts);
    assert!(!text.contains("Subscribers:"), "{text}");
}

#[test]
fn long_login_lists_shrink_to_fit_one_telegram_message() {
    let mut notice = sample_notice(NoticeKind::Opened, 0);
    notice.event.affected = (0..1000)
        .map(|i| format!("subscriber:a-rather-long-login-name-{i:04}"))
        .collect();
    let mut opts = options();
    opts.max_logins = 1000;
    let text = telegram_text(&notice, &opts);
    assert!(text.chars().count() <= TELEGRAM_MAX_CHARS, "{}", text.len());
    let line = text
        .lines()
        .find(|l| l.starts_with("Subscribers: "))
        .expect("logins still listed");
    assert!(line.ends_with("more"), "{line}");
    assert!(
        text.ends_with("https://vigia.example.net/events/42"),
        "link kept"
    );
}

#[test]
fn resolved_message_says_how_long_and_how_it_ended() {
    let mut notice = sample_notice(NoticeKind::Resolved, 52);
    notice.event.status = EventStatus::Resolved;
    notice.event.resolved_ms = Some(STARTED_MS + 23 * 60_000);
    notice.event.down_now = 0;
    notice.event.resolution = Some("all 64 subscribers recovered".into());
    notice.at_ms = STARTED_MS + 23 * 60_000;
    let text = telegram_text(&notice, &options());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "✅ <b>Outage #42 resolved after 23 min: PON OLT CENTRO/1/1</b>"
    );
    assert!(
        lines.contains(&"at most 52 of 64 subscribers down from 10:02 to 10:25 (UTC-03:00)"),
        "{text}"
    );
    assert!(
        lines.contains(&"Resolution: all 64 subscribers recovered"),
        "{text}"
    );
}

#[test]
fn notes_for_suppressed_and_maintenance_and_no_link_without_public_url() {
    let mut notice = sample_notice(NoticeKind::Updated, 4);
    notice.event.suppressed_by = Some(41);
    notice.event.maintenance = Some(7);
    let mut opts = options();
    opts.public_url = None;
    let text = telegram_text(&notice, &opts);
    assert!(text.contains("upstream event #41"), "{text}");
    assert!(text.contains("maintenance window #7"), "{text}");
    assert!(!text.contains("/events/"), "{text}");
}

#[test]
fn times_on_another_day_show_the_date() {
    let mut notice = sample_notice(NoticeKind::Updated, 4);
    notice.at_ms = STARTED_MS + 26 * 3_600_000;
    let text = telegram_text(&notice, &options());
    assert!(
        text.contains("since 2024-05-01 10:02 (UTC-03:00)"),
        "{text}"
    );
    let text = telegram_text(&notice, &RenderOptions::default());
    assert!(text.contains("since 2024-05-01 13:02 (UTC)"), "{text}");
}

#[test]
fn whatsapp_parameters_follow_the_field_list_on_one_line() {
    let mut notice = sample_notice(NoticeKind::Opened, 5);
    notice.event.cause_detail = "line one\nline\ttwo     spaced".into();
    notice.event.cause = Cause::Unknown;
    let fields = [
        TemplateField::Title,
        TemplateField::Cause,
        TemplateField::Down,
        TemplateField::Since,
        TemplateField::Link,
        TemplateField::Event,
        TemplateField::Notice,
        TemplateField::Logins,
        TemplateField::Duration,
        TemplateField::Root,
    ];
    let params = whatsapp_parameters(&notice, &fields, &options());
    assert_eq!(
        params,
        [
            "Outage #42 opened: PON OLT CENTRO/1/1",
            "unknown (line one line two spaced)",
            "5 of 64 subscribers down",
            "10:02 (UTC-03:00)",
            "https://vigia.example.net/events/42",
            "#42",
            "opened",
            "login00, login01, login02 … and 2 more",
            "5 min",
            "PON OLT CENTRO/1/1",
        ]
    );
    // Empty values become "-" (WhatsApp rejects empty parameters).
    notice.event.cause_detail.clear();
    let mut opts = options();
    opts.public_url = None;
    let params = whatsapp_parameters(&notice, &[TemplateField::Cause, TemplateField::Link], &opts);
    assert_eq!(params, ["-", "-"]);
}

#[test]
fn webhook_body_is_the_notice_plus_version() {
    let notice = sample_notice(NoticeKind::Opened, 3);
    let body = webhook_body(&notice).expect("serialise");
    let value: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(value["vigia_version"], 1);
    assert_eq!(value["kind"], "opened");
    assert_eq!(value["event"]["id"], 42);
    let back: Notice = serde_json::from_slice(&body).expect("a notice again");
    assert_eq!(back, notice);
}

#[test]
fn durations_and_offsets_read_well() {
    assert_eq!(format_duration(45_000), "45 s");
    assert_eq!(format_duration(23 * 60_000 + 59_000), "23 min");
    assert_eq!(format_duration(125 * 60_000), "2 h 5 min");
    assert_eq!(format_duration(3 * 3_600_000), "3 h");
    assert_eq!(format_duration(76 * 3_600_000), "3 d 4 h");
    assert_eq!(offset_label(UtcOffset::UTC), "UTC");
    assert_eq!(
        offset_label(UtcOffset::from_hms(5, 30, 0).expect("offset")),
        "UTC+05:30"
    );
    assert_eq!(
        offset_label(UtcOffset::from_hms(-3, 0, 0).expect("offset")),
        "UTC-03:00"
    );
}
