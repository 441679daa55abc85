//! Times one correlation cycle over a synthetic ISP of 100,000 subscribers: quiet, and during an
//! outage of a whole OLT (2,000 subscribers) plus a PON cut elsewhere. Prints the median and the
//! worst of 30 cycles. `cargo bench -p vigia-correlate --bench cycle`.

use std::hint::black_box;
use std::time::Instant;

use vigia_correlate::{
    CauseHint, CorrelateConfig, Correlator, Cycle, DeviceReading, Layer, LayerState, Reading,
    SourceReading, Topology, TopologyBuilder,
};

const NOW: u64 = 1_790_000_000_000;
const OLTS: usize = 50;
const PONS_PER_OLT: usize = 32;
const SPLITTERS_PER_PON: usize = 8;
const SUBSCRIBERS: usize = 100_000;

/// 50 OLTs at 10 POPs, 1,600 PONs, 12,800 splitter boxes, 20 concentrators, one IXC conexao per
/// PON, 100 towers with 4 APs; 95% fibre subscribers, 5% radio.
fn topology() -> Topology {
    let mut b = TopologyBuilder::new();
    let pops: Vec<u32> = (0..10)
        .map(|p| b.group(&format!("pop:p{p}"), "pop", &format!("p{p}")))
        .collect();
    let concentrators: Vec<u32> = (0..20)
        .map(|c| {
            let g = b.group(
                &format!("concentrator:bng{c}"),
                "concentrator",
                &format!("bng{c}"),
            );
            b.parent(g, pops[c % 10]);
            g
        })
        .collect();
    let mut splitters = Vec::new();
    let mut conexoes = Vec::new();
    for o in 0..OLTS {
        let olt = b.group(&format!("olt:OLT{o}"), "olt", &format!("OLT{o}"));
        b.parent(olt, pops[o % 10]);
        for p in 0..PONS_PER_OLT {
            let pon = b.group(
                &format!("pon_port:OLT{o}/1/{p}"),
                "pon_port",
                &format!("OLT{o}/1/{p}"),
            );
            b.parent(pon, olt);
            let crm = b.group(
                &format!("crm_group:C{o}-{p}"),
                "crm_group",
                &format!("C{o}-{p}"),
            );
            for s in 0..SPLITTERS_PER_PON {
                let sp = b.group(
                    &format!("splitter:S{o}-{p}-{s}"),
                    "splitter",
                    &format!("S{o}-{p}-{s}"),
                );
                b.parent(sp, pon);
                splitters.push(sp);
                conexoes.push(crm);
            }
        }
    }
    let mut aps = Vec::new();
    for t in 0..100 {
        let tower = b.group(&format!("tower:T{t}"), "tower", &format!("T{t}"));
        b.parent(tower, pops[t % 10]);
        for a in 0..4 {
            let ap = b.group(
                &format!("access_point:T{t}-{a}"),
                "access_point",
                &format!("T{t}-{a}"),
            );
            b.parent(ap, tower);
            aps.push(ap);
        }
    }
    for i in 0..SUBSCRIBERS {
        let conc = concentrators[i % 20];
        if i % 20 == 19 {
            b.member(&format!("subscriber:r{i}"), &[aps[i % aps.len()], conc]);
        } else {
            // Consecutive subscribers share a splitter box (8 per box).
            let box_ = (i / 8) % splitters.len();
            b.member(
                &format!("subscriber:f{i}"),
                &[splitters[box_], conc, conexoes[box_]],
            );
        }
    }
    b.build()
}

fn up() -> Layer {
    Layer {
        state: LayerState::Up,
        since_ms: NOW - 86_400_000,
        seen_ms: NOW - 10_000,
        last_up_ms: Some(NOW - 10_000),
        source: Some(0),
    }
}

fn quiet(topology: &Topology) -> Cycle {
    Cycle {
        now_ms: NOW,
        readings: vec![
            Reading {
                session: up(),
                access: Layer {
                    source: Some(1),
                    ..up()
                },
                cause: CauseHint::None
            };
            topology.members.len()
        ],
        devices: vec![DeviceReading::default(); topology.groups.len()],
        evidence: Vec::new(),
        sources: vec![
            SourceReading {
                key: "a/mikrotik".into(),
                last_success_ms: Some(NOW),
                rows_last: 100_000,
                rows_usual: 100_000,
            },
            SourceReading {
                key: "a/smartolt".into(),
                last_success_ms: Some(NOW),
                rows_last: 95_000,
                rows_usual: 95_000,
            },
        ],
        maintenance: Vec::new(),
    }
}

fn time(label: &str, runs: usize, mut f: impl FnMut()) {
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    println!(
        "{label:<58} median {:>7.2} ms   worst {:>7.2} ms",
        samples[runs / 2],
        samples[runs - 1]
    );
}

fn main() {
    let start = Instant::now();
    let topology = topology();
    println!(
        "topology: {} members, {} groups, built in {:.0} ms",
        topology.members.len(),
        topology.groups.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    let mut cycle = quiet(&topology);
    let mut correlator = Correlator::new(CorrelateConfig::default());
    time("quiet cycle (no outage)", 30, || {
        black_box(correlator.cycle(&topology, &cycle));
    });
    // OLT0 loses power (its 2,000 subscribers), and one PON of OLT7 is cut.
    let olt0 = topology.group("olt:OLT0").expect("OLT0");
    let pon = topology.group("pon_port:OLT7/1/3").expect("PON");
    for &m in topology
        .members_of(olt0)
        .iter()
        .chain(topology.members_of(pon))
    {
        let r = &mut cycle.readings[m as usize];
        let power = topology.member_under(m, olt0);
        r.session = Layer {
            state: LayerState::Down,
            since_ms: NOW - 5_000,
            ..r.session
        };
        r.access = Layer {
            state: LayerState::Down,
            since_ms: NOW - 5_000,
            ..r.access
        };
        r.cause = if power {
            CauseHint::Power
        } else {
            CauseHint::Fibre
        };
    }
    let mut correlator = Correlator::new(CorrelateConfig::default());
    time(
        "cycle during an OLT outage (2,000) and a PON cut",
        30,
        || {
            black_box(correlator.cycle(&topology, &cycle));
        },
    );
    let active: Vec<String> = correlator
        .active()
        .map(|e| {
            format!(
                "#{} {} ({} affected, {})",
                e.id,
                e.root,
                e.affected.len(),
                e.cause.as_str()
            )
        })
        .collect();
    println!("active events: {active:?}");
}
