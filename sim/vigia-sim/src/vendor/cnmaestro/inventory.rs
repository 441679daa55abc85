//! The world's radio side as cnMaestro records: devices (inventory), their statistics, and the
//! alarms of offline devices, field names and types as in the vendor's OpenAPI 6.1.0 schemas.

use std::net::Ipv4Addr;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::control::rfc3339;
use crate::world::{SmInfo, Tower, World};

/// An AP or an SM as cnMaestro manages it.
#[derive(Debug, Clone)]
pub(super) struct Device<'w> {
    /// `pmp` or `epmp`.
    pub family: &'w str,
    pub name: &'w str,
    pub mac: &'w str,
    pub ip: Ipv4Addr,
    pub tower: &'w Tower,
    pub online: bool,
    /// When `online` last changed.
    pub since: OffsetDateTime,
    /// Index of the AP (itself, for an AP) in [`World::aps`].
    pub ap: usize,
    /// The radio of an SM; `None` for an AP.
    pub sm: Option<&'w SmInfo>,
}

impl Device<'_> {
    pub(super) fn mode(&self) -> &'static str {
        if self.sm.is_some() { "sm" } else { "ap" }
    }
}

/// Every device: per tower, each AP followed by its SMs.
pub(super) fn devices(w: &World) -> Vec<Device<'_>> {
    let mut by_ap: Vec<Vec<usize>> = vec![Vec::new(); w.aps.len()];
    for (i, sub) in w.subscribers.iter().enumerate() {
        if let Some(sm) = sub.sm()
            && let Some(list) = by_ap.get_mut(sm.ap)
        {
            list.push(i);
        }
    }
    let mut out = Vec::new();
    for tower in &w.towers {
        for &a in &tower.aps {
            let ap = &w.aps[a];
            out.push(Device {
                family: &ap.family,
                name: &ap.name,
                mac: &ap.mac,
                ip: ap.ip,
                tower,
                online: ap.online,
                since: ap.status_since,
                ap: a,
                sm: None,
            });
            for &s in &by_ap[a] {
                let sub = &w.subscribers[s];
                let Some(sm) = sub.sm() else { continue };
                out.push(Device {
                    family: &ap.family,
                    name: &sub.login,
                    mac: &sm.mac,
                    ip: sm.ip,
                    tower,
                    online: sub.live.access_up,
                    since: sub.live.status_since,
                    ap: a,
                    sm: Some(sm),
                });
            }
        }
    }
    out
}

/// FNV-1a: stable small variations per device (serials, SNR imbalance).
fn mix(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn pmp(d: &Device<'_>) -> bool {
    d.family == "pmp"
}

fn product(d: &Device<'_>) -> (&'static str, &'static str, &'static str) {
    // (product, hardware_version, software_version)
    match (pmp(d), d.sm.is_some()) {
        (true, false) => ("PMP 450m", "PMP 450m AP", "CANOPY 20.3.1 AP"),
        (true, true) => ("PMP 450", "PMP 450 SM", "CANOPY 20.3.1 SM"),
        (false, false) => ("ePMP 3000", "ePMP 3000 AP", "4.7.1"),
        (false, true) => ("Force 300-25", "Force 300-25", "4.7.1"),
    }
}

fn status_time(d: &Device<'_>, now: OffsetDateTime) -> i64 {
    (now - d.since).whole_seconds().max(0)
}

fn status(d: &Device<'_>) -> &'static str {
    if d.online { "online" } else { "offline" }
}

/// `GET /devices` item (`basic.yaml#devices`, branches `pmp-ap`/`pmp-sm`/`epmp-ap`/`epmp-sm`).
/// `status` is not in the 6.1 schema (which has `online`) but cnMaestro sends it and older
/// clients read it.
pub(super) fn basic(w: &World, d: &Device<'_>, now: OffsetDateTime) -> Value {
    let (product, hardware, software) = product(d);
    let h = mix(d.mac);
    let registered = now - time::Duration::days(200 + (h % 600) as i64);
    let mut item = json!({
        "type": d.family,
        "mode": d.mode(),
        "name": d.name,
        "mac": d.mac,
        "ip": d.ip.to_string(),
        "network": d.tower.network,
        "tower": d.tower.name,
        "country": "Brazil",
        "product": product,
        "msn": format!("M{:011}", h % 100_000_000_000),
        "software_version": software,
        "inactive_software_version": software,
        "hardware_version": hardware,
        "last_reboot_reason": "Power On Reset",
        "registration_date": rfc3339(w.local(registered)),
        "online": d.online,
        "status": status(d),
        "status_time": status_time(d, now),
        "config": {"version": "12"},
    });
    if d.sm.is_some()
        && let Value::Object(map) = &mut item
    {
        map.insert("ap_mac".into(), json!(w.aps[d.ap].mac));
    }
    item
}

/// Downlink modulation of a PMP 450 link at this SNR.
fn pmp_modulation(snr: f64) -> &'static str {
    match snr {
        s if s >= 32.0 => "8X MIMO-B",
        s if s >= 27.0 => "6X MIMO-B",
        s if s >= 22.0 => "4X MIMO-B",
        s if s >= 15.0 => "2X MIMO-B",
        _ => "1X MIMO-A",
    }
}

/// ePMP MCS (2x2, 8..=15) at this SNR.
fn epmp_mcs(snr: f64) -> u32 {
    match snr {
        s if s >= 33.0 => 15,
        s if s >= 30.0 => 14,
        s if s >= 27.0 => 13,
        s if s >= 24.0 => 12,
        s if s >= 20.0 => 11,
        s if s >= 17.0 => 10,
        s if s >= 13.0 => 9,
        _ => 8,
    }
}

/// The RF settings of the device's AP sector.
fn sector(w: &World, d: &Device<'_>) -> (u32, &'static str) {
    let h = mix(&w.aps[d.ap].mac);
    let frequency = 5_480 + 20 * (h % 12) as u32;
    let width = if pmp(d) { "20 MHz" } else { "40 MHz" };
    (frequency, width)
}

/// `GET /devices/statistics` item (`stats.yaml#devices`).
pub(super) fn statistics(
    w: &World,
    d: &Device<'_>,
    all: &[Device<'_>],
    now: OffsetDateTime,
) -> Value {
    let (frequency, width) = sector(w, d);
    let last_sync = if d.online { now } else { d.since };
    let mut item = Map::new();
    let mut put = |k: &str, v: Value| {
        item.insert(k.to_owned(), v);
    };
    put("type", json!(d.family));
    put("mode", json!(d.mode()));
    put("name", json!(d.name));
    put("mac", json!(d.mac));
    put("ip", json!(d.ip.to_string()));
    put("network", json!(d.tower.network));
    put("tower", json!(d.tower.name));
    put("status", json!(status(d)));
    put("status_time", json!(status_time(d, now)));
    put("last_sync", json!(rfc3339(w.local(last_sync))));
    put("config_version", json!("12"));
    put("netmask", json!("255.255.255.0"));
    put("vlan", json!(1));
    put(
        "lan_status",
        json!(if d.online {
            "100Base-TX Full Duplex"
        } else {
            ""
        }),
    );
    let mut radio = Map::new();
    radio.insert("channel_width".into(), json!(width));
    radio.insert("frequency".into(), json!(frequency));
    match (d.sm, pmp(d)) {
        (Some(sm), true) => {
            put("ap_mac", json!(w.aps[d.ap].mac));
            put("distance", json!(sm.distance_m));
            put("gain", json!(17.0));
            put("temperature", json!(31 + (mix(d.mac) % 12) as i64));
            put("cpu", json!(8.0));
            if d.online {
                let imbalance = 0.5 + (mix(d.mac) % 20) as f64 / 10.0;
                let snr_v = sm.base_snr_db;
                let snr_h = round1(sm.base_snr_db - imbalance);
                let ul_snr = round1(sm.base_snr_db - 1.5);
                for (k, v) in [
                    ("auth_type", json!(0)),
                    ("dfs_status", json!("Not Applicable")),
                    ("dl_modulation", json!(pmp_modulation(snr_v.min(snr_h)))),
                    ("ul_modulation", json!(pmp_modulation(ul_snr))),
                    ("tdd_ratio", json!("75/25")),
                    ("dl_rssi", json!(sm.base_rssi_dbm)),
                    ("ul_rssi", json!(round1(sm.base_rssi_dbm - 2.0))),
                    ("dl_rssi_imbalance", json!(imbalance)),
                    ("dl_snr_v", json!(snr_v)),
                    ("dl_snr_h", json!(snr_h)),
                    ("ul_snr_v", json!(ul_snr)),
                    ("ul_snr_h", json!(round1(ul_snr - imbalance))),
                    ("dl_lqi", json!(100)),
                    ("ul_lqi", json!(100)),
                    ("dl_pkts_loss", json!(0.0)),
                    ("ul_pkts_loss", json!(0.0)),
                    ("sessions_dropped", json!(0)),
                    ("color_code", json!(1)),
                    ("frame_period", json!(2.5)),
                    ("sync_source", json!("GPS")),
                    ("sync_state", json!("Synchronized")),
                    ("tx_power", json!(10.0)),
                    ("dl_pkts", json!(mix(d.mac) % 10_000_000)),
                    ("ul_pkts", json!(mix(d.name) % 5_000_000)),
                ] {
                    radio.insert(k.into(), v);
                }
            } else {
                for k in ["dl_rssi", "ul_rssi", "dl_modulation", "ul_modulation"] {
                    radio.insert(k.into(), Value::Null);
                }
            }
        }
        (Some(sm), false) => {
            put("ap_mac", json!(w.aps[d.ap].mac));
            put("distance", json!(sm.distance_m));
            put("gain", json!(25.0));
            put("reboots", json!(mix(d.mac) % 5));
            radio.insert("mode".into(), json!("sm"));
            radio.insert("ssid".into(), json!(w.aps[d.ap].name));
            radio.insert("mac".into(), json!(d.mac));
            if d.online {
                let snr = sm.base_snr_db;
                let ul_snr = round1(snr - 1.5);
                for (k, v) in [
                    ("auth_type", json!("WPA2")),
                    ("dfs_status", json!("Not Applicable")),
                    ("wlan_status", json!("Connected")),
                    ("dl_mcs", json!(epmp_mcs(snr))),
                    ("ul_mcs", json!(epmp_mcs(ul_snr))),
                    ("dl_rssi", json!(sm.base_rssi_dbm)),
                    ("ul_rssi", json!(round1(sm.base_rssi_dbm - 2.0))),
                    ("dl_snr", json!(snr)),
                    ("ul_snr", json!(ul_snr)),
                    ("tx_power", json!(12.0)),
                    ("sessions_dropped", json!(0)),
                    ("dl_retransmits_pct", json!(1.0)),
                    ("ul_retransmits_pct", json!(1.5)),
                ] {
                    radio.insert(k.into(), v);
                }
            } else {
                radio.insert("wlan_status".into(), json!("Disconnected"));
                radio.insert("ul_snr".into(), Value::Null);
            }
        }
        (None, is_pmp) => {
            let connected = all
                .iter()
                .filter(|o| o.sm.is_some() && o.ap == d.ap && o.online)
                .count();
            put("connected_sms", json!(if d.online { connected } else { 0 }));
            put("gain", json!(if is_pmp { 16.0 } else { 19.0 }));
            if is_pmp {
                put("temperature", json!(36));
                put("cpu", json!(22.0));
                radio.insert("color_code".into(), json!(1));
                radio.insert("tx_power".into(), json!(22.0));
                radio.insert("sync_source".into(), json!("GPS"));
            } else {
                radio.insert("mode".into(), json!("ap"));
                radio.insert("ssid".into(), json!(d.name));
                radio.insert("mac".into(), json!(d.mac));
                radio.insert("tx_power".into(), json!(24.0));
                radio.insert(
                    "wlan_status".into(),
                    json!(if d.online { "Up" } else { "Down" }),
                );
            }
        }
    }
    item.insert("radio".into(), Value::Object(radio));
    Value::Object(item)
}

/// `GET /alarms` item (`notification.yaml#alarms`) of an offline device.
pub(super) fn alarm(w: &World, d: &Device<'_>, now: OffsetDateTime) -> Value {
    let raised = d.since;
    let id = format!(
        "{:016x}{:08x}",
        mix(d.mac),
        (raised.unix_timestamp() as u64) & 0xffff_ffff
    );
    let duration_ms = (now - raised).whole_milliseconds().max(0) as i64;
    json!({
        "id": id,
        "code": "STATUS",
        "name": "Status",
        "message": "Device is offline.",
        "severity": "major",
        "source_type": d.family,
        "source": d.name,
        "status": "active",
        "time_raised": rfc3339(w.local(raised)),
        "duration": duration_ms,
        "ip": d.ip.to_string(),
        "mac": d.mac,
        "network": d.tower.network,
        "tower": d.tower.name,
    })
}
