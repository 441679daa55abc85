//! What the triage looks at: one subscriber's facts, each with where it came from and when.
//!
//! The aggregator fills these from its live state (and from live checks); every layer is optional
//! because any source can be missing, stale or not deployed (a fibre ISP has no radio layer).
//! The same struct is the 360° view the API returns, so it carries display fields the rules do not
//! use (plan, address, OLT/board/port, ...).

use serde::{Deserialize, Serialize};

/// Where a reading came from and when it was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Source {
    /// `plugin:<id>@<agent>`, or `live:<id>@<agent>` for a live check.
    pub name: String,
    /// What kind of source: the network (router, OLT, AP, ping) or an administrative record (CRM).
    pub authority: Authority,
    /// When the reading was observed, Unix ms.
    pub observed_ms: u64,
}

/// Who is believed when sources disagree: the network wins over the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Authority {
    Network,
    Crm,
}

/// Billing state of the customer (from the CRM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BillingState {
    Active,
    Warned,
    Blocked,
    Cancelled,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub billing: BillingState,
    /// The CRM's own code (IXC `status_internet`: A, CA, CM, FA, ...).
    pub billing_code: Option<String>,
    pub plan: Option<String>,
    pub address: Option<String>,
    pub document: Option<String>,
    pub source: Source,
}

/// The PPPoE session as one source saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub online: bool,
    /// Session start, Unix ms (when online).
    pub since_ms: Option<u64>,
    pub address: Option<String>,
    /// The CPE's MAC (PPPoE caller id).
    pub caller_id: Option<String>,
    pub concentrator: Option<String>,
    pub last_disconnect_reason: Option<String>,
    /// Session drops seen within the recent window (from the state history).
    pub recent_disconnects: u32,
    pub source: Source,
}

/// ONU status as the OLT (or the CRM's copy) reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnuStatus {
    Online,
    Offline,
    Los,
    PowerFail,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Onu {
    pub serial: String,
    pub status: OnuStatus,
    /// Since when the status holds, Unix ms (when known).
    pub status_since_ms: Option<u64>,
    pub rx_dbm: Option<f64>,
    pub tx_dbm: Option<f64>,
    /// The median Rx over the recent window (the metrics window), when there are enough samples.
    pub rx_median_dbm: Option<f64>,
    pub last_down_cause: Option<String>,
    pub last_down_ms: Option<u64>,
    pub olt: Option<String>,
    pub board: Option<u32>,
    pub port: Option<u32>,
    /// `pon_port:` id (`<olt>/<board>/<port>`).
    pub pon: Option<String>,
    pub splitter: Option<String>,
    pub model: Option<String>,
    pub source: Source,
}

/// The other ONUs on the subscriber's PON, summarised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PonNeighbours {
    /// ONUs on the PON other than the subscriber's.
    pub total: u32,
    /// Of those, how many are down now (LOS, offline, power fail).
    pub down: u32,
    /// Of those with a fresh Rx and a recent median, how many dropped by at least the PON-drop
    /// threshold against their median.
    pub rx_dropped: u32,
    /// Of those, how many have a fresh Rx and a recent median at all.
    pub rx_known: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RadioStatus {
    Connected,
    Disconnected,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Radio {
    pub sm_mac: String,
    pub status: RadioStatus,
    pub rssi_dbm: Option<f64>,
    pub snr_db: Option<f64>,
    pub modulation: Option<String>,
    /// The modulation seen most often over the recent window (a drop from it is a symptom).
    pub usual_modulation: Option<String>,
    pub ap: Option<String>,
    pub tower: Option<String>,
    pub source: Source,
}

/// Whether the CPE answers ping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cpe {
    pub address: String,
    pub reachable: bool,
    pub rtt_ms: Option<f64>,
    pub loss_pct: Option<f64>,
    pub source: Source,
}

/// The state of a network element the subscriber depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ElementState {
    Up,
    Down,
    Degraded,
    Unknown,
}

/// One element upstream of the subscriber (concentrator, OLT, PON, splitter, AP, tower, backhaul,
/// POP), nearest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Upstream {
    /// Entity id, `<kind>:<id>`.
    pub id: String,
    pub kind: String,
    pub name: String,
    pub state: ElementState,
    pub reason: String,
    /// Since when, Unix ms.
    pub since_ms: u64,
    /// Where the state came from; `None` when never observed.
    pub source: Option<Source>,
}

/// An active outage event that includes the subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outage {
    pub event_id: u64,
    /// The root element, `<kind>:<id>`.
    pub root: String,
    pub kind: String,
    /// `power`, `fibre`, `mixed`, `unknown`.
    pub cause: String,
    pub opened_ms: u64,
    pub affected: u32,
}

/// A live check that was asked for and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveCheck {
    /// What was checked: `session`, `onu`, `cpe`.
    pub check: String,
    pub agent: String,
    pub plugin: String,
    /// `ok`, `offline`, `busy`, `refused`, `timeout`, `disconnected`, `failed`, `not_possible`.
    pub outcome: String,
    pub detail: Option<String>,
    pub took_ms: u64,
}

/// Everything known about one subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facts {
    /// The PPPoE login.
    pub login: String,
    /// When the facts were gathered, Unix ms (ages are against this).
    pub now_ms: u64,
    pub customer: Option<Customer>,
    /// The network's view of the session (router), when known.
    pub session: Option<Session>,
    /// The CRM's view of the session (e.g. IXC's `online` flag), when known; shown next to the
    /// network's and overruled by it.
    pub crm_session: Option<Session>,
    pub onu: Option<Onu>,
    pub pon_neighbours: Option<PonNeighbours>,
    pub radio: Option<Radio>,
    pub cpe: Option<Cpe>,
    pub upstream: Vec<Upstream>,
    pub outages: Vec<Outage>,
    pub live: Vec<LiveCheck>,
}
