//! Reading a run report target by target (did each target answer?), and the labels and notices
//! the scheduler adds to results.

use std::collections::HashMap;
use std::time::Duration;

use vigia_core::{ErrorClass, Observation, ObservationKind, PluginError};
use vigia_plugin_host::{RunOutcome, RunReport};

use super::target_state::{Evidence, Verdict};

/// Label with the target's confirmed state: `up`, `down` or `unconfirmed`.
pub(crate) const STATE_LABEL: &str = "vigia.state";
/// Label on the notice of a target left out of a round: `open`.
pub(crate) const BREAKER_LABEL: &str = "vigia.breaker";

/// Failure classes that say nothing about the target: the operator's config, a missing grant,
/// an exhausted call budget. They neither confirm a target down nor open its breaker.
fn says_nothing_about_the_target(class: ErrorClass) -> bool {
    matches!(
        class,
        ErrorClass::Config | ErrorClass::Denied | ErrorClass::Budget
    )
}

/// What the report says about each of `ids` (the targets of the run), in that order.
///
/// A completed run, per target: a `reachability` with `up = false` is a failure; otherwise any
/// other observation but `failure` is a success (the target answered, even if some of what the
/// plugin asked failed); otherwise a `failure` observation is a failure; no observation at all
/// says nothing. A failed run is a failure of every target (unless its class says nothing about
/// targets), and so is a fault.
pub(crate) fn per_target<'a>(report: &RunReport, ids: &'a [String]) -> Vec<(&'a str, Evidence)> {
    let whole_run = match &report.outcome {
        RunOutcome::Completed(observations) => {
            let mut seen: HashMap<&str, (bool, bool, bool)> = HashMap::new();
            for observation in observations {
                let (down, data, failed) = seen.entry(observation.target.as_str()).or_default();
                match &observation.kind {
                    ObservationKind::Reachability(r) if !r.up => *down = true,
                    ObservationKind::Failure(e) => {
                        *failed |= !says_nothing_about_the_target(e.class);
                    }
                    _ => *data = true,
                }
            }
            let evidence = |id: &str| match seen.get(id) {
                Some((true, _, _)) => Evidence::Failure,
                Some((false, true, _)) => Evidence::Success,
                Some((false, false, true)) => Evidence::Failure,
                _ => Evidence::Nothing,
            };
            return ids.iter().map(|id| (id.as_str(), evidence(id))).collect();
        }
        RunOutcome::Failed(error) if says_nothing_about_the_target(error.class) => {
            Evidence::Nothing
        }
        RunOutcome::Failed(_) | RunOutcome::Fault(_) => Evidence::Failure,
    };
    ids.iter().map(|id| (id.as_str(), whole_run)).collect()
}

/// Sets `vigia.state` on the `reachability` and `failure` observations of each target.
pub(crate) fn label_states(report: &mut RunReport, verdicts: &HashMap<&str, Verdict>) {
    let RunOutcome::Completed(observations) = &mut report.outcome else {
        return;
    };
    for observation in observations {
        let labelled = matches!(
            observation.kind,
            ObservationKind::Reachability(_) | ObservationKind::Failure(_)
        );
        if let (true, Some(verdict)) = (labelled, verdicts.get(observation.target.as_str())) {
            set_label(&mut observation.labels, STATE_LABEL, verdict.as_str());
        }
    }
}

/// Sets `key` to `value`, replacing what the plugin (or a target label) put there.
fn set_label(labels: &mut Vec<(String, String)>, key: &str, value: &str) {
    labels.retain(|(k, _)| k != key);
    labels.push((key.to_owned(), value.to_owned()));
}

/// The notice for a target left out of a round because its breaker is open.
pub(crate) fn breaker_notice(
    target: &str,
    failures: u32,
    verdict: Verdict,
    retry_in: Duration,
    now_ms: u64,
) -> Observation {
    let retry_secs = retry_in.as_millis().div_ceil(1000);
    Observation {
        target: target.to_owned(),
        observed_at_ms: now_ms,
        kind: ObservationKind::Failure(PluginError {
            class: ErrorClass::Unreachable,
            message: format!(
                "not probed: circuit breaker open after {failures} consecutive failures; next attempt in {retry_secs} s"
            ),
        }),
        labels: vec![
            (STATE_LABEL.to_owned(), verdict.as_str().to_owned()),
            (BREAKER_LABEL.to_owned(), "open".to_owned()),
        ],
    }
}
