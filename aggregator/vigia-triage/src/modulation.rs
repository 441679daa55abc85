//! A simple order of radio modulations, to tell a drop from the usual one.
//!
//! Two styles are understood: constellations (`BPSK` < `QPSK` < `16QAM` < ... < `4096QAM`, with
//! or without a dash or a coding rate after a space) and cnMaestro's multipliers (`1X` < `2X` <
//! ... < `8X`, e.g. `8X MIMO-B`). Anything else, or two styles mixed, gives no judgement.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modulation {
    /// Points in the constellation (`QPSK` = 4, `64QAM` = 64).
    Points(u32),
    /// cnMaestro's rate multiplier (`8X` = 8).
    Multiplier(u32),
}

fn parse(text: &str) -> Option<Modulation> {
    let first = text
        .split_whitespace()
        .next()?
        .to_ascii_uppercase()
        .replace(['-', '_'], "");
    match first.as_str() {
        "BPSK" => return Some(Modulation::Points(2)),
        "QPSK" => return Some(Modulation::Points(4)),
        _ => {}
    }
    let digits_end = first
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(first.len());
    let (number, suffix) = first.split_at(digits_end);
    let number: u32 = number.parse().ok()?;
    match suffix {
        "QAM" | "PSK" if number > 0 => Some(Modulation::Points(number)),
        "X" if number > 0 => Some(Modulation::Multiplier(number)),
        _ => None,
    }
}

/// How `current` compares with `usual`, when both are understood and of the same style.
pub(crate) fn compare(current: &str, usual: &str) -> Option<Ordering> {
    match (parse(current)?, parse(usual)?) {
        (Modulation::Points(a), Modulation::Points(b))
        | (Modulation::Multiplier(a), Modulation::Multiplier(b)) => Some(a.cmp(&b)),
        _ => None,
    }
}

/// Whether `current` is below `usual` (`None`: no judgement).
pub(crate) fn dropped(current: &str, usual: &str) -> Option<bool> {
    compare(current, usual).map(Ordering::is_lt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constellations_are_ordered() {
        let order = ["BPSK", "QPSK", "16QAM", "64-QAM", "256QAM 3/4", "1024qam"];
        for pair in order.windows(2) {
            assert_eq!(compare(pair[0], pair[1]), Some(Ordering::Less), "{pair:?}");
            assert_eq!(dropped(pair[1], pair[0]), Some(false), "{pair:?}");
        }
        assert_eq!(dropped("64QAM", "256QAM"), Some(true));
        assert_eq!(dropped("64QAM", "64QAM"), Some(false));
    }

    #[test]
    fn cnmaestro_multipliers_parse_the_leading_number() {
        assert_eq!(dropped("4X MIMO-B", "8X MIMO-B"), Some(true));
        assert_eq!(dropped("8x", "6X"), Some(false));
        assert_eq!(compare("1X", "2X"), Some(Ordering::Less));
    }

    #[test]
    fn unknown_or_mixed_text_gives_no_judgement() {
        assert_eq!(compare("MCS7", "MCS9"), None);
        assert_eq!(compare("", "64QAM"), None);
        assert_eq!(compare("64QAM", "8X"), None);
        assert_eq!(compare("0X", "2X"), None);
        assert_eq!(compare("QAM", "16QAM"), None);
    }
}
