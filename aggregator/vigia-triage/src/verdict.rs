//! What the triage answers: a verdict, the reasons that led to it, and what it could not check.

use serde::{Deserialize, Serialize};

/// What the support desk should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// Blocked or cancelled for billing: not a technical problem.
    Billing,
    /// Inside an active outage: link the event, no dispatch.
    Outage,
    /// The ONU (or radio) lost mains power: call the customer, no dispatch.
    CustomerPower,
    /// Optical problem on the subscriber's drop (or, with `scope = pon`, the PON/splitter).
    DispatchOptical,
    /// Fresh isolated loss of signal: confirm with the customer (unplugged ONU?), then dispatch.
    ConfirmThenDispatch,
    /// Radio link poor (alignment, interference) or SM down alone: dispatch a radio technician.
    DispatchRadio,
    /// The physical layer is fine but the service is not: fix remotely (secret, CPE, session).
    Remote,
    /// Everything checked is fine and the session is up: Wi-Fi, CPE or speed; show live traffic.
    Ok,
    /// Not enough fresh facts to decide.
    Unknown,
}

/// Where a fix applies, when it is not the subscriber alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Subscriber,
    /// Several ONUs on the same PON: one PON/splitter problem.
    Pon,
    /// The subscriber's AP or tower.
    Radio,
    /// An outage event.
    Event,
}

/// One fact that the verdict rests on (or that was considered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// The rule that used it (`billing_blocked`, `in_outage`, `dying_gasp`, ...).
    pub rule: String,
    /// The reading, in words a human can check (`ONU HWTC1234 status LOS since 10:02`).
    pub evidence: String,
    /// Where it came from (`plugin:smartolt@pop-1`, `live:ping@pop-1`, `event:42`).
    pub source: String,
    /// When it was observed, Unix ms, and how old it was when judged.
    pub observed_ms: u64,
    pub age_ms: u64,
}

/// Two sources that disagree, and which one the verdict believed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conflict {
    /// What they disagree on (`session`, `onu_status`, `rx_dbm`).
    pub about: String,
    /// What the believed source says, and which it is.
    pub believed: String,
    pub believed_source: String,
    /// What the overruled source says, and which it is.
    pub overruled: String,
    pub overruled_source: String,
    /// Why (`the network wins over the CRM`).
    pub why: String,
}

/// The triage answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub scope: Scope,
    /// One sentence for the desk (`Inside outage #42 on PON olt-centro/1/1: no dispatch`).
    pub summary: String,
    /// What to do next, in order.
    pub actions: Vec<String>,
    /// The facts the verdict rests on, most important first.
    pub reasons: Vec<Reason>,
    /// What could not be checked (missing or stale sources), e.g. `onu: no reading from the OLT`,
    /// `session: stale (last seen 2 h ago)`. A verdict with something missing says so.
    pub missing: Vec<String>,
    pub conflicts: Vec<Conflict>,
    /// Event ids that the verdict links (outage).
    pub events: Vec<u64>,
}
