//! Huawei SmartAX GPON OLTs (HUAWEI-XPON-MIB, 2011.6.128): PON-port optics and per-ONT Rx power.
//!
//! Units: temperature °C, voltage 0.01 V, bias mA, Tx/Rx power 0.01 dBm; 2147483647 means "no
//! reading" (the OLT's aggregate Rx of a PON port has none: Rx is per ONT).

use vigia_plugin_sdk::{Host, HostError, Observation};

use crate::interfaces::Interfaces;
use crate::observe::Subject;
use crate::table::{Reader, scaled};

/// hwGponOltOpticsDdmInfoEntry, indexed by the PON port's ifIndex.
pub(crate) const OPTICS_ENTRY: &str = "1.3.6.1.4.1.2011.6.128.1.1.2.23.1";
const TEMPERATURE: u32 = 1;
const VOLTAGE: u32 = 2;
const BIAS: u32 = 3;
const TX_POWER: u32 = 4;
const RX_POWER: u32 = 5;
/// hwGponOntOpticalDdmRxPower column, indexed by PON ifIndex + ONT id.
pub(crate) const ONT_RX_POWER: &str = "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4";

/// GPON port ifIndex base (`GPON 0/0/0`); + slot × 8192 + port × 256.
const GPON_IF_INDEX_BASE: u32 = 0xFA00_0000;

pub(super) fn read(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
    interfaces: &Interfaces,
) -> Result<Vec<Observation>, HostError> {
    let mut out = Vec::new();
    let optics = reader.table(
        OPTICS_ENTRY,
        &[TEMPERATURE, VOLTAGE, BIAS, TX_POWER, RX_POWER],
    )?;
    for (index, row) in optics.rows() {
        let [if_index] = index.as_slice() else {
            continue;
        };
        let port = PonPort::of(*if_index, interfaces);
        let labels = port.labels();
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let readings = [
            (
                "pon_temperature_celsius",
                row.signed(TEMPERATURE).map(|v| v as f64),
                "Cel",
            ),
            (
                "pon_supply_voltage_volts",
                row.signed(VOLTAGE).map(|v| scaled(v, 100.0)),
                "V",
            ),
            (
                "pon_tx_bias_milliamps",
                row.signed(BIAS).map(|v| v as f64),
                "mA",
            ),
            (
                "pon_tx_power_dbm",
                row.signed(TX_POWER).map(|v| scaled(v, 100.0)),
                "dBm",
            ),
            (
                "pon_rx_power_dbm",
                row.signed(RX_POWER).map(|v| scaled(v, 100.0)),
                "dBm",
            ),
        ];
        for (name, value, unit) in readings {
            if let Some(value) = value {
                out.push(subject.gauge(name, value, unit, &labels));
            }
        }
    }
    for (index, value) in reader.column(ONT_RX_POWER)? {
        let [if_index, ont_id] = index.as_slice() else {
            continue;
        };
        let Some(raw) = crate::table::signed(&value) else {
            continue;
        };
        let port = PonPort::of(*if_index, interfaces);
        let mut labels = port.labels();
        labels.push(("onu_id", ont_id.to_string()));
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        out.push(subject.gauge("onu_rx_power_dbm", scaled(raw, 100.0), "dBm", &labels));
    }
    Ok(out)
}

/// A PON port: `frame/slot/port` from its ifName (`GPON 0/1/15`), else slot and port from the
/// ifIndex layout.
#[derive(Debug, Clone, PartialEq)]
struct PonPort {
    name: String,
    frame: Option<u32>,
    board: Option<u32>,
    port: Option<u32>,
}

impl PonPort {
    fn of(if_index: u32, interfaces: &Interfaces) -> Self {
        let name = interfaces.names.get(&if_index).cloned();
        let parsed = name.as_deref().and_then(parse_fsp);
        let (frame, board, port) = match parsed {
            Some((frame, slot, port)) => (Some(frame), Some(slot), Some(port)),
            None => match if_index.checked_sub(GPON_IF_INDEX_BASE) {
                Some(offset) if offset < 1 << 18 => {
                    (None, Some(offset >> 13), Some((offset >> 8) & 0x1f))
                }
                _ => (None, None, None),
            },
        };
        Self {
            name: name.unwrap_or_else(|| format!("if{if_index}")),
            frame,
            board,
            port,
        }
    }

    fn labels(&self) -> Vec<(&'static str, String)> {
        let mut labels = vec![("pon", self.name.clone())];
        if let Some(frame) = self.frame {
            labels.push(("frame", frame.to_string()));
        }
        if let Some(board) = self.board {
            labels.push(("board", board.to_string()));
        }
        if let Some(port) = self.port {
            labels.push(("port", port.to_string()));
        }
        labels
    }
}

/// `GPON 0/1/15` → (0, 1, 15).
fn parse_fsp(name: &str) -> Option<(u32, u32, u32)> {
    let fsp = name.split_whitespace().last()?;
    let mut parts = fsp.split('/').map(|part| part.parse::<u32>().ok());
    let (frame, slot, port) = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some((frame, slot, port))
}
