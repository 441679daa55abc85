//! [`MemoryOutages`]: an in-memory [`OutageModel`] with four fixed events and editable
//! maintenance windows.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use vigia_api::{
    ApiError, Cause, EventDetail, EventKind, EventPage, EventQuery, EventStatus, EventSummary,
    MaintenanceWindow, NewMaintenance, NotificationKind, NotificationState, NotificationStatus,
    OutageModel, TimelineEntry, TimelineKind, Timestamp,
};

use super::{PON_PORT, T0};

/// Four fixed events (two active, two resolved) and maintenance windows in memory (window 1,
/// over `ap:ap-7`, exists from the start). Event pages use keyset paging on (start, id), newest
/// first; the cursor is `<started_ms>-<id>`, and anything else is a 400.
pub struct MemoryOutages {
    events: Vec<EventDetail>,
    windows: Mutex<Windows>,
}

struct Windows {
    next_id: u64,
    /// Every window, by id; `active` is recomputed on each read.
    all: BTreeMap<u64, MaintenanceWindow>,
}

/// The active fibre cut under [`PON_PORT`]: the event with a full timeline and notifications.
pub const PON_EVENT: u64 = 2;
/// The maintenance window present from the start.
pub const FIRST_WINDOW: u64 = 1;

fn ts(ms: u64) -> Timestamp {
    Timestamp::from_unix_ms(ms)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

struct EventSpec {
    id: u64,
    kind: EventKind,
    root: &'static str,
    cause: Cause,
    started_ms: u64,
    resolved_ms: Option<u64>,
    affected: &'static [&'static str],
    maintenance: Option<u64>,
}

fn event(spec: EventSpec) -> EventDetail {
    let (root_kind, root_name) = spec.root.split_once(':').unwrap();
    let status = match spec.resolved_ms {
        Some(_) => EventStatus::Resolved,
        None => EventStatus::Active,
    };
    let mut timeline = vec![TimelineEntry {
        at: ts(spec.started_ms),
        kind: TimelineKind::Opened,
        text: format!(
            "{} subscribers down under {}",
            spec.affected.len(),
            spec.root
        ),
    }];
    let mut notifications = vec![NotificationStatus {
        channel: "telegram-noc".to_owned(),
        kind: NotificationKind::Opened,
        state: NotificationState::Sent,
        attempts: 1,
        last_error: None,
        created_at: ts(spec.started_ms + 100),
        sent_at: Some(ts(spec.started_ms + 400)),
    }];
    if spec.id == PON_EVENT {
        timeline.push(TimelineEntry {
            at: ts(spec.started_ms + 30_000),
            kind: TimelineKind::Grew,
            text: "1 more subscriber down (2 of 2)".to_owned(),
        });
        timeline.push(TimelineEntry {
            at: ts(spec.started_ms + 60_000),
            kind: TimelineKind::Cause,
            text: "cause fibre: 2 of 2 report LOS".to_owned(),
        });
        notifications.push(NotificationStatus {
            channel: "webhook-erp".to_owned(),
            kind: NotificationKind::Opened,
            state: NotificationState::Failed,
            attempts: 5,
            last_error: Some("http 502 from erp.example.net".to_owned()),
            created_at: ts(spec.started_ms + 100),
            sent_at: None,
        });
    }
    if let Some(resolved) = spec.resolved_ms {
        timeline.push(TimelineEntry {
            at: ts(resolved),
            kind: TimelineKind::Resolved,
            text: "all subscribers recovered".to_owned(),
        });
        notifications.push(NotificationStatus {
            channel: "telegram-noc".to_owned(),
            kind: NotificationKind::Resolved,
            state: NotificationState::Pending,
            attempts: 0,
            last_error: None,
            created_at: ts(resolved + 100),
            sent_at: None,
        });
    }
    let down_now = if spec.resolved_ms.is_some() {
        0
    } else {
        spec.affected.len() as u64
    };
    EventDetail {
        summary: EventSummary {
            id: spec.id,
            kind: spec.kind,
            status,
            root: spec.root.to_owned(),
            root_kind: root_kind.to_owned(),
            root_name: root_name.to_owned(),
            cause: spec.cause,
            cause_detail: format!(
                "{} of {} report the signature",
                spec.affected.len(),
                spec.affected.len()
            ),
            started_at: ts(spec.started_ms),
            updated_at: timeline.last().unwrap().at,
            resolved_at: spec.resolved_ms.map(ts),
            resolution: spec
                .resolved_ms
                .map(|_| "all subscribers recovered".to_owned()),
            affected_count: spec.affected.len() as u64,
            down_now,
            peak_down: spec.affected.len() as u64,
            group_size: 2,
            suppressed_by: None,
            maintenance: spec.maintenance,
        },
        affected: spec.affected.iter().map(|s| (*s).to_owned()).collect(),
        entities: vec![spec.root.to_owned()],
        timeline,
        notifications,
    }
}

impl Default for MemoryOutages {
    fn default() -> Self {
        let events = vec![
            event(EventSpec {
                id: 1,
                kind: EventKind::MassOutage,
                root: "pon_port:olt-1/0/1",
                cause: Cause::Power,
                started_ms: T0 - 86_400_000,
                resolved_ms: Some(T0 - 82_800_000),
                affected: &["subscriber:0001", "subscriber:0002"],
                maintenance: None,
            }),
            event(EventSpec {
                id: PON_EVENT,
                kind: EventKind::MassOutage,
                root: PON_PORT,
                cause: Cause::Fibre,
                started_ms: T0 + 1000,
                resolved_ms: None,
                affected: &["subscriber:1001", "subscriber:1002"],
                maintenance: None,
            }),
            event(EventSpec {
                id: 3,
                kind: EventKind::DeviceDown,
                root: "ap:ap-7",
                cause: Cause::Unknown,
                started_ms: T0 + 5000,
                resolved_ms: None,
                affected: &["subscriber:2001"],
                maintenance: Some(FIRST_WINDOW),
            }),
            event(EventSpec {
                id: 4,
                kind: EventKind::CollectorStale,
                root: "source:agent-b/smartolt",
                cause: Cause::Unknown,
                started_ms: T0 - 3_600_000,
                resolved_ms: Some(T0 - 60_000),
                affected: &[],
                maintenance: None,
            }),
        ];
        let first = MaintenanceWindow {
            id: FIRST_WINDOW,
            entities: vec!["ap:ap-7".to_owned()],
            starts_at: ts(T0),
            ends_at: ts(T0 + 4 * 3_600_000),
            reason: "AP 7 antenna swap".to_owned(),
            created_by: "config".to_owned(),
            created_at: ts(T0 - 86_400_000),
            active: false,
        };
        Self {
            events,
            windows: Mutex::new(Windows {
                next_id: FIRST_WINDOW + 1,
                all: BTreeMap::from([(FIRST_WINDOW, first)]),
            }),
        }
    }
}

impl MemoryOutages {
    /// How many windows have been created through the API.
    pub fn created(&self) -> u64 {
        self.windows.lock().unwrap().next_id - FIRST_WINDOW - 1
    }
}

/// The window with `active` as of now.
fn as_of_now(window: &MaintenanceWindow) -> MaintenanceWindow {
    let now = now_ms();
    MaintenanceWindow {
        active: window.starts_at.unix_ms() <= now && now < window.ends_at.unix_ms(),
        ..window.clone()
    }
}

fn parse_cursor(cursor: &str) -> Result<(u64, u64), ApiError> {
    cursor
        .split_once('-')
        .and_then(|(started, id)| Some((started.parse().ok()?, id.parse().ok()?)))
        .ok_or_else(|| ApiError::bad_request(format!("unreadable cursor {cursor:?}")))
}

#[async_trait]
impl OutageModel for MemoryOutages {
    async fn events(&self, query: &EventQuery) -> Result<EventPage, ApiError> {
        let after = query.cursor.as_deref().map(parse_cursor).transpose()?;
        let key = |e: &EventSummary| (e.started_at.unix_ms(), e.id);
        let mut matching: Vec<&EventSummary> = self
            .events
            .iter()
            .map(|e| &e.summary)
            .filter(|e| query.status.is_none_or(|s| e.status == s))
            .filter(|e| query.kind.as_deref().is_none_or(|k| e.kind.as_str() == k))
            .filter(|e| {
                query.since_ms.is_none_or(|since| {
                    e.status == EventStatus::Active
                        || e.started_at.unix_ms() >= since
                        || e.resolved_at.is_some_and(|r| r.unix_ms() >= since)
                })
            })
            .filter(|e| after.is_none_or(|a| key(e) < a))
            .collect();
        matching.sort_by_key(|e| std::cmp::Reverse(key(e)));
        let limit = query.limit as usize;
        let more = matching.len() > limit;
        matching.truncate(limit);
        let next_cursor = if more {
            matching.last().map(|e| {
                let (started, id) = key(e);
                format!("{started}-{id}")
            })
        } else {
            None
        };
        Ok(EventPage {
            items: matching.into_iter().cloned().collect(),
            next_cursor,
        })
    }

    async fn event(&self, id: u64) -> Result<Option<EventDetail>, ApiError> {
        Ok(self.events.iter().find(|e| e.summary.id == id).cloned())
    }

    async fn maintenance_windows(&self) -> Result<Vec<MaintenanceWindow>, ApiError> {
        Ok(self
            .windows
            .lock()
            .unwrap()
            .all
            .values()
            .map(as_of_now)
            .collect())
    }

    async fn maintenance_window(&self, id: u64) -> Result<Option<MaintenanceWindow>, ApiError> {
        Ok(self.windows.lock().unwrap().all.get(&id).map(as_of_now))
    }

    async fn create_maintenance(
        &self,
        new: NewMaintenance,
        created_by: String,
    ) -> Result<MaintenanceWindow, ApiError> {
        let mut windows = self.windows.lock().unwrap();
        let id = windows.next_id;
        windows.next_id += 1;
        let window = MaintenanceWindow {
            id,
            entities: new.entities,
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            reason: new.reason,
            created_by,
            created_at: ts(now_ms()),
            active: false,
        };
        windows.all.insert(id, window.clone());
        Ok(as_of_now(&window))
    }

    async fn update_maintenance(
        &self,
        id: u64,
        new: NewMaintenance,
    ) -> Result<Option<MaintenanceWindow>, ApiError> {
        let mut windows = self.windows.lock().unwrap();
        let Some(window) = windows.all.get_mut(&id) else {
            return Ok(None);
        };
        window.entities = new.entities;
        window.starts_at = new.starts_at;
        window.ends_at = new.ends_at;
        window.reason = new.reason;
        Ok(Some(as_of_now(window)))
    }

    async fn delete_maintenance(&self, id: u64) -> Result<bool, ApiError> {
        Ok(self.windows.lock().unwrap().all.remove(&id).is_some())
    }
}
