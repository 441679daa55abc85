//! Outage events: what the correlator opens, updates and resolves, and what is stored, served by
//! the REST API and rendered into notifications. Serialised as JSON (the stored body); fields are
//! only ever added, with defaults, so older stored events still load.

use serde::{Deserialize, Serialize};

/// Most timeline entries kept per event (the oldest are dropped, the first one is kept).
pub const MAX_TIMELINE: usize = 200;

/// What kind of problem an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Many subscribers under one group (PON, OLT, AP, tower, concentrator...) dropped together.
    MassOutage,
    /// An infrastructure device (OLT, concentrator, AP, tower, backhaul link...) is down itself.
    DeviceDown,
    /// A source of observations (an agent's plugin) stopped reporting or reports far fewer rows
    /// than usual: its entities are unknown, not up or down.
    CollectorStale,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MassOutage => "mass_outage",
            Self::DeviceDown => "device_down",
            Self::CollectorStale => "collector_stale",
        }
    }
}

/// Whether the event is still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Active,
    Resolved,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Resolved => "resolved",
        }
    }
}

/// The inferred cause of a mass outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Most members reported dying gasp / power fail: an area blackout.
    Power,
    /// Most members reported loss of signal: a fibre cut at or upstream of the splitter.
    Fibre,
    /// Both power and fibre signatures in significant numbers.
    Mixed,
    /// Not enough evidence (yet).
    #[default]
    Unknown,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Power => "power",
            Self::Fibre => "fibre",
            Self::Mixed => "mixed",
            Self::Unknown => "unknown",
        }
    }
}

/// What happened to an event at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Opened,
    /// More subscribers went down.
    Grew,
    /// Some subscribers came back.
    Shrank,
    /// The cause inference changed.
    Cause,
    /// The root moved to a higher group that explains more (a PON event became an OLT event).
    RootMoved,
    /// Another event was merged into this one.
    Merged,
    /// A parent's event now explains this one (notifications stop; detection goes on).
    Suppressed,
    /// No longer suppressed.
    Unsuppressed,
    /// A maintenance window silences (or stopped silencing) its notifications.
    Maintenance,
    Resolved,
}

/// One entry of an event's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at_ms: u64,
    pub kind: TimelineKind,
    /// In words, for people (`"12 more subscribers down (52 of 64)"`).
    pub text: String,
}

/// What has been notified for an event (the correlator decides notices; this is its memory).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifiedState {
    /// When the "opened" notice was issued; `None` while suppressed or silenced (or never).
    #[serde(default)]
    pub opened_ms: Option<u64>,
    /// When the last "updated" notice was issued.
    #[serde(default)]
    pub updated_ms: Option<u64>,
    /// `down_now` and cause as of the last notice, to decide whether an update is worth sending.
    #[serde(default)]
    pub down: u64,
    #[serde(default)]
    pub cause: Cause,
    #[serde(default)]
    pub root: String,
    /// When the "resolved" notice was issued.
    #[serde(default)]
    pub resolved_ms: Option<u64>,
}

/// One outage event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Sequential, never reused (`#42` for people).
    pub id: u64,
    pub kind: EventKind,
    pub status: EventStatus,
    /// The entity that explains it (`pon_port:OLT CENTRO/1/1`, `olt:...`, `tower:...`), or the
    /// source (`source:<agent>/<plugin>`) of a collector-stale event.
    pub root: String,
    pub root_kind: String,
    pub root_name: String,
    pub cause: Cause,
    /// Why that cause, in words, with the evidence counts and corroborating vendor data.
    pub cause_detail: String,
    pub started_ms: u64,
    /// Last time anything about the event changed.
    pub updated_ms: u64,
    #[serde(default)]
    pub resolved_ms: Option<u64>,
    /// How it resolved (`"all 64 subscribers recovered"`, `"merged into #41"`, ...).
    #[serde(default)]
    pub resolution: Option<String>,
    /// Every subscriber (member entity id) that went down as part of it, in id order.
    pub affected: Vec<String>,
    /// The groups and devices under the root that it covers (PONs, splitters, APs...), in id order.
    pub entities: Vec<String>,
    /// Affected members down at the last cycle.
    pub down_now: u64,
    /// The most affected members down at once.
    pub peak_down: u64,
    /// How many members the root group has.
    pub group_size: u64,
    /// The event whose root is upstream of this one's (notifications stop; detection goes on).
    #[serde(default)]
    pub suppressed_by: Option<u64>,
    /// The maintenance window silencing its notifications now.
    #[serde(default)]
    pub maintenance: Option<u64>,
    #[serde(default)]
    pub notified: NotifiedState,
    pub timeline: Vec<TimelineEntry>,
}

impl Event {
    pub fn is_active(&self) -> bool {
        self.status == EventStatus::Active
    }

    /// Appends to the timeline, keeping it bounded (the opening entry always stays).
    pub fn record(&mut self, at_ms: u64, kind: TimelineKind, text: impl Into<String>) {
        if self.timeline.len() >= MAX_TIMELINE {
            self.timeline.remove(1);
        }
        self.timeline.push(TimelineEntry {
            at_ms,
            kind,
            text: text.into(),
        });
        self.updated_ms = self.updated_ms.max(at_ms);
    }
}

/// Which notice an event change calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Opened,
    Updated,
    Resolved,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Updated => "updated",
            Self::Resolved => "resolved",
        }
    }
}

/// A notice to send about an event, as the correlator issues it: channels and routing are the
/// notifier's business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// When the correlator issued it.
    pub at_ms: u64,
    /// The event as of this notice.
    pub event: Event,
}
