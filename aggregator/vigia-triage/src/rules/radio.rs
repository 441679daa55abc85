//! Rule 6, the radio subscriber: SM down with its AP (outage), SM down alone (confirm power,
//! then dispatch), or a poor link (alignment/interference).

use super::Finding;
use super::outage::is_access_point;
use crate::evidence::{clock, when};
use crate::facts::{ElementState, Radio, RadioStatus};
use crate::modulation;
use crate::verdict::{Reason, Scope, VerdictKind};
use crate::view::View;

pub(super) fn radio(view: &View<'_>) -> Option<Finding> {
    let radio = view.radio?;
    match radio.status {
        RadioStatus::Disconnected => Some(disconnected(view, radio)),
        RadioStatus::Connected => poor_link(view, radio),
        RadioStatus::Unknown => None,
    }
}

fn disconnected(view: &View<'_>, radio: &Radio) -> Finding {
    let sm = view.reason(
        "subscriber_down",
        format!("SM {} disconnected", radio.sm_mac),
        &radio.source,
    );
    let ap_down = view
        .upstream
        .iter()
        .find(|u| is_access_point(&u.kind) && u.state == ElementState::Down);
    if let Some((ap, source)) = ap_down.and_then(|ap| Some((ap, ap.source.as_ref()?))) {
        return Finding::new(
            VerdictKind::Outage,
            Scope::Radio,
            format!(
                "SM {} is disconnected and its AP {} is down: an outage event is being \
                 confirmed; no dispatch",
                radio.sm_mac, ap.name
            ),
        )
        .actions([
            format!(
                "An outage event is being confirmed: tell the customer AP {} is down since {}",
                ap.name,
                clock(ap.since_ms)
            ),
            "Do not dispatch to the subscriber".to_owned(),
        ])
        .reasons([
            view.reason(
                "radio_ap_down",
                format!(
                    "AP {} ({}) down since {}: {}",
                    ap.name,
                    ap.id,
                    when(ap.since_ms, view.now_ms),
                    ap.reason
                ),
                source,
            ),
            sm,
        ]);
    }
    let ap = radio.ap.as_deref().unwrap_or("its AP");
    Finding::new(
        VerdictKind::ConfirmThenDispatch,
        Scope::Subscriber,
        format!(
            "SM {} disconnected while {ap} is up: confirm the SM has power, then dispatch",
            radio.sm_mac
        ),
    )
    .actions([
        "Ask the customer whether the SM (antenna) and its PoE adapter are powered (lights on?)"
            .to_owned(),
        "If it is powered, dispatch a radio technician to the SM".to_owned(),
    ])
    .reasons([Reason {
        rule: "radio_sm_down".to_owned(),
        ..sm
    }])
}

/// What is wrong with a connected SM's link (empty: nothing known to be wrong).
pub(super) fn link_problems(view: &View<'_>, radio: &Radio) -> Vec<Reason> {
    let config = view.config;
    let mut problems = Vec::new();
    if let Some(rssi) = radio.rssi_dbm.filter(|r| *r < config.radio_rssi_min_dbm) {
        problems.push(view.reason(
            "radio_rssi_low",
            format!(
                "SM {} RSSI {rssi:.1} dBm below {:.1} dBm",
                radio.sm_mac, config.radio_rssi_min_dbm
            ),
            &radio.source,
        ));
    }
    if let Some(snr) = radio.snr_db.filter(|s| *s < config.radio_snr_min_db) {
        problems.push(view.reason(
            "radio_snr_low",
            format!(
                "SM {} SNR {snr:.1} dB below {:.1} dB",
                radio.sm_mac, config.radio_snr_min_db
            ),
            &radio.source,
        ));
    }
    if let (Some(current), Some(usual)) = (&radio.modulation, &radio.usual_modulation)
        && modulation::dropped(current, usual) == Some(true)
    {
        problems.push(view.reason(
            "radio_modulation_drop",
            format!(
                "SM {} modulation {current} below its usual {usual}",
                radio.sm_mac
            ),
            &radio.source,
        ));
    }
    problems
}

fn poor_link(view: &View<'_>, radio: &Radio) -> Option<Finding> {
    let problems = link_problems(view, radio);
    if problems.is_empty() {
        return None;
    }
    let ap = radio.ap.as_deref().unwrap_or("its AP");
    Some(
        Finding::new(
            VerdictKind::DispatchRadio,
            Scope::Subscriber,
            format!(
                "Poor radio link on SM {}: alignment or interference; dispatch a radio \
                 technician",
                radio.sm_mac
            ),
        )
        .actions([
            "Dispatch a radio technician to check the SM's alignment and look for interference"
                .to_owned(),
            format!("Check whether other SMs on {ap} show the same drop"),
        ])
        .reasons(problems),
    )
}
