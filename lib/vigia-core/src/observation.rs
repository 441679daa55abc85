//! Typed observations: one record per fact a plugin observed.
//!
//! Field names and meanings follow `plugin-sdk/wit/types.wit`; see the `///` docs there.

use serde::{Deserialize, Serialize};

use crate::Label;

/// One typed fact that a plugin observed about a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Id of the run target this concerns.
    pub target: String,
    /// Unix milliseconds when it was observed.
    pub observed_at_ms: u64,
    #[serde(flatten)]
    pub kind: ObservationKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
}

/// The payload of an observation, tagged `kind` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObservationKind {
    Reachability(Reachability),
    Metric(Metric),
    Interface(InterfaceStatus),
    PppoeSession(PppoeSession),
    Onu(Onu),
    RadioLink(RadioLink),
    Customer(Customer),
    TopologyEdge(TopologyEdge),
    Alarm(Alarm),
    Failure(PluginError),
}

impl ObservationKind {
    /// The `snake_case` name of the kind, as used in JSON and metrics labels.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reachability(_) => "reachability",
            Self::Metric(_) => "metric",
            Self::Interface(_) => "interface",
            Self::PppoeSession(_) => "pppoe_session",
            Self::Onu(_) => "onu",
            Self::RadioLink(_) => "radio_link",
            Self::Customer(_) => "customer",
            Self::TopologyEdge(_) => "topology_edge",
            Self::Alarm(_) => "alarm",
            Self::Failure(_) => "failure",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reachability {
    pub address: String,
    pub up: bool,
    pub sent: u32,
    pub received: u32,
    pub rtt_min_us: Option<u32>,
    pub rtt_avg_us: Option<u32>,
    pub rtt_max_us: Option<u32>,
    pub rtt_jitter_us: Option<u32>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    Gauge,
    Counter,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub metric_kind: MetricKind,
    pub value: f64,
    pub unit: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_labels: Vec<Label>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    Up,
    Down,
    Testing,
    Dormant,
    NotPresent,
    LowerLayerDown,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterfaceStatus {
    pub index: u32,
    pub name: String,
    pub alias: Option<String>,
    pub admin_status: LinkStatus,
    pub oper_status: LinkStatus,
    pub speed_bps: Option<u64>,
    pub in_octets: Option<u64>,
    pub out_octets: Option<u64>,
    pub in_errors: Option<u64>,
    pub out_errors: Option<u64>,
    pub in_discards: Option<u64>,
    pub out_discards: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PppoeSession {
    pub login: String,
    pub online: bool,
    pub address: Option<String>,
    pub concentrator: String,
    pub caller_id: Option<String>,
    pub since_ms: Option<u64>,
    pub last_disconnect_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnuStatus {
    Online,
    Offline,
    Los,
    PowerFail,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Onu {
    pub serial: String,
    pub login: Option<String>,
    pub olt: String,
    pub board: Option<u32>,
    pub port: Option<u32>,
    pub onu_id: Option<u32>,
    pub splitter: Option<String>,
    pub status: OnuStatus,
    pub rx_dbm: Option<f64>,
    pub tx_dbm: Option<f64>,
    pub olt_rx_dbm: Option<f64>,
    pub last_down_cause: Option<String>,
    pub last_down_ms: Option<u64>,
    pub distance_m: Option<u32>,
    pub model: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RadioStatus {
    Connected,
    Disconnected,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadioLink {
    pub sm_mac: String,
    pub ap_mac: Option<String>,
    pub tower: Option<String>,
    pub status: RadioStatus,
    pub rssi_dbm: Option<f64>,
    pub snr_db: Option<f64>,
    pub modulation: Option<String>,
    pub rate_bps: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingState {
    Active,
    Warned,
    Blocked,
    Cancelled,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub logins: Vec<String>,
    pub billing: BillingState,
    pub billing_code: Option<String>,
    pub plan: Option<String>,
    pub address: Option<String>,
}

/// What kind of thing an [`EntityRef`] names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Pop,
    Concentrator,
    Olt,
    PonPort,
    Splitter,
    Onu,
    Tower,
    AccessPoint,
    SubscriberModule,
    Switch,
    Router,
    BackhaulLink,
    Subscriber,
    Customer,
    CrmGroup,
    Other(String),
}

/// A reference to an entity, unique by (kind, id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntityRef {
    pub kind: EntityKind,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    Fibre,
    Radio,
    Ethernet,
    Power,
    Logical,
    Other(String),
}

/// "child depends on parent".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopologyEdge {
    pub child: EntityRef,
    pub parent: EntityRef,
    pub edge_kind: EdgeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Major,
    Minor,
    Warning,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    pub source: EntityRef,
    pub severity: Severity,
    pub code: String,
    pub text: String,
    pub raised_ms: Option<u64>,
    pub cleared_ms: Option<u64>,
}

/// Why a plugin call (or one target of it) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    Config,
    Denied,
    Unreachable,
    Timeout,
    Auth,
    InvalidResponse,
    Unsupported,
    Budget,
    Internal,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Denied => "denied",
            Self::Unreachable => "unreachable",
            Self::Timeout => "timeout",
            Self::Auth => "auth",
            Self::InvalidResponse => "invalid_response",
            Self::Unsupported => "unsupported",
            Self::Budget => "budget",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified failure reported by a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginError {
    pub class: ErrorClass,
    pub message: String,
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.class, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observation_json_is_flat_and_tagged() {
        let obs = Observation {
            target: "cpe-1".into(),
            observed_at_ms: 1_700_000_000_000,
            kind: ObservationKind::Reachability(Reachability {
                address: "127.0.0.1".into(),
                up: true,
                sent: 3,
                received: 3,
                rtt_min_us: Some(40),
                rtt_avg_us: Some(52),
                rtt_max_us: Some(70),
                rtt_jitter_us: Some(12),
                detail: None,
            }),
            labels: vec![],
        };
        let json = serde_json::to_value(&obs).unwrap();
        assert_eq!(json["kind"], "reachability");
        assert_eq!(json["rtt_avg_us"], 52);
        assert!(json.get("labels").is_none());
        let back: Observation = serde_json::from_value(json).unwrap();
        assert_eq!(back, obs);
    }

    #[test]
    fn every_kind_round_trips_through_json() {
        let edge = ObservationKind::TopologyEdge(TopologyEdge {
            child: EntityRef {
                kind: EntityKind::Onu,
                id: "HWTC1".into(),
            },
            parent: EntityRef {
                kind: EntityKind::Other("cabinet".into()),
                id: "c-9".into(),
            },
            edge_kind: EdgeKind::Fibre,
        });
        let failure = ObservationKind::Failure(PluginError {
            class: ErrorClass::InvalidResponse,
            message: "bad json".into(),
        });
        for kind in [edge, failure] {
            let obs = Observation {
                target: "t".into(),
                observed_at_ms: 1,
                kind,
                labels: vec![],
            };
            let text = serde_json::to_string(&obs).unwrap();
            let back: Observation = serde_json::from_str(&text).unwrap();
            assert_eq!(back, obs, "{text}");
        }
    }
}
