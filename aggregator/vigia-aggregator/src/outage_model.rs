//! The REST API's [`OutageModel`] over the store: events as the correlator stored them (with their
//! notifications' delivery status from the outbox), and maintenance windows, whose changes wake
//! the correlator so they apply at its next cycle. Only conversions live here.

use std::sync::Arc;

use async_trait::async_trait;
use vigia_api::{
    ApiError, Cause, EventDetail, EventKind, EventPage, EventQuery, EventStatus, EventSummary,
    MaintenanceWindow, NewMaintenance, NotificationKind, NotificationState, NotificationStatus,
    OutageModel, TimelineEntry, TimelineKind, Timestamp,
};
use vigia_correlate as c;
use vigia_store::{EventFilter, EventRow, EventStore, MaintenanceRow, NoticeRow, StoreError};

use crate::outages::{WindowsChanged, now_ms};

pub(crate) struct StoreOutageModel {
    pub(crate) store: Arc<dyn EventStore>,
    pub(crate) windows_changed: WindowsChanged,
}

fn store_error(error: StoreError) -> ApiError {
    ApiError::internal(error)
}

fn event_of(row: &EventRow) -> Result<c::Event, ApiError> {
    serde_json::from_str(&row.body_json)
        .map_err(|e| ApiError::internal(format!("stored event #{} is unreadable: {e}", row.id)))
}

fn ts(ms: u64) -> Timestamp {
    Timestamp::from_unix_ms(ms)
}

fn summary(e: &c::Event) -> EventSummary {
    EventSummary {
        id: e.id,
        kind: match e.kind {
            c::EventKind::MassOutage => EventKind::MassOutage,
            c::EventKind::DeviceDown => EventKind::DeviceDown,
            c::EventKind::CollectorStale => EventKind::CollectorStale,
        },
        status: match e.status {
            c::EventStatus::Active => EventStatus::Active,
            c::EventStatus::Resolved => EventStatus::Resolved,
        },
        root: e.root.clone(),
        root_kind: e.root_kind.clone(),
        root_name: e.root_name.clone(),
        cause: match e.cause {
            c::Cause::Power => Cause::Power,
            c::Cause::Fibre => Cause::Fibre,
            c::Cause::Mixed => Cause::Mixed,
            c::Cause::Unknown => Cause::Unknown,
        },
        cause_detail: e.cause_detail.clone(),
        started_at: ts(e.started_ms),
        updated_at: ts(e.updated_ms),
        resolved_at: e.resolved_ms.map(ts),
        resolution: e.resolution.clone(),
        affected_count: e.affected.len() as u64,
        down_now: e.down_now,
        peak_down: e.peak_down,
        group_size: e.group_size,
        suppressed_by: e.suppressed_by,
        maintenance: e.maintenance,
    }
}

fn timeline_kind(kind: c::TimelineKind) -> TimelineKind {
    match kind {
        c::TimelineKind::Opened => TimelineKind::Opened,
        c::TimelineKind::Grew => TimelineKind::Grew,
        c::TimelineKind::Shrank => TimelineKind::Shrank,
        c::TimelineKind::Cause => TimelineKind::Cause,
        c::TimelineKind::RootMoved => TimelineKind::RootMoved,
        c::TimelineKind::Merged => TimelineKind::Merged,
        c::TimelineKind::Suppressed => TimelineKind::Suppressed,
        c::TimelineKind::Unsuppressed => TimelineKind::Unsuppressed,
        c::TimelineKind::Maintenance => TimelineKind::Maintenance,
        c::TimelineKind::Resolved => TimelineKind::Resolved,
    }
}

fn notification(row: &NoticeRow) -> NotificationStatus {
    NotificationStatus {
        channel: row.channel.clone(),
        kind: match row.kind.as_str() {
            NoticeRow::OPENED => NotificationKind::Opened,
            NoticeRow::RESOLVED => NotificationKind::Resolved,
            _ => NotificationKind::Updated,
        },
        state: match row.state.as_str() {
            NoticeRow::SENT => NotificationState::Sent,
            NoticeRow::FAILED => NotificationState::Failed,
            _ => NotificationState::Pending,
        },
        attempts: row.attempts,
        last_error: row.last_error.clone(),
        created_at: ts(row.created_ms),
        sent_at: row.sent_ms.map(ts),
    }
}

fn window(row: &MaintenanceRow, now: u64) -> MaintenanceWindow {
    let w = crate::outages::window(row);
    MaintenanceWindow {
        id: row.id,
        active: w.is_active(now),
        entities: w.entities,
        starts_at: ts(row.starts_ms),
        ends_at: ts(row.ends_ms),
        reason: row.reason.clone(),
        created_by: row.created_by.clone(),
        created_at: ts(row.created_ms),
    }
}

fn row_of(
    id: u64,
    new: &NewMaintenance,
    created_by: String,
    created_ms: u64,
) -> Result<MaintenanceRow, ApiError> {
    Ok(MaintenanceRow {
        id,
        entities_json: serde_json::to_string(&new.entities).map_err(ApiError::internal)?,
        starts_ms: new.starts_at.unix_ms(),
        ends_ms: new.ends_at.unix_ms(),
        reason: new.reason.clone(),
        created_by,
        created_ms,
    })
}

/// Pages are cut by event id (newest first); the cursor is the last id of the previous page.
fn cursor(text: Option<&str>) -> Result<Option<u64>, ApiError> {
    text.map(|t| {
        t.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!("cursor {t:?} is not one this API returned"))
        })
    })
    .transpose()
}

#[async_trait]
impl OutageModel for StoreOutageModel {
    async fn events(&self, query: &EventQuery) -> Result<EventPage, ApiError> {
        let limit = query.limit as usize;
        let mut before = cursor(query.cursor.as_deref())?;
        let mut items = Vec::with_capacity(limit);
        let mut last_seen = None;
        // A kind filter is applied here: read on until the page is full or the store is done.
        loop {
            let rows = self
                .store
                .list_events(EventFilter {
                    status: query.status.map(|s| s.as_str().to_owned()),
                    since_ms: query.since_ms,
                    before_id: before,
                    limit: if query.kind.is_some() {
                        EventFilter::MAX_LIMIT
                    } else {
                        limit
                    },
                })
                .await
                .map_err(store_error)?;
            let exhausted = rows.len()
                < if query.kind.is_some() {
                    EventFilter::MAX_LIMIT
                } else {
                    limit
                };
            for row in &rows {
                before = Some(row.id);
                if query.kind.as_deref().is_some_and(|k| k != row.kind) {
                    continue;
                }
                items.push(summary(&event_of(row)?));
                last_seen = Some(row.id);
                if items.len() == limit {
                    break;
                }
            }
            if items.len() == limit || exhausted || rows.is_empty() {
                let more = items.len() == limit;
                return Ok(EventPage {
                    items,
                    next_cursor: if more {
                        last_seen.map(|id| id.to_string())
                    } else {
                        None
                    },
                });
            }
        }
    }

    async fn event(&self, id: u64) -> Result<Option<EventDetail>, ApiError> {
        let Some(row) = self.store.event(id).await.map_err(store_error)? else {
            return Ok(None);
        };
        let event = event_of(&row)?;
        let notices = self
            .store
            .notices_for_event(id)
            .await
            .map_err(store_error)?;
        Ok(Some(EventDetail {
            summary: summary(&event),
            timeline: event
                .timeline
                .iter()
                .map(|t| TimelineEntry {
                    at: ts(t.at_ms),
                    kind: timeline_kind(t.kind),
                    text: t.text.clone(),
                })
                .collect(),
            notifications: notices.iter().map(notification).collect(),
            affected: event.affected,
            entities: event.entities,
        }))
    }

    async fn maintenance_windows(&self) -> Result<Vec<MaintenanceWindow>, ApiError> {
        let now = now_ms();
        let mut rows = self.store.list_maintenance().await.map_err(store_error)?;
        rows.sort_by_key(|r| r.id);
        Ok(rows.iter().map(|r| window(r, now)).collect())
    }

    async fn maintenance_window(&self, id: u64) -> Result<Option<MaintenanceWindow>, ApiError> {
        let row = self.store.maintenance(id).await.map_err(store_error)?;
        Ok(row.map(|r| window(&r, now_ms())))
    }

    async fn create_maintenance(
        &self,
        new: NewMaintenance,
        created_by: String,
    ) -> Result<MaintenanceWindow, ApiError> {
        let now = now_ms();
        let row = self
            .store
            .create_maintenance(row_of(0, &new, created_by, now)?)
            .await
            .map_err(store_error)?;
        self.windows_changed.notify();
        tracing::info!(id = row.id, reason = %row.reason, "maintenance window created");
        Ok(window(&row, now))
    }

    async fn update_maintenance(
        &self,
        id: u64,
        new: NewMaintenance,
    ) -> Result<Option<MaintenanceWindow>, ApiError> {
        let Some(old) = self.store.maintenance(id).await.map_err(store_error)? else {
            return Ok(None);
        };
        let row = row_of(id, &new, old.created_by, old.created_ms)?;
        if !self
            .store
            .update_maintenance(row.clone())
            .await
            .map_err(store_error)?
        {
            return Ok(None);
        }
        self.windows_changed.notify();
        Ok(Some(window(&row, now_ms())))
    }

    async fn delete_maintenance(&self, id: u64) -> Result<bool, ApiError> {
        let deleted = self
            .store
            .delete_maintenance(id)
            .await
            .map_err(store_error)?;
        if deleted {
            self.windows_changed.notify();
        }
        Ok(deleted)
    }
}
