//! Cause inference: dying gasp in most down members means a power outage, LOS in most means a
//! fibre cut, both in numbers means mixed; vendor data (SmartOLT outage PONs, cnMaestro alarms)
//! corroborates, or decides when the members say too little (their ONUs not polled yet).

use crate::config::CorrelateConfig;
use crate::event::Cause;
use crate::input::{CauseHint, Evidence};

/// Counts of the down members' hints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Hints {
    pub power: u32,
    pub fibre: u32,
    pub other: u32,
    pub none: u32,
}

impl Hints {
    pub(crate) fn add(&mut self, hint: CauseHint) {
        match hint {
            CauseHint::Power => self.power += 1,
            CauseHint::Fibre => self.fibre += 1,
            CauseHint::Other => self.other += 1,
            CauseHint::None => self.none += 1,
        }
    }

    fn classified(&self) -> u32 {
        self.power + self.fibre + self.other
    }
}

fn from_members(config: &CorrelateConfig, hints: &Hints) -> Option<Cause> {
    let classified = hints.classified();
    let down = classified + hints.none;
    if classified == 0 || classified < config.cause_min_members.min(down) {
        return None;
    }
    let share = |n: u32| f64::from(n) / f64::from(classified);
    if share(hints.power) >= config.cause_majority {
        Some(Cause::Power)
    } else if share(hints.fibre) >= config.cause_majority {
        Some(Cause::Fibre)
    } else if share(hints.power) >= 0.2 && share(hints.fibre) >= 0.2 {
        Some(Cause::Mixed)
    } else {
        Some(Cause::Unknown)
    }
}

fn from_evidence(evidence: &[&Evidence]) -> Option<Cause> {
    let power = evidence.iter().any(|e| e.cause == CauseHint::Power);
    let fibre = evidence.iter().any(|e| e.cause == CauseHint::Fibre);
    match (power, fibre) {
        (true, true) => Some(Cause::Mixed),
        (true, false) => Some(Cause::Power),
        (false, true) => Some(Cause::Fibre),
        (false, false) => None,
    }
}

/// The cause and why, in words.
pub(crate) fn infer(
    config: &CorrelateConfig,
    hints: &Hints,
    evidence: &[&Evidence],
) -> (Cause, String) {
    let members = from_members(config, hints);
    let vendor = from_evidence(evidence);
    let down = hints.classified() + hints.none;
    let mut detail = format!(
        "of {down} down: {} power fail (dying gasp), {} loss of signal, {} other, {} without ONU data",
        hints.power, hints.fibre, hints.other, hints.none
    );
    let vendor_text: Vec<&str> = evidence
        .iter()
        .filter(|e| e.cause != CauseHint::None)
        .map(|e| e.text.as_str())
        .collect();
    let cause = match (members, vendor) {
        (Some(m), Some(v)) if m == v => {
            detail.push_str("; corroborated by ");
            detail.push_str(&vendor_text.join("; "));
            m
        }
        (Some(m), Some(_)) if m != Cause::Unknown => {
            detail.push_str("; vendor data disagrees: ");
            detail.push_str(&vendor_text.join("; "));
            m
        }
        (Some(Cause::Unknown) | None, Some(v)) => {
            detail.push_str("; decided by ");
            detail.push_str(&vendor_text.join("; "));
            v
        }
        (Some(m), _) => m,
        (None, None) => Cause::Unknown,
    };
    (cause, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(power: u32, fibre: u32, other: u32, none: u32) -> Hints {
        Hints {
            power,
            fibre,
            other,
            none,
        }
    }

    fn evidence(cause: CauseHint) -> Evidence {
        Evidence {
            group: 0,
            cause,
            text: "SmartOLT outage PON 1/1".into(),
        }
    }

    #[test]
    fn majorities_decide_and_mixed_needs_both_in_numbers() {
        let c = CorrelateConfig::default();
        assert_eq!(infer(&c, &hints(10, 1, 0, 0), &[]).0, Cause::Power);
        assert_eq!(infer(&c, &hints(1, 10, 0, 0), &[]).0, Cause::Fibre);
        assert_eq!(infer(&c, &hints(5, 5, 0, 0), &[]).0, Cause::Mixed);
        assert_eq!(infer(&c, &hints(1, 1, 8, 0), &[]).0, Cause::Unknown);
        // Too few classified members: not enough to say.
        assert_eq!(infer(&c, &hints(2, 0, 0, 40), &[]).0, Cause::Unknown);
    }

    #[test]
    fn vendor_data_corroborates_or_decides_but_never_overrides_members() {
        let c = CorrelateConfig::default();
        let los = evidence(CauseHint::Fibre);
        let (cause, detail) = infer(&c, &hints(0, 12, 0, 0), &[&los]);
        assert_eq!(cause, Cause::Fibre);
        assert!(detail.contains("corroborated by SmartOLT"), "{detail}");
        let (cause, detail) = infer(&c, &hints(0, 0, 0, 30), &[&los]);
        assert_eq!(cause, Cause::Fibre);
        assert!(detail.contains("decided by"), "{detail}");
        let (cause, detail) = infer(&c, &hints(20, 0, 0, 0), &[&los]);
        assert_eq!(cause, Cause::Power);
        assert!(detail.contains("disagrees"), "{detail}");
    }
}
