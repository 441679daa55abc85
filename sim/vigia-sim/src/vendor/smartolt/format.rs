//! How SmartOLT writes values: powers as `"-21.19 dBm"`, local times as `YYYY-MM-DD HH:MM:SS`,
//! the signal classification, and the readings derived from the world for one ONU.

use time::OffsetDateTime;
use time::macros::format_description;

use crate::world::{OnuInfo, OnuStatus, Subscriber, World};

/// What SmartOLT prints for a reading it does not have (an ONU that is not online).
pub(crate) const NO_READING: &str = "-";

/// `-21.19 dBm`.
pub(crate) fn dbm(value: f64) -> String {
    format!("{value:.2} dBm")
}

/// The world's local time as SmartOLT prints it.
pub(crate) fn local_time(world: &World, at: OffsetDateTime) -> String {
    world
        .local(at)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// SmartOLT's classification of the downstream power: acceptable between −25 and −8 dBm,
/// "Warning" within 2 dB of either edge, "Critical" outside.
pub(crate) fn signal_class(rx_dbm: f64) -> &'static str {
    if !(-25.0..=-8.0).contains(&rx_dbm) {
        "Critical"
    } else if !(-23.0..=-10.0).contains(&rx_dbm) {
        "Warning"
    } else {
        "Very good"
    }
}

/// The optical readings of one ONU now; `None` when it is not online (no light, no answer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Optics {
    /// Downstream (1490 nm) at the ONU.
    pub rx: f64,
    /// Upstream (1310 nm) as the OLT receives it.
    pub olt_rx: f64,
    pub tx: f64,
}

pub(crate) fn optics(sub: &Subscriber, onu: &OnuInfo) -> Option<Optics> {
    if sub.live.onu_status != OnuStatus::Online {
        return None;
    }
    let rx = sub.live.rx_dbm;
    // The upstream link loses about what the downstream does, a little more at 1310 nm.
    let olt_rx = ((rx - 2.3 + (onu.tx_dbm - 2.2)) * 100.0).round() / 100.0;
    Some(Optics {
        rx,
        olt_rx,
        tx: onu.tx_dbm,
    })
}

/// `signal`, `signal_1490`, `signal_1310` of an ONU (dashes when it is not online).
pub(crate) fn signal_strings(sub: &Subscriber, onu: &OnuInfo) -> (String, String, String) {
    match optics(sub, onu) {
        Some(o) => (signal_class(o.rx).to_owned(), dbm(o.rx), dbm(o.olt_rx)),
        None => (
            NO_READING.to_owned(),
            NO_READING.to_owned(),
            NO_READING.to_owned(),
        ),
    }
}

/// A duration as Huawei's `ONT online duration` prints it.
pub(crate) fn huawei_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    format!(
        "{} day(s), {} hour(s), {} minute(s), {} second(s)",
        s / 86_400,
        s % 86_400 / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_classes_follow_the_window() {
        assert_eq!(signal_class(-21.19), "Very good");
        assert_eq!(signal_class(-23.5), "Warning");
        assert_eq!(signal_class(-9.0), "Warning");
        assert_eq!(signal_class(-25.01), "Critical");
        assert_eq!(signal_class(-7.5), "Critical");
        assert_eq!(signal_class(-25.0), "Warning");
    }

    #[test]
    fn powers_and_durations_are_written_as_the_vendor_does() {
        assert_eq!(dbm(-21.194), "-21.19 dBm");
        assert_eq!(
            huawei_duration(90_061),
            "1 day(s), 1 hour(s), 1 minute(s), 1 second(s)"
        );
    }
}
