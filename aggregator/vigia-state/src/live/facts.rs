//! One subscriber's facts for the triage ([`vigia_triage::Facts`]): its session, customer, ONU
//! or radio, CPE reachability and every element upstream, each with its source and time, read
//! from the entities, their latest observations and the metrics window. Outage events and live
//! checks are the caller's to add.

use std::collections::HashSet;
use std::sync::Arc;

use vigia_core::{
    BillingState, Observation, ObservationKind, OnuStatus, PppoeSession, RadioStatus, Reachability,
};
use vigia_triage as triage;

use super::{FastMap, LiveState};
use crate::apply::AUTHORITY_LABEL;
use crate::id::EntityId;
use crate::model::{Entity, State};
use crate::view::ObservationView;

/// Kinds shown as upstream elements, and how far up they are looked for.
const UPSTREAM_KINDS: [&str; 9] = [
    "splitter",
    "pon_port",
    "olt",
    "access_point",
    "tower",
    "backhaul_link",
    "concentrator",
    "pop",
    "crm_group",
];
const UPSTREAM_DEPTH: usize = 8;
/// Most ONUs looked at as neighbours on one PON.
const MAX_NEIGHBOURS: usize = 512;
/// A PON's neighbour summary is reused for this long: ONU readings change at the OLT's poll
/// (minutes), and a desk diagnosing several subscribers of one PON should not walk it each time.
const NEIGHBOURS_TTL_MS: u64 = 5_000;
/// Most PON summaries kept (beyond it the cache starts over).
const NEIGHBOURS_CACHED: usize = 16_384;

/// Recent PON neighbour summaries: PON id → (computed at, the ONUs on it with their state and Rx
/// drop). Behind a mutex: diagnoses read the live state under a shared lock.
#[derive(Debug, Default)]
pub(crate) struct NeighbourCache {
    map: parking_lot::Mutex<FastMap<EntityId, CachedPon>>,
}

/// When a PON's ONUs were read, and what they were.
type CachedPon = (u64, Arc<Vec<NeighbourOnu>>);

/// One ONU on a PON, as a neighbour sees it.
#[derive(Debug, Clone)]
pub(crate) struct NeighbourOnu {
    id: EntityId,
    down: bool,
    /// Rx known with a median: (latest, median).
    rx: Option<(f64, f64)>,
}

/// How the facts are gathered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactsOptions {
    /// Session drops within this window count as recent disconnects.
    pub recent_ms: u64,
    /// A neighbour ONU whose Rx is this many dB under its median counts as dropped.
    pub pon_drop_db: f64,
    /// A median needs at least this many samples.
    pub min_median_samples: usize,
}

impl Default for FactsOptions {
    fn default() -> Self {
        Self {
            recent_ms: 24 * 3_600_000,
            pon_drop_db: 1.5,
            min_median_samples: 3,
        }
    }
}

impl LiveState {
    /// The facts about subscriber `login` at `now_ms`; `None` when no such subscriber is known.
    pub fn subscriber_facts(
        &self,
        login: &str,
        now_ms: u64,
        options: &FactsOptions,
    ) -> Option<triage::Facts> {
        let id = EntityId::parse(&format!("subscriber:{}", login.trim())).ok()?;
        let subscriber = self.entities.get(&id)?;
        let mut facts = triage::Facts {
            login: id.local().to_owned(),
            now_ms,
            customer: None,
            session: None,
            crm_session: None,
            onu: None,
            pon_neighbours: None,
            radio: None,
            cpe: None,
            upstream: Vec::new(),
            outages: Vec::new(),
            live: Vec::new(),
        };
        let recent_downs = subscriber
            .recent_downs
            .iter()
            .filter(|t| now_ms.saturating_sub(**t) <= options.recent_ms)
            .count() as u32;
        for view in subscriber.observations.iter().rev() {
            let ObservationKind::PppoeSession(session) = &view.observation.kind else {
                continue;
            };
            let slot = if is_crm(&view.observation) {
                &mut facts.crm_session
            } else {
                &mut facts.session
            };
            if slot.is_none() {
                let mut fact = session_fact(session, source(view));
                fact.recent_disconnects = recent_downs;
                *slot = Some(fact);
            }
        }
        for parent in self.parent_ids(&id) {
            let Some(entity) = self.entities.get(parent) else {
                continue;
            };
            match parent.kind() {
                "customer" if facts.customer.is_none() => facts.customer = customer_fact(entity),
                "onu" if facts.onu.is_none() => {
                    // The PON is found once, for the ONU's fact and its neighbours.
                    let pon = self.pon_of(parent);
                    facts.onu = self.onu_fact(entity, pon.as_ref(), options);
                    facts.pon_neighbours = match (&facts.onu, &pon) {
                        (Some(_), Some(pon)) => Some(self.neighbours(parent, pon, options, now_ms)),
                        _ => None,
                    };
                }
                "subscriber_module" if facts.radio.is_none() => {
                    facts.radio = self.radio_fact(entity)
                }
                _ => {}
            }
        }
        facts.cpe = self.cpe_fact(subscriber, facts.session.as_ref());
        facts.upstream = self.upstream(&id);
        Some(facts)
    }

    pub(super) fn parent_ids<'a>(
        &'a self,
        id: &'a EntityId,
    ) -> impl Iterator<Item = &'a EntityId> + 'a {
        self.parents
            .get(id)
            .into_iter()
            .flatten()
            .filter(move |(parent, source)| !self.is_hidden(parent, id, source))
            .map(|(parent, _)| parent)
    }

    /// The PON port above an ONU (directly, or through its splitter).
    fn pon_of(&self, onu: &EntityId) -> Option<EntityId> {
        for parent in self.parent_ids(onu) {
            match parent.kind() {
                "pon_port" => return Some(parent.clone()),
                "splitter" => {
                    if let Some(pon) = self.parent_ids(parent).find(|p| p.kind() == "pon_port") {
                        return Some(pon.clone());
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn onu_fact(
        &self,
        entity: &Entity,
        pon: Option<&EntityId>,
        options: &FactsOptions,
    ) -> Option<triage::Onu> {
        let view = latest(entity, |k| matches!(k, ObservationKind::Onu(_)))?;
        let ObservationKind::Onu(onu) = &view.observation.kind else {
            return None;
        };
        let median = self
            .metrics
            .latest_and_median(entity.id.as_str(), "rx_dbm")
            .filter(|r| r.samples >= options.min_median_samples)
            .map(|r| r.median);
        let pon = pon.map(|pon| pon.local().to_owned());
        Some(triage::Onu {
            serial: entity.id.local().to_owned(),
            status: onu_status(onu.status),
            status_since_ms: entity.state.as_ref().map(|s| s.since_ms),
            rx_dbm: onu.rx_dbm.filter(|v| v.is_finite()),
            tx_dbm: onu.tx_dbm.filter(|v| v.is_finite()),
            rx_median_dbm: median,
            last_down_cause: onu.last_down_cause.clone(),
            last_down_ms: onu.last_down_ms,
            olt: Some(onu.olt.trim().to_owned()),
            board: onu.board,
            port: onu.port,
            pon,
            splitter: onu.splitter.clone().filter(|s| !s.trim().is_empty()),
            model: onu.model.clone(),
            source: source(view),
        })
    }

    /// The other ONUs under the same PON port (through splitters).
    fn neighbours(
        &self,
        onu_id: &EntityId,
        pon: &EntityId,
        options: &FactsOptions,
        now_ms: u64,
    ) -> triage::PonNeighbours {
        let onus = self.pon_onus(pon, options, now_ms);
        let mut summary = triage::PonNeighbours::default();
        for onu in onus.iter().filter(|o| &o.id != onu_id) {
            summary.total += 1;
            summary.down += u32::from(onu.down);
            if let Some((latest, median)) = onu.rx {
                summary.rx_known += 1;
                if latest <= median - options.pon_drop_db {
                    summary.rx_dropped += 1;
                }
            }
        }
        summary
    }

    /// Every ONU under `pon` with its state and Rx, from the cache when recent.
    fn pon_onus(
        &self,
        pon: &EntityId,
        options: &FactsOptions,
        now_ms: u64,
    ) -> Arc<Vec<NeighbourOnu>> {
        if let Some((at, onus)) = self.neighbours.map.lock().get(pon)
            && now_ms.saturating_sub(*at) < NEIGHBOURS_TTL_MS
            && *at <= now_ms
        {
            return Arc::clone(onus);
        }
        let mut onus = Vec::new();
        let mut stack: Vec<&EntityId> = vec![pon];
        let mut seen: HashSet<&EntityId, foldhash::fast::RandomState> = HashSet::default();
        while let Some(node) = stack.pop() {
            for (child, _) in self.children.get(node).into_iter().flatten() {
                if seen.len() >= MAX_NEIGHBOURS || !seen.insert(child) {
                    continue;
                }
                match child.kind() {
                    "splitter" => stack.push(child),
                    "onu" => {
                        let Some(entity) = self.entities.get(child) else {
                            continue;
                        };
                        let rx = self
                            .metrics
                            .latest_and_median(child.as_str(), "rx_dbm")
                            .filter(|r| r.samples >= options.min_median_samples)
                            .map(|r| (r.latest, r.median));
                        onus.push(NeighbourOnu {
                            id: child.clone(),
                            down: entity.current_state() == State::Down,
                            rx,
                        });
                    }
                    _ => {}
                }
            }
        }
        let onus = Arc::new(onus);
        let mut cache = self.neighbours.map.lock();
        if cache.len() >= NEIGHBOURS_CACHED {
            cache.clear();
        }
        cache.insert(pon.clone(), (now_ms, Arc::clone(&onus)));
        onus
    }

    fn radio_fact(&self, entity: &Entity) -> Option<triage::Radio> {
        let view = latest(entity, |k| matches!(k, ObservationKind::RadioLink(_)))?;
        let ObservationKind::RadioLink(radio) = &view.observation.kind else {
            return None;
        };
        Some(triage::Radio {
            sm_mac: entity.id.local().to_owned(),
            status: match radio.status {
                RadioStatus::Connected => triage::RadioStatus::Connected,
                RadioStatus::Disconnected => triage::RadioStatus::Disconnected,
                RadioStatus::Unknown => triage::RadioStatus::Unknown,
            },
            rssi_dbm: radio.rssi_dbm.filter(|v| v.is_finite()),
            snr_db: radio.snr_db.filter(|v| v.is_finite()),
            modulation: radio.modulation.clone(),
            usual_modulation: usual_modulation(entity),
            ap: radio.ap_mac.clone(),
            tower: radio.tower.clone(),
            source: source(view),
        })
    }

    /// Ping of the CPE: a reachability labelled with the subscriber, else of the session's address.
    fn cpe_fact(
        &self,
        subscriber: &Entity,
        session: Option<&triage::Session>,
    ) -> Option<triage::Cpe> {
        let own = latest(subscriber, |k| {
            matches!(k, ObservationKind::Reachability(_))
        });
        let view = own.or_else(|| {
            let address = session?.address.as_deref()?;
            let host = EntityId::parse(&format!("host:{address}")).ok()?;
            let entity = self.entities.get(&host)?;
            latest(entity, |k| matches!(k, ObservationKind::Reachability(_)))
        })?;
        let ObservationKind::Reachability(ping) = &view.observation.kind else {
            return None;
        };
        Some(cpe(ping, source(view)))
    }

    /// Every element the subscriber depends on, nearest first (breadth first over parents).
    fn upstream(&self, id: &EntityId) -> Vec<triage::Upstream> {
        let mut out = Vec::new();
        let mut seen: HashSet<&EntityId, foldhash::fast::RandomState> = HashSet::default();
        let mut level: Vec<&EntityId> = vec![id];
        for _ in 0..UPSTREAM_DEPTH {
            let mut next = Vec::new();
            for node in level {
                for parent in self.parent_ids(node) {
                    if !seen.insert(parent) {
                        continue;
                    }
                    next.push(parent);
                    if !UPSTREAM_KINDS.contains(&parent.kind()) {
                        continue;
                    }
                    if let Some(entity) = self.entities.get(parent) {
                        out.push(upstream_fact(entity));
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            level = next;
        }
        out
    }
}

fn upstream_fact(entity: &Entity) -> triage::Upstream {
    let (state, reason, since_ms, source) = match &entity.state {
        Some(info) => (
            element_state(info.state),
            info.reason.clone(),
            info.since_ms,
            Some(triage::Source {
                name: info.source.clone(),
                authority: authority_of(entity),
                observed_ms: entity.state_seen_ms,
            }),
        ),
        None => (
            triage::ElementState::Unknown,
            "never observed".to_owned(),
            entity.first_seen_ms,
            None,
        ),
    };
    triage::Upstream {
        id: entity.id.to_string(),
        kind: entity.id.kind().to_owned(),
        name: entity.display_name().to_owned(),
        state,
        reason,
        since_ms,
        source,
    }
}

fn authority_of(entity: &Entity) -> triage::Authority {
    match entity.state_authority {
        crate::apply::Authority::Crm => triage::Authority::Crm,
        crate::apply::Authority::Network => triage::Authority::Network,
    }
}

fn element_state(state: State) -> triage::ElementState {
    match state {
        State::Up => triage::ElementState::Up,
        State::Down => triage::ElementState::Down,
        State::Degraded => triage::ElementState::Degraded,
        State::Unknown => triage::ElementState::Unknown,
    }
}

fn customer_fact(entity: &Entity) -> Option<triage::Customer> {
    let view = latest(entity, |k| matches!(k, ObservationKind::Customer(_)))?;
    let ObservationKind::Customer(customer) = &view.observation.kind else {
        return None;
    };
    let document = view
        .observation
        .labels
        .iter()
        .find(|(k, _)| k == "document")
        .map(|(_, v)| v.clone());
    Some(triage::Customer {
        id: entity.id.local().to_owned(),
        name: entity.display_name().to_owned(),
        billing: match customer.billing {
            BillingState::Active => triage::BillingState::Active,
            BillingState::Warned => triage::BillingState::Warned,
            BillingState::Blocked => triage::BillingState::Blocked,
            BillingState::Cancelled => triage::BillingState::Cancelled,
            BillingState::Unknown => triage::BillingState::Unknown,
        },
        billing_code: customer.billing_code.clone(),
        plan: customer.plan.clone(),
        address: customer.address.clone(),
        document,
        source: triage::Source {
            authority: triage::Authority::Crm,
            ..source(view)
        },
    })
}

/// The most common modulation among the SM's kept radio observations.
fn usual_modulation(entity: &Entity) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for view in &entity.observations {
        if let ObservationKind::RadioLink(radio) = &view.observation.kind
            && let Some(modulation) = radio.modulation.as_deref()
        {
            match counts.iter_mut().find(|(m, _)| *m == modulation) {
                Some((_, n)) => *n += 1,
                None => counts.push((modulation, 1)),
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(m, _)| m.to_owned())
}

fn latest(entity: &Entity, kind: impl Fn(&ObservationKind) -> bool) -> Option<&ObservationView> {
    entity
        .observations
        .iter()
        .rev()
        .find(|view| kind(&view.observation.kind))
}

fn is_crm(obs: &Observation) -> bool {
    obs.labels
        .iter()
        .any(|(k, v)| k == AUTHORITY_LABEL && v.trim().eq_ignore_ascii_case("crm"))
}

/// The source of a kept observation.
fn source(view: &ObservationView) -> triage::Source {
    source_of(
        &view.observation,
        &format!("plugin:{}@{}", view.plugin_id, view.agent),
    )
}

/// A source named `name` for observation `obs` (its authority from its labels).
pub fn source_of(obs: &Observation, name: &str) -> triage::Source {
    triage::Source {
        name: name.to_owned(),
        authority: if is_crm(obs) {
            triage::Authority::Crm
        } else {
            triage::Authority::Network
        },
        observed_ms: obs.observed_at_ms,
    }
}

/// A session fact from a PPPoE observation (recent disconnects unknown: 0).
pub fn session_fact(session: &PppoeSession, source: triage::Source) -> triage::Session {
    triage::Session {
        online: session.online,
        since_ms: session.since_ms,
        address: session.address.clone(),
        caller_id: session.caller_id.clone(),
        concentrator: Some(session.concentrator.trim().to_owned()).filter(|c| !c.is_empty()),
        last_disconnect_reason: session
            .last_disconnect_reason
            .clone()
            .filter(|r| !r.trim().is_empty()),
        recent_disconnects: 0,
        source,
    }
}

/// A CPE fact from a ping.
pub fn cpe(ping: &Reachability, source: triage::Source) -> triage::Cpe {
    let loss_pct = (ping.sent > 0)
        .then(|| 100.0 * f64::from(ping.sent.saturating_sub(ping.received)) / f64::from(ping.sent));
    triage::Cpe {
        address: ping.address.clone(),
        reachable: ping.up,
        rtt_ms: ping.rtt_avg_us.map(|us| f64::from(us) / 1000.0),
        loss_pct,
        source,
    }
}

pub(crate) fn onu_status(status: OnuStatus) -> triage::OnuStatus {
    match status {
        OnuStatus::Online => triage::OnuStatus::Online,
        OnuStatus::Offline => triage::OnuStatus::Offline,
        OnuStatus::Los => triage::OnuStatus::Los,
        OnuStatus::PowerFail => triage::OnuStatus::PowerFail,
        OnuStatus::Unknown => triage::OnuStatus::Unknown,
    }
}

/// Merges what a live check observed into `facts`, as source `name` (`live:<plugin>@<agent>`):
/// the subscriber's session, its ONU (the median and PON stay), a ping of the CPE. Observations
/// about others are ignored. Returns how many were used.
pub fn merge_observations(
    facts: &mut triage::Facts,
    name: &str,
    observations: &[Observation],
) -> usize {
    let mut used = 0;
    for obs in observations {
        let source = source_of(obs, name);
        match &obs.kind {
            ObservationKind::PppoeSession(session)
                if session.login.trim().eq_ignore_ascii_case(&facts.login) =>
            {
                let recent = facts.session.as_ref().map_or(0, |s| s.recent_disconnects);
                let mut fact = session_fact(session, source);
                fact.recent_disconnects = recent;
                facts.session = Some(fact);
                used += 1;
            }
            ObservationKind::Onu(onu) => {
                let Some(known) = facts.onu.as_mut() else {
                    continue;
                };
                if !onu.serial.trim().eq_ignore_ascii_case(&known.serial) {
                    continue;
                }
                known.status = onu_status(onu.status);
                if onu.rx_dbm.is_some_and(f64::is_finite) {
                    known.rx_dbm = onu.rx_dbm;
                }
                if onu.tx_dbm.is_some_and(f64::is_finite) {
                    known.tx_dbm = onu.tx_dbm;
                }
                if onu.last_down_cause.is_some() {
                    known.last_down_cause = onu.last_down_cause.clone();
                    known.last_down_ms = onu.last_down_ms.or(known.last_down_ms);
                }
                known.source = source;
                used += 1;
            }
            ObservationKind::Reachability(ping) => {
                facts.cpe = Some(cpe(ping, source));
                used += 1;
            }
            _ => {}
        }
    }
    used
}

/// Where a subscriber's readings came from, so a live check can ask the same agent and target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins {
    /// The router's latest session reading: (agent, plugin, target id).
    pub session: Option<Origin>,
    /// The OLT's latest reading of the subscriber's ONU, and the ONU's serial.
    pub onu: Option<(Origin, String)>,
}

/// One (agent, plugin, target) that reported a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub agent: String,
    pub plugin_id: String,
    pub target: String,
}

impl Origin {
    fn of(view: &ObservationView) -> Self {
        Self {
            agent: view.agent.clone(),
            plugin_id: view.plugin_id.clone(),
            target: view.observation.target.clone(),
        }
    }
}

impl LiveState {
    /// Who reported subscriber `login`'s session and ONU (`None`: unknown subscriber).
    pub fn subscriber_origins(&self, login: &str) -> Option<Origins> {
        let id = EntityId::parse(&format!("subscriber:{}", login.trim())).ok()?;
        let subscriber = self.entities.get(&id)?;
        let session = subscriber
            .observations
            .iter()
            .rev()
            .find(|v| {
                matches!(v.observation.kind, ObservationKind::PppoeSession(_))
                    && !is_crm(&v.observation)
            })
            .map(Origin::of);
        let onu = self
            .parent_ids(&id)
            .filter(|p| p.kind() == "onu")
            .find_map(|p| {
                let entity = self.entities.get(p)?;
                let view = latest(entity, |k| matches!(k, ObservationKind::Onu(_)))?;
                Some((Origin::of(view), p.local().to_owned()))
            });
        Some(Origins { session, onu })
    }
}
