//! Event rows with their ids and times converted to what both backends store, checked before
//! anything is written (so a bad row fails the whole call and writes nothing).

use super::rows::{EventFilter, EventRow, MaintenanceRow, NoticeRow};
use crate::StoreError;
use crate::int::{from_sql_count, to_sql_cutoff, to_sql_limit, to_sql_ms, to_sql_ms_opt};

/// An id looked up or updated by the caller: one above `i64::MAX` is never stored, so it finds
/// nothing (rather than failing).
pub(crate) fn lookup_id(id: u64) -> Option<i64> {
    i64::try_from(id).ok()
}

pub(crate) struct SqlEvent {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) status: String,
    pub(crate) root: String,
    pub(crate) started_ms: i64,
    pub(crate) updated_ms: i64,
    pub(crate) resolved_ms: Option<i64>,
    pub(crate) body_json: String,
}

impl SqlEvent {
    pub(crate) fn new(e: EventRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: to_sql_ms("event id", e.id)?,
            started_ms: to_sql_ms("started_ms", e.started_ms)?,
            updated_ms: to_sql_ms("updated_ms", e.updated_ms)?,
            resolved_ms: to_sql_ms_opt("resolved_ms", e.resolved_ms)?,
            kind: e.kind,
            status: e.status,
            root: e.root,
            body_json: e.body_json,
        })
    }

    pub(crate) fn all(events: Vec<EventRow>) -> Result<Vec<Self>, StoreError> {
        events.into_iter().map(Self::new).collect()
    }
}

pub(crate) struct SqlNotice {
    pub(crate) event_id: i64,
    pub(crate) channel: String,
    pub(crate) kind: String,
    pub(crate) created_ms: i64,
    pub(crate) next_attempt_ms: i64,
    pub(crate) attempts: i64,
    pub(crate) state: String,
    pub(crate) last_error: Option<String>,
    pub(crate) sent_ms: Option<i64>,
    pub(crate) payload_json: String,
}

impl SqlNotice {
    pub(crate) fn new(n: NoticeRow) -> Result<Self, StoreError> {
        Ok(Self {
            event_id: to_sql_ms("notice event_id", n.event_id)?,
            created_ms: to_sql_ms("created_ms", n.created_ms)?,
            next_attempt_ms: to_sql_ms("next_attempt_ms", n.next_attempt_ms)?,
            attempts: i64::from(n.attempts),
            sent_ms: to_sql_ms_opt("sent_ms", n.sent_ms)?,
            channel: n.channel,
            kind: n.kind,
            state: n.state,
            last_error: n.last_error,
            payload_json: n.payload_json,
        })
    }

    pub(crate) fn all(notices: Vec<NoticeRow>) -> Result<Vec<Self>, StoreError> {
        notices.into_iter().map(Self::new).collect()
    }

    /// Whether this notice may be coalesced into a pending `updated` notice (see
    /// [`save_events`](crate::EventStore::save_events)).
    pub(crate) fn coalesces(&self) -> bool {
        self.kind == NoticeRow::UPDATED && self.state == NoticeRow::PENDING
    }
}

/// What an attempt to deliver a pending notice led to, times checked.
pub(crate) enum Delivery {
    Sent {
        at_ms: i64,
    },
    Retry {
        attempts: u32,
        next_attempt_ms: i64,
        error: String,
    },
    Failed {
        attempts: u32,
        error: String,
    },
}

/// A maintenance window, checked: times fit and the window is not empty.
pub(crate) struct SqlMaintenance {
    /// `None` for an id above `i64::MAX` (no such window); ignored on create.
    pub(crate) id: Option<i64>,
    pub(crate) entities_json: String,
    pub(crate) starts_ms: i64,
    pub(crate) ends_ms: i64,
    pub(crate) reason: String,
    pub(crate) created_by: String,
    pub(crate) created_ms: i64,
}

impl SqlMaintenance {
    pub(crate) fn new(m: MaintenanceRow) -> Result<Self, StoreError> {
        if m.starts_ms >= m.ends_ms {
            return Err(StoreError::InvalidWindow {
                starts_ms: m.starts_ms,
                ends_ms: m.ends_ms,
            });
        }
        Ok(Self {
            id: lookup_id(m.id),
            starts_ms: to_sql_ms("starts_ms", m.starts_ms)?,
            ends_ms: to_sql_ms("ends_ms", m.ends_ms)?,
            created_ms: to_sql_ms("created_ms", m.created_ms)?,
            entities_json: m.entities_json,
            reason: m.reason,
            created_by: m.created_by,
        })
    }

    /// The stored window, as read back after a create or update.
    pub(crate) fn row(&self, id: i64) -> MaintenanceRow {
        MaintenanceRow {
            id: from_sql_count(id),
            entities_json: self.entities_json.clone(),
            starts_ms: from_sql_count(self.starts_ms),
            ends_ms: from_sql_count(self.ends_ms),
            reason: self.reason.clone(),
            created_by: self.created_by.clone(),
            created_ms: from_sql_count(self.created_ms),
        }
    }
}

/// An [`EventFilter`] as SQL parameters. A `None` part does not filter.
pub(crate) struct SqlFilter {
    pub(crate) status: Option<String>,
    pub(crate) since_ms: Option<i64>,
    pub(crate) before_id: Option<i64>,
    pub(crate) limit: i64,
}

impl SqlFilter {
    pub(crate) fn new(filter: EventFilter) -> Self {
        Self {
            limit: to_sql_limit(filter.page_size()),
            status: filter.status,
            // A later cut-off than any stored time keeps only the active events, as `i64::MAX` does.
            since_ms: filter.since_ms.map(to_sql_cutoff),
            // Every stored id is below a `before_id` above `i64::MAX`: no filter.
            before_id: filter.before_id.and_then(lookup_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_size_is_clamped_and_defaults_to_100() {
        let size = |limit| EventFilter {
            limit,
            ..EventFilter::default()
        };
        assert_eq!(SqlFilter::new(size(0)).limit, 100);
        assert_eq!(SqlFilter::new(size(1)).limit, 1);
        assert_eq!(SqlFilter::new(size(1000)).limit, 1000);
        assert_eq!(SqlFilter::new(size(usize::MAX)).limit, 1000);
    }

    #[test]
    fn a_cursor_above_i64_does_not_filter() {
        let filter = EventFilter {
            before_id: Some(u64::MAX),
            since_ms: Some(u64::MAX),
            ..EventFilter::default()
        };
        let sql = SqlFilter::new(filter);
        assert_eq!(sql.before_id, None);
        assert_eq!(sql.since_ms, Some(i64::MAX));
    }
}
