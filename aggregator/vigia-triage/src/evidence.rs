//! How evidence is written down: [`Reason`]s with their source and age, and the few time and
//! number formats the desk reads (`2 h`, `10:02 UTC`).

use crate::facts::Source;
use crate::verdict::Reason;

/// How old a reading taken at `observed_ms` is at `now_ms` (0 when it is from the future).
pub(crate) fn age_ms(now_ms: u64, observed_ms: u64) -> u64 {
    now_ms.saturating_sub(observed_ms)
}

/// A reason resting on a reading from `source`.
pub(crate) fn reason(rule: &str, evidence: String, source: &Source, now_ms: u64) -> Reason {
    reason_at(rule, evidence, &source.name, source.observed_ms, now_ms)
}

/// A reason resting on something that is not a [`Source`] (an outage event).
pub(crate) fn reason_at(
    rule: &str,
    evidence: String,
    source: &str,
    observed_ms: u64,
    now_ms: u64,
) -> Reason {
    Reason {
        rule: rule.to_owned(),
        evidence,
        source: source.to_owned(),
        observed_ms,
        age_ms: age_ms(now_ms, observed_ms),
    }
}

/// A duration the way the desk says it: `40 s`, `12 min`, `1 h 30 min`, `2 h`, `3 d`.
pub(crate) fn duration(ms: u64) -> String {
    let secs = ms / 1000;
    let mins = secs / 60;
    let hours = mins / 60;
    if secs < 60 {
        format!("{secs} s")
    } else if mins < 60 {
        format!("{mins} min")
    } else if hours < 48 {
        match mins % 60 {
            0 => format!("{hours} h"),
            rest => format!("{hours} h {rest} min"),
        }
    } else {
        format!("{} d", hours / 24)
    }
}

/// The time of day of a Unix ms instant, `HH:MM UTC` (the desk's UI shows local time; this is
/// for the plain-text summary).
pub(crate) fn clock(ms: u64) -> String {
    let minute_of_day = (ms / 60_000) % (24 * 60);
    format!("{:02}:{:02} UTC", minute_of_day / 60, minute_of_day % 60)
}

/// `10:02 UTC, 35 min ago`.
pub(crate) fn when(ms: u64, now_ms: u64) -> String {
    format!("{}, {} ago", clock(ms), duration(age_ms(now_ms, ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_the_desk_says_them() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59_999), "59 s");
        assert_eq!(duration(60_000), "1 min");
        assert_eq!(duration(2 * 3_600_000), "2 h");
        assert_eq!(duration(90 * 60_000), "1 h 30 min");
        assert_eq!(duration(3 * 86_400_000 + 5), "3 d");
    }

    #[test]
    fn clock_is_the_utc_time_of_day() {
        // 2023-11-14T22:13:20Z
        assert_eq!(clock(1_700_000_000_000), "22:13 UTC");
        assert_eq!(clock(0), "00:00 UTC");
    }

    #[test]
    fn age_saturates_for_readings_from_the_future() {
        assert_eq!(age_ms(1_000, 5_000), 0);
        assert_eq!(age_ms(5_000, 1_000), 4_000);
    }
}
