//! Level-based evaluation: from the active faults to every element's condition, recording the
//! transitions as the real systems would (status change time, last down cause, a session that
//! ends with a reason and a new one when service returns).

use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;

use super::{Access, Billing, Change, DownRecord, Fault, OnuStatus, World};

/// ONU history entries SmartOLT keeps.
const HISTORY: usize = 10;
/// Huawei's wording of the causes SmartOLT shows.
pub(crate) const CAUSE_POWER: &str = "dying-gasp";
pub(crate) const CAUSE_LOS: &str = "ONT LOSi/LOBi alarm";
/// RouterOS `last-disconnect-reason` when the CPE vanished (LCP echoes unanswered).
const REASON_LOST: &str = "hung-up";
/// RouterOS `last-disconnect-reason` when the NAS ended it (a CoA after a billing change).
const REASON_NAS: &str = "nas-request";

#[derive(Default)]
struct Faults {
    cut_pons: HashSet<usize>,
    cut_splitters: HashSet<usize>,
    power_pons: HashSet<usize>,
    power_zones: HashSet<String>,
    down_aps: HashSet<usize>,
    down_towers: HashSet<usize>,
    down_links: HashSet<usize>,
    los: HashSet<usize>,
    powerless: HashSet<usize>,
    cpe_down: HashSet<usize>,
    degraded: HashMap<usize, f64>,
    blocked: HashSet<usize>,
}

impl Faults {
    fn of(world: &World) -> Self {
        let mut f = Faults::default();
        for active in &world.faults {
            match &active.fault {
                Fault::PonCut { pon } => f.cut_pons.extend(world.pon_index(pon)),
                Fault::FeederCut { splitter } => f
                    .cut_splitters
                    .extend(world.splitters.iter().position(|s| &s.name == splitter)),
                Fault::PowerOutage { zone, pons } => {
                    f.power_zones.extend(zone.clone());
                    f.power_pons
                        .extend(pons.iter().filter_map(|p| world.pon_index(p)));
                }
                Fault::ApDown { ap } => f
                    .down_aps
                    .extend(world.aps.iter().position(|a| &a.name == ap)),
                Fault::TowerDown { tower } => {
                    f.down_towers
                        .extend(world.towers.iter().position(|t| &t.id == tower));
                }
                Fault::BackhaulDown { link } => {
                    f.down_links
                        .extend(world.backhauls.iter().position(|b| &b.id == link));
                }
                Fault::SubscriberLos { login } => f.los.extend(world.subscriber_index(login)),
                Fault::SubscriberPower { login } => {
                    f.powerless.extend(world.subscriber_index(login))
                }
                Fault::CpeDown { login } => f.cpe_down.extend(world.subscriber_index(login)),
                Fault::OpticalDegradation { pon, db } => {
                    if let Some(p) = world.pon_index(pon) {
                        *f.degraded.entry(p).or_default() += db;
                    }
                }
                Fault::BillingBlock { login } => f.blocked.extend(world.subscriber_index(login)),
                Fault::VendorOutage { .. } => {}
            }
        }
        f
    }
}

pub(super) fn reevaluate(world: &mut World, now: OffsetDateTime) -> Vec<Change> {
    let faults = Faults::of(world);
    let mut changes = Vec::new();

    let tower_up: Vec<bool> = world
        .towers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            !faults.down_towers.contains(&i)
                && !t.path.iter().any(|l| faults.down_links.contains(l))
                && !t
                    .zone
                    .as_ref()
                    .is_some_and(|z| faults.power_zones.contains(z))
        })
        .collect();
    for (i, ap) in world.aps.iter_mut().enumerate() {
        let online = tower_up[ap.tower] && !faults.down_aps.contains(&i);
        if online != ap.online {
            ap.online = online;
            ap.status_since = now;
        }
    }

    for i in 0..world.subscribers.len() {
        let sub = &world.subscribers[i];
        let (access_up, status, cause, rx) = match &sub.access {
            Access::Fibre(onu) => {
                let pon = &world.pons[onu.pon];
                let rx = onu.base_rx_dbm - faults.degraded.get(&onu.pon).copied().unwrap_or(0.0);
                if sub.churned {
                    (false, OnuStatus::Los, CAUSE_LOS, rx)
                } else if faults.power_pons.contains(&onu.pon)
                    || faults.power_zones.contains(&pon.zone)
                    || faults.powerless.contains(&i)
                {
                    (false, OnuStatus::PowerFail, CAUSE_POWER, rx)
                } else if faults.cut_pons.contains(&onu.pon)
                    || faults.cut_splitters.contains(&onu.splitter)
                    || faults.los.contains(&i)
                {
                    (false, OnuStatus::Los, CAUSE_LOS, rx)
                } else {
                    (true, OnuStatus::Online, "", rx)
                }
            }
            Access::Radio(sm) => {
                let up = world.aps[sm.ap].online;
                let status = if up {
                    OnuStatus::Online
                } else {
                    OnuStatus::Offline
                };
                (up, status, "radio link lost", 0.0)
            }
        };
        let billing = if faults.blocked.contains(&i) {
            Billing::Blocked
        } else {
            sub.billing
        };
        let newly_blocked = billing == Billing::Blocked && sub.live.billing != Billing::Blocked;

        let sub = &mut world.subscribers[i];
        let live = &mut sub.live;
        live.rx_dbm = (rx * 100.0).round() / 100.0;
        live.billing = billing;
        if status != live.onu_status || access_up != live.access_up {
            live.status_since = now;
            if access_up {
                if let Some(last) = live.history.back_mut()
                    && last.up_at.is_none()
                {
                    last.up_at = Some(now);
                }
            } else if live.access_up || live.onu_status == OnuStatus::Online {
                live.last_down_cause = Some(cause_str(cause));
                live.history.push_back(DownRecord {
                    down_at: now,
                    up_at: None,
                    cause: cause_str(cause),
                });
                while live.history.len() > HISTORY {
                    live.history.pop_front();
                }
            }
            live.onu_status = status;
            live.access_up = access_up;
        }
        let want_session = access_up && !sub.churned && !faults.cpe_down.contains(&i);
        let end_reason = match (&live.session, want_session) {
            (Some(_), false) => Some(REASON_LOST),
            (Some(_), true) if newly_blocked => Some(REASON_NAS),
            _ => None,
        };
        if let Some(reason) = end_reason
            && let Some(session) = live.session.take()
        {
            live.last_logout = Some(now);
            live.last_disconnect_reason = Some(reason);
            live.disconnects += 1;
            changes.push(Change::SessionDown {
                concentrator: sub.concentrator,
                subscriber: i,
                id: session.id,
                reason,
            });
            changes.push(Change::Cpe {
                address: sub.cpe_ip,
                up: false,
            });
        }
        // The session borrows the world's counter, so it is opened after `live` is released.
        if want_session && live.session.is_none() {
            let session = world.new_session(now);
            let sub = &mut world.subscribers[i];
            sub.live.session = Some(session);
            changes.push(Change::SessionUp {
                concentrator: sub.concentrator,
                subscriber: i,
            });
            changes.push(Change::Cpe {
                address: sub.cpe_ip,
                up: true,
            });
        }
    }
    changes
}

fn cause_str(cause: &str) -> &'static str {
    match cause {
        CAUSE_POWER => CAUSE_POWER,
        CAUSE_LOS => CAUSE_LOS,
        _ => "radio link lost",
    }
}
