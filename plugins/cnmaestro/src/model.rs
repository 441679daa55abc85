//! What cnMaestro answers, as far as the plugin reads it (field names of the vendor's OpenAPI
//! 6.1.0 `basic.yaml#devices`, `stats.yaml#devices` and `notification.yaml#alarms`). Numbers are
//! also read from numeric strings; `null` is absent; anything else of the wrong type refuses the
//! whole answer (an `invalid-response`).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The fields of `GET /devices` the plugin reads (the `fields` projection).
pub(crate) const DEVICE_FIELDS: &str =
    "type,mode,name,mac,ip,network,tower,ap_mac,status,online,product,software_version";
/// The fields of `GET /devices/statistics` the plugin reads.
pub(crate) const STATISTICS_FIELDS: &str = "mac,status,tower,ap_mac,connected_sms,distance,radio.dl_rssi,radio.ul_rssi,radio.dl_snr,radio.dl_snr_v,radio.dl_snr_h,radio.ul_snr,radio.dl_modulation,radio.ul_modulation,radio.dl_mcs";
/// The fields of `GET /alarms` the plugin reads.
pub(crate) const ALARM_FIELDS: &str =
    "id,code,name,message,severity,source_type,source,status,time_raised,mac,ip,network,tower";

/// A `GET /devices` item.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Device {
    /// The family (`pmp`, `epmp`, `ptp`, ...).
    #[serde(rename = "type", default)]
    pub family: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub mac: String,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub tower: Option<String>,
    #[serde(default)]
    pub ap_mac: Option<String>,
    /// `online`/`offline` (sent by cnMaestro; the 6.1 schema has `online` instead).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub online: Option<bool>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub software_version: Option<String>,
}

/// A `GET /devices/statistics` item (`pmp-sm`, `pmp-ap`, `epmp-sm`, `epmp-ap`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Statistics {
    pub mac: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub tower: Option<String>,
    #[serde(default)]
    pub ap_mac: Option<String>,
    #[serde(default, deserialize_with = "number")]
    pub connected_sms: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub distance: Option<f64>,
    #[serde(default)]
    pub radio: Option<Radio>,
}

/// The `radio` object of a statistics item; PMP has `dl_snr_v`/`dl_snr_h` and `dl_modulation`,
/// ePMP `dl_snr` and `dl_mcs`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Radio {
    #[serde(default, deserialize_with = "number")]
    pub dl_rssi: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub ul_rssi: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub dl_snr: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub dl_snr_v: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub dl_snr_h: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub ul_snr: Option<f64>,
    #[serde(default)]
    pub dl_modulation: Option<String>,
    #[serde(default)]
    pub ul_modulation: Option<String>,
    #[serde(default, deserialize_with = "number")]
    pub dl_mcs: Option<f64>,
}

/// A `GET /alarms` item.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Alarm {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub source_type: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub time_raised: Option<String>,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default)]
    pub tower: Option<String>,
    #[serde(default)]
    pub network: Option<String>,
}

/// A number, a numeric string, or `null`.
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected a number, got \"{s}\""))),
        other => Err(serde::de::Error::custom(format!(
            "expected a number, got {other}"
        ))),
    }
}
