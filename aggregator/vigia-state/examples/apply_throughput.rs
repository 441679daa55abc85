//! Apply throughput: how many observations per second `LiveState::apply_owned` folds in, on one
//! core, timed around the applies only (building the batches is not counted).
//!
//! `cargo run --release -p vigia-state --example apply_throughput [-- isp|ingest|onu|all [rounds]]`
//!
//! Shapes:
//! - `isp`: one agent, a synthetic ISP of 20,000 ONUs (4 OLTs x 16 PONs) with PPPoE sessions,
//!   polled in runs of 500 observations, four runs per apply; every tenth poll a PON goes LOS or
//!   comes back, so some states change.
//! - `ingest`: what the ingest load generator (`vigia-ingest/examples/ingest_load.rs`) sends:
//!   1,000 agents, each with one OLT of 100 ONUs (with logins and splitters) and 20 pinged hosts;
//!   each agent's batch is 100 observations in runs of 20, four ONU runs for each ping run, so
//!   every ONU is observed again every poll; readings wobble and now and then one flaps.
//! - `onu`: the `ingest` shape with ONU runs only.

use std::time::{Duration, Instant};

use vigia_core::run::RunResult;
use vigia_core::{ObservationKind, Onu, OnuStatus, Reachability};
use vigia_state::testing::fixtures::{obs, onu, pppoe, run};
use vigia_state::{LiveState, StateConfig};

const ISP_ONUS: u32 = 20_000;
const ISP_BATCH: usize = 500;
const AGENTS: u32 = 1_000;
const AGENT_ONUS: u32 = 100;
const AGENT_HOSTS: u32 = 20;
const BATCH: u32 = 100;
const RUN_SIZE: u32 = 20;
const T0: u64 = 1_700_000_000_000;

/// One round of applies: `(agent, runs, now_ms)` per apply.
type Round = Vec<(String, Vec<RunResult>, u64)>;

fn isp_round(round: u64) -> Round {
    let at = T0 + round * 30_000;
    let los_pon = (round % 64) as u32;
    let mut observations = Vec::with_capacity(ISP_ONUS as usize * 2);
    for i in 0..ISP_ONUS {
        let olt = format!("olt-{}", i % 4);
        let down = round % 10 == 9 && (i % 64) == los_pon;
        let status = if down {
            OnuStatus::Los
        } else {
            OnuStatus::Online
        };
        let login = format!("sub{i:06}");
        let rx = Some(-18.0 - f64::from(i % 70) / 10.0 - (round % 3) as f64 * 0.1);
        let serial = format!("HWTC{i:08X}");
        let kind = onu(&serial, &olt, (i / 4) % 16, status, Some(&login), rx);
        observations.push(obs("acct", at, kind));
        observations.push(obs("bnas", at, pppoe(&login, "bnas-1", !down)));
    }
    let runs: Vec<RunResult> = observations
        .chunks(ISP_BATCH)
        .map(|chunk| run("smartolt", at, chunk.to_vec()))
        .collect();
    runs.chunks(4)
        .map(|batch| ("agent".to_owned(), batch.to_vec(), at + 1_000))
        .collect()
}

/// Agent `agent`'s ONU `n`, as the ingest load generator describes it, varied for `sequence`.
fn agent_onu(agent: u32, n: u32, sequence: u64) -> ObservationKind {
    let flap = (sequence + u64::from(n % 32)).is_multiple_of(193);
    ObservationKind::Onu(Onu {
        serial: format!("HWTC{agent:04}{n:04}"),
        login: Some(format!("cli{agent:04}{n:04}")),
        olt: format!("olt-{agent:04}"),
        board: Some(0),
        port: Some(n / 32),
        onu_id: Some(n % 32),
        splitter: Some(format!("cto-{agent:04}-{}", n / 8)),
        status: if flap {
            OnuStatus::Los
        } else {
            OnuStatus::Online
        },
        rx_dbm: (!flap).then_some(-19.5 - (sequence % 11) as f64 * 0.1),
        tx_dbm: Some(2.1),
        olt_rx_dbm: Some(-24.0),
        last_down_cause: None,
        last_down_ms: None,
        distance_m: Some(1500 + n * 10),
        model: Some("HG8310M".into()),
    })
}

fn agent_host(agent: u32, n: u32, sequence: u64) -> (String, ObservationKind) {
    let address = format!("10.{}.{}.{}", agent / 256, agent % 256, n + 1);
    let lost = sequence.is_multiple_of(157);
    let kind = ObservationKind::Reachability(Reachability {
        address: address.clone(),
        up: !lost,
        sent: 3,
        received: if lost { 0 } else { 3 },
        rtt_min_us: Some(900),
        rtt_avg_us: (!lost).then_some(1200 + (sequence % 13) as u32 * 40),
        rtt_max_us: Some(1900),
        rtt_jitter_us: Some(150),
        detail: None,
    });
    (address, kind)
}

/// Round `round` of the ingest shape: one batch per agent, every 400 ms (2.5 batches/s).
fn ingest_round(round: u64, with_hosts: bool) -> Round {
    let at = T0 + round * 400;
    let runs_per_batch = u64::from(BATCH / RUN_SIZE);
    (0..AGENTS)
        .map(|agent| {
            let runs = (0..runs_per_batch)
                .map(|r| {
                    let seq = round * runs_per_batch + r;
                    if with_hosts && seq % 5 == 4 {
                        let first = (seq / 5) * u64::from(RUN_SIZE);
                        let observations = (0..u64::from(RUN_SIZE))
                            .map(|i| {
                                let n = ((first + i) % u64::from(AGENT_HOSTS)) as u32;
                                let (address, kind) = agent_host(agent, n, round);
                                obs(&address, at, kind)
                            })
                            .collect();
                        return run("ping", at, observations);
                    }
                    let onu_runs = if with_hosts { seq - seq / 5 } else { seq };
                    let first = onu_runs * u64::from(RUN_SIZE);
                    let observations = (0..u64::from(RUN_SIZE))
                        .map(|i| {
                            let n = ((first + i) % u64::from(AGENT_ONUS)) as u32;
                            obs(&format!("olt-{agent:04}"), at, agent_onu(agent, n, round))
                        })
                        .collect();
                    run("smartolt", at, observations)
                })
                .collect();
            (format!("load-{agent:04}"), runs, at + 50)
        })
        .collect()
}

fn count(runs: &[RunResult]) -> u64 {
    runs.iter()
        .map(|r| match &r.outcome {
            vigia_core::run::RunOutcome::Observations(o) => o.len() as u64,
            _ => 0,
        })
        .sum()
}

/// CPU time this thread has used (user + system), from `/proc/thread-self/stat` (Linux; ticks of
/// 10 ms). `None` where that cannot be read.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn measure(shape: &str, rounds: u64) {
    let mut live = LiveState::new(StateConfig::default());
    let (mut total, mut states, mut rows) = (0u64, 0usize, 0usize);
    let mut elapsed = Duration::ZERO;
    let mut cpu = Some(Duration::ZERO);
    let mut first = (0, Duration::ZERO);
    for round in 0..rounds {
        let batches = match shape {
            "isp" => isp_round(round),
            "ingest" => ingest_round(round, true),
            _ => ingest_round(round, false),
        };
        total += batches.iter().map(|(_, runs, _)| count(runs)).sum::<u64>();
        let cpu_started = cpu_time();
        let started = Instant::now();
        for (agent, runs, now_ms) in batches {
            let changes = live.apply_owned(&agent, runs, now_ms);
            states += changes.states.len();
            rows += changes.entities.len() + changes.edges.len();
        }
        elapsed += started.elapsed();
        cpu = cpu
            .zip(cpu_started.zip(cpu_time()))
            .map(|(c, (a, b))| c + (b - a));
        if round == 0 {
            // The first round creates every entity; the rest is the steady state.
            first = (total, elapsed);
        }
    }
    let steady = (total - first.0) as f64 / (elapsed - first.1).as_secs_f64().max(1e-9);
    let per_s = total as f64 / elapsed.as_secs_f64();
    let per_cpu_s = cpu.map_or_else(
        || "n/a".to_owned(),
        |cpu| format!("{:.0}", total as f64 / cpu.as_secs_f64()),
    );
    println!(
        "{shape:>6}: applied {total} observations in {:.2} s: {per_s:.0} observations/s ({steady:.0}/s after the first round), {per_cpu_s} per CPU-second ({} entities, {states} state changes, {rows} rows to persist)",
        elapsed.as_secs_f64(),
        live.len()
    );
    // Freeing a few hundred thousand entities is not what is measured: leave it to the exit.
    std::mem::forget(live);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let shape = args.next().unwrap_or_else(|| "all".to_owned());
    let rounds: Option<u64> = args.next().and_then(|r| r.parse().ok());
    let shapes: &[&str] = match shape.as_str() {
        "isp" => &["isp"],
        "ingest" => &["ingest"],
        "onu" => &["onu"],
        "all" => &["isp", "ingest", "onu"],
        other => {
            eprintln!("unknown shape {other:?}: isp, ingest, onu or all");
            std::process::exit(2);
        }
    };
    for shape in shapes {
        let default_rounds = if *shape == "isp" { 20 } else { 10 };
        measure(shape, rounds.unwrap_or(default_rounds));
    }
}
