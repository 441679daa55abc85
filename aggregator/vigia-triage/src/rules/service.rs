//! Rules 7 to 9: the signal is fine, so the session decides (remote, ok, flapping); otherwise
//! not enough is known.

use super::Finding;
use super::fibre::optics_problems;
use super::radio::link_problems;
use crate::facts::{OnuStatus, RadioStatus};
use crate::verdict::{Reason, Scope, VerdictKind};
use crate::view::{View, session_text};

/// The access layer is known to be fine: its evidence, and what could not be read of it.
struct Signal {
    reasons: Vec<Reason>,
    missing: Vec<String>,
    /// A fibre subscriber (an ONU a remote reboot applies to).
    fibre: bool,
}

fn format_opt(value: Option<f64>, unit: &str) -> String {
    value
        .map(|v| format!("{v:.1} {unit}"))
        .unwrap_or_else(|| "not reported".to_owned())
}

/// The ONU online with good optics, or else the SM connected with a good link.
fn signal_fine(view: &View<'_>) -> Option<Signal> {
    if let Some(onu) = view.onu {
        if onu.status != OnuStatus::Online || !optics_problems(view, onu).is_empty() {
            return None;
        }
        let missing = onu
            .rx_dbm
            .is_none()
            .then(|| format!("onu: no Rx reading from {}", onu.source.name));
        let evidence = format!(
            "ONU {} online, Rx {} (good: [{:.1}, {:.1}] dBm)",
            onu.serial,
            format_opt(onu.rx_dbm, "dBm"),
            view.config.rx_min_dbm,
            view.config.rx_max_dbm
        );
        return Some(Signal {
            reasons: vec![view.reason("signal_ok", evidence, &onu.source)],
            missing: missing.into_iter().collect(),
            fibre: true,
        });
    }
    let radio = view.radio?;
    if radio.status != RadioStatus::Connected || !link_problems(view, radio).is_empty() {
        return None;
    }
    let mut missing = Vec::new();
    if radio.rssi_dbm.is_none() {
        missing.push(format!("radio: no RSSI reading from {}", radio.source.name));
    }
    if radio.snr_db.is_none() {
        missing.push(format!("radio: no SNR reading from {}", radio.source.name));
    }
    let evidence = format!(
        "SM {} connected, RSSI {}, SNR {}, modulation {}",
        radio.sm_mac,
        format_opt(radio.rssi_dbm, "dBm"),
        format_opt(radio.snr_db, "dB"),
        radio.modulation.as_deref().unwrap_or("not reported")
    );
    Some(Signal {
        reasons: vec![view.reason("signal_ok", evidence, &radio.source)],
        missing,
        fibre: false,
    })
}

/// The CPE ping, as evidence: `(reason, answers)`.
fn cpe_evidence(view: &View<'_>) -> Option<(Reason, bool)> {
    let cpe = view.cpe?;
    let evidence = if cpe.reachable {
        format!(
            "CPE {} answers ping (rtt {}, loss {})",
            cpe.address,
            format_opt(cpe.rtt_ms, "ms"),
            format_opt(cpe.loss_pct, "%")
        )
    } else {
        format!("CPE {} does not answer ping", cpe.address)
    };
    Some((
        view.reason("cpe_ping", evidence, &cpe.source),
        cpe.reachable,
    ))
}

/// Rule 7: the signal is fine but there is no PPPoE session: fix it remotely.
pub(super) fn session_down(view: &View<'_>) -> Option<Finding> {
    let session = view.session.filter(|s| !s.online)?;
    let signal = signal_fine(view)?;
    let cpe = cpe_evidence(view);
    let mut actions = vec![format!(
        "Check the PPPoE secret of {} on the concentrator (disabled?)",
        view.facts.login
    )];
    if let Some(why) = &session.last_disconnect_reason {
        actions.push(format!("Look at the last disconnect reason: {why}"));
    }
    actions.push("Check the CPE: is it powered and dialling PPPoE with the right login?".into());
    let mut missing = signal.missing;
    if signal.fibre {
        match &cpe {
            Some((_, true)) => actions.push(
                "If that does not help, reboot the ONU remotely: it answers ping again after \
                 ~73 s and SmartOLT shows it Online after ~6 min"
                    .to_owned(),
            ),
            Some((_, false)) => {}
            None => missing.push("cpe: no ping result (needed before a remote ONU reboot)".into()),
        }
    }
    Some(
        Finding::new(
            VerdictKind::Remote,
            Scope::Subscriber,
            "The signal is fine but there is no PPPoE session: fix it remotely (secret, CPE)"
                .to_owned(),
        )
        .actions(actions)
        .reasons([view.reason("session_down", session_text(session), &session.source)])
        .reasons(signal.reasons)
        .reasons(cpe.map(|(reason, _)| reason))
        .missing(missing),
    )
}

/// Rule 8: the session is up (and the signal fine, or not known to be bad): Wi-Fi, CPE or speed;
/// a flapping session is a remote fix instead.
pub(super) fn session_up(view: &View<'_>) -> Option<Finding> {
    let session = view.session.filter(|s| s.online)?;
    let signal = signal_fine(view);
    let (signal_reasons, signal_missing) =
        signal.map(|s| (s.reasons, s.missing)).unwrap_or_default();
    let cpe = cpe_evidence(view).map(|(reason, _)| reason);
    let threshold = view.config.flapping_disconnects;
    let finding = if threshold > 0 && session.recent_disconnects >= threshold {
        Finding::new(
            VerdictKind::Remote,
            Scope::Subscriber,
            format!(
                "The session is flapping ({} drops recently) with a good signal: fix it \
                 remotely (CPE, cabling, power)",
                session.recent_disconnects
            ),
        )
        .actions([
            "Check the CPE: power supply, overheating, firmware, and the cable between the ONU \
             or antenna and the CPE"
                .to_owned(),
            match &session.last_disconnect_reason {
                Some(why) => format!("Look at the disconnect reasons (last: {why})"),
                None => "Look at the disconnect reasons on the concentrator".to_owned(),
            },
            "Show the live traffic while the customer is on the line".to_owned(),
        ])
        .reasons([view.reason(
            "flapping",
            format!(
                "session dropped {} times in the recent window (threshold {threshold})",
                session.recent_disconnects
            ),
            &session.source,
        )])
    } else {
        Finding::new(
            VerdictKind::Ok,
            Scope::Subscriber,
            "The connection is up: a Wi-Fi, CPE or speed issue; show live traffic".to_owned(),
        )
        .actions([
            "Show the customer's live traffic",
            "Check the Wi-Fi (band, distance, interference) and the CPE",
            "Run a speed test against the plan",
        ])
    };
    Some(
        finding
            .reasons([view.reason("session_up", session_text(session), &session.source)])
            .reasons(signal_reasons)
            .reasons(cpe)
            .missing(signal_missing),
    )
}

/// Rule 9: nothing applies; say what is missing, and show what is known.
pub(super) fn unknown(view: &View<'_>) -> Finding {
    let summary = if view.missing.is_empty() {
        "No rule applies to these facts: check them by hand".to_owned()
    } else {
        format!(
            "Not enough fresh facts to decide: {}",
            view.missing.join("; ")
        )
    };
    let mut reasons = view.down_evidence();
    if let Some(session) = view.session.filter(|s| s.online) {
        reasons.push(view.reason("session_up", session_text(session), &session.source));
    }
    Finding::new(VerdictKind::Unknown, Scope::Subscriber, summary)
        .actions([
            "Run the live checks (session, ONU, CPE) and diagnose again",
            "Escalate to the NOC if the sources stay missing",
        ])
        .reasons(reasons)
}
