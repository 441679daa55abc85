//! Apply throughput: how many observations per second `LiveState::apply` folds in.
//!
//! `cargo run --release -p vigia-state --example apply_throughput`
//!
//! A synthetic ISP of 20,000 ONUs (4 OLTs x 16 PONs) with PPPoE sessions, polled in batches of
//! 500 observations; every tenth poll a PON goes LOS or comes back, so some states change.

use std::time::Instant;

use vigia_core::OnuStatus;
use vigia_core::run::RunResult;
use vigia_state::testing::fixtures::{obs, onu, pppoe, run};
use vigia_state::{LiveState, StateConfig};

const ONUS: u32 = 20_000;
const POLLS: u64 = 20;
const BATCH: usize = 500;

fn poll(round: u64, at: u64) -> Vec<RunResult> {
    let los_pon = (round % 64) as u32;
    let mut observations = Vec::with_capacity(ONUS as usize * 2);
    for i in 0..ONUS {
        let olt = format!("olt-{}", i % 4);
        let pon = (i / 4) % 16;
        let down = round % 10 == 9 && (i % 64) == los_pon;
        let status = if down {
            OnuStatus::Los
        } else {
            OnuStatus::Online
        };
        let login = format!("sub{i:06}");
        let rx = Some(-18.0 - f64::from(i % 70) / 10.0 - (round % 3) as f64 * 0.1);
        observations.push(obs(
            "acct",
            at,
            onu(&format!("HWTC{i:08X}"), &olt, pon, status, Some(&login), rx),
        ));
        observations.push(obs("bnas", at, pppoe(&login, "bnas-1", !down)));
    }
    observations
        .chunks(BATCH)
        .map(|chunk| run("smartolt", at, chunk.to_vec()))
        .collect()
}

fn main() {
    let mut live = LiveState::new(StateConfig::default());
    let t0 = 1_700_000_000_000u64;
    let mut total_obs = 0u64;
    let mut changes = 0usize;
    let mut rows = 0usize;
    let mut elapsed = std::time::Duration::ZERO;
    for round in 0..POLLS {
        let at = t0 + round * 30_000;
        let runs = poll(round, at);
        let started = Instant::now();
        for batch in runs.chunks(4) {
            let c = live.apply("agent", batch, at + 1_000);
            changes += c.states.len();
            rows += c.entities.len() + c.edges.len();
        }
        elapsed += started.elapsed();
        total_obs += u64::from(ONUS) * 2;
    }
    let per_s = total_obs as f64 / elapsed.as_secs_f64();
    println!(
        "applied {total_obs} observations in {:.2} s: {per_s:.0} observations/s ({} entities, {changes} state changes, {rows} rows to persist)",
        elapsed.as_secs_f64(),
        live.len()
    );
}
