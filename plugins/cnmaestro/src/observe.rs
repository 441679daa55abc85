//! From one cnMaestro's lists to observations.

use std::collections::HashMap;

use vigia_plugin_sdk::{
    Alarm as AlarmObs, EdgeKind, EntityKind, EntityRef, Host, Metric, Observation, ObservationKind,
    PluginError, RadioLink, RadioStatus, Severity, Target, TopologyEdge,
};

use crate::client::{Client, encode};
use crate::config::Config;
use crate::model::{
    ALARM_FIELDS, Alarm, DEVICE_FIELDS, Device, Radio, STATISTICS_FIELDS, Statistics,
};

/// Label naming the entity a metric is about (the aggregator's convention).
const ENTITY_LABEL: &str = "vigia.entity";

pub(crate) fn cnmaestro<H: Host>(
    client: &mut Client<'_, H>,
    config: &Config,
    target: &Target,
) -> Result<Vec<Observation>, PluginError> {
    let devices: Vec<Device> = client.list("/devices", &query(config, DEVICE_FIELDS))?;
    let statistics: Vec<Statistics> =
        client.list("/devices/statistics", &query(config, STATISTICS_FIELDS))?;
    let alarms: Vec<Alarm> = if config.alarms {
        client.list("/alarms", &query(config, ALARM_FIELDS))?
    } else {
        Vec::new()
    };
    Ok(observations(target, config, &devices, &statistics, &alarms))
}

/// The query of a list besides paging: the projection and the filters.
pub(crate) fn query(config: &Config, fields: &str) -> String {
    let mut parts = Vec::new();
    if config.project_fields {
        parts.push(format!("fields={fields}"));
    }
    if let Some(network) = config.network.as_deref().filter(|n| !n.trim().is_empty()) {
        parts.push(format!("network={}", encode(network.trim())));
    }
    if let Some(tower) = config.tower.as_deref().filter(|t| !t.trim().is_empty()) {
        parts.push(format!("tower={}", encode(tower.trim())));
    }
    parts.join("&")
}

/// MACs compare in lower-case colon form.
fn mac_key(mac: &str) -> String {
    mac.trim().to_ascii_lowercase().replace('-', ":")
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Families whose APs and SMs this plugin understands.
fn radio_family(device: &Device) -> bool {
    device
        .family
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("pmp") || f.eq_ignore_ascii_case("epmp"))
}

fn mode(device: &Device) -> Option<&str> {
    device.mode.as_deref().map(str::trim)
}

/// `online`/`offline` from the statistics, else the inventory (`status`, then `online`).
fn radio_status(device: &Device, stats: Option<&Statistics>) -> RadioStatus {
    let text = stats
        .and_then(|s| s.status.as_deref())
        .or(device.status.as_deref())
        .map(|s| s.trim().to_ascii_lowercase());
    match (text.as_deref(), device.online) {
        (Some("online"), _) => RadioStatus::Connected,
        (Some("offline"), _) => RadioStatus::Disconnected,
        (None, Some(true)) => RadioStatus::Connected,
        (None, Some(false)) => RadioStatus::Disconnected,
        _ => RadioStatus::Unknown,
    }
}

/// Downlink SNR: ePMP's `dl_snr`, else the worse of PMP's two polarisations.
fn snr(radio: &Radio) -> Option<f64> {
    radio.dl_snr.or(match (radio.dl_snr_v, radio.dl_snr_h) {
        (Some(v), Some(h)) => Some(v.min(h)),
        (one, other) => one.or(other),
    })
}

/// PMP's `dl_modulation` ("8X MIMO-B"), else ePMP's MCS index ("MCS15").
fn modulation(radio: &Radio) -> Option<String> {
    non_empty(radio.dl_modulation.as_deref())
        .map(str::to_owned)
        .or_else(|| radio.dl_mcs.map(|mcs| format!("MCS{mcs}")))
}

fn severity(text: Option<&str>) -> Severity {
    match text.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("critical") => Severity::Critical,
        Some("major") => Severity::Major,
        Some("minor") => Severity::Minor,
        Some("info") => Severity::Info,
        _ => Severity::Warning,
    }
}

fn entity(kind: EntityKind, id: &str) -> EntityRef {
    EntityRef {
        kind,
        id: id.trim().to_owned(),
    }
}

fn observations(
    target: &Target,
    config: &Config,
    devices: &[Device],
    statistics: &[Statistics],
    alarms: &[Alarm],
) -> Vec<Observation> {
    let stats: HashMap<String, &Statistics> =
        statistics.iter().map(|s| (mac_key(&s.mac), s)).collect();
    let mut out = Vec::with_capacity(devices.len() + alarms.len() + 1);
    let mut read = 0usize;
    for device in devices.iter().filter(|d| radio_family(d)) {
        read += 1;
        let stat = stats.get(&mac_key(&device.mac)).copied();
        let tower = non_empty(device.tower.as_deref())
            .or_else(|| stat.and_then(|s| non_empty(s.tower.as_deref())));
        match mode(device) {
            Some("sm") => sm(&mut out, target, config, device, stat, tower),
            Some("ap") => ap(&mut out, target, device, stat, tower),
            _ => {}
        }
    }
    let by_mac: HashMap<String, &Device> = devices.iter().map(|d| (mac_key(&d.mac), d)).collect();
    for alarm in alarms {
        out.push(alarm_observation(target, alarm, &by_mac, devices));
    }
    out.push(Observation::metric(
        target,
        Metric::gauge("cnmaestro_radio_devices", read as f64, "1"),
    ));
    out
}

fn sm(
    out: &mut Vec<Observation>,
    target: &Target,
    config: &Config,
    device: &Device,
    stat: Option<&Statistics>,
    tower: Option<&str>,
) {
    let status = radio_status(device, stat);
    // An offline SM's last readings are history, not readings.
    let radio = stat
        .and_then(|s| s.radio.clone())
        .filter(|_| status == RadioStatus::Connected)
        .unwrap_or_default();
    let ap_mac = non_empty(device.ap_mac.as_deref())
        .or_else(|| stat.and_then(|s| non_empty(s.ap_mac.as_deref())));
    let link = RadioLink {
        sm_mac: device.mac.trim().to_owned(),
        ap_mac: ap_mac.map(str::to_owned),
        tower: tower.map(str::to_owned),
        status,
        rssi_dbm: radio.dl_rssi,
        snr_db: snr(&radio),
        modulation: modulation(&radio),
        rate_bps: None,
    };
    let mut obs = Observation::new(target, ObservationKind::RadioLink(link));
    let labels = [
        ("name", non_empty(device.name.as_deref()).map(str::to_owned)),
        ("family", device.family.clone()),
        (
            "network",
            non_empty(device.network.as_deref()).map(str::to_owned),
        ),
        ("ip", non_empty(device.ip.as_deref()).map(str::to_owned)),
        (
            "product",
            non_empty(device.product.as_deref()).map(str::to_owned),
        ),
        (
            "software_version",
            non_empty(device.software_version.as_deref()).map(str::to_owned),
        ),
        ("ul_rssi_dbm", radio.ul_rssi.map(|v| v.to_string())),
        ("ul_snr_db", radio.ul_snr.map(|v| v.to_string())),
        ("ul_modulation", radio.ul_modulation.clone()),
        (
            "distance",
            stat.and_then(|s| s.distance).map(|v| v.to_string()),
        ),
    ];
    for (key, value) in labels {
        if let Some(value) = value {
            obs = obs.with_label(key, value);
        }
    }
    out.push(obs);
    if config.link_subscribers
        && let Some(login) = non_empty(device.name.as_deref())
    {
        let edge = TopologyEdge {
            child: entity(EntityKind::Subscriber, login),
            parent: entity(EntityKind::SubscriberModule, &device.mac),
            kind: EdgeKind::Logical,
        };
        out.push(Observation::new(
            target,
            ObservationKind::TopologyEdge(edge),
        ));
    }
}

fn ap(
    out: &mut Vec<Observation>,
    target: &Target,
    device: &Device,
    stat: Option<&Statistics>,
    tower: Option<&str>,
) {
    let name = non_empty(device.name.as_deref());
    if let Some(tower) = tower {
        let edge = TopologyEdge {
            child: entity(EntityKind::AccessPoint, &device.mac),
            parent: entity(EntityKind::Tower, tower),
            kind: EdgeKind::Ethernet,
        };
        let mut obs = Observation::new(target, ObservationKind::TopologyEdge(edge));
        if let Some(name) = name {
            obs = obs.with_label("name", name);
        }
        out.push(obs);
    }
    if let Some(connected) = stat.and_then(|s| s.connected_sms) {
        let mut metric = Metric::gauge("connected_sms", connected, "1");
        if let Some(name) = name {
            metric = metric.with_label("ap", name);
        }
        if let Some(tower) = tower {
            metric = metric.with_label("tower", tower);
        }
        out.push(
            Observation::metric(target, metric)
                .with_label(ENTITY_LABEL, format!("access_point:{}", device.mac.trim())),
        );
    }
}

/// The device an alarm is about: by MAC, else by name; its kind from the inventory's mode.
fn alarm_source(alarm: &Alarm, by_mac: &HashMap<String, &Device>, devices: &[Device]) -> EntityRef {
    let device = non_empty(alarm.mac.as_deref())
        .and_then(|mac| by_mac.get(&mac_key(mac)).copied())
        .or_else(|| {
            let source = non_empty(alarm.source.as_deref())?;
            devices
                .iter()
                .find(|d| non_empty(d.name.as_deref()) == Some(source))
        });
    match device {
        Some(d) if mode(d) == Some("sm") => entity(EntityKind::SubscriberModule, &d.mac),
        Some(d) if mode(d) == Some("ap") => entity(EntityKind::AccessPoint, &d.mac),
        Some(d) => entity(EntityKind::Other("cnmaestro_device".into()), &d.mac),
        None => {
            let id = non_empty(alarm.mac.as_deref())
                .or(non_empty(alarm.source.as_deref()))
                .unwrap_or("unknown");
            entity(EntityKind::Other("cnmaestro_device".into()), id)
        }
    }
}

fn alarm_observation(
    target: &Target,
    alarm: &Alarm,
    by_mac: &HashMap<String, &Device>,
    devices: &[Device],
) -> Observation {
    let code = non_empty(alarm.code.as_deref())
        .or(non_empty(alarm.name.as_deref()))
        .unwrap_or("UNKNOWN");
    let text = non_empty(alarm.message.as_deref())
        .or(non_empty(alarm.name.as_deref()))
        .unwrap_or(code);
    let record = AlarmObs {
        source: alarm_source(alarm, by_mac, devices),
        severity: severity(alarm.severity.as_deref()),
        code: code.to_owned(),
        text: text.to_owned(),
        raised_ms: alarm.time_raised.as_deref().and_then(crate::time::unix_ms),
        cleared_ms: None,
    };
    let mut obs = Observation::new(target, ObservationKind::Alarm(record));
    let labels = [
        ("alarm_id", alarm.id.as_deref()),
        ("status", alarm.status.as_deref()),
        ("source", alarm.source.as_deref()),
        ("source_type", alarm.source_type.as_deref()),
        ("tower", alarm.tower.as_deref()),
        ("network", alarm.network.as_deref()),
    ];
    for (key, value) in labels {
        if let Some(value) = non_empty(value) {
            obs = obs.with_label(key, value);
        }
    }
    obs
}
