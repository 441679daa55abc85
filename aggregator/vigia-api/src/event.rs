//! What the API sends about outage events: one event per outage with its root cause, size,
//! timeline and the notifications sent for it. The API's own types, filled in by the
//! [`OutageModel`](crate::OutageModel) implementation from the correlator's events.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Timestamp;

/// What kind of problem an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Many subscribers under one group (PON, OLT, AP, tower...) dropped together.
    MassOutage,
    /// An infrastructure device (OLT, AP, tower, backhaul link...) is down itself.
    DeviceDown,
    /// A source of observations (an agent's plugin) stopped reporting or reports far fewer rows
    /// than usual: its entities are unknown, not up or down.
    CollectorStale,
}

impl EventKind {
    /// The snake-case name (`mass_outage`, `device_down`, `collector_stale`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MassOutage => "mass_outage",
            Self::DeviceDown => "device_down",
            Self::CollectorStale => "collector_stale",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event kind name that is not `mass_outage`, `device_down` or `collector_stale`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind {0:?} (expected mass_outage, device_down or collector_stale)")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mass_outage" => Ok(Self::MassOutage),
            "device_down" => Ok(Self::DeviceDown),
            "collector_stale" => Ok(Self::CollectorStale),
            other => Err(UnknownEventKind(other.to_owned())),
        }
    }
}

/// Whether an event is still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Still going on.
    Active,
    /// Over (see `resolved_at` and `resolution`).
    Resolved,
}

impl EventStatus {
    /// The snake-case name (`active`, `resolved`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Resolved => "resolved",
        }
    }
}

impl fmt::Display for EventStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The inferred cause of an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Most members reported dying gasp / power fail: an area blackout.
    Power,
    /// Most members reported loss of signal: a fibre cut at or upstream of the splitter.
    Fibre,
    /// Both power and fibre signatures in significant numbers.
    Mixed,
    /// Not enough evidence (yet).
    Unknown,
}

/// One event in a listing: what, where, why, how big, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventSummary {
    /// Sequential, never reused (`#42` for people).
    pub id: u64,
    /// What kind of problem it is.
    pub kind: EventKind,
    /// Whether it is still going on.
    pub status: EventStatus,
    /// The entity that explains it (`pon_port:olt-1/0/3`, `olt:olt-1`...), or the source
    /// (`source:<agent>/<plugin>`) of a `collector_stale` event.
    pub root: String,
    /// The root's kind (`pon_port`, `olt`, `source`...).
    pub root_kind: String,
    /// The root's human name.
    pub root_name: String,
    /// The inferred cause.
    pub cause: Cause,
    /// Why that cause, in words, with the evidence counts.
    pub cause_detail: String,
    /// When it began.
    pub started_at: Timestamp,
    /// Last time anything about it changed.
    pub updated_at: Timestamp,
    /// When it resolved; `null` while active.
    pub resolved_at: Option<Timestamp>,
    /// How it resolved (`all 64 subscribers recovered`, `merged into #41`...); `null` while
    /// active.
    pub resolution: Option<String>,
    /// How many subscribers went down as part of it, in all.
    pub affected_count: u64,
    /// Affected subscribers down now.
    pub down_now: u64,
    /// The most affected subscribers down at once.
    pub peak_down: u64,
    /// How many subscribers the root group has.
    pub group_size: u64,
    /// The event upstream of this one that explains it (its notifications stop; detection goes
    /// on); `null` when none.
    pub suppressed_by: Option<u64>,
    /// The maintenance window silencing its notifications now; `null` when none.
    pub maintenance: Option<u64>,
}

/// One page of events, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventPage {
    /// The events of this page, newest first.
    pub items: Vec<EventSummary>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One event in full: its summary, what it covers, its timeline and its notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventDetail {
    /// The summary fields, at the top level of the object.
    #[serde(flatten)]
    pub summary: EventSummary,
    /// Every subscriber (entity id) that went down as part of it, in id order.
    pub affected: Vec<String>,
    /// The groups and devices under the root that it covers (PONs, splitters, APs...), in id
    /// order.
    pub entities: Vec<String>,
    /// What happened to it, oldest first (bounded: the oldest entries after the first may be
    /// dropped).
    pub timeline: Vec<TimelineEntry>,
    /// The notifications issued for it, oldest first.
    pub notifications: Vec<NotificationStatus>,
}

/// What happened to an event at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// It was opened.
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
    /// An upstream event now explains this one (notifications stop; detection goes on).
    Suppressed,
    /// No longer suppressed.
    Unsuppressed,
    /// A maintenance window silences (or stopped silencing) its notifications.
    Maintenance,
    /// It resolved.
    Resolved,
}

/// One entry of an event's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: TimelineKind,
    /// In words, for people (`12 more subscribers down (52 of 64)`).
    pub text: String,
}

/// Which notice a notification carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The event was opened.
    Opened,
    /// The event changed enough to tell again (size, cause, root).
    Updated,
    /// The event resolved.
    Resolved,
}

/// Where a notification is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationState {
    /// Waiting to be sent (or to be retried).
    Pending,
    /// Delivered to the channel.
    Sent,
    /// Given up on after its attempts (see `last_error`).
    Failed,
}

/// The delivery of one notice of an event on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NotificationStatus {
    /// The channel's name, as configured (`telegram-noc`, `webhook-erp`...).
    pub channel: String,
    /// Which notice.
    pub kind: NotificationKind,
    /// Where its delivery is.
    pub state: NotificationState,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed; `null` when none failed.
    pub last_error: Option<String>,
    /// When the notice was queued.
    pub created_at: Timestamp,
    /// When it was delivered; `null` until then.
    pub sent_at: Option<Timestamp>,
}
