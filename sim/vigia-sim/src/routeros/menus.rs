//! The menus the simulated concentrator serves, as rows of `name → value` text built from the
//! world: `/ppp/active`, `/ppp/secret`, `/interface`, `/system/resource`, `/system/identity`.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::format::{self, Version};
use crate::world::{Billing, Subscriber, World};

/// One record of a menu.
pub(crate) type Row = BTreeMap<String, String>;

/// Physical ports of every simulated concentrator (`ether1` is the uplink).
const ETHERNET_PORTS: u32 = 4;
/// `.id` numbers of the dynamic `<pppoe-…>` interfaces start here.
const DYNAMIC_IDS: u32 = 0xF0_0000;
/// Share of the plan's speed a subscriber uses on average (for the byte counters).
const AVERAGE_USE: f64 = 0.02;
/// `/ppp/secret` profile of a subscriber blocked for debt.
const BLOCKED_PROFILE: &str = "BLOQUEIO";

/// What a served router is: which concentrator of the world, its version, when it booted.
#[derive(Debug, Clone)]
pub(crate) struct Router {
    pub index: usize,
    pub version: Version,
    pub booted: OffsetDateTime,
}

fn row<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Row {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

fn subscribers<'w>(
    world: &'w World,
    router: &Router,
) -> impl Iterator<Item = (usize, &'w Subscriber)> {
    world
        .subscribers
        .iter()
        .enumerate()
        .filter(move |(_, s)| s.concentrator == router.index)
}

/// `/ppp/active`: subscribers of this concentrator with a session, in session order.
pub(crate) fn active(world: &World, router: &Router, now: OffsetDateTime) -> Vec<Row> {
    let mut rows: Vec<(u32, Row)> = subscribers(world, router)
        .filter_map(|(i, _)| active_row(world, i, now).map(|row| (session_number(world, i), row)))
        .collect();
    rows.sort_by_key(|(number, _)| *number);
    rows.into_iter().map(|(_, row)| row).collect()
}

fn session_number(world: &World, subscriber: usize) -> u32 {
    world.subscribers[subscriber]
        .live
        .session
        .as_ref()
        .map_or(0, |s| s.id)
}

/// The `/ppp/active` row of one subscriber, when it has a session.
pub(crate) fn active_row(world: &World, subscriber: usize, now: OffsetDateTime) -> Option<Row> {
    let sub = world.subscribers.get(subscriber)?;
    let session = sub.live.session.as_ref()?;
    Some(row([
        (".id", format::id(session.id)),
        ("name", sub.login.clone()),
        ("service", "pppoe".to_owned()),
        ("caller-id", sub.cpe_mac.clone()),
        ("address", sub.cpe_ip.to_string()),
        (
            "uptime",
            format::duration((now - session.since).whole_seconds()),
        ),
        ("encoding", String::new()),
        ("session-id", format!("0x{:X}", session.session_id)),
        ("limit-bytes-in", "0".to_owned()),
        ("limit-bytes-out", "0".to_owned()),
        // Local secrets (see `/ppp/secret`), not RADIUS.
        ("radius", format::flag(false).to_owned()),
    ]))
}

/// `/ppp/secret`: one local secret per subscriber of this concentrator, password included (as
/// RouterOS prints it to a user with the `sensitive` policy).
pub(crate) fn secrets(world: &World, router: &Router) -> Vec<Row> {
    subscribers(world, router)
        .enumerate()
        .map(|(n, (_, sub))| {
            let plan = world.plans.get(sub.plan).map_or("default", |p| &p.name);
            let profile = if sub.live.billing == Billing::Blocked {
                BLOCKED_PROFILE
            } else {
                plan
            };
            let logged_out = sub.live.last_logout.map(|at| world.local(at));
            row([
                (".id", format::id(n as u32 + 1)),
                ("name", sub.login.clone()),
                ("service", "pppoe".to_owned()),
                ("password", sub.password.clone()),
                ("profile", profile.to_owned()),
                ("local-address", String::new()),
                ("remote-address", sub.cpe_ip.to_string()),
                ("routes", String::new()),
                ("limit-bytes-in", "0".to_owned()),
                ("limit-bytes-out", "0".to_owned()),
                // A cancelled contract's secret is kept, disabled.
                ("disabled", format::flag(sub.churned).to_owned()),
                (
                    "last-logged-out",
                    format::date_time(logged_out, router.version),
                ),
                ("last-caller-id", sub.cpe_mac.clone()),
                (
                    "last-disconnect-reason",
                    sub.live.last_disconnect_reason.unwrap_or("").to_owned(),
                ),
            ])
        })
        .collect()
}

/// `/interface`: `ether1..4`, then one dynamic `<pppoe-LOGIN>` per session. Byte counters grow
/// with time (a share of the plan's speed), so two prints a second apart differ.
pub(crate) fn interfaces(world: &World, router: &Router, now: OffsetDateTime) -> Vec<Row> {
    let up_secs = (now - router.booted).whole_seconds().max(0) as u64;
    let sessions: Vec<(u32, &Subscriber, u64)> = subscribers(world, router)
        .filter_map(|(_, sub)| {
            let session = sub.live.session.as_ref()?;
            Some((
                session.id,
                sub,
                (now - session.since).whole_seconds().max(0) as u64,
            ))
        })
        .collect();
    let total: (u64, u64) = sessions.iter().fold((0, 0), |acc, (_, sub, secs)| {
        let (rx, tx) = pppoe_bytes(world, sub, *secs);
        (acc.0 + rx, acc.1 + tx)
    });
    let local = world.local(router.booted);
    let mut rows = Vec::new();
    for port in 1..=ETHERNET_PORTS {
        // The uplink carries the subscribers' traffic; the others idle along.
        let (rx, tx) = if port == 1 {
            (total.1 + up_secs * 1_200, total.0 + up_secs * 900)
        } else {
            (
                up_secs * 64 * u64::from(port),
                up_secs * 48 * u64::from(port),
            )
        };
        let mut r = row([
            (".id", format::id(port)),
            ("name", format!("ether{port}")),
            ("default-name", format!("ether{port}")),
            ("type", "ether".to_owned()),
            ("mtu", "1500".to_owned()),
            ("actual-mtu", "1500".to_owned()),
            ("running", format::flag(port <= 2).to_owned()),
            ("disabled", format::flag(port == ETHERNET_PORTS).to_owned()),
            ("dynamic", format::flag(false).to_owned()),
            ("link-downs", "0".to_owned()),
            (
                "last-link-up-time",
                format::date_time(Some(local), router.version),
            ),
        ]);
        counters(&mut r, rx, tx);
        if port == 1 {
            r.insert("comment".to_owned(), "uplink".to_owned());
        }
        rows.push(r);
    }
    for (id, sub, secs) in sessions {
        let (rx, tx) = pppoe_bytes(world, sub, secs);
        let up_at = world.local(now - time::Duration::seconds(secs as i64));
        let mut r = row([
            (".id", format::id(DYNAMIC_IDS + id)),
            ("name", format!("<pppoe-{}>", sub.login)),
            ("type", "pppoe-in".to_owned()),
            ("mtu", "1480".to_owned()),
            ("actual-mtu", "1480".to_owned()),
            ("running", format::flag(true).to_owned()),
            ("disabled", format::flag(false).to_owned()),
            ("dynamic", format::flag(true).to_owned()),
            ("link-downs", "0".to_owned()),
            (
                "last-link-up-time",
                format::date_time(Some(up_at), router.version),
            ),
        ]);
        counters(&mut r, rx, tx);
        rows.push(r);
    }
    rows
}

/// Bytes received from and sent to the subscriber over `secs` of session.
fn pppoe_bytes(world: &World, sub: &Subscriber, secs: u64) -> (u64, u64) {
    let (down, up) = world
        .plans
        .get(sub.plan)
        .map_or((10, 5), |p| (p.download_mbps, p.upload_mbps));
    let rate = |mbps: u32| (f64::from(mbps) * 1e6 / 8.0 * AVERAGE_USE) as u64;
    (rate(up) * secs, rate(down) * secs)
}

fn counters(row: &mut Row, rx: u64, tx: u64) {
    for (name, value) in [
        ("rx-byte", rx),
        ("tx-byte", tx),
        ("rx-packet", rx / 1_000),
        ("tx-packet", tx / 1_000),
        ("rx-error", 0),
        ("tx-error", 0),
        ("rx-drop", 0),
        ("tx-drop", 0),
    ] {
        row.insert(name.to_owned(), value.to_string());
    }
}

/// `/system/resource`: a CCR whose load follows the number of sessions.
pub(crate) fn resource(world: &World, router: &Router, now: OffsetDateTime) -> Row {
    let sessions = subscribers(world, router)
        .filter(|(_, s)| s.live.session.is_some())
        .count();
    let (board, arch, cpu, cores) = if router.version.major() >= 7 {
        ("CCR2116-12G-4S+", "arm64", "ARM64", 16)
    } else {
        ("CCR1036-8G-2S+", "tile", "tilegx", 36)
    };
    let total_memory: u64 = 4 << 30;
    let load = (3 + sessions / 20).min(100);
    row([
        (
            "uptime",
            format::duration((now - router.booted).whole_seconds()),
        ),
        (
            "version",
            format!(
                "{} (stable)",
                world.concentrators[router.index].routeros_version
            ),
        ),
        ("free-memory", (total_memory * 3 / 4).to_string()),
        ("total-memory", total_memory.to_string()),
        ("cpu", cpu.to_owned()),
        ("cpu-count", cores.to_string()),
        ("cpu-load", load.to_string()),
        ("free-hdd-space", "98304000".to_owned()),
        ("total-hdd-space", "134217728".to_owned()),
        ("architecture-name", arch.to_owned()),
        ("board-name", board.to_owned()),
        ("platform", "MikroTik".to_owned()),
    ])
}

/// `/system/identity`: the concentrator's id.
pub(crate) fn identity(world: &World, router: &Router) -> Row {
    row([("name", world.concentrators[router.index].id.clone())])
}
