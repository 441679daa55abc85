use std::collections::HashSet;

use time::{Duration, OffsetDateTime};

use super::eval::{CAUSE_LOS, CAUSE_POWER};
use super::*;
use crate::scenario::Scenario;

const EXAMPLE: &str = include_str!("../../../scenarios/small-isp.toml");

fn world() -> (World, OffsetDateTime) {
    let sc = Scenario::parse(EXAMPLE, "small-isp.toml").expect("example parses");
    let now = OffsetDateTime::now_utc();
    (World::build(&sc, now), now)
}

fn on_pon<'w>(w: &'w World, key: &str) -> Vec<&'w Subscriber> {
    let pon = w.pon_index(key).expect("pon exists");
    w.subscribers
        .iter()
        .filter(|s| s.onu().is_some_and(|o| o.pon == pon))
        .collect()
}

fn sessions_down(changes: &[Change]) -> usize {
    changes
        .iter()
        .filter(|c| matches!(c, Change::SessionDown { .. }))
        .count()
}

#[test]
fn the_example_builds_deterministically_with_unique_identities() {
    let (a, _) = world();
    let (b, _) = world();
    assert_eq!(a.subscribers.len(), 64 + 40 + 36 + 48 + 32 + 24 + 16 + 12);
    let logins: Vec<_> = a.subscribers.iter().map(|s| s.login.clone()).collect();
    let again: Vec<_> = b.subscribers.iter().map(|s| s.login.clone()).collect();
    assert_eq!(logins, again);
    assert_eq!(
        logins.iter().collect::<HashSet<_>>().len(),
        logins.len(),
        "logins unique"
    );
    let serials: HashSet<_> = a
        .subscribers
        .iter()
        .filter_map(|s| s.onu())
        .map(|o| &o.serial)
        .collect();
    assert_eq!(serials.len(), 244, "serials unique");
    let ips: HashSet<_> = a.subscribers.iter().map(|s| s.cpe_ip).collect();
    assert_eq!(ips.len(), a.subscribers.len(), "CPE addresses unique");
    assert!(
        a.subscribers
            .iter()
            .any(|s| s.onu().is_some_and(OnuInfo::hex_quirk))
    );
}

#[test]
fn pinned_subscribers_sit_where_the_scenario_puts_them() {
    let (w, _) = world();
    let joao = w.subscriber("joao.silva").expect("joao is pinned");
    assert_eq!(joao.name, "João da Silva");
    let onu = joao.onu().expect("fibre");
    assert_eq!(w.pons[onu.pon].key(&w), "olt-centro/1/1");
    assert!(joao.live.session.is_some());
    let jose = w.subscriber("jose.araujo").expect("jose is pinned");
    assert_eq!(w.aps[jose.sm().expect("radio").ap].name, "AP-SERRA-1");
    assert_eq!(
        w.subscriber("ana.pereira").map(|s| s.live.billing),
        Some(Billing::Warned)
    );
}

#[test]
fn a_healthy_world_has_sessions_for_everyone_but_the_churned() {
    let (w, _) = world();
    let churned = w.subscribers.iter().filter(|s| s.churned).count();
    assert!(churned > 0, "the example has a chronic-LOS population");
    for s in &w.subscribers {
        assert_eq!(s.live.session.is_some(), !s.churned, "{}", s.login);
        if s.churned {
            assert_eq!(s.live.onu_status, OnuStatus::Los);
            assert_eq!(s.live.billing, Billing::Cancelled);
        }
    }
}

#[test]
fn a_pon_cut_takes_down_exactly_that_pon_and_repair_brings_it_back() {
    let (mut w, now) = world();
    let active: Vec<String> = on_pon(&w, "olt-centro/1/1")
        .iter()
        .filter(|s| !s.churned)
        .map(|s| s.login.clone())
        .collect();
    let (id, changes) = w
        .inject(
            Fault::PonCut {
                pon: "olt-centro/1/1".into(),
            },
            now,
        )
        .expect("valid fault");
    assert_eq!(sessions_down(&changes), active.len());
    for s in on_pon(&w, "olt-centro/1/1") {
        assert_eq!(s.live.onu_status, OnuStatus::Los, "{}", s.login);
        assert!(s.live.session.is_none());
    }
    for login in &active {
        let s = w.subscriber(login).expect("exists");
        assert_eq!(s.live.last_down_cause, Some(CAUSE_LOS));
        assert_eq!(s.live.last_disconnect_reason, Some("hung-up"));
        assert_eq!(s.live.status_since, now);
    }
    for s in on_pon(&w, "olt-centro/1/2") {
        assert_eq!(s.live.session.is_some(), !s.churned);
    }

    let later = now + Duration::minutes(7);
    let changes = w.repair(id, later).expect("fault exists");
    let up = changes
        .iter()
        .filter(|c| matches!(c, Change::SessionUp { .. }))
        .count();
    assert_eq!(up, active.len());
    for login in &active {
        let s = w.subscriber(login).expect("exists");
        assert_eq!(s.live.onu_status, OnuStatus::Online);
        assert_eq!(s.live.session.as_ref().map(|x| x.since), Some(later));
        let last = s.live.history.back().expect("outage recorded");
        assert_eq!(
            (last.down_at, last.up_at, last.cause),
            (now, Some(later), CAUSE_LOS)
        );
    }
    assert!(
        w.repair(id, later).is_none(),
        "repairing twice finds nothing"
    );
}

#[test]
fn a_power_outage_of_a_zone_is_dying_gasp_on_its_pons_only() {
    let (mut w, now) = world();
    w.inject(
        Fault::PowerOutage {
            zone: Some("Vila Nova".into()),
            pons: Vec::new(),
        },
        now,
    )
    .expect("valid");
    for key in ["olt-norte/1/1", "olt-norte/1/2"] {
        for s in on_pon(&w, key).iter().filter(|s| !s.churned) {
            assert_eq!(s.live.onu_status, OnuStatus::PowerFail);
            assert_eq!(s.live.last_down_cause, Some(CAUSE_POWER));
        }
    }
    for s in on_pon(&w, "olt-norte/1/3").iter().filter(|s| !s.churned) {
        assert_eq!(s.live.onu_status, OnuStatus::Online);
    }
}

#[test]
fn a_feeder_cut_and_a_single_los_stay_local() {
    let (mut w, now) = world();
    let splitter = w.splitters[w.pons[0].splitters[1]].name.clone();
    w.inject(
        Fault::FeederCut {
            splitter: splitter.clone(),
        },
        now,
    )
    .expect("valid");
    w.inject(
        Fault::SubscriberLos {
            login: "joao.silva".into(),
        },
        now,
    )
    .expect("valid");
    for s in on_pon(&w, "olt-centro/1/1") {
        let onu = s.onu().expect("fibre");
        let cut = w.splitters[onu.splitter].name == splitter || s.login == "joao.silva";
        assert_eq!(s.live.access_up, !cut && !s.churned, "{}", s.login);
    }
}

#[test]
fn a_backhaul_cut_takes_the_tower_aps_and_radio_subscribers_down() {
    let (mut w, now) = world();
    let (id, changes) = w
        .inject(
            Fault::BackhaulDown {
                link: "bh-norte-serra".into(),
            },
            now,
        )
        .expect("valid");
    assert_eq!(sessions_down(&changes), 28);
    assert!(w.aps.iter().all(|a| !a.online));
    assert!(!w.subscriber("jose.araujo").expect("exists").live.access_up);
    w.repair(id, now).expect("exists");
    assert!(w.aps.iter().all(|a| a.online));

    w.inject(
        Fault::ApDown {
            ap: "AP-SERRA-2".into(),
        },
        now,
    )
    .expect("valid");
    assert!(w.aps[0].online && !w.aps[1].online);
    assert!(w.subscriber("jose.araujo").expect("exists").live.access_up);
}

#[test]
fn degradation_lowers_rx_but_keeps_the_onus_online() {
    let (mut w, now) = world();
    let before: Vec<f64> = on_pon(&w, "olt-centro/1/2")
        .iter()
        .map(|s| s.live.rx_dbm)
        .collect();
    w.inject(
        Fault::OpticalDegradation {
            pon: "olt-centro/1/2".into(),
            db: 3.5,
        },
        now,
    )
    .expect("valid");
    let after: Vec<&Subscriber> = on_pon(&w, "olt-centro/1/2");
    for (b, s) in before.iter().zip(after) {
        assert!(
            (b - 3.5 - s.live.rx_dbm).abs() < 0.011,
            "{b} -> {}",
            s.live.rx_dbm
        );
        assert_eq!(s.live.access_up, !s.churned);
    }
}

#[test]
fn a_billing_block_changes_billing_and_renews_the_session() {
    let (mut w, now) = world();
    let old = w
        .subscriber("maria.souza")
        .and_then(|s| s.live.session.clone())
        .expect("online");
    let (_, changes) = w
        .inject(
            Fault::BillingBlock {
                login: "maria.souza".into(),
            },
            now,
        )
        .expect("valid");
    let s = w.subscriber("maria.souza").expect("exists");
    assert_eq!(s.live.billing, Billing::Blocked);
    assert_eq!(s.live.last_disconnect_reason, Some("nas-request"));
    let new = s.live.session.clone().expect("reconnected");
    assert_ne!(new.id, old.id);
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::SessionDown { id, .. } if *id == old.id))
    );
}

#[test]
fn one_subscriber_losing_power_sends_dying_gasp_alone() {
    let (mut w, now) = world();
    let (_, changes) = w
        .inject(
            Fault::SubscriberPower {
                login: "joao.silva".into(),
            },
            now,
        )
        .expect("valid");
    let pon = {
        let s = w.subscriber("joao.silva").expect("exists");
        assert_eq!(s.live.onu_status, OnuStatus::PowerFail);
        assert_eq!(s.live.last_down_cause, Some("dying-gasp"));
        assert!(s.live.session.is_none());
        s.onu().expect("fibre").pon
    };
    assert_eq!(sessions_down(&changes), 1);
    for s in w
        .subscribers
        .iter()
        .filter(|s| s.onu().is_some_and(|o| o.pon == pon))
    {
        if s.login != "joao.silva" && !s.churned {
            assert_eq!(s.live.onu_status, OnuStatus::Online, "{}", s.login);
        }
    }
}

#[test]
fn a_stopped_cpe_ends_the_session_with_the_onu_still_online() {
    let (mut w, now) = world();
    let (id, changes) = w
        .inject(
            Fault::CpeDown {
                login: "maria.souza".into(),
            },
            now,
        )
        .expect("valid");
    let s = w.subscriber("maria.souza").expect("exists");
    assert!(s.live.session.is_none());
    assert_eq!(s.live.last_disconnect_reason, Some("hung-up"));
    assert_eq!(s.live.onu_status, OnuStatus::Online);
    assert!(s.live.access_up);
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Cpe { up: false, .. }))
    );
    w.repair(id, now).expect("known fault");
    assert!(
        w.subscriber("maria.souza")
            .expect("exists")
            .live
            .session
            .is_some()
    );
}

#[test]
fn churned_onus_stay_dark_after_repairs() {
    let (mut w, now) = world();
    w.inject(
        Fault::PonCut {
            pon: "olt-centro/1/1".into(),
        },
        now,
    )
    .expect("valid");
    w.repair_all(now);
    for s in w.subscribers.iter().filter(|s| s.churned) {
        assert_eq!(s.live.onu_status, OnuStatus::Los);
        assert!(s.live.session.is_none());
    }
}

#[test]
fn faults_naming_nothing_are_refused_with_a_reason() {
    let (mut w, now) = world();
    let cases = [
        (
            Fault::PonCut {
                pon: "olt-x/1/1".into(),
            },
            "no PON `olt-x/1/1`",
        ),
        (
            Fault::SubscriberLos {
                login: "jose.araujo".into(),
            },
            "radio subscriber",
        ),
        (
            Fault::PowerOutage {
                zone: None,
                pons: Vec::new(),
            },
            "needs `zone` or `pons`",
        ),
        (
            Fault::OpticalDegradation {
                pon: "olt-centro/1/1".into(),
                db: -1.0,
            },
            "`db` must be",
        ),
        (
            Fault::VendorOutage {
                vendor: Vendor::Ixc,
                mode: VendorMode::Slow,
                delay_ms: 0,
            },
            "delay_ms",
        ),
    ];
    for (fault, expected) in cases {
        let err = w.inject(fault, now).unwrap_err();
        assert!(
            err.0.contains(expected),
            "{} should contain {expected}",
            err.0
        );
    }
    assert!(w.faults.is_empty());
}

#[test]
fn hex_serial_encodes_the_vendor_letters() {
    assert_eq!(hex_serial("HWTCE55DA5AC"), "48575443E55DA5AC");
    assert_eq!(hex_serial("DC90E681213E"), "44433930E681213E");
}
