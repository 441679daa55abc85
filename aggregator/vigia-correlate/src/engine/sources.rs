//! The coverage guard for sources: a source with no recent success, or whose last run returned
//! far fewer rows than usual, makes its entities unknown and raises one collector-stale event.

use crate::event::{Cause, EventKind};
use crate::input::{Cycle, SourceReading};

use super::Correlator;

/// The sources' verdicts this cycle, aligned with [`Cycle::sources`].
pub(crate) struct Judged {
    pub bad: Vec<bool>,
    pub why: Vec<Option<String>>,
}

fn why_bad(c: &super::CorrelateConfig, s: &SourceReading, now: u64) -> Option<String> {
    match s.last_success_ms {
        None => return Some("no successful run yet".to_owned()),
        Some(at) if now.saturating_sub(at) >= c.source_stale_ms => {
            return Some(format!(
                "no successful run for {} s",
                now.saturating_sub(at) / 1000
            ));
        }
        Some(_) => {}
    }
    if s.rows_usual >= c.source_min_rows
        && (s.rows_last as f64) < c.source_short_fraction * s.rows_usual as f64
    {
        return Some(format!(
            "last run returned {} rows, usually {}",
            s.rows_last, s.rows_usual
        ));
    }
    None
}

pub(crate) fn judge(this: &Correlator, cycle: &Cycle) -> Judged {
    let why: Vec<Option<String>> = cycle
        .sources
        .iter()
        .map(|s| why_bad(&this.config, s, cycle.now_ms))
        .collect();
    Judged {
        bad: why.iter().map(Option::is_some).collect(),
        why,
    }
}

pub(crate) fn root_of(key: &str) -> String {
    format!("source:{key}")
}

/// Opens collector-stale events for sources bad for `fire_cycles` cycles.
pub(crate) fn reconcile(this: &mut Correlator, cycle: &Cycle, judged: &Judged) {
    let now = cycle.now_ms;
    for (source, why) in cycle.sources.iter().zip(&judged.why) {
        let Some(why) = why else {
            this.source_bad.remove(&source.key);
            continue;
        };
        let count = this.source_bad.entry(source.key.clone()).or_insert(0);
        *count = count.saturating_add(1);
        if *count < this.config.fire_cycles {
            continue;
        }
        let root = root_of(&source.key);
        if let Some(event) = this
            .active
            .values_mut()
            .find(|e| e.kind == EventKind::CollectorStale && e.root == root)
        {
            if event.cause_detail != *why {
                event.cause_detail = why.clone();
            }
            continue;
        }
        let id = this.open(
            EventKind::CollectorStale,
            root,
            "source".to_owned(),
            source.key.clone(),
            now,
        );
        if let Some(event) = this.active.get_mut(&id) {
            event.cause = Cause::Unknown;
            event.cause_detail = why.clone();
            event.record(
                now,
                crate::TimelineKind::Opened,
                format!(
                    "source {} is stale: {why}; its entities are unknown",
                    source.key
                ),
            );
        }
    }
}

/// A collector-stale event resolves once its source is good for `clear_cycles` cycles (or is
/// gone from the sources).
pub(crate) fn settle(this: &mut Correlator, cycle: &Cycle, id: u64) -> Option<String> {
    let root = this.active.get(&id)?.root.clone();
    let good = cycle
        .sources
        .iter()
        .find(|s| root_of(&s.key) == root)
        .is_none_or(|s| why_bad(&this.config, s, cycle.now_ms).is_none());
    let track = this.tracks.entry(id).or_default();
    if good {
        track.good_cycles += 1;
    } else {
        track.good_cycles = 0;
    }
    (track.good_cycles >= this.config.clear_cycles)
        .then(|| "the source reports normally again".to_owned())
}
