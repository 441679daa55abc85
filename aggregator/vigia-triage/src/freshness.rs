//! Which readings are fresh enough to judge by. A stale one is not used; it is listed as
//! missing with its age and source, so the desk knows what the verdict could not see.

use crate::evidence::{age_ms, duration};
use crate::facts::Source;

/// Whether a reading from `source` may be used at `now_ms`.
pub(crate) fn is_fresh(source: &Source, now_ms: u64, stale_after_ms: u64) -> bool {
    age_ms(now_ms, source.observed_ms) <= stale_after_ms
}

/// `onu: stale, last reading 2 h ago from plugin:smartolt@pop-1`.
pub(crate) fn stale_note(label: &str, source: &Source, now_ms: u64) -> String {
    format!(
        "{label}: stale, last reading {} ago from {}",
        duration(age_ms(now_ms, source.observed_ms)),
        source.name
    )
}

/// Keeps `fact` when its source is fresh; otherwise notes it in `missing` and drops it.
pub(crate) fn keep_fresh<'a, T>(
    fact: Option<&'a T>,
    source: impl Fn(&T) -> &Source,
    label: &str,
    now_ms: u64,
    stale_after_ms: u64,
    missing: &mut Vec<String>,
) -> Option<&'a T> {
    let fact = fact?;
    if is_fresh(source(fact), now_ms, stale_after_ms) {
        Some(fact)
    } else {
        missing.push(stale_note(label, source(fact), now_ms));
        None
    }
}
