//! ZTE ZXA10 C3xx OLTs: ONUs per PON port (3902.1012.3.13.1.1) and PON-port SFP optics
//! (zxAnOpticalIfTable, 3902.1015.3.1.13.1; values in thousandths: 0.001 dBm, mA, V, °C).

use vigia_plugin_sdk::{Host, HostError, Observation};

use crate::observe::Subject;
use crate::table::{Reader, scaled};

/// PON port table, indexed by the PON ifIndex.
pub(crate) const PON_ENTRY: &str = "1.3.6.1.4.1.3902.1012.3.13.1.1";
const PON_NAME: u32 = 1;
const PON_ONU_COUNT: u32 = 13;
/// zxAnOpticalIfEntry, indexed by the optical diagnostic index.
pub(crate) const OPTICS_ENTRY: &str = "1.3.6.1.4.1.3902.1015.3.1.13.1";
const OPT_TX_POWER: u32 = 4;
const OPT_BIAS: u32 = 9;
const OPT_VOLTAGE: u32 = 10;
const OPT_TEMPERATURE: u32 = 12;

pub(super) fn read(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
) -> Result<Vec<Observation>, HostError> {
    let mut out = Vec::new();
    let pons = reader.table(PON_ENTRY, &[PON_NAME, PON_ONU_COUNT])?;
    for (index, row) in pons.rows() {
        let [if_index] = index.as_slice() else {
            continue;
        };
        let Some(count) = row.unsigned(PON_ONU_COUNT) else {
            continue;
        };
        // GPON OLT ifIndex: type (4 bits) | shelf (4) | slot (8) | port (8) | 0 (8).
        let board = ((if_index >> 16) & 0xff).to_string();
        let port = ((if_index >> 8) & 0xff).to_string();
        let name = row.text(PON_NAME).unwrap_or_default();
        let labels = [
            ("pon", name.as_str()),
            ("board", board.as_str()),
            ("port", port.as_str()),
            ("if_index", &if_index.to_string()),
        ];
        out.push(subject.gauge("pon_onus", count as f64, "1", &labels));
    }
    let optics = reader.table(
        OPTICS_ENTRY,
        &[OPT_TX_POWER, OPT_BIAS, OPT_VOLTAGE, OPT_TEMPERATURE],
    )?;
    for (index, row) in optics.rows() {
        let index = index
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".");
        let labels = [("optical_index", index.as_str())];
        for (column, name, unit) in [
            (OPT_TX_POWER, "pon_tx_power_dbm", "dBm"),
            (OPT_BIAS, "pon_tx_bias_milliamps", "mA"),
            (OPT_VOLTAGE, "pon_supply_voltage_volts", "V"),
            (OPT_TEMPERATURE, "pon_temperature_celsius", "Cel"),
        ] {
            if let Some(raw) = row.signed(column) {
                out.push(subject.gauge(name, scaled(raw, 1000.0), unit, &labels));
            }
        }
    }
    Ok(out)
}
