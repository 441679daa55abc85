//! Mapping one observation to what it says about entities: which entities it names (with
//! attributes), which topology edges, which state, which metric samples. One function per
//! observation kind; pure (no state, no clock), so each is tested on its own. [`crate::LiveState`]
//! folds the [`Effects`] into memory.

use serde_json::{Value, json};
use vigia_core::{
    Alarm, Customer, EdgeKind, EntityKind, InterfaceStatus, LinkStatus, Metric, Observation,
    ObservationKind, Onu, OnuStatus, PppoeSession, RadioLink, RadioStatus, Reachability,
    TopologyEdge,
};

use crate::config::Thresholds;
use crate::id::{EntityId, IdError, IdMaker};
use crate::model::State;

/// Label naming the entity an observation is about: `vigia.entity=<kind>:<id>`.
pub const ENTITY_LABEL: &str = "vigia.entity";
/// Label saying an observation is an administrative record (`vigia.authority=crm`): its states
/// never contradict a fresh state from the network (router, OLT), which wins.
pub const AUTHORITY_LABEL: &str = "vigia.authority";
/// Label naming the site (POP) of the entity an observation is about: `vigia.site=<pop>`
/// (`centro` or `pop:centro`).
pub const SITE_LABEL: &str = "vigia.site";

/// A change to an entity's attributes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AttrOp {
    /// Sets `key`. A `volatile` value (a reading) alone does not make the row worth re-writing.
    Set {
        key: &'static str,
        value: Value,
        volatile: bool,
    },
    /// Records an alarm in the `alarms` list (replacing one with the same code).
    Alarm(Value),
    /// Records an interface in the `interfaces` object, by name.
    Interface { name: String, value: Value },
}

/// An entity an observation names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Touch {
    pub id: EntityId,
    pub name: Option<String>,
    pub attrs: Vec<AttrOp>,
}

/// A topology edge an observation asserts: `child` depends on `parent`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EdgeSpec {
    pub parent: EntityId,
    pub child: EntityId,
    pub relation: String,
    /// The child has one parent of these kinds per source: other edges from the same source into
    /// the child whose parent is of one of these kinds are removed (an ONU moved to another PON).
    pub exclusive_of: &'static [&'static str],
}

/// How far a source's word on a state goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Authority {
    /// An administrative record (a CRM's `online` flag, which trails RADIUS accounting): it never
    /// contradicts a fresh state from the network.
    Crm,
    /// The network itself (router, OLT, radio, probe).
    #[default]
    Network,
}

/// A state an observation gives an entity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Proposal {
    pub id: EntityId,
    pub state: State,
    pub reason: String,
    pub authority: Authority,
}

/// A numeric reading for the metrics window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SampleSpec {
    pub entity: EntityId,
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Everything one observation says.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Effects {
    /// The entity the observation is mainly about (its latest observations list gets it).
    pub primary: Option<EntityId>,
    /// The entity a `vigia.site` label applies to.
    pub site_entity: Option<EntityId>,
    pub touches: Vec<Touch>,
    pub edges: Vec<EdgeSpec>,
    pub states: Vec<Proposal>,
    pub samples: Vec<SampleSpec>,
    /// A per-target failure the plugin reported (never a state).
    pub failure: Option<String>,
}

impl Effects {
    /// Empties it, keeping the buffers.
    pub(crate) fn clear(&mut self) {
        self.primary = None;
        self.site_entity = None;
        self.touches.clear();
        self.edges.clear();
        self.states.clear();
        self.samples.clear();
        self.failure = None;
    }

    fn touch(&mut self, id: &EntityId, name: Option<String>, attrs: Vec<AttrOp>) {
        self.touches.push(Touch {
            id: id.clone(),
            name,
            attrs,
        });
    }

    fn edge(
        &mut self,
        parent: &EntityId,
        child: &EntityId,
        relation: &str,
        exclusive_of: &'static [&'static str],
    ) {
        self.edges.push(EdgeSpec {
            parent: parent.clone(),
            child: child.clone(),
            relation: relation.to_owned(),
            exclusive_of,
        });
    }

    fn state(&mut self, id: &EntityId, state: State, reason: impl Into<String>) {
        self.states.push(Proposal {
            id: id.clone(),
            state,
            reason: reason.into(),
            authority: Authority::Network,
        });
    }

    fn sample(&mut self, id: &EntityId, name: &str, value: Option<f64>) {
        if let Some(value) = value.filter(|v| v.is_finite()) {
            self.samples.push(SampleSpec {
                entity: id.clone(),
                name: name.to_owned(),
                labels: Vec::new(),
                value,
            });
        }
    }
}

fn set(key: &'static str, value: impl Into<Value>) -> AttrOp {
    AttrOp::Set {
        key,
        value: value.into(),
        volatile: false,
    }
}

fn reading(key: &'static str, value: impl Into<Value>) -> AttrOp {
    AttrOp::Set {
        key,
        value: value.into(),
        volatile: true,
    }
}

fn label<'a>(obs: &'a Observation, key: &str) -> Option<&'a str> {
    obs.labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The site a `vigia.site` label names, as a `pop:` id unless it names another kind.
pub(crate) fn site_label(obs: &Observation) -> Option<EntityId> {
    let value = label(obs, SITE_LABEL)?.trim();
    if value.contains(':') {
        EntityId::parse(value).ok()
    } else {
        EntityId::new(&EntityKind::Pop, value).ok()
    }
}

/// The entity a device-level observation is about: the `vigia.entity` label when valid, else
/// `host:<fallback>`.
fn subject(obs: &Observation, fallback: &str, ids: &mut IdMaker<'_>) -> Result<EntityId, IdError> {
    if let Some(id) = label(obs, ENTITY_LABEL).and_then(|v| ids.parse(v).ok()) {
        return Ok(id);
    }
    ids.of_kind("host", fallback)
}

/// Maps an observation. `Err` when it names an entity by an invalid id (the observation is
/// skipped and counted).
#[cfg(test)]
pub(crate) fn map(obs: &Observation, thresholds: &Thresholds) -> Result<Effects, IdError> {
    let mut fx = Effects::default();
    map_into(
        obs,
        thresholds,
        &mut IdMaker::new(&(), String::new()),
        &mut fx,
    )?;
    Ok(fx)
}

/// [`map`] into `fx` (cleared first, to reuse its buffers), with ids made by `ids`.
pub(crate) fn map_into(
    obs: &Observation,
    thresholds: &Thresholds,
    ids: &mut IdMaker<'_>,
    fx: &mut Effects,
) -> Result<(), IdError> {
    fx.clear();
    match &obs.kind {
        ObservationKind::Reachability(r) => reachability(obs, r, ids, fx),
        ObservationKind::Metric(m) => metric(obs, m, ids, fx),
        ObservationKind::Interface(i) => interface(obs, i, ids, fx),
        ObservationKind::PppoeSession(s) => pppoe_session(obs, s, ids, fx),
        ObservationKind::Onu(o) => onu(o, thresholds, ids, fx),
        ObservationKind::RadioLink(r) => radio_link(r, thresholds, ids, fx),
        ObservationKind::Customer(c) => customer(c, ids, fx),
        ObservationKind::TopologyEdge(e) => topology_edge(e, ids, fx),
        ObservationKind::Alarm(a) => alarm(a, ids, fx),
        ObservationKind::Failure(f) => {
            fx.failure = Some(format!("{}: {}", obs.target, f));
            Ok(())
        }
    }
}

/// `Reachability` → the target entity (label or `host:<address>`) up or down, RTT and loss.
fn reachability(
    obs: &Observation,
    r: &Reachability,
    ids: &mut IdMaker<'_>,
    fx: &mut Effects,
) -> Result<(), IdError> {
    let id = subject(obs, &r.address, ids)?;
    let loss = if r.sent > 0 {
        Some(f64::from(r.sent.saturating_sub(r.received)) / f64::from(r.sent))
    } else {
        None
    };
    let mut attrs = vec![set("address", r.address.as_str())];
    if let Some(rtt) = r.rtt_avg_us {
        attrs.push(reading("rtt_avg_us", rtt));
    }
    if let Some(loss) = loss {
        attrs.push(reading("loss_ratio", loss));
    }
    fx.touch(&id, None, attrs);
    let reason = match (&r.detail, r.up) {
        (Some(detail), _) if !detail.is_empty() => detail.clone(),
        (_, true) => format!("{} of {} echoes answered", r.received, r.sent),
        (_, false) => format!(
            "{} of {} echoes lost",
            r.sent - r.received.min(r.sent),
            r.sent
        ),
    };
    let state = if r.up { State::Up } else { State::Down };
    fx.state(&id, state, reason);
    fx.sample(&id, "rtt_avg_us", r.rtt_avg_us.map(f64::from));
    fx.sample(&id, "loss_ratio", loss);
    fx.primary = Some(id.clone());
    fx.site_entity = Some(id);
    Ok(())
}

/// `Metric` → a sample of the target entity's series (name + metric labels).
fn metric(
    obs: &Observation,
    m: &Metric,
    ids: &mut IdMaker<'_>,
    fx: &mut Effects,
) -> Result<(), IdError> {
    let id = subject(obs, &obs.target, ids)?;
    fx.touch(&id, None, Vec::new());
    if m.value.is_finite() {
        let mut labels = m.metric_labels.clone();
        labels.sort();
        fx.samples.push(SampleSpec {
            entity: id.clone(),
            name: m.name.clone(),
            labels,
            value: m.value,
        });
    }
    fx.primary = Some(id.clone());
    fx.site_entity = Some(id);
    Ok(())
}

fn link_status(status: LinkStatus) -> &'static str {
    match status {
        LinkStatus::Up => "up",
        LinkStatus::Down => "down",
        LinkStatus::Testing => "testing",
        LinkStatus::Dormant => "dormant",
        LinkStatus::NotPresent => "not_present",
        LinkStatus::LowerLayerDown => "lower_layer_down",
        LinkStatus::Unknown => "unknown",
    }
}

/// `Interface` → an entry of the device's `interfaces` attribute (status and speed; counters
/// are not kept: they are readings for a time-series system, not state).
fn interface(
    obs: &Observation,
    i: &InterfaceStatus,
    ids: &mut IdMaker<'_>,
    fx: &mut Effects,
) -> Result<(), IdError> {
    let id = subject(obs, &obs.target, ids)?;
    let value = json!({
        "index": i.index,
        "alias": i.alias,
        "admin": link_status(i.admin_status),
        "oper": link_status(i.oper_status),
        "speed_bps": i.speed_bps,
    });
    fx.touch(
        &id,
        None,
        vec![AttrOp::Interface {
            name: i.name.clone(),
            value,
        }],
    );
    fx.primary = Some(id.clone());
    fx.site_entity = Some(id);
    Ok(())
}

/// `PppoeSession` → the subscriber (login) up/down, its concentrator, and the edge
/// concentrator → subscriber.
fn pppoe_session(
    obs: &Observation,
    s: &PppoeSession,
    ids: &mut IdMaker<'_>,
    fx: &mut Effects,
) -> Result<(), IdError> {
    let subscriber = ids.make(&EntityKind::Subscriber, &s.login)?;
    let concentrator = ids.make(&EntityKind::Concentrator, &s.concentrator)?;
    let mut attrs = vec![set("concentrator", concentrator.local())];
    if let Some(address) = &s.address {
        attrs.push(reading("address", address.as_str()));
    }
    if let Some(caller) = &s.caller_id {
        attrs.push(reading("caller_id", caller.as_str()));
    }
    if let Some(reason) = &s.last_disconnect_reason {
        attrs.push(set("last_disconnect_reason", reason.as_str()));
    }
    if let Some(since) = s.since_ms {
        attrs.push(set("session_since_ms", since));
    }
    fx.touch(&subscriber, Some(s.login.trim().to_owned()), attrs);
    fx.touch(
        &concentrator,
        Some(s.concentrator.trim().to_owned()),
        Vec::new(),
    );
    fx.edge(&concentrator, &subscriber, "logical", &["concentrator"]);
    if s.online {
        fx.state(&subscriber, State::Up, "session up");
    } else {
        let reason = match &s.last_disconnect_reason {
            Some(r) if !r.is_empty() => format!("no session ({r})"),
            _ => "no session".to_owned(),
        };
        fx.state(&subscriber, State::Down, reason);
    }
    if label(obs, AUTHORITY_LABEL).is_some_and(|v| v.trim().eq_ignore_ascii_case("crm")) {
        for proposal in &mut fx.states {
            proposal.authority = Authority::Crm;
        }
    }
    fx.primary = Some(subscriber);
    fx.site_entity = Some(concentrator);
    Ok(())
}

fn onu_status(status: OnuStatus) -> &'static str {
    match status {
        OnuStatus::Online => "online",
        OnuStatus::Offline => "offline",
        OnuStatus::Los => "los",
        OnuStatus::PowerFail => "power_fail",
        OnuStatus::Unknown => "unknown",
    }
}

/// `Onu` → the ONU (readings, model, last down cause), its OLT and PON port (and splitter), the
/// edges olt → pon_port → (splitter →) onu → subscriber, and the ONU's state.
fn onu(o: &Onu, th: &Thresholds, ids: &mut IdMaker<'_>, fx: &mut Effects) -> Result<(), IdError> {
    let onu = ids.make(&EntityKind::Onu, &o.serial)?;
    let olt = ids.make(&EntityKind::Olt, &o.olt)?;
    let mut attrs = Vec::with_capacity(16);
    attrs.push(set("status", onu_status(o.status)));
    attrs.push(set("olt", olt.local()));
    for (key, value) in [("board", o.board), ("port", o.port), ("onu_id", o.onu_id)] {
        if let Some(value) = value {
            attrs.push(set(key, value));
        }
    }
    for (key, value) in [
        ("rx_dbm", o.rx_dbm),
        ("tx_dbm", o.tx_dbm),
        ("olt_rx_dbm", o.olt_rx_dbm),
    ] {
        if let Some(value) = value.filter(|v| v.is_finite()) {
            attrs.push(reading(key, value));
        }
    }
    if let Some(distance) = o.distance_m {
        attrs.push(reading("distance_m", distance));
    }
    if let Some(model) = &o.model {
        attrs.push(set("model", model.as_str()));
    }
    if let Some(cause) = &o.last_down_cause {
        attrs.push(set("last_down_cause", cause.as_str()));
    }
    if let Some(at) = o.last_down_ms {
        attrs.push(set("last_down_ms", at));
    }
    if let Some(login) = &o.login {
        attrs.push(set("login", login.trim()));
    }
    fx.touch(&onu, None, attrs);
    fx.touch(&olt, Some(o.olt.trim().to_owned()), Vec::new());

    // The ONU's uplink: splitter if known, else the PON port, else the OLT itself.
    let pon = match (o.board, o.port) {
        (Some(board), Some(port)) => Some(format!("{}/{board}/{port}", olt.local())),
        (None, Some(port)) => Some(format!("{}/{port}", olt.local())),
        _ => None,
    };
    let mut uplink = olt.clone();
    if let Some(pon) = pon {
        let pon = ids.make(&EntityKind::PonPort, &pon)?;
        fx.touch(&pon, None, Vec::new());
        fx.edge(&olt, &pon, "fibre", &["olt"]);
        uplink = pon;
    }
    if let Some(splitter) = o.splitter.as_deref().filter(|s| !s.trim().is_empty()) {
        let splitter = ids.make(&EntityKind::Splitter, splitter)?;
        fx.touch(&splitter, None, Vec::new());
        fx.edge(
            &uplink,
            &splitter,
            "fibre",
            &["olt", "pon_port", "splitter"],
        );
        uplink = splitter;
    }
    fx.edge(&uplink, &onu, "fibre", &["olt", "pon_port", "splitter"]);
    if let Some(login) = o.login.as_deref().filter(|l| !l.trim().is_empty()) {
        let subscriber = ids.make(&EntityKind::Subscriber, login)?;
        fx.touch(&subscriber, Some(login.trim().to_owned()), Vec::new());
        fx.edge(&onu, &subscriber, "ethernet", &["onu"]);
    }

    let (state, reason) = match o.status {
        OnuStatus::Online => match o.rx_dbm.filter(|v| v.is_finite()) {
            Some(rx) if rx < th.onu_rx_min_dbm => (
                State::Degraded,
                format!("rx {rx} dBm below {} dBm", th.onu_rx_min_dbm),
            ),
            Some(rx) if rx > th.onu_rx_max_dbm => (
                State::Degraded,
                format!("rx {rx} dBm above {} dBm", th.onu_rx_max_dbm),
            ),
            _ => (State::Up, "online".to_owned()),
        },
        OnuStatus::Los => (State::Down, "LOS".to_owned()),
        OnuStatus::PowerFail => (State::Down, "power fail".to_owned()),
        OnuStatus::Offline => (State::Down, "offline".to_owned()),
        OnuStatus::Unknown => (State::Unknown, "vendor reports unknown".to_owned()),
    };
    fx.state(&onu, state, reason);
    fx.sample(&onu, "rx_dbm", o.rx_dbm);
    fx.sample(&onu, "tx_dbm", o.tx_dbm);
    fx.sample(&onu, "olt_rx_dbm", o.olt_rx_dbm);
    fx.primary = Some(onu);
    fx.site_entity = Some(olt);
    Ok(())
}

/// `RadioLink` → the subscriber module (state, readings), its AP and tower, and the edges
/// tower → AP → SM (or tower → SM without an AP).
fn radio_link(
    r: &RadioLink,
    th: &Thresholds,
    ids: &mut IdMaker<'_>,
    fx: &mut Effects,
) -> Result<(), IdError> {
    let sm = ids.make(&EntityKind::SubscriberModule, &r.sm_mac)?;
    let mut attrs = Vec::new();
    if let Some(rssi) = r.rssi_dbm.filter(|v| v.is_finite()) {
        attrs.push(reading("rssi_dbm", rssi));
    }
    if let Some(snr) = r.snr_db.filter(|v| v.is_finite()) {
        attrs.push(reading("snr_db", snr));
    }
    if let Some(modulation) = &r.modulation {
        attrs.push(reading("modulation", modulation.as_str()));
    }
    if let Some(rate) = r.rate_bps {
        attrs.push(reading("rate_bps", rate));
    }
    fx.touch(&sm, None, attrs);
    let ap = match r.ap_mac.as_deref().filter(|m| !m.trim().is_empty()) {
        Some(mac) => Some(ids.make(&EntityKind::AccessPoint, mac)?),
        None => None,
    };
    let tower = match r.tower.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(name) => Some(ids.make(&EntityKind::Tower, name)?),
        None => None,
    };
    if let Some(ap) = &ap {
        fx.touch(ap, None, Vec::new());
        fx.edge(ap, &sm, "radio", &["access_point", "tower"]);
    }
    if let Some(tower) = &tower {
        fx.touch(
            tower,
            r.tower.as_deref().map(|t| t.trim().to_owned()),
            Vec::new(),
        );
        match &ap {
            Some(ap) => fx.edge(tower, ap, "ethernet", &["tower"]),
            None => fx.edge(tower, &sm, "radio", &["access_point", "tower"]),
        }
    }
    let (state, reason) = match r.status {
        RadioStatus::Connected => {
            let rssi = r.rssi_dbm.filter(|v| v.is_finite());
            let snr = r.snr_db.filter(|v| v.is_finite());
            match (rssi, snr) {
                (Some(rssi), _) if rssi < th.radio_rssi_min_dbm => (
                    State::Degraded,
                    format!("rssi {rssi} dBm below {} dBm", th.radio_rssi_min_dbm),
                ),
                (_, Some(snr)) if snr < th.radio_snr_min_db => (
                    State::Degraded,
                    format!("snr {snr} dB below {} dB", th.radio_snr_min_db),
                ),
                _ => (State::Up, "connected".to_owned()),
            }
        }
        RadioStatus::Disconnected => (State::Down, "disconnected".to_owned()),
        RadioStatus::Unknown => (State::Unknown, "vendor reports unknown".to_owned()),
    };
    fx.state(&sm, state, reason);
    fx.sample(&sm, "rssi_dbm", r.rssi_dbm);
    fx.sample(&sm, "snr_db", r.snr_db);
    fx.primary = Some(sm.clone());
    fx.site_entity = tower.or(ap).or(Some(sm));
    Ok(())
}

fn billing(state: vigia_core::BillingState) -> &'static str {
    match state {
        vigia_core::BillingState::Active => "active",
        vigia_core::BillingState::Warned => "warned",
        vigia_core::BillingState::Blocked => "blocked",
        vigia_core::BillingState::Cancelled => "cancelled",
        vigia_core::BillingState::Unknown => "unknown",
    }
}

/// `Customer` → the customer (billing state and plan as attributes; no operational state) and
/// an edge customer → subscriber per login.
fn customer(c: &Customer, ids: &mut IdMaker<'_>, fx: &mut Effects) -> Result<(), IdError> {
    let id = ids.make(&EntityKind::Customer, &c.id)?;
    let mut attrs = vec![set("billing", billing(c.billing))];
    if let Some(code) = &c.billing_code {
        attrs.push(set("billing_code", code.as_str()));
    }
    if let Some(plan) = &c.plan {
        attrs.push(set("plan", plan.as_str()));
    }
    if let Some(address) = &c.address {
        attrs.push(set("address", address.as_str()));
    }
    let logins: Vec<&str> = c
        .logins
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    attrs.push(set("logins", logins.clone()));
    let name = Some(c.name.trim().to_owned()).filter(|n| !n.is_empty());
    fx.touch(&id, name, attrs);
    for login in logins {
        let subscriber = ids.make(&EntityKind::Subscriber, login)?;
        fx.touch(&subscriber, Some(login.to_owned()), Vec::new());
        fx.edge(&id, &subscriber, "logical", &["customer"]);
    }
    fx.primary = Some(id);
    Ok(())
}

fn edge_kind(kind: &EdgeKind) -> String {
    match kind {
        EdgeKind::Fibre => "fibre".to_owned(),
        EdgeKind::Radio => "radio".to_owned(),
        EdgeKind::Ethernet => "ethernet".to_owned(),
        EdgeKind::Power => "power".to_owned(),
        EdgeKind::Logical => "logical".to_owned(),
        EdgeKind::Other(other) => other.trim().to_lowercase(),
    }
}

/// `TopologyEdge` → the edge as given, and both entities.
fn topology_edge(e: &TopologyEdge, ids: &mut IdMaker<'_>, fx: &mut Effects) -> Result<(), IdError> {
    let parent = ids.of_ref(&e.parent)?;
    let child = ids.of_ref(&e.child)?;
    fx.touch(&parent, None, Vec::new());
    fx.touch(&child, None, Vec::new());
    fx.edge(&parent, &child, &edge_kind(&e.edge_kind), &[]);
    fx.primary = Some(child);
    Ok(())
}

/// `Alarm` → an entry of the source entity's `alarms` attribute (no state: alarms are evidence
/// for correlation, not a state by themselves).
fn alarm(a: &Alarm, ids: &mut IdMaker<'_>, fx: &mut Effects) -> Result<(), IdError> {
    let id = ids.of_ref(&a.source)?;
    let severity = match a.severity {
        vigia_core::Severity::Critical => "critical",
        vigia_core::Severity::Major => "major",
        vigia_core::Severity::Minor => "minor",
        vigia_core::Severity::Warning => "warning",
        vigia_core::Severity::Info => "info",
    };
    let value = json!({
        "code": a.code,
        "severity": severity,
        "text": a.text,
        "raised_ms": a.raised_ms,
        "cleared_ms": a.cleared_ms,
    });
    fx.touch(&id, None, vec![AttrOp::Alarm(value)]);
    fx.primary = Some(id.clone());
    fx.site_entity = Some(id);
    Ok(())
}

#[cfg(test)]
mod tests;
