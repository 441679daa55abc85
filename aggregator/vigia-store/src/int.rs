//! The mapping of protocol integers (unsigned) to the signed 64-bit integers both backends store
//! (SQLite INTEGER, PostgreSQL BIGINT).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::StoreError;

/// Wall-clock now, Unix milliseconds (stored as `received_at_ms` and `applied_at_ms`).
pub(crate) fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The `received_at_ms` stamps of one writer: its wall clock, but strictly later than the
/// previous stamp, so that a batch committed after another is always ordered after it by
/// [`received_after`](crate::IngestStore::received_after) (a reader whose cursor is at the
/// latest millisecond does not miss a group committed later in that same millisecond). Under
/// more than a thousand group commits a second, or after the clock steps back, the stamps run a
/// little ahead of the clock until it catches up.
#[derive(Debug)]
pub(crate) struct ReceivedClock {
    last: i64,
}

impl ReceivedClock {
    /// A clock whose first stamp is later than `last` (the latest stamp stored).
    pub(crate) fn after(last: i64) -> Self {
        Self { last }
    }

    /// The stamp for the next group commit.
    pub(crate) fn stamp(&mut self) -> i64 {
        self.last = unix_ms().max(self.last.saturating_add(1));
        self.last
    }
}

/// An epoch as stored: the same 64 bits, read as signed (epochs are only compared for equality).
pub(crate) fn to_sql_epoch(epoch: u64) -> i64 {
    i64::from_ne_bytes(epoch.to_ne_bytes())
}

/// The inverse of [`to_sql_epoch`].
pub(crate) fn from_sql_epoch(epoch: i64) -> u64 {
    u64::from_ne_bytes(epoch.to_ne_bytes())
}

/// A sequence as stored, or `None` when it is outside `1..=i64::MAX` (sequences are ordered, so
/// they cannot be bit-cast like epochs).
pub(crate) fn to_sql_seq(seq: u64) -> Option<i64> {
    i64::try_from(seq).ok().filter(|seq| *seq >= 1)
}

/// A time in Unix milliseconds as stored; times are ordered, so one above `i64::MAX` is refused.
pub(crate) fn to_sql_ms(field: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { field, value })
}

/// Like [`to_sql_ms`], for an optional time.
pub(crate) fn to_sql_ms_opt(
    field: &'static str,
    value: Option<u64>,
) -> Result<Option<i64>, StoreError> {
    value.map(|value| to_sql_ms(field, value)).transpose()
}

/// A cut-off time as stored. Stored times are at most `i64::MAX`, so a later cut-off is the same
/// as `i64::MAX` for `< cut-off` (except a time of exactly `i64::MAX`, which no clock reaches) and
/// for `>= cut-off` selects nothing either way.
pub(crate) fn to_sql_cutoff(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// Converts a stored non-negative integer (count, sequence, time) back. The schema's CHECK
/// constraints keep them non-negative; a negative one reads as 0.
pub(crate) fn from_sql_count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A row limit as a SQL integer (a `usize` above `i64::MAX` means "no limit" anyway).
pub(crate) fn to_sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_round_trip_bit_for_bit() {
        for epoch in [0, 1, 42, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
            assert_eq!(from_sql_epoch(to_sql_epoch(epoch)), epoch);
        }
    }

    #[test]
    fn received_stamps_follow_the_clock_and_always_increase() {
        let before = unix_ms();
        let mut clock = ReceivedClock::after(0);
        let first = clock.stamp();
        assert!(first >= before);
        let second = clock.stamp();
        assert!(second > first);
        // A stamp stored ahead of the clock (an earlier run's, or a clock stepped back).
        let ahead = unix_ms() + 60_000;
        let mut clock = ReceivedClock::after(ahead);
        assert_eq!(clock.stamp(), ahead + 1);
        assert_eq!(clock.stamp(), ahead + 2);
    }

    #[test]
    fn sequences_must_fit_signed_and_be_positive() {
        assert_eq!(to_sql_seq(0), None);
        assert_eq!(to_sql_seq(1), Some(1));
        assert_eq!(to_sql_seq(i64::MAX as u64), Some(i64::MAX));
        assert_eq!(to_sql_seq(i64::MAX as u64 + 1), None);
    }

    #[test]
    fn times_must_fit_signed() {
        assert_eq!(to_sql_ms("at_ms", 5).expect("fits"), 5);
        let error = to_sql_ms("at_ms", u64::MAX).expect_err("refused");
        assert!(matches!(
            error,
            StoreError::OutOfRange {
                field: "at_ms",
                value: u64::MAX
            }
        ));
    }
}
