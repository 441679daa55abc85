//! How long the outage correlator's input takes to build from the live state, at ISP scale.
//!
//! `cargo run --release -p vigia-state --example correlation_input [-- runs]`
//!
//! The network: 100,000 subscribers with PPPoE sessions on 20 concentrators; 95% of them on ONUs
//! of 1,600 PONs of 50 OLTs (8 splitter boxes per PON; OLTs at 10 POPs by `vigia.site`), 5% on
//! radio subscriber modules under 400 APs of 100 towers (an SM → subscriber edge from the
//! radio plugin). 1% of the ONUs are in LOS with their sessions down, and a few PONs carry
//! SmartOLT outage alarms. Then it times, as the median of `runs` (20 by default):
//! `correlation_input` (the topology rebuild), `correlation_cycle` (every cycle, under the read
//! lock) and `Correlator::cycle` over them.

use std::hint::black_box;
use std::time::{Duration, Instant};

use vigia_core::run::RunResult;
use vigia_core::{
    Alarm, EdgeKind, EntityKind, EntityRef, Observation, ObservationKind, Onu, OnuStatus,
    RadioStatus, Severity,
};
use vigia_correlate::{CorrelateConfig, Correlator, Topology, TopologyBuilder};
use vigia_state::testing::fixtures::{edge, labelled, obs, pppoe, radio, run};
use vigia_state::{LiveState, SITE_LABEL, StateConfig};

const SUBSCRIBERS: u32 = 100_000;
const OLTS: u32 = 50;
const PONS: u32 = 1_600;
const SPLITTERS_PER_PON: u32 = 8;
const CONCENTRATORS: u32 = 20;
const POPS: u32 = 10;
const TOWERS: u32 = 100;
const APS_PER_TOWER: u32 = 4;
/// One subscriber in 20 is on radio.
const RADIO_EVERY: u32 = 20;
/// One ONU in 100 is in LOS.
const LOS_EVERY: u32 = 100;
const RUN_SIZE: usize = 1_000;
const T0: u64 = 1_700_000_000_000;

fn login(i: u32) -> String {
    format!("cli{i:06}")
}

fn mac(prefix: u8, n: u32) -> String {
    let b = n.to_be_bytes();
    format!("00:04:{prefix:02x}:{:02x}:{:02x}:{:02x}", b[1], b[2], b[3])
}

/// Subscriber `i`'s access observations (an ONU, or a radio link and the SM → subscriber edge).
fn access(i: u32, at: u64, out: &mut Vec<Observation>) {
    if i.is_multiple_of(RADIO_EVERY) {
        let r = i / RADIO_EVERY;
        let ap_n = r % (TOWERS * APS_PER_TOWER);
        let tower = format!("torre-{:03}", ap_n / APS_PER_TOWER);
        let sm = mac(0x5a, r);
        out.push(obs(
            "cnmaestro",
            at,
            radio(&sm, &mac(0xa0, ap_n), &tower, RadioStatus::Connected, -61.0),
        ));
        out.push(obs(
            "cnmaestro",
            at,
            edge(
                (EntityKind::SubscriberModule, &sm),
                (EntityKind::Subscriber, &login(i)),
                EdgeKind::Ethernet,
            ),
        ));
        return;
    }
    let f = i - i / RADIO_EVERY - 1;
    let pon = f % PONS;
    let olt = pon % OLTS;
    let port = pon / OLTS;
    let los = f % LOS_EVERY == 7;
    let kind = ObservationKind::Onu(Onu {
        serial: format!("HWTC{f:08X}"),
        login: Some(login(i)),
        olt: format!("olt-{olt:02}"),
        board: Some(port / 16),
        port: Some(port % 16),
        onu_id: Some(f / PONS),
        splitter: Some(format!("cto-{pon:04}-{}", (f / PONS) % SPLITTERS_PER_PON)),
        status: if los {
            OnuStatus::Los
        } else {
            OnuStatus::Online
        },
        rx_dbm: (!los).then_some(-21.0),
        tx_dbm: Some(2.0),
        olt_rx_dbm: None,
        last_down_cause: los.then(|| "LOSi".to_owned()),
        last_down_ms: None,
        distance_m: None,
        model: None,
    });
    let site = format!("pop-{}", olt % POPS);
    out.push(labelled(obs("smartolt", at, kind), SITE_LABEL, &site));
}

fn session_online(i: u32) -> bool {
    i.is_multiple_of(RADIO_EVERY) || (i - i / RADIO_EVERY - 1) % LOS_EVERY != 7
}

fn outage_alarm(pon: u32, at: u64) -> Observation {
    let olt = pon % OLTS;
    let port = pon / OLTS;
    obs(
        "smartolt",
        at,
        ObservationKind::Alarm(Alarm {
            source: EntityRef {
                kind: EntityKind::PonPort,
                id: format!("olt-{olt:02}/{}/{}", port / 16, port % 16),
            },
            severity: Severity::Critical,
            code: "smartolt_outage_pon".into(),
            text: "outage PON (LOS)".into(),
            raised_ms: Some(at),
            cleared_ms: None,
        }),
    )
}

/// One run per probe, as a vendor plugin returns its whole list (one plugin, several probes of
/// `RUN_SIZE` targets each: a source's row count is summed over its probes).
fn runs(plugin: &str, at: u64, observations: Vec<Observation>) -> Vec<RunResult> {
    observations
        .chunks(RUN_SIZE)
        .enumerate()
        .map(|(i, chunk)| {
            let mut run = run(plugin, at, chunk.to_vec());
            run.probe = format!("{plugin}-{i:03}");
            run
        })
        .collect()
}

fn build() -> LiveState {
    let mut live = LiveState::new(StateConfig::default());
    let at = T0;
    let mut fibre = Vec::new();
    let mut wireless = Vec::new();
    for i in 0..SUBSCRIBERS {
        let out = if i.is_multiple_of(RADIO_EVERY) {
            &mut wireless
        } else {
            &mut fibre
        };
        access(i, at, out);
    }
    for pon in (0..PONS).step_by(400) {
        fibre.push(outage_alarm(pon, at));
    }
    let sessions: Vec<Observation> = (0..SUBSCRIBERS)
        .map(|i| {
            let concentrator = format!("bng-{:02}", i % CONCENTRATORS);
            obs(
                "mikrotik",
                at,
                pppoe(&login(i), &concentrator, session_online(i)),
            )
        })
        .collect();
    for (plugin, observations) in [
        ("smartolt", fibre),
        ("cnmaestro", wireless),
        ("mikrotik", sessions),
    ] {
        live.apply_owned("agent-a", runs(plugin, at, observations), at + 1_000);
    }
    live
}

/// The same topology through `TopologyBuilder` alone (members under all their groups): the share
/// of `correlation_input` that is the builder's, not the walk over the live state.
fn rebuild(topology: &Topology) -> Topology {
    let mut builder = TopologyBuilder::new();
    for g in &topology.groups {
        builder.group(&g.id, &g.kind, &g.name);
    }
    for (child, g) in topology.groups.iter().enumerate() {
        for &parent in &g.parents {
            builder.parent(child as u32, parent);
        }
    }
    for (m, id) in topology.members.iter().enumerate() {
        builder.member(id, topology.groups_of(m as u32));
    }
    builder.build()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(20)
        .max(1);
    let started = Instant::now();
    let live = build();
    println!(
        "live state: {} entities, built in {:.1} s",
        live.len(),
        started.elapsed().as_secs_f64()
    );
    let config = CorrelateConfig::default();

    let mut input_times = Vec::with_capacity(rounds);
    let mut input = live.correlation_input(&config);
    for _ in 0..rounds {
        let started = Instant::now();
        let built = black_box(live.correlation_input(&config));
        input_times.push(started.elapsed());
        // Dropping the previous one is not timed (the caller can do it outside the read lock).
        input = built;
    }
    let topology = input.topology();
    println!(
        "topology: {} groups, {} members",
        topology.groups.len(),
        topology.members.len()
    );

    let mut builder_times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let built = black_box(rebuild(topology));
        builder_times.push(started.elapsed());
        drop(built);
    }

    let now = T0 + 5_000;
    let mut cycle_times = Vec::with_capacity(rounds);
    let mut cycle = live.correlation_cycle(&input, now);
    for _ in 0..rounds {
        let started = Instant::now();
        let read = black_box(live.correlation_cycle(&input, now));
        cycle_times.push(started.elapsed());
        cycle = read;
    }
    println!(
        "cycle: {} readings, {} devices, {} evidence, {} sources",
        cycle.readings.len(),
        cycle.devices.len(),
        cycle.evidence.len(),
        cycle.sources.len()
    );

    let mut correlator = Correlator::new(config.clone());
    let mut correlate_times = Vec::with_capacity(rounds);
    let mut events = 0;
    for round in 0..rounds {
        cycle.now_ms = now + round as u64 * 2_000;
        let started = Instant::now();
        let output = black_box(correlator.cycle(topology, &cycle));
        correlate_times.push(started.elapsed());
        events += output.events.len();
    }
    let active: Vec<String> = correlator
        .active()
        .map(|e| format!("{} {}", e.kind.as_str(), e.root))
        .collect();
    println!(
        "correlator: {} active events {active:?} ({events} event updates over {rounds} cycles)",
        active.len()
    );

    println!("median of {rounds} runs:");
    println!("  correlation_input  {}", ms(median(input_times)));
    println!(
        "    of which TopologyBuilder about {}",
        ms(median(builder_times))
    );
    println!("  correlation_cycle  {}", ms(median(cycle_times)));
    println!("  Correlator::cycle  {}", ms(median(correlate_times)));
    // Freeing the state is not what is measured: leave it to the exit.
    std::mem::forget(live);
}
