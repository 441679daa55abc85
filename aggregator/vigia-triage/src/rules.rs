//! The triage rules, in order: the first that applies gives the verdict (see the crate doc).
//!
//! Each rule is a function from the [`View`] (fresh facts only) to an optional [`Finding`];
//! [`RULES`] is their order. What every verdict carries whatever the rule (missing facts,
//! conflicts, notes on whose view a fact is) comes from the view and is added at the end.

mod billing;
mod fibre;
mod outage;
mod radio;
mod service;

use crate::config::TriageConfig;
use crate::facts::Facts;
use crate::verdict::{Reason, Scope, Verdict, VerdictKind};
use crate::view::View;

/// What one rule concluded, before the view's cross-cutting findings are added.
pub(crate) struct Finding {
    kind: VerdictKind,
    scope: Scope,
    summary: String,
    actions: Vec<String>,
    reasons: Vec<Reason>,
    /// What this rule wanted and could not check (besides the view's missing facts).
    missing: Vec<String>,
    events: Vec<u64>,
}

impl Finding {
    fn new(kind: VerdictKind, scope: Scope, summary: String) -> Self {
        Self {
            kind,
            scope,
            summary,
            actions: Vec::new(),
            reasons: Vec::new(),
            missing: Vec::new(),
            events: Vec::new(),
        }
    }

    fn actions<S: Into<String>>(mut self, actions: impl IntoIterator<Item = S>) -> Self {
        self.actions.extend(actions.into_iter().map(Into::into));
        self
    }

    fn reasons(mut self, reasons: impl IntoIterator<Item = Reason>) -> Self {
        self.reasons.extend(reasons);
        self
    }

    fn missing(mut self, missing: impl IntoIterator<Item = String>) -> Self {
        self.missing.extend(missing);
        self
    }

    fn into_verdict(self, view: View<'_>) -> Verdict {
        let mut missing = view.missing;
        for item in self.missing {
            if !missing.contains(&item) {
                missing.push(item);
            }
        }
        let mut reasons = self.reasons;
        reasons.extend(view.notes);
        Verdict {
            verdict: self.kind,
            scope: self.scope,
            summary: self.summary,
            actions: self.actions,
            reasons,
            missing,
            conflicts: view.conflicts,
            events: self.events,
        }
    }
}

type Rule = fn(&View<'_>) -> Option<Finding>;

/// The rules in the order they are tried; [`service::unknown`] answers when none applies.
const RULES: [Rule; 9] = [
    billing::blocked,
    outage::in_outage,
    outage::upstream_down,
    fibre::customer_power,
    fibre::loss_of_signal,
    fibre::optical,
    radio::radio,
    service::session_down,
    service::session_up,
];

/// Triage of one subscriber: the verdict of the first rule that applies to the fresh facts,
/// with its reasons, what could not be checked and which sources disagreed.
pub fn triage(facts: &Facts, config: &TriageConfig) -> Verdict {
    let view = View::new(facts, config);
    let finding = RULES
        .iter()
        .find_map(|rule| rule(&view))
        .unwrap_or_else(|| service::unknown(&view));
    finding.into_verdict(view)
}
