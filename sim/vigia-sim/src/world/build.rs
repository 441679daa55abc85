//! Building a [`World`] from a [`Scenario`]: structure as written, subscribers generated from
//! the seed (pinned ones replace the generated one at their place), the network healthy.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use time::{Duration, OffsetDateTime, UtcOffset};

use super::{
    Access, AccessPoint, Backhaul, Billing, Concentrator, Live, Olt, OnuInfo, OnuStatus, Plan, Pon,
    SmInfo, Splitter, Subscriber, Tower, World,
};
use crate::names;
use crate::rng::Rng;
use crate::scenario::{self, Scenario};

/// One ONU in this many has SmartOLT's hex-id quirk.
const HEX_QUIRK_EVERY: usize = 37;

pub(super) fn build(sc: &Scenario, now: OffsetDateTime) -> World {
    let mut rng = Rng::new(sc.seed);
    let offset_secs = sc.timezone_offset_minutes.saturating_mul(60);
    let utc_offset = UtcOffset::from_whole_seconds(offset_secs).unwrap_or(UtcOffset::UTC);
    let mut world = World {
        name: sc.name.clone(),
        utc_offset,
        plans: sc
            .plans
            .iter()
            .map(|p| Plan {
                id: p.id,
                name: p.name.clone(),
                download_mbps: p.download_mbps,
                upload_mbps: p.upload_mbps,
            })
            .collect(),
        pops: sc.pops.clone(),
        concentrators: sc
            .concentrators
            .iter()
            .enumerate()
            .map(|(i, c)| Concentrator {
                id: c.id.clone(),
                pop: c.pop.clone(),
                address: c.address,
                api_listen: c.api_listen,
                routeros_version: c.routeros_version.clone(),
                crm_id: i as u32 + 1,
            })
            .collect(),
        olts: Vec::new(),
        pons: Vec::new(),
        splitters: Vec::new(),
        towers: Vec::new(),
        aps: Vec::new(),
        backhauls: sc
            .backhauls
            .iter()
            .map(|b| Backhaul {
                id: b.id.clone(),
                a: b.a.clone(),
                b: b.b.clone(),
            })
            .collect(),
        subscribers: Vec::new(),
        faults: Vec::new(),
        next_fault: 0,
        next_session: 0,
        by_login: HashMap::new(),
    };
    let concentrator_index: HashMap<&str, usize> = sc
        .concentrators
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut pools: Vec<u32> = sc
        .concentrators
        .iter()
        .map(|c| u32::from(c.pool_start))
        .collect();
    let mut people = Population::new(sc);

    for olt in &sc.olts {
        let olt_index = world.olts.len();
        let concentrator = concentrator_index[olt.concentrator.as_str()];
        let mut pon_indexes = Vec::new();
        for pon in &olt.pons {
            let pon_index = world.pons.len();
            let mut splitter_indexes = Vec::new();
            for k in 1..=pon.splitters {
                splitter_indexes.push(world.splitters.len());
                world.splitters.push(Splitter {
                    name: format!(
                        "CTO-{}-{}-{}-{k:02}",
                        olt.id.to_uppercase(),
                        pon.board,
                        pon.port
                    ),
                    pon: pon_index,
                    id: world.splitters.len() as u32 + 1,
                });
            }
            world.pons.push(Pon {
                olt: olt_index,
                board: pon.board,
                port: pon.port,
                zone: pon.zone.clone(),
                conexao: pon.conexao.clone(),
                splitters: splitter_indexes.clone(),
            });
            pon_indexes.push(pon_index);
            let place = format!("{}/{}/{}", olt.id, pon.board, pon.port);
            for n in 0..pon.subscribers {
                let splitter = splitter_indexes[(n as usize) % splitter_indexes.len()];
                let serial = onu_serial(&olt.model, &mut rng);
                let quirk = (world.subscribers.len() + 1).is_multiple_of(HEX_QUIRK_EVERY);
                let external_id = if quirk {
                    format!("{}-{}", &serial[..4], &serial[4..]).to_lowercase()
                } else {
                    serial.clone()
                };
                let base_rx = if rng.chance(0.04) {
                    rng.range_f64(-27.5, -25.2)
                } else {
                    rng.range_f64(-24.0, -16.5)
                };
                let access = Access::Fibre(OnuInfo {
                    pon: pon_index,
                    splitter,
                    onu_id: n + 1,
                    serial,
                    external_id,
                    model: onu_model(&olt.model).to_owned(),
                    base_rx_dbm: round2(base_rx),
                    tx_dbm: round2(rng.range_f64(1.8, 2.6)),
                    distance_m: 300 + rng.below(9_000) as u32,
                });
                let sub = people.next(
                    &place,
                    access,
                    concentrator,
                    &mut pools,
                    &world,
                    &mut rng,
                    now,
                );
                world.push_subscriber(sub);
            }
        }
        world.olts.push(Olt {
            id: olt.id.clone(),
            name: olt.name.clone(),
            pop: olt.pop.clone(),
            concentrator,
            model: olt.model.clone(),
            smartolt_id: olt.smartolt_id,
            ip: olt.ip,
            pons: pon_indexes,
        });
    }

    for tower in &sc.towers {
        let tower_index = world.towers.len();
        let concentrator = concentrator_index[tower.concentrator.as_str()];
        let mut ap_indexes = Vec::new();
        for ap in &tower.aps {
            let ap_index = world.aps.len();
            ap_indexes.push(ap_index);
            world.aps.push(AccessPoint {
                name: ap.name.clone(),
                tower: tower_index,
                family: ap.family.clone(),
                mac: cambium_mac(&mut rng),
                ip: ap.ip,
                serial: format!("M{:011}", rng.below(100_000_000_000)),
                conexao: ap.conexao.clone(),
                online: true,
                status_since: now - Duration::hours(24 + rng.below(24 * 60) as i64),
            });
            let place = format!("ap:{}", ap.name);
            for n in 0..ap.subscribers {
                let access = Access::Radio(SmInfo {
                    ap: ap_index,
                    mac: cambium_mac(&mut rng),
                    ip: Ipv4Addr::from(u32::from(ap.ip).wrapping_add(n + 1)),
                    base_rssi_dbm: round2(rng.range_f64(-72.0, -52.0)),
                    base_snr_db: round2(rng.range_f64(22.0, 38.0)),
                    distance_m: 400 + rng.below(12_000) as u32,
                });
                let sub = people.next(
                    &place,
                    access,
                    concentrator,
                    &mut pools,
                    &world,
                    &mut rng,
                    now,
                );
                world.push_subscriber(sub);
            }
        }
        world.towers.push(Tower {
            id: tower.id.clone(),
            name: tower.name.clone(),
            pop: tower.pop.clone(),
            concentrator,
            zone: tower.zone.clone(),
            network: tower.network.clone(),
            path: Vec::new(),
            aps: ap_indexes,
        });
    }
    for t in 0..world.towers.len() {
        world.towers[t].path = backhaul_path(&world, &world.towers[t].id);
    }
    // Healthy start: every active subscriber online since its ONU came up, so the first
    // evaluation has no transitions to report.
    for i in 0..world.subscribers.len() {
        if world.subscribers[i].live.access_up {
            let since = world.subscribers[i].live.status_since + Duration::seconds(25);
            let session = world.new_session(since);
            world.subscribers[i].live.session = Some(session);
        }
    }
    let _ = world.reevaluate(now);
    world
}

impl World {
    fn push_subscriber(&mut self, sub: Subscriber) {
        self.by_login
            .insert(sub.login.clone(), self.subscribers.len());
        self.subscribers.push(sub);
    }
}

/// The backhaul links from the POP to `tower`, POP side first (empty when it hangs off the POP
/// directly). Cycles and unknown ends stop the walk.
fn backhaul_path(world: &World, tower: &str) -> Vec<usize> {
    let mut path = Vec::new();
    let mut at = format!("tower:{tower}");
    while let Some(link) = world.backhauls.iter().position(|b| b.b == at) {
        if path.contains(&link) {
            break;
        }
        path.push(link);
        at = world.backhauls[link].a.clone();
    }
    path.reverse();
    path
}

/// Generates people and their accounts; pinned subscribers take the place of the first
/// generated one at their `at`.
struct Population<'s> {
    pinned: HashMap<&'s str, Vec<&'s scenario::PinnedSubscriber>>,
    sc: &'s Scenario,
    next_customer: u32,
    logins: HashMap<String, u32>,
}

impl<'s> Population<'s> {
    fn new(sc: &'s Scenario) -> Self {
        let mut pinned: HashMap<&str, Vec<_>> = HashMap::new();
        for p in &sc.subscribers {
            pinned.entry(p.at.as_str()).or_default().push(p);
        }
        for list in pinned.values_mut() {
            list.reverse();
        }
        Self {
            pinned,
            sc,
            next_customer: 1000,
            logins: sc
                .subscribers
                .iter()
                .map(|p| (p.login.clone(), 1))
                .collect(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn next(
        &mut self,
        place: &str,
        access: Access,
        concentrator: usize,
        pools: &mut [u32],
        world: &World,
        rng: &mut Rng,
        now: OffsetDateTime,
    ) -> Subscriber {
        self.next_customer += 1;
        let id = self.next_customer;
        let person = names::person(rng);
        let pinned = self.pinned.get_mut(place).and_then(Vec::pop);
        let pop_share = &self.sc.population;
        let (login, name, billing, plan, document, address, churned) = match pinned {
            Some(p) => (
                p.login.clone(),
                p.name.clone(),
                p.billing
                    .as_deref()
                    .and_then(Billing::parse)
                    .unwrap_or(Billing::Active),
                p.plan
                    .and_then(|id| world.plans.iter().position(|plan| plan.id == id))
                    .unwrap_or(0),
                p.document.clone().unwrap_or(person.document.clone()),
                p.address.clone().unwrap_or(person.address.clone()),
                false,
            ),
            None => {
                let base = names::login_for(&person.name);
                let count = self.logins.entry(base.clone()).or_insert(0);
                *count += 1;
                let login = if *count == 1 {
                    base
                } else {
                    format!("{base}{count}")
                };
                let churned = matches!(access, Access::Fibre(_)) && rng.chance(pop_share.churned);
                let billing = if churned {
                    Billing::Cancelled
                } else if rng.chance(pop_share.blocked) {
                    Billing::Blocked
                } else if rng.chance(pop_share.warned) {
                    Billing::Warned
                } else {
                    Billing::Active
                };
                let plan = rng.below(world.plans.len() as u64) as usize;
                (
                    login,
                    person.name.clone(),
                    billing,
                    plan,
                    person.document.clone(),
                    person.address.clone(),
                    churned,
                )
            }
        };
        let cpe_ip = Ipv4Addr::from(pools[concentrator]);
        pools[concentrator] = pools[concentrator].wrapping_add(1);
        let up_for = Duration::minutes(5 + rng.below(60 * 24 * 20) as i64);
        let (status, since, cause) = if churned {
            (
                OnuStatus::Los,
                now - Duration::days(40 + rng.below(200) as i64),
                Some("ONT LOSi alarm"),
            )
        } else {
            (
                OnuStatus::Online,
                now - up_for,
                rng.chance(0.3).then_some("dying-gasp"),
            )
        };
        let base_rx = match &access {
            Access::Fibre(onu) => onu.base_rx_dbm,
            Access::Radio(_) => 0.0,
        };
        Subscriber {
            password: format!("pw{:08x}", rng.next_u64() as u32),
            customer_id: id,
            login_id: id + 20_000,
            contract_id: id + 40_000,
            login,
            name,
            document,
            address,
            district: person.district,
            phone: person.phone,
            plan,
            billing,
            concentrator,
            cpe_ip,
            cpe_mac: mac_with_prefix("B0:A7:B9", rng),
            access,
            churned,
            live: Live {
                access_up: !churned,
                onu_status: status,
                status_since: since,
                last_down_cause: cause,
                history: Default::default(),
                rx_dbm: base_rx,
                session: None,
                last_logout: Some(since - Duration::seconds(40 + rng.below(300) as i64)),
                last_disconnect_reason: Some(if churned { "hung-up" } else { "peer-request" }),
                disconnects: rng.below(12) as u32,
                billing,
            },
        }
    }
}

fn onu_serial(olt_model: &str, rng: &mut Rng) -> String {
    let vendor = match olt_model
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_lowercase()
        .as_str()
    {
        "zte" => "ZTEG",
        "v-sol" | "vsol" => "VSOL",
        "fiberhome" => "FHTT",
        _ => "HWTC",
    };
    format!("{vendor}{:08X}", rng.next_u64() as u32)
}

fn onu_model(olt_model: &str) -> &'static str {
    match olt_model
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_lowercase()
        .as_str()
    {
        "zte" => "F670L",
        "v-sol" | "vsol" => "V2802RH",
        "fiberhome" => "AN5506-04-F",
        _ => "HG8145V5",
    }
}

fn cambium_mac(rng: &mut Rng) -> String {
    mac_with_prefix("00:04:56", rng)
}

fn mac_with_prefix(prefix: &str, rng: &mut Rng) -> String {
    let n = rng.next_u64();
    format!(
        "{prefix}:{:02X}:{:02X}:{:02X}",
        (n >> 16) as u8,
        (n >> 8) as u8,
        n as u8
    )
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
