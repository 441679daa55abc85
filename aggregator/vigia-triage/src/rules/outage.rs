//! Rule 2: inside an active outage (an event), or an upstream element down while the subscriber
//! is down (an event is being confirmed). No dispatch either way.

use super::Finding;
use crate::evidence::{clock, reason_at, when};
use crate::facts::{ElementState, RadioStatus};
use crate::verdict::{Scope, VerdictKind};
use crate::view::View;

/// Upstream kinds whose failure takes the subscribers under them down (entity kind names, and
/// the short forms operators type).
const OUTAGE_KINDS: &[&str] = &[
    "pon_port",
    "pon",
    "olt",
    "splitter",
    "access_point",
    "ap",
    "tower",
    "backhaul_link",
    "backhaul",
    "concentrator",
    "pop",
];

pub(super) fn is_access_point(kind: &str) -> bool {
    matches!(kind, "access_point" | "ap")
}

fn cause_words(cause: &str) -> &str {
    match cause {
        "power" => "an area power cut",
        "fibre" => "a fibre cut upstream",
        "mixed" => "power and fibre failures",
        _ => "cause not known yet",
    }
}

/// Any active outage event the subscriber is part of.
pub(super) fn in_outage(view: &View<'_>) -> Option<Finding> {
    let outages = &view.facts.outages;
    let first = outages.first()?;
    let reasons = outages.iter().map(|outage| {
        reason_at(
            "in_outage",
            format!(
                "outage #{}: root {} ({}), cause {}, {} subscribers affected, opened {}",
                outage.event_id,
                outage.root,
                outage.kind,
                outage.cause,
                outage.affected,
                when(outage.opened_ms, view.now_ms)
            ),
            &format!("event:{}", outage.event_id),
            outage.opened_ms,
            view.now_ms,
        )
    });
    let more = match outages.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    let mut finding = Finding::new(
        VerdictKind::Outage,
        Scope::Event,
        format!(
            "Inside outage #{} on {}{more}, cause {}, opened {}: no dispatch",
            first.event_id,
            first.root,
            first.cause,
            when(first.opened_ms, view.now_ms)
        ),
    )
    .actions([
        format!(
            "Tell the customer there is a known outage since {} ({})",
            clock(first.opened_ms),
            cause_words(&first.cause)
        ),
        format!("Link the ticket to event #{}", first.event_id),
        "Do not dispatch".to_owned(),
    ])
    .reasons(reasons);
    finding.events = outages.iter().map(|o| o.event_id).collect();
    Some(finding)
}

/// An upstream element down while the subscriber is down, before the correlator opened an event.
///
/// A disconnected radio subscriber's AP is left to rule 6 (`radio_ap_down`).
pub(super) fn upstream_down(view: &View<'_>) -> Option<Finding> {
    let down = view.down_evidence();
    if down.is_empty() {
        return None;
    }
    let sm_disconnected = view
        .radio
        .is_some_and(|r| r.status == RadioStatus::Disconnected);
    let element = view.upstream.iter().find(|u| {
        u.state == ElementState::Down
            && OUTAGE_KINDS.contains(&u.kind.as_str())
            && !(sm_disconnected && is_access_point(&u.kind))
    })?;
    let source = element.source.as_ref()?;
    let evidence = format!(
        "upstream {} down since {} ({} {}: {})",
        element.id,
        when(element.since_ms, view.now_ms),
        element.kind,
        element.name,
        element.reason
    );
    Some(
        Finding::new(
            VerdictKind::Outage,
            Scope::Event,
            format!(
                "Upstream {} {} is down and so is the subscriber: an outage event is being \
                 confirmed; no dispatch",
                element.kind, element.name
            ),
        )
        .actions([
            format!(
                "An outage event is being confirmed: tell the customer {} {} is down since {}",
                element.kind,
                element.name,
                clock(element.since_ms)
            ),
            "Do not dispatch".to_owned(),
        ])
        .reasons([view.reason("upstream_down", evidence, source)])
        .reasons(down),
    )
}
