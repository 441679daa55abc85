//! IXC's local timestamps (`2024-09-29 23:11:51`, MySQL's `0000-00-00 00:00:00` for "never") to
//! Unix milliseconds, given the server's offset from UTC.

/// Unix ms of `YYYY-MM-DD HH:MM:SS` at `offset_minutes` east of UTC; `None` for the zero date or
/// anything malformed.
pub(crate) fn local_to_unix_ms(text: &str, offset_minutes: i32) -> Option<u64> {
    let text = text.trim();
    let (date, clock) = text.split_once(' ').unwrap_or((text, "00:00:00"));
    let mut date_parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let mut clock_parts = clock.split(':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (
        clock_parts.next()??,
        clock_parts.next()??,
        clock_parts.next().unwrap_or(Some(0))?,
    );
    if date_parts.next().is_some() || clock_parts.next().is_some() {
        return None;
    }
    let valid = year >= 1970
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second);
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let local_secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    let utc_secs = local_secs - i64::from(offset_minutes) * 60;
    u64::try_from(utc_secs).ok().map(|s| s * 1_000)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year >= 1970 here).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let years_before: i64 = (1970..year)
        .map(|y| if is_leap(y) { 366 } else { 365 })
        .sum();
    let months_before: i64 = (1..month).map(|m| days_in_month(year, m)).sum();
    years_before + months_before + day - 1
}
