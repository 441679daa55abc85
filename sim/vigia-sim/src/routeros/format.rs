//! How RouterOS writes values: durations (`1w2d3h4m5s`), dates (v6 `feb/05/2024 13:47:44`,
//! v7 `2024-02-05 13:47:44`), ids (`*1A2`), and the version numbers the behaviour depends on.

use time::OffsetDateTime;

/// A RouterOS version, `major.minor[.patch]` (`6.42.12`, `7.16.2`); trailing text ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Reads `7.16.2`, `6.49`, `7.18beta2`; anything unreadable counts as current (7.16).
    pub(crate) fn parse(text: &str) -> Self {
        let mut parts = text.split('.').map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), Some(minor)) => {
                Self(major, minor, parts.next().flatten().unwrap_or_default())
            }
            _ => Self(7, 16, 0),
        }
    }

    /// 6.43 and later take the password in `/login`; older ones answer with a challenge.
    pub(crate) fn plain_login(self) -> bool {
        self >= Self(6, 43, 0)
    }

    /// 7.18 and later answer a print with no rows with `!empty`.
    pub(crate) fn empty_reply(self) -> bool {
        self >= Self(7, 18, 0)
    }

    /// 7.10 and later print dates as `2024-02-05 13:47:44`; earlier ones `feb/05/2024 13:47:44`.
    pub(crate) fn iso_dates(self) -> bool {
        self >= Self(7, 10, 0)
    }

    pub(crate) fn major(self) -> u32 {
        self.0
    }
}

/// `1w2d3h4m5s`, zero units left out; `0s` for nothing.
pub(crate) fn duration(seconds: i64) -> String {
    let mut left = seconds.max(0);
    let mut out = String::new();
    for (unit, size) in [('w', 604_800), ('d', 86_400), ('h', 3_600), ('m', 60)] {
        let count = left / size;
        if count > 0 {
            out.push_str(&format!("{count}{unit}"));
            left %= size;
        }
    }
    if left > 0 || out.is_empty() {
        out.push_str(&format!("{left}s"));
    }
    out
}

/// A local date and time the way `version` prints it; `None` prints the epoch (never happened).
pub(crate) fn date_time(at: Option<OffsetDateTime>, version: Version) -> String {
    let at = at.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let (h, m, s) = (at.hour(), at.minute(), at.second());
    if version.iso_dates() {
        format!(
            "{:04}-{:02}-{:02} {h:02}:{m:02}:{s:02}",
            at.year(),
            u8::from(at.month()),
            at.day()
        )
    } else {
        const MONTHS: [&str; 12] = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        let month = MONTHS[usize::from(u8::from(at.month())) - 1];
        format!(
            "{month}/{:02}/{:04} {h:02}:{m:02}:{s:02}",
            at.day(),
            at.year()
        )
    }
}

/// `*1A2`: how RouterOS prints an internal id.
pub(crate) fn id(number: u32) -> String {
    format!("*{number:X}")
}

/// RouterOS booleans in the API.
pub(crate) fn flag(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}
