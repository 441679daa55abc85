//! Which notices an event's change calls for: one when it opens (or when suppression or a
//! maintenance window that held it back ends), throttled updates on material changes, one when
//! it resolves (never suppressed, but only if the opening was sent). Suppressed or silenced
//! cycles consume no update budget.

use crate::config::CorrelateConfig;
use crate::event::{Event, EventStatus, Notice, NoticeKind};

pub(crate) fn decide(config: &CorrelateConfig, event: &mut Event, now: u64, out: &mut Vec<Notice>) {
    let kind = if event.status == EventStatus::Resolved {
        if event.notified.opened_ms.is_none() || event.notified.resolved_ms.is_some() {
            return;
        }
        event.notified.resolved_ms = Some(now);
        NoticeKind::Resolved
    } else if event.suppressed_by.is_some() || event.maintenance.is_some() {
        return;
    } else if event.notified.opened_ms.is_none() {
        event.notified.opened_ms = Some(now);
        NoticeKind::Opened
    } else {
        let last = event
            .notified
            .updated_ms
            .or(event.notified.opened_ms)
            .unwrap_or(0);
        if now.saturating_sub(last) < config.update_interval_ms {
            return;
        }
        if event.down_now == 0 && event.notified.down > 0 {
            // Everyone is back: the resolution follows once it holds; no update before it.
            return;
        }
        let was = event.notified.down as f64;
        let moved = (event.down_now as f64 - was).abs();
        let material = event.cause != event.notified.cause
            || event.root != event.notified.root
            || moved >= (config.update_min_change * was).max(1.0);
        if !material {
            return;
        }
        event.notified.updated_ms = Some(now);
        NoticeKind::Updated
    };
    event.notified.down = event.down_now;
    event.notified.cause = event.cause;
    event.notified.root = event.root.clone();
    out.push(Notice {
        kind,
        at_ms: now,
        event: event.clone(),
    });
}
