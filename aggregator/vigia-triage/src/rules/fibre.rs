//! Rules 3 to 5, the ONU: power fail, loss of signal (or offline), optical levels.

use super::Finding;
use crate::evidence::{clock, duration, when};
use crate::facts::{Onu, OnuStatus, PonNeighbours};
use crate::verdict::{Reason, Scope, VerdictKind};
use crate::view::{View, onu_down};

/// Whether an ONU's last down cause says it lost power (dying gasp).
fn power_cause(cause: &str) -> bool {
    let cause = cause.to_lowercase();
    ["dying", "gasp", "power"]
        .iter()
        .any(|word| cause.contains(word))
}

/// When the ONU went down, as far as it says.
fn down_since(onu: &Onu) -> Option<u64> {
    onu.status_since_ms.or(onu.last_down_ms)
}

/// `PON olt-1/0/3` / `the subscriber's PON`.
fn pon_name(onu: &Onu) -> String {
    match (&onu.pon, &onu.olt, onu.board, onu.port) {
        (Some(pon), ..) => format!("PON {pon}"),
        (None, Some(olt), Some(board), Some(port)) => format!("PON {olt}/{board}/{port}"),
        _ => "the subscriber's PON".to_owned(),
    }
}

/// Rule 3: the ONU reports power fail, or is down with a dying-gasp/power last down cause.
pub(super) fn customer_power(view: &View<'_>) -> Option<Finding> {
    let onu = view.onu?;
    let cause = onu.last_down_cause.as_deref().unwrap_or_default();
    let rule = if onu.status == OnuStatus::PowerFail {
        "power_fail"
    } else if onu_down(onu.status) && power_cause(cause) {
        "dying_gasp"
    } else {
        return None;
    };
    let mut evidence = view.onu_status_text(onu);
    if !cause.is_empty() {
        evidence.push_str(&format!(", last down cause {cause:?}"));
    }
    let at = onu
        .last_down_ms
        .or(onu.status_since_ms)
        .map(|ms| format!(" at {}", clock(ms)))
        .unwrap_or_default();
    Some(
        Finding::new(
            VerdictKind::CustomerPower,
            Scope::Subscriber,
            format!(
                "ONU {} lost power{at}: call the customer; no dispatch",
                onu.serial
            ),
        )
        .actions([
            format!("Call the customer: the ONU lost power (dying gasp){at}"),
            "Ask them to check the ONU's power supply, outlet and breaker, and whether the \
             area has power"
                .to_owned(),
            "Do not dispatch while the ONU has no power".to_owned(),
        ])
        .reasons([view.reason(rule, evidence, &onu.source)]),
    )
}

/// Rule 4: an isolated LOS, or an ONU offline without LOS or power alarm: confirm with the
/// customer, then dispatch. Neighbours down on the same PON make it a PON problem instead.
pub(super) fn loss_of_signal(view: &View<'_>) -> Option<Finding> {
    let onu = view.onu?;
    if !matches!(onu.status, OnuStatus::Los | OnuStatus::Offline) {
        return None;
    }
    let neighbours = view.facts.pon_neighbours.as_ref();
    if let Some(neighbours) = neighbours.filter(|n| n.down > 0) {
        return Some(neighbours_down(view, onu, neighbours));
    }
    let isolation = match neighbours {
        Some(n) => Ok(view.reason(
            "pon_isolated",
            format!(
                "{} of {} other ONUs on {} are down",
                n.down,
                n.total,
                pon_name(onu)
            ),
            &onu.source,
        )),
        None => Err("pon neighbours: unknown (isolation not confirmed)".to_owned()),
    };
    let status = view.onu_status_text(onu);
    let finding = if onu.status == OnuStatus::Offline {
        Finding::new(
            VerdictKind::ConfirmThenDispatch,
            Scope::Subscriber,
            format!(
                "ONU {} offline without LOS or power alarm: unplugged or switched off? Confirm \
                 with the customer, then dispatch",
                onu.serial
            ),
        )
        .actions([
            "Ask the customer whether the ONU is switched on and plugged in (are its lights on?)"
                .to_owned(),
            "If it is on and still offline, dispatch a technician to check the ONU".to_owned(),
        ])
        .reasons([view.reason("onu_offline", status, &onu.source)])
    } else {
        los(view, onu, status)
    };
    Some(match isolation {
        Ok(reason) => finding.reasons([reason]),
        Err(missing) => finding.missing([missing]),
    })
}

fn los(view: &View<'_>, onu: &Onu, status: String) -> Finding {
    let since = down_since(onu);
    let age = since.map(|s| view.now_ms.saturating_sub(s));
    let (rule, lead, missing) = match age {
        Some(age) if age <= view.config.fresh_los_ms => ("los_fresh", None, None),
        Some(age) => (
            "los_old",
            Some(format!(
                "Check the contract first: the ONU has been in LOS for {} (moved, churned or \
                 disconnected?)",
                duration(age)
            )),
            None,
        ),
        None => (
            "los_since_unknown",
            None,
            Some("onu: LOS start time unknown (freshness not checked)".to_owned()),
        ),
    };
    let since_text = since
        .map(|s| format!(" since {}", when(s, view.now_ms)))
        .unwrap_or_default();
    Finding::new(
        VerdictKind::ConfirmThenDispatch,
        Scope::Subscriber,
        format!(
            "Isolated loss of signal on ONU {}{since_text}: confirm with the customer, then \
             dispatch",
            onu.serial
        ),
    )
    .actions(lead)
    .actions([
        "Ask the customer whether the ONU is plugged in and its fibre cable connected (is the \
         LOS light red?)",
        "If it is, dispatch a fibre technician to the drop: connector or drop cable",
    ])
    .reasons([view.reason(rule, status, &onu.source)])
    .missing(missing)
}

fn neighbours_down(view: &View<'_>, onu: &Onu, neighbours: &PonNeighbours) -> Finding {
    let pon = pon_name(onu);
    Finding::new(
        VerdictKind::Outage,
        Scope::Pon,
        format!(
            "ONU {} is down with {} other ONUs on {pon}: one PON/splitter problem; an outage \
             event is being confirmed",
            onu.serial, neighbours.down
        ),
    )
    .actions([
        format!(
            "An outage event is being confirmed: tell the customer there is a problem on {pon}"
        ),
        "Do not dispatch to the subscriber's drop".to_owned(),
    ])
    .reasons([
        view.reason(
            "neighbours_down",
            format!(
                "{} of {} other ONUs on {pon} are down too",
                neighbours.down, neighbours.total
            ),
            &onu.source,
        ),
        view.reason("subscriber_down", view.onu_status_text(onu), &onu.source),
    ])
}

/// What is wrong with an online ONU's optics (empty: nothing, or no Rx to judge).
pub(super) fn optics_problems(view: &View<'_>, onu: &Onu) -> Vec<Reason> {
    let config = view.config;
    let mut problems = Vec::new();
    let Some(rx) = onu.rx_dbm else {
        return problems;
    };
    if rx < config.rx_min_dbm || rx > config.rx_max_dbm {
        problems.push(view.reason(
            "rx_out_of_range",
            format!(
                "ONU {} Rx {rx:.1} dBm outside [{:.1}, {:.1}] dBm",
                onu.serial, config.rx_min_dbm, config.rx_max_dbm
            ),
            &onu.source,
        ));
    }
    if let Some(median) = onu.rx_median_dbm
        && rx <= median - config.rx_drop_db
    {
        problems.push(view.reason(
            "rx_drop",
            format!(
                "ONU {} Rx {rx:.1} dBm is {:.1} dB below its recent median {median:.1} dBm \
                 (threshold {:.1} dB)",
                onu.serial,
                median - rx,
                config.rx_drop_db
            ),
            &onu.source,
        ));
    }
    problems
}

/// Rule 5: an online ONU with its Rx out of range or dropped against its median; a PON-wide drop
/// makes it one PON/splitter problem.
pub(super) fn optical(view: &View<'_>) -> Option<Finding> {
    let onu = view.onu.filter(|o| o.status == OnuStatus::Online)?;
    let problems = optics_problems(view, onu);
    if problems.is_empty() {
        return None;
    }
    let config = view.config;
    let neighbours = view.facts.pon_neighbours.as_ref();
    let pon = pon_name(onu);
    let rx = onu
        .rx_dbm
        .map(|rx| format!("Rx {rx:.1} dBm"))
        .unwrap_or_default();
    if let Some(n) = neighbours.filter(|n| n.rx_dropped >= config.pon_drop_min_onus.max(1)) {
        let place = match &onu.splitter {
            Some(splitter) => format!("splitter {splitter} / {pon}"),
            None => pon.clone(),
        };
        return Some(
            Finding::new(
                VerdictKind::DispatchOptical,
                Scope::Pon,
                format!(
                    "{} other ONUs on {pon} dropped too: one PON/splitter problem; dispatch to \
                     the {place}, not the drop",
                    n.rx_dropped
                ),
            )
            .actions([
                format!("Dispatch a fibre technician to {place}: not the subscriber's drop"),
                "Link this ticket to the others on the same PON".to_owned(),
            ])
            .reasons([view.reason(
                "pon_rx_drop",
                format!(
                    "{} of {} other ONUs on {pon} with a known Rx dropped by >= {:.1} dB",
                    n.rx_dropped, n.rx_known, config.pon_drop_db
                ),
                &onu.source,
            )])
            .reasons(problems),
        );
    }
    let missing = neighbours
        .is_none()
        .then(|| "pon neighbours: unknown (a PON-wide drop is not ruled out)".to_owned());
    Some(
        Finding::new(
            VerdictKind::DispatchOptical,
            Scope::Subscriber,
            format!(
                "Optical problem on the subscriber's drop (ONU {} {rx}): dispatch a fibre \
                 technician",
                onu.serial
            ),
        )
        .actions([
            format!(
                "Dispatch a fibre technician to the drop of ONU {}: clean and check connectors, \
                 bends and the drop cable ({rx})",
                onu.serial
            ),
            "Bring an optical power meter and compare with the splitter's output".to_owned(),
        ])
        .reasons(problems)
        .missing(missing),
    )
}
