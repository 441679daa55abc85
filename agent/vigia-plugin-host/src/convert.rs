//! Conversions between the WIT types and the host's types (`vigia-core` observations), and the
//! output caps applied while converting.
//!
//! Observations whose `target` is not one of the run's target ids are dropped and counted: a
//! plugin may only report on what it was asked to probe, and a typo must not attribute data to
//! another device. `observed_at_ms == 0` becomes the time the run finished.

use std::collections::HashSet;
use std::io;

use vigia_core as core;

use crate::bindings::vigia::plugin::types as wit;
use crate::run::{Fault, FaultKind, RunStats, Target};
use crate::{Capability, Limits};

pub(crate) fn target(t: &Target) -> wit::Target {
    wit::Target {
        id: t.id.clone(),
        address: t.address.clone(),
        labels: t.labels.clone(),
    }
}

pub(crate) fn capability(c: wit::Capability) -> Capability {
    match c {
        wit::Capability::Icmp => Capability::Icmp,
        wit::Capability::Snmp => Capability::Snmp,
        wit::Capability::Http(hosts) => Capability::Http(hosts),
        wit::Capability::Tcp(hosts) => Capability::Tcp(hosts),
        wit::Capability::Kv => Capability::Kv,
        wit::Capability::Secrets(names) => Capability::Secrets(names),
    }
}

pub(crate) fn plugin_error(e: wit::PluginError) -> core::PluginError {
    let class = match e.class {
        wit::ErrorClass::Config => core::ErrorClass::Config,
        wit::ErrorClass::Denied => core::ErrorClass::Denied,
        wit::ErrorClass::Unreachable => core::ErrorClass::Unreachable,
        wit::ErrorClass::Timeout => core::ErrorClass::Timeout,
        wit::ErrorClass::Auth => core::ErrorClass::Auth,
        wit::ErrorClass::InvalidResponse => core::ErrorClass::InvalidResponse,
        wit::ErrorClass::Unsupported => core::ErrorClass::Unsupported,
        wit::ErrorClass::Budget => core::ErrorClass::Budget,
        wit::ErrorClass::Internal => core::ErrorClass::Internal,
    };
    core::PluginError {
        class,
        message: e.message,
    }
}

/// Converts a run's output, applying the observation and size caps and filling `stats`.
pub(crate) fn observations(
    raw: Vec<wit::Observation>,
    targets: &HashSet<&str>,
    limits: &Limits,
    stats: &mut RunStats,
) -> Result<Vec<core::Observation>, Fault> {
    stats.observations = u32::try_from(raw.len()).unwrap_or(u32::MAX);
    if stats.observations > limits.max_observations {
        return Err(Fault {
            kind: FaultKind::OutputTooLarge,
            message: format!(
                "{} observations, the limit is {}",
                raw.len(),
                limits.max_observations
            ),
        });
    }
    let now_ms = crate::clock::unix_now_ms();
    let mut out = Vec::with_capacity(raw.len());
    let mut size = ByteCounter(0);
    for obs in raw {
        let obs = observation(obs, now_ms);
        serde_json::to_writer(&mut size, &obs).expect("observations always serialize to a counter");
        if size.0 > limits.max_output_bytes {
            return Err(Fault {
                kind: FaultKind::OutputTooLarge,
                message: format!(
                    "observations are over {} bytes of JSON, the limit",
                    limits.max_output_bytes
                ),
            });
        }
        if targets.contains(obs.target.as_str()) {
            out.push(obs);
        } else {
            stats.foreign_observations_dropped += 1;
        }
    }
    stats.output_bytes = size.0;
    Ok(out)
}

/// Counts bytes written, keeping none.
struct ByteCounter(u64);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn observation(o: wit::Observation, now_ms: u64) -> core::Observation {
    core::Observation {
        target: o.target,
        observed_at_ms: if o.observed_at_ms == 0 {
            now_ms
        } else {
            o.observed_at_ms
        },
        kind: kind(o.kind),
        labels: o.labels,
    }
}

fn kind(k: wit::ObservationKind) -> core::ObservationKind {
    use core::ObservationKind as K;
    match k {
        wit::ObservationKind::Reachability(r) => K::Reachability(core::Reachability {
            address: r.address,
            up: r.up,
            sent: r.sent,
            received: r.received,
            rtt_min_us: r.rtt_min_us,
            rtt_avg_us: r.rtt_avg_us,
            rtt_max_us: r.rtt_max_us,
            rtt_jitter_us: r.rtt_jitter_us,
            detail: r.detail,
        }),
        wit::ObservationKind::Metric(m) => K::Metric(core::Metric {
            name: m.name,
            metric_kind: match m.kind {
                wit::MetricKind::Gauge => core::MetricKind::Gauge,
                wit::MetricKind::Counter => core::MetricKind::Counter,
            },
            value: m.value,
            unit: m.unit,
            metric_labels: m.labels,
        }),
        wit::ObservationKind::Interface(i) => K::Interface(core::InterfaceStatus {
            index: i.index,
            name: i.name,
            alias: i.alias,
            admin_status: link_status(i.admin_status),
            oper_status: link_status(i.oper_status),
            speed_bps: i.speed_bps,
            in_octets: i.in_octets,
            out_octets: i.out_octets,
            in_errors: i.in_errors,
            out_errors: i.out_errors,
            in_discards: i.in_discards,
            out_discards: i.out_discards,
        }),
        wit::ObservationKind::PppoeSession(s) => K::PppoeSession(core::PppoeSession {
            login: s.login,
            online: s.online,
            address: s.address,
            concentrator: s.concentrator,
            caller_id: s.caller_id,
            since_ms: s.since_ms,
            last_disconnect_reason: s.last_disconnect_reason,
        }),
        wit::ObservationKind::Onu(o) => K::Onu(core::Onu {
            serial: o.serial,
            login: o.login,
            olt: o.olt,
            board: o.board,
            port: o.port,
            onu_id: o.onu_id,
            splitter: o.splitter,
            status: match o.status {
                wit::OnuStatus::Online => core::OnuStatus::Online,
                wit::OnuStatus::Offline => core::OnuStatus::Offline,
                wit::OnuStatus::Los => core::OnuStatus::Los,
                wit::OnuStatus::PowerFail => core::OnuStatus::PowerFail,
                wit::OnuStatus::Unknown => core::OnuStatus::Unknown,
            },
            rx_dbm: o.rx_dbm,
            tx_dbm: o.tx_dbm,
            olt_rx_dbm: o.olt_rx_dbm,
            last_down_cause: o.last_down_cause,
            last_down_ms: o.last_down_ms,
            distance_m: o.distance_m,
            model: o.model,
        }),
        wit::ObservationKind::RadioLink(r) => K::RadioLink(core::RadioLink {
            sm_mac: r.sm_mac,
            ap_mac: r.ap_mac,
            tower: r.tower,
            status: match r.status {
                wit::RadioStatus::Connected => core::RadioStatus::Connected,
                wit::RadioStatus::Disconnected => core::RadioStatus::Disconnected,
                wit::RadioStatus::Unknown => core::RadioStatus::Unknown,
            },
            rssi_dbm: r.rssi_dbm,
            snr_db: r.snr_db,
            modulation: r.modulation,
            rate_bps: r.rate_bps,
        }),
        wit::ObservationKind::Customer(c) => K::Customer(core::Customer {
            id: c.id,
            name: c.name,
            logins: c.logins,
            billing: match c.billing {
                wit::BillingState::Active => core::BillingState::Active,
                wit::BillingState::Warned => core::BillingState::Warned,
                wit::BillingState::Blocked => core::BillingState::Blocked,
                wit::BillingState::Cancelled => core::BillingState::Cancelled,
                wit::BillingState::Unknown => core::BillingState::Unknown,
            },
            billing_code: c.billing_code,
            plan: c.plan,
            address: c.address,
        }),
        wit::ObservationKind::TopologyEdge(e) => K::TopologyEdge(core::TopologyEdge {
            child: entity(e.child),
            parent: entity(e.parent),
            edge_kind: match e.kind {
                wit::EdgeKind::Fibre => core::EdgeKind::Fibre,
                wit::EdgeKind::Radio => core::EdgeKind::Radio,
                wit::EdgeKind::Ethernet => core::EdgeKind::Ethernet,
                wit::EdgeKind::Power => core::EdgeKind::Power,
                wit::EdgeKind::Logical => core::EdgeKind::Logical,
                wit::EdgeKind::Other(s) => core::EdgeKind::Other(s),
            },
        }),
        wit::ObservationKind::Alarm(a) => K::Alarm(core::Alarm {
            source: entity(a.source),
            severity: match a.severity {
                wit::Severity::Critical => core::Severity::Critical,
                wit::Severity::Major => core::Severity::Major,
                wit::Severity::Minor => core::Severity::Minor,
                wit::Severity::Warning => core::Severity::Warning,
                wit::Severity::Info => core::Severity::Info,
            },
            code: a.code,
            text: a.text,
            raised_ms: a.raised_ms,
            cleared_ms: a.cleared_ms,
        }),
        wit::ObservationKind::Failure(e) => K::Failure(plugin_error(e)),
    }
}

fn link_status(s: wit::LinkStatus) -> core::LinkStatus {
    match s {
        wit::LinkStatus::Up => core::LinkStatus::Up,
        wit::LinkStatus::Down => core::LinkStatus::Down,
        wit::LinkStatus::Testing => core::LinkStatus::Testing,
        wit::LinkStatus::Dormant => core::LinkStatus::Dormant,
        wit::LinkStatus::NotPresent => core::LinkStatus::NotPresent,
        wit::LinkStatus::LowerLayerDown => core::LinkStatus::LowerLayerDown,
        wit::LinkStatus::Unknown => core::LinkStatus::Unknown,
    }
}

fn entity(e: wit::EntityRef) -> core::EntityRef {
    use core::EntityKind as E;
    let kind = match e.kind {
        wit::EntityKind::Pop => E::Pop,
        wit::EntityKind::Concentrator => E::Concentrator,
        wit::EntityKind::Olt => E::Olt,
        wit::EntityKind::PonPort => E::PonPort,
        wit::EntityKind::Splitter => E::Splitter,
        wit::EntityKind::Onu => E::Onu,
        wit::EntityKind::Tower => E::Tower,
        wit::EntityKind::AccessPoint => E::AccessPoint,
        wit::EntityKind::SubscriberModule => E::SubscriberModule,
        wit::EntityKind::Switch => E::Switch,
        wit::EntityKind::Router => E::Router,
        wit::EntityKind::BackhaulLink => E::BackhaulLink,
        wit::EntityKind::Subscriber => E::Subscriber,
        wit::EntityKind::Customer => E::Customer,
        wit::EntityKind::CrmGroup => E::CrmGroup,
        wit::EntityKind::Other(s) => E::Other(s),
    };
    core::EntityRef { kind, id: e.id }
}

#[cfg(test)]
mod tests;
