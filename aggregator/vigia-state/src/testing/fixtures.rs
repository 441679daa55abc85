//! Builders of runs and observations for tests and examples.

use vigia_core::run::{PluginRef, RunOutcome, RunResult};
use vigia_core::{
    BillingState, Customer, EdgeKind, EntityKind, EntityRef, Observation, ObservationKind, Onu,
    OnuStatus, PppoeSession, RadioLink, RadioStatus, Reachability, TopologyEdge,
};

/// A run of `plugin_id` that completed with `observations`, finished at `at_ms`.
pub fn run(plugin_id: &str, at_ms: u64, observations: Vec<Observation>) -> RunResult {
    outcome_run(plugin_id, at_ms, RunOutcome::Observations(observations))
}

/// A run of `plugin_id` that ended with `outcome`.
pub fn outcome_run(plugin_id: &str, at_ms: u64, outcome: RunOutcome) -> RunResult {
    RunResult {
        probe: format!("{plugin_id}-probe"),
        plugin: PluginRef {
            plugin_id: plugin_id.to_owned(),
            version: "1.0.0".to_owned(),
            sha256: [7; 32],
        },
        run_id: format!("{plugin_id}-{at_ms}"),
        started_at_ms: at_ms.saturating_sub(100),
        finished_at_ms: at_ms,
        outcome,
    }
}

/// An observation of `target` at `at_ms`.
pub fn obs(target: &str, at_ms: u64, kind: ObservationKind) -> Observation {
    Observation {
        target: target.to_owned(),
        observed_at_ms: at_ms,
        kind,
        labels: Vec::new(),
    }
}

/// The same observation with a label added.
pub fn labelled(mut observation: Observation, key: &str, value: &str) -> Observation {
    observation.labels.push((key.to_owned(), value.to_owned()));
    observation
}

/// An ONU on `olt` board 0, `port`, with a login and Rx power.
pub fn onu(
    serial: &str,
    olt: &str,
    port: u32,
    status: OnuStatus,
    login: Option<&str>,
    rx_dbm: Option<f64>,
) -> ObservationKind {
    ObservationKind::Onu(Onu {
        serial: serial.to_owned(),
        login: login.map(str::to_owned),
        olt: olt.to_owned(),
        board: Some(0),
        port: Some(port),
        onu_id: None,
        splitter: None,
        status,
        rx_dbm,
        tx_dbm: None,
        olt_rx_dbm: None,
        last_down_cause: None,
        last_down_ms: None,
        distance_m: None,
        model: None,
    })
}

/// A PPPoE session of `login` on `concentrator`.
pub fn pppoe(login: &str, concentrator: &str, online: bool) -> ObservationKind {
    ObservationKind::PppoeSession(PppoeSession {
        login: login.to_owned(),
        online,
        address: online.then(|| "100.64.0.1".to_owned()),
        concentrator: concentrator.to_owned(),
        caller_id: None,
        since_ms: None,
        last_disconnect_reason: None,
    })
}

/// A radio link of subscriber module `sm` on access point `ap` of `tower`.
pub fn radio(sm: &str, ap: &str, tower: &str, status: RadioStatus, rssi: f64) -> ObservationKind {
    ObservationKind::RadioLink(RadioLink {
        sm_mac: sm.to_owned(),
        ap_mac: Some(ap.to_owned()),
        tower: Some(tower.to_owned()),
        status,
        rssi_dbm: Some(rssi),
        snr_db: Some(30.0),
        modulation: None,
        rate_bps: None,
    })
}

/// A customer with logins.
pub fn customer(id: &str, name: &str, logins: &[&str], billing: BillingState) -> ObservationKind {
    ObservationKind::Customer(Customer {
        id: id.to_owned(),
        name: name.to_owned(),
        logins: logins.iter().map(|l| (*l).to_owned()).collect(),
        billing,
        billing_code: None,
        plan: None,
        address: None,
    })
}

/// A ping result for `address`.
pub fn reach(address: &str, up: bool) -> ObservationKind {
    ObservationKind::Reachability(Reachability {
        address: address.to_owned(),
        up,
        sent: 3,
        received: if up { 3 } else { 0 },
        rtt_min_us: None,
        rtt_avg_us: up.then_some(900),
        rtt_max_us: None,
        rtt_jitter_us: None,
        detail: None,
    })
}

/// A topology edge `parent` → `child`.
pub fn edge(
    parent: (EntityKind, &str),
    child: (EntityKind, &str),
    kind: EdgeKind,
) -> ObservationKind {
    ObservationKind::TopologyEdge(TopologyEdge {
        parent: EntityRef {
            kind: parent.0,
            id: parent.1.to_owned(),
        },
        child: EntityRef {
            kind: child.0,
            id: child.1.to_owned(),
        },
        edge_kind: kind,
    })
}
