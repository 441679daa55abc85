//! Cambium ePMP (CAMBIUM-PMP80211-MIB, 17713.21) and PMP 450/Canopy (WHISP-APS-MIB, 161.19.3).

use vigia_plugin_sdk::{Host, HostError, Observation, ObservationKind, RadioLink, RadioStatus};

use crate::observe::Subject;
use crate::table::{self, Reader};

// === ePMP ===

pub(crate) const EPMP_FREQUENCY: &str = "1.3.6.1.4.1.17713.21.1.2.1.0"; // MHz
pub(crate) const EPMP_DL_RSSI: &str = "1.3.6.1.4.1.17713.21.1.2.3.0"; // dBm (SM side)
pub(crate) const EPMP_STATIONS: &str = "1.3.6.1.4.1.17713.21.1.2.10.0";
pub(crate) const EPMP_DL_SNR: &str = "1.3.6.1.4.1.17713.21.1.2.18.0"; // dB (SM side)
/// cambiumAPConnectedSTAEntry, one row per connected SM.
pub(crate) const EPMP_STA_ENTRY: &str = "1.3.6.1.4.1.17713.21.1.2.30.1";
const STA_MAC: u32 = 1;
const STA_UL_RSSI: u32 = 4;
const STA_DL_RSSI: u32 = 5;
const STA_UL_SNR: u32 = 6;
const STA_DL_SNR: u32 = 7;
const STA_DL_MCS: u32 = 9;

pub(super) fn read_epmp(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
) -> Result<Vec<Observation>, HostError> {
    let scalars = reader.get(&[EPMP_FREQUENCY, EPMP_DL_RSSI, EPMP_STATIONS, EPMP_DL_SNR])?;
    let mut out = Vec::new();
    for (oid, name, unit) in [
        (EPMP_FREQUENCY, "radio_frequency_mhz", "MHz"),
        (EPMP_DL_RSSI, "radio_rssi_dbm", "dBm"),
        (EPMP_DL_SNR, "radio_snr_db", "dB"),
        (EPMP_STATIONS, "radio_connected_stations", "1"),
    ] {
        if let Some(value) = scalars.get(oid).and_then(table::number) {
            out.push(subject.gauge(name, value, unit, &[]));
        }
    }
    let stations = reader.table(
        EPMP_STA_ENTRY,
        &[
            STA_MAC,
            STA_UL_RSSI,
            STA_DL_RSSI,
            STA_UL_SNR,
            STA_DL_SNR,
            STA_DL_MCS,
        ],
    )?;
    for (_, row) in stations.rows() {
        let Some(sm_mac) = row.mac(STA_MAC) else {
            continue;
        };
        let link = RadioLink {
            sm_mac,
            ap_mac: None,
            tower: None,
            status: RadioStatus::Connected,
            rssi_dbm: row.number(STA_DL_RSSI),
            snr_db: row.number(STA_DL_SNR),
            modulation: row.signed(STA_DL_MCS).map(|mcs| format!("MCS{mcs}")),
            rate_bps: None,
        };
        let mut observation = subject.observation(ObservationKind::RadioLink(link));
        if let Some(rssi) = row.number(STA_UL_RSSI) {
            observation = observation.with_label("ul_rssi_dbm", rssi.to_string());
        }
        if let Some(snr) = row.number(STA_UL_SNR) {
            observation = observation.with_label("ul_snr_db", snr.to_string());
        }
        out.push(observation);
    }
    Ok(out)
}

// === PMP 450 / Canopy ===

pub(crate) const PMP_REG_COUNT: &str = "1.3.6.1.4.1.161.19.3.1.7.1.0";
/// currentRadioFreqCarrier: kHz on OFDM radios (PMP 450 family).
pub(crate) const PMP_FREQUENCY: &str = "1.3.6.1.4.1.161.19.3.1.7.37.0";
/// frUtlLowTotalDownlinkUtilization / Uplink: last minute, percent.
pub(crate) const PMP_DL_UTIL: &str = "1.3.6.1.4.1.161.19.3.1.12.1.1.0";
pub(crate) const PMP_UL_UTIL: &str = "1.3.6.1.4.1.161.19.3.1.12.1.2.0";
/// The AP's link table, one row per registered SM (by LUID).
pub(crate) const PMP_LINK_ENTRY: &str = "1.3.6.1.4.1.161.19.3.1.4.1";
const LINK_PHYS_ADDRESS: u32 = 3;
const LINK_SNR_V: u32 = 74; // dB
const LINK_SNR_H: u32 = 84; // dB
const LINK_DBM_H: u32 = 87; // dBm (text)
const LINK_DBM_V: u32 = 88; // dBm (text)

pub(super) fn read_pmp(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
) -> Result<Vec<Observation>, HostError> {
    let scalars = reader.get(&[PMP_REG_COUNT, PMP_FREQUENCY, PMP_DL_UTIL, PMP_UL_UTIL])?;
    let mut out = Vec::new();
    let number = |oid: &str| scalars.get(oid).and_then(table::number);
    if let Some(count) = number(PMP_REG_COUNT) {
        out.push(subject.gauge("radio_connected_stations", count, "1", &[]));
    }
    if let Some(khz) = number(PMP_FREQUENCY).filter(|&khz| khz > 0.0) {
        out.push(subject.gauge("radio_frequency_mhz", khz / 1000.0, "MHz", &[]));
    }
    for (oid, direction) in [(PMP_DL_UTIL, "downlink"), (PMP_UL_UTIL, "uplink")] {
        if let Some(percent) = number(oid) {
            let labels = [("direction", direction)];
            out.push(subject.gauge("radio_utilization_ratio", percent / 100.0, "1", &labels));
        }
    }
    let links = reader.table(
        PMP_LINK_ENTRY,
        &[
            LINK_PHYS_ADDRESS,
            LINK_SNR_V,
            LINK_SNR_H,
            LINK_DBM_H,
            LINK_DBM_V,
        ],
    )?;
    for (index, row) in links.rows() {
        let luid = index
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".");
        let polarised = [
            ("horizontal", row.number(LINK_DBM_H), row.number(LINK_SNR_H)),
            ("vertical", row.number(LINK_DBM_V), row.number(LINK_SNR_V)),
        ];
        for (polarization, dbm, snr) in polarised {
            let labels = [("luid", luid.as_str()), ("polarization", polarization)];
            if let Some(dbm) = dbm {
                out.push(subject.gauge("radio_rssi_dbm", dbm, "dBm", &labels));
            }
            if let Some(snr) = snr {
                out.push(subject.gauge("radio_snr_db", snr, "dB", &labels));
            }
        }
        // A radio link needs the SM's identity: only rows with a MAC give one.
        if let Some(sm_mac) = row.mac(LINK_PHYS_ADDRESS) {
            let best = |a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64| match (a, b) {
                (Some(a), Some(b)) => Some(pick(a, b)),
                (a, b) => a.or(b),
            };
            let link = RadioLink {
                sm_mac,
                ap_mac: None,
                tower: None,
                status: RadioStatus::Connected,
                rssi_dbm: best(polarised[0].1, polarised[1].1, f64::max),
                snr_db: best(polarised[0].2, polarised[1].2, f64::min),
                modulation: None,
                rate_bps: None,
            };
            out.push(
                subject
                    .observation(ObservationKind::RadioLink(link))
                    .with_label("luid", luid),
            );
        }
    }
    Ok(out)
}
