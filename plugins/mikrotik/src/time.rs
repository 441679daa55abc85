//! Time: the run's budget ([`RunClock`]) and RouterOS's ways of writing durations and dates.

use vigia_plugin_sdk::{Host, PluginError};

const MS_PER_MINUTE: u64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

/// The run's start (wall and monotonic) and its budget. Wall times later in the run are derived
/// from the monotonic clock, so stamping events costs no extra host calls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunClock {
    start_wall_ms: u64,
    start_ns: u64,
    deadline_ns: u64,
}

impl RunClock {
    pub(crate) fn start(host: &impl Host, budget_ms: u32) -> Self {
        let start_wall_ms = host.now_ms();
        let start_ns = host.monotonic_ns();
        Self {
            start_wall_ms,
            start_ns,
            deadline_ns: start_ns.saturating_add(u64::from(budget_ms) * 1_000_000),
        }
    }

    /// Milliseconds left of the run at monotonic time `now_ns` (rounded down).
    pub(crate) fn remaining_ms(&self, now_ns: u64) -> u32 {
        let left = self.deadline_ns.saturating_sub(now_ns) / 1_000_000;
        u32::try_from(left).unwrap_or(u32::MAX)
    }

    /// The deadline of one operation: `timeout_ms`, cut to what is left of the run.
    pub(crate) fn op_timeout(&self, host: &impl Host, timeout_ms: u32) -> Result<u32, PluginError> {
        match self.remaining_ms(host.monotonic_ns()) {
            0 => Err(PluginError::timeout("the run's time budget is spent")),
            left => Ok(left.min(timeout_ms)),
        }
    }

    /// Wall-clock Unix ms at monotonic time `ns`.
    pub(crate) fn wall_ms_at(&self, ns: u64) -> u64 {
        self.start_wall_ms + ns.saturating_sub(self.start_ns) / 1_000_000
    }

    pub(crate) fn start_wall_ms(&self) -> u64 {
        self.start_wall_ms
    }
}

/// A RouterOS duration in milliseconds: `3d4h12m5s`, `1w2d`, `500ms`, `00:01:02`, `1d02:03:04`
/// (units w, d, h, m, s, ms; an optional trailing `hh:mm:ss`, seconds possibly fractional).
pub(crate) fn parse_duration_ms(text: &str) -> Option<u64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let after = &rest[digits..];
        if after.starts_with(':') {
            return total.checked_add(parse_clock_ms(rest)?);
        }
        let value: u64 = rest[..digits].parse().ok()?;
        let (unit_ms, unit_len) = if after.starts_with("ms") {
            (1, 2)
        } else {
            match after.bytes().next()? {
                b'w' => (7 * 86_400_000, 1),
                b'd' => (86_400_000, 1),
                b'h' => (3_600_000, 1),
                b'm' => (MS_PER_MINUTE, 1),
                b's' => (1_000, 1),
                _ => return None,
            }
        };
        total = total.checked_add(value.checked_mul(unit_ms)?)?;
        rest = &after[unit_len..];
    }
    Some(total)
}

/// `hh:mm:ss` or `hh:mm:ss.fff` to milliseconds.
fn parse_clock_ms(text: &str) -> Option<u64> {
    let mut parts = text.split(':');
    let (Some(h), Some(m), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (seconds, fraction) = s.split_once('.').unwrap_or((s, ""));
    let number = |part: &str| {
        (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u64>().ok())
            .flatten()
    };
    let (h, m, seconds) = (number(h)?, number(m)?, number(seconds)?);
    if m >= 60 || seconds >= 60 {
        return None;
    }
    let millis = match fraction {
        "" => 0,
        digits => {
            let padded = format!("{digits:0<3}");
            number(&padded[..3])?
        }
    };
    Some(((h * 60 + m) * 60 + seconds) * 1_000 + millis)
}

/// A RouterOS local date and time as Unix ms: v6 `feb/05/2024 13:47:44` or v7
/// `2024-02-05 13:47:44`, the router's clock being `offset_minutes` ahead of UTC. `None` for
/// anything else, and for dates in 1970 ("never", as RouterOS writes it).
pub(crate) fn parse_router_time_ms(text: &str, offset_minutes: i32) -> Option<u64> {
    let (date, time) = text.trim().split_once(' ')?;
    let (year, month, day) = if date.contains('/') {
        let mut parts = date.split('/');
        let month = month_number(parts.next()?)?;
        let day = parts.next()?.parse::<u32>().ok()?;
        let year = parts.next()?.parse::<i64>().ok()?;
        (year, month, day)
    } else {
        let mut parts = date.split('-');
        let year = parts.next()?.parse::<i64>().ok()?;
        let month = parts.next()?.parse::<u32>().ok()?;
        let day = parts.next()?.parse::<u32>().ok()?;
        (year, month, day)
    };
    if year <= 1970 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let clock = i64::try_from(parse_clock_ms(time)?).ok()?;
    let local = days_from_civil(year, month, day) * MS_PER_DAY + clock;
    let utc = local - i64::from(offset_minutes) * 60_000;
    u64::try_from(utc).ok()
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let index = MONTHS
        .iter()
        .position(|month| month.eq_ignore_ascii_case(name))?;
    u32::try_from(index + 1).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
