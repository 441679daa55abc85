//! Ubiquiti radios: airMAX (UBNT-AirMAX-MIB, 41112.1.4) and AF60/Wave (UI-AF60-MIB,
//! 41112.1.11). Every Ubiquiti family walks both: older airOS reports a generic sysObjectID.

use vigia_plugin_sdk::{Host, HostError, Observation, ObservationKind, RadioLink, RadioStatus};

use crate::observe::Subject;
use crate::table::{Reader, Row, mac_from_index};

/// ubntRadioEntry: one row per radio.
pub(crate) const RADIO_ENTRY: &str = "1.3.6.1.4.1.41112.1.4.1.1";
const RADIO_FREQUENCY: u32 = 4; // MHz
const RADIO_TX_POWER: u32 = 6; // dBm
/// ubntWlStatEntry: the wireless interface's own view.
pub(crate) const WLSTAT_ENTRY: &str = "1.3.6.1.4.1.41112.1.4.5.1";
const WL_SIGNAL: u32 = 5; // dBm
const WL_CCQ: u32 = 7; // percent
const WL_NOISE: u32 = 8; // dBm
const WL_TX_RATE: u32 = 9; // bit/s
const WL_RX_RATE: u32 = 10; // bit/s
const WL_STATIONS: u32 = 15;
/// ubntAirMaxEntry: airMAX quality and capacity, percent.
pub(crate) const AIRMAX_ENTRY: &str = "1.3.6.1.4.1.41112.1.4.6.1";
const AIRMAX_QUALITY: u32 = 3;
const AIRMAX_CAPACITY: u32 = 4;
/// ubntStaEntry: stations of an AP, indexed by ifIndex-free MAC (the last 6 components).
pub(crate) const STA_ENTRY: &str = "1.3.6.1.4.1.41112.1.4.7.1";
const STA_SIGNAL: u32 = 3; // dBm
const STA_NOISE: u32 = 4; // dBm
const STA_TX_RATE: u32 = 11; // bit/s
/// af60Config (columns under 41112.1.11.1.1, one row per radio) and af60StaEntry (indexed by
/// the remote MAC).
pub(crate) const AF60_CONFIG_ENTRY: &str = "1.3.6.1.4.1.41112.1.11.1.1";
const AF60_FREQUENCY: u32 = 2; // MHz
const AF60_CHANNEL_WIDTH: u32 = 3; // MHz
pub(crate) const AF60_STA_ENTRY: &str = "1.3.6.1.4.1.41112.1.11.1.3.1";
const AF60_STA_SIGNAL: u32 = 3; // dBm

pub(super) fn read(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
) -> Result<Vec<Observation>, HostError> {
    let mut out = Vec::new();
    let mut per_row = |table_rows: Vec<(String, Row<'_>)>, columns: &[(u32, &str, &str, f64)]| {
        for (radio, row) in table_rows {
            for &(column, name, unit, divisor) in columns {
                if let Some(value) = row.number(column) {
                    let labels = [("radio", radio.as_str())];
                    out.push(subject.gauge(name, value / divisor, unit, &labels));
                }
            }
        }
    };
    let radios = reader.table(RADIO_ENTRY, &[RADIO_FREQUENCY, RADIO_TX_POWER])?;
    per_row(
        named(&radios),
        &[
            (RADIO_FREQUENCY, "radio_frequency_mhz", "MHz", 1.0),
            (RADIO_TX_POWER, "radio_tx_power_dbm", "dBm", 1.0),
        ],
    );
    let wlstat = reader.table(
        WLSTAT_ENTRY,
        &[
            WL_SIGNAL,
            WL_CCQ,
            WL_NOISE,
            WL_TX_RATE,
            WL_RX_RATE,
            WL_STATIONS,
        ],
    )?;
    per_row(
        named(&wlstat),
        &[
            (WL_SIGNAL, "radio_rssi_dbm", "dBm", 1.0),
            (WL_NOISE, "radio_noise_floor_dbm", "dBm", 1.0),
            (WL_CCQ, "radio_ccq_ratio", "1", 100.0),
            (WL_TX_RATE, "radio_tx_rate_bps", "bit/s", 1.0),
            (WL_RX_RATE, "radio_rx_rate_bps", "bit/s", 1.0),
            (WL_STATIONS, "radio_connected_stations", "1", 1.0),
        ],
    );
    let airmax = reader.table(AIRMAX_ENTRY, &[AIRMAX_QUALITY, AIRMAX_CAPACITY])?;
    per_row(
        named(&airmax),
        &[
            (AIRMAX_QUALITY, "airmax_quality_ratio", "1", 100.0),
            (AIRMAX_CAPACITY, "airmax_capacity_ratio", "1", 100.0),
        ],
    );
    let af60 = reader.table(AF60_CONFIG_ENTRY, &[AF60_FREQUENCY, AF60_CHANNEL_WIDTH])?;
    per_row(
        named(&af60),
        &[
            (AF60_FREQUENCY, "radio_frequency_mhz", "MHz", 1.0),
            (AF60_CHANNEL_WIDTH, "radio_channel_width_mhz", "MHz", 1.0),
        ],
    );

    let stations = reader.table(STA_ENTRY, &[STA_SIGNAL, STA_NOISE, STA_TX_RATE])?;
    for (index, row) in stations.rows() {
        let Some(sm_mac) = index
            .len()
            .checked_sub(6)
            .and_then(|at| mac_from_index(&index[at..]))
        else {
            continue;
        };
        let signal = row.number(STA_SIGNAL);
        let snr = signal.zip(row.number(STA_NOISE)).map(|(s, n)| s - n);
        out.push(link(
            subject,
            sm_mac,
            signal,
            snr,
            row.unsigned(STA_TX_RATE),
        ));
    }
    let af60_stations = reader.table(AF60_STA_ENTRY, &[AF60_STA_SIGNAL])?;
    for (index, row) in af60_stations.rows() {
        let Some(sm_mac) = index
            .len()
            .checked_sub(6)
            .and_then(|at| mac_from_index(&index[at..]))
        else {
            continue;
        };
        out.push(link(
            subject,
            sm_mac,
            row.number(AF60_STA_SIGNAL),
            None,
            None,
        ));
    }
    Ok(out)
}

fn named(table: &crate::table::Table) -> Vec<(String, Row<'_>)> {
    table
        .rows()
        .map(|(index, row)| {
            let name = index
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".");
            (name, row)
        })
        .collect()
}

fn link(
    subject: &Subject<'_>,
    sm_mac: String,
    rssi_dbm: Option<f64>,
    snr_db: Option<f64>,
    rate_bps: Option<u64>,
) -> Observation {
    subject.observation(ObservationKind::RadioLink(RadioLink {
        sm_mac,
        ap_mac: None,
        tower: None,
        status: RadioStatus::Connected,
        rssi_dbm,
        snr_db,
        modulation: None,
        rate_bps,
    }))
}
