//! MikroTik (MIKROTIK-MIB, enterprise 14988): the wireless registration table of an AP, the
//! station table of a client, and SFP optics.

use vigia_plugin_sdk::{Host, HostError, Observation, ObservationKind, RadioLink, RadioStatus};

use crate::interfaces::Interfaces;
use crate::observe::Subject;
use crate::table::{Reader, mac_from_index, scaled};

/// mtxrWlRtabEntry: indexed by station MAC (6 components) + ifIndex.
pub(crate) const RTAB_ENTRY: &str = "1.3.6.1.4.1.14988.1.1.1.2.1";
const RTAB_STRENGTH: u32 = 3; // dBm
const RTAB_TX_RATE: u32 = 8; // bit/s
const RTAB_RX_RATE: u32 = 9; // bit/s
const RTAB_SNR: u32 = 12; // dB

/// mtxrWlStatEntry (station mode): indexed by ifIndex.
pub(crate) const STAT_ENTRY: &str = "1.3.6.1.4.1.14988.1.1.1.1.1";
const STAT_TX_RATE: u32 = 2;
const STAT_RX_RATE: u32 = 3;
const STAT_STRENGTH: u32 = 4;
const STAT_SSID: u32 = 5;
const STAT_BSSID: u32 = 6;
const STAT_FREQUENCY: u32 = 7; // MHz

/// mtxrOpticalEntry: indexed by ifIndex.
pub(crate) const OPTICAL_ENTRY: &str = "1.3.6.1.4.1.14988.1.1.19.1.1";
const OPT_NAME: u32 = 2;
const OPT_RX_LOSS: u32 = 3;
const OPT_TEMPERATURE: u32 = 6; // °C
const OPT_SUPPLY_VOLTAGE: u32 = 7; // mV
const OPT_TX_BIAS: u32 = 8; // mA
const OPT_TX_POWER: u32 = 9; // 0.001 dBm
const OPT_RX_POWER: u32 = 10; // 0.001 dBm

pub(super) fn read(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
    interfaces: &Interfaces,
) -> Result<Vec<Observation>, HostError> {
    let mut out = Vec::new();
    registrations(reader, subject, interfaces, &mut out)?;
    stations(reader, subject, interfaces, &mut out)?;
    optics(reader, subject, interfaces, &mut out)?;
    Ok(out)
}

fn interface_name(interfaces: &Interfaces, if_index: u32) -> String {
    interfaces
        .names
        .get(&if_index)
        .cloned()
        .unwrap_or_else(|| format!("if{if_index}"))
}

/// Each registered station of an AP: a connected radio link (the AP is the interface's MAC).
fn registrations(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
    interfaces: &Interfaces,
    out: &mut Vec<Observation>,
) -> Result<(), HostError> {
    let table = reader.table(
        RTAB_ENTRY,
        &[RTAB_STRENGTH, RTAB_TX_RATE, RTAB_RX_RATE, RTAB_SNR],
    )?;
    for (index, row) in table.rows() {
        let [mac @ .., if_index] = index.as_slice() else {
            continue;
        };
        let Some(sm_mac) = mac_from_index(mac) else {
            continue;
        };
        let link = RadioLink {
            sm_mac,
            ap_mac: interfaces.macs.get(if_index).cloned(),
            tower: None,
            status: RadioStatus::Connected,
            rssi_dbm: row.signed(RTAB_STRENGTH).map(|v| v as f64),
            snr_db: row.signed(RTAB_SNR).map(|v| v as f64),
            modulation: None,
            rate_bps: row.unsigned(RTAB_TX_RATE),
        };
        out.push(
            subject
                .observation(ObservationKind::RadioLink(link))
                .with_label("interface", interface_name(interfaces, *if_index)),
        );
    }
    Ok(())
}

/// A client's association: metrics per wireless interface, and a radio link when the client's
/// own MAC (its ifPhysAddress) is known.
fn stations(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
    interfaces: &Interfaces,
    out: &mut Vec<Observation>,
) -> Result<(), HostError> {
    let table = reader.table(
        STAT_ENTRY,
        &[
            STAT_TX_RATE,
            STAT_RX_RATE,
            STAT_STRENGTH,
            STAT_SSID,
            STAT_BSSID,
            STAT_FREQUENCY,
        ],
    )?;
    for (index, row) in table.rows() {
        let [if_index] = index.as_slice() else {
            continue;
        };
        let name = interface_name(interfaces, *if_index);
        let bssid = row.mac(STAT_BSSID).filter(|mac| mac != "00:00:00:00:00:00");
        let strength = row.signed(STAT_STRENGTH).filter(|&dbm| dbm != 0);
        let ssid = row.text(STAT_SSID).unwrap_or_default();
        let labels = [
            ("interface", name.as_str()),
            ("bssid", bssid.as_deref().unwrap_or("")),
            ("ssid", ssid.as_str()),
        ];
        if let Some(dbm) = strength {
            out.push(subject.gauge("wireless_signal_dbm", dbm as f64, "dBm", &labels));
        }
        for (name, column) in [
            ("wireless_tx_rate_bps", STAT_TX_RATE),
            ("wireless_rx_rate_bps", STAT_RX_RATE),
        ] {
            if let Some(rate) = row.unsigned(column) {
                out.push(subject.gauge(name, rate as f64, "bit/s", &labels));
            }
        }
        if let Some(mhz) = row.unsigned(STAT_FREQUENCY) {
            out.push(subject.gauge("wireless_frequency_mhz", mhz as f64, "MHz", &labels));
        }
        if let Some(own_mac) = interfaces.macs.get(if_index) {
            let link = RadioLink {
                sm_mac: own_mac.clone(),
                ap_mac: bssid.clone(),
                tower: None,
                status: if bssid.is_some() {
                    RadioStatus::Connected
                } else {
                    RadioStatus::Disconnected
                },
                rssi_dbm: strength.map(|v| v as f64),
                snr_db: None,
                modulation: None,
                rate_bps: row.unsigned(STAT_TX_RATE),
            };
            out.push(
                subject
                    .observation(ObservationKind::RadioLink(link))
                    .with_label("interface", name),
            );
        }
    }
    Ok(())
}

/// SFP DDM per port. An empty cage reads all zeros: it gives `sfp_module_present` 0 only.
fn optics(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
    interfaces: &Interfaces,
    out: &mut Vec<Observation>,
) -> Result<(), HostError> {
    let table = reader.table(
        OPTICAL_ENTRY,
        &[
            OPT_NAME,
            OPT_RX_LOSS,
            OPT_TEMPERATURE,
            OPT_SUPPLY_VOLTAGE,
            OPT_TX_BIAS,
            OPT_TX_POWER,
            OPT_RX_POWER,
        ],
    )?;
    for (index, row) in table.rows() {
        let [if_index] = index.as_slice() else {
            continue;
        };
        let port = row
            .text(OPT_NAME)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| interface_name(interfaces, *if_index));
        let labels = [("port", port.as_str())];
        let readings = [
            OPT_TEMPERATURE,
            OPT_SUPPLY_VOLTAGE,
            OPT_TX_POWER,
            OPT_RX_POWER,
        ]
        .map(|column| row.signed(column));
        let present = readings
            .iter()
            .any(|reading| reading.is_some_and(|v| v != 0));
        out.push(subject.gauge(
            "sfp_module_present",
            if present { 1.0 } else { 0.0 },
            "1",
            &labels,
        ));
        if !present {
            continue;
        }
        let [temperature, voltage, tx_power, rx_power] = readings;
        let mut push = |name: &str, value: Option<f64>, unit: &str| {
            if let Some(value) = value {
                out.push(subject.gauge(name, value, unit, &labels));
            }
        };
        push(
            "sfp_rx_power_dbm",
            rx_power.map(|v| scaled(v, 1000.0)),
            "dBm",
        );
        push(
            "sfp_tx_power_dbm",
            tx_power.map(|v| scaled(v, 1000.0)),
            "dBm",
        );
        push(
            "sfp_temperature_celsius",
            temperature.map(|v| v as f64),
            "Cel",
        );
        push(
            "sfp_supply_voltage_volts",
            voltage.map(|v| scaled(v, 1000.0)),
            "V",
        );
        push(
            "sfp_tx_bias_milliamps",
            row.signed(OPT_TX_BIAS).map(|v| v as f64),
            "mA",
        );
        push(
            "sfp_rx_loss",
            row.integer(OPT_RX_LOSS)
                .map(|v| if v != 0 { 1.0 } else { 0.0 }),
            "1",
        );
    }
    Ok(())
}
