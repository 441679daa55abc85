//! ICMP: the real ping plugin through the plugin host (`ping_load` example: one tokio thread
//! plus the host's ICMP thread, runs of 1,000 targets as the agent's scheduler makes them)
//! against `fping` on the same 10,000 targets of the lab, the same work: `COUNT` echoes per
//! target, `ROUNDS` times. fping runs twice: flat out (`-i 0`, a burst as fast as the kernel
//! takes it) and asked to pace itself at our rate. Figures: echoes per second with loss, and CPU
//! time per echo (ours: the process during its rounds, plugin loading excluded; fping: the whole
//! child process, its start is negligible).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::lab::{Lab, check_interrupted};
use super::report::{children_cpu_seconds, heading, ratio, verdict};
use crate::cmd;

pub(super) const TARGETS: u32 = 10_000;
/// Echoes per target per round. fping cannot do more: it has 65,535 sequence numbers for all
/// targets, each reusable only after 10 s.
const COUNT: u32 = 5;
const ROUNDS: u32 = 4;
const INTERVAL_MS: u32 = 100;
const TIMEOUT_MS: u32 = 1000;
/// Pacer rates ours runs at (the default is 20,000/s): above the goal, and twice that.
const RATES: [u32; 2] = [25_000, 50_000];
const GOAL_PER_SEC: f64 = 20_000.0;

struct Figures {
    sent: f64,
    received: f64,
    wall_s: f64,
    cpu_s: f64,
}

impl Figures {
    fn per_sec(&self) -> f64 {
        self.sent / self.wall_s
    }
    fn cpu_us_per_echo(&self) -> f64 {
        self.cpu_s * 1e6 / self.sent
    }
    fn loss(&self) -> f64 {
        1.0 - self.received / self.sent
    }
}

pub(super) fn write_targets(path: &Path) -> Result<()> {
    let mut text = String::new();
    for n in 0..TARGETS {
        let [a, b, c, d] = (u32::from_be_bytes([10, 251, 0, 1]) + n).to_be_bytes();
        let _ = writeln!(text, "{a}.{b}.{c}.{d}");
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

pub(super) fn run(root: &Path, lab: &Lab, targets_file: &Path) -> Result<()> {
    heading(&format!(
        "ICMP: {TARGETS} targets x {COUNT} echoes x {ROUNDS} rounds, ping plugin through the plugin host vs fping {}",
        fping_version()?
    ));
    // fping flat out (as fast as it can send), and fping asked to pace itself at ours's rate.
    let flat_out = fping(lab, targets_file, "0", INTERVAL_MS)?;
    let paced_ms = 1000.0 / f64::from(RATES[0]);
    // Its per-target period must cover one round of all targets at that pace.
    let period_ms = (f64::from(TARGETS) * paced_ms).ceil() as u32;
    let paced = fping(lab, targets_file, &format!("{paced_ms}"), period_ms)?;
    let mut ours = Vec::new();
    for rate in RATES {
        ours.push((rate, ping_load(root, lab, rate)?));
        check_interrupted()?;
    }
    println!(
        "{:<38} {:>10} {:>9} {:>12} {:>16}",
        "", "echoes/s", "loss", "CPU µs/echo", "CPU vs fping -i 0"
    );
    let line = |what: &str, f: &Figures, vs: String| {
        println!(
            "{what:<38} {:>10.0} {:>8.4}% {:>12.2} {vs:>16}",
            f.per_sec(),
            f.loss() * 100.0,
            f.cpu_us_per_echo()
        );
    };
    for (rate, figures) in &ours {
        let vs = ratio(figures.cpu_us_per_echo(), flat_out.cpu_us_per_echo());
        line(&format!("ours, paced at {rate}/s"), figures, vs);
    }
    line("fping -i 0 (flat out)", &flat_out, String::new());
    line(
        &format!("fping -i {paced_ms} (asked for {}/s)", RATES[0]),
        &paced,
        String::new(),
    );
    let best = &ours[0].1;
    println!(
        "goal >= 20000 echoes/s on one core, no loss: {}; CPU per echo <= fping's: {} against fping \
         flat out ({}), {} against fping paced ({})",
        verdict(best.per_sec() >= GOAL_PER_SEC && best.loss() == 0.0),
        verdict(best.cpu_us_per_echo() <= flat_out.cpu_us_per_echo()),
        ratio(best.cpu_us_per_echo(), flat_out.cpu_us_per_echo()),
        verdict(best.cpu_us_per_echo() <= paced.cpu_us_per_echo()),
        ratio(best.cpu_us_per_echo(), paced.cpu_us_per_echo()),
    );
    Ok(())
}

fn fping_version() -> Result<String> {
    let out = cmd::output(Command::new("fping").arg("--version"))?;
    Ok(out.trim().trim_start_matches("fping: ").to_owned())
}

/// `ROUNDS` runs of fping over the targets: `interval_ms` between any two echoes, `period_ms`
/// between two echoes to one target.
fn fping(lab: &Lab, targets_file: &Path, interval_ms: &str, period_ms: u32) -> Result<Figures> {
    let mut total = Figures {
        sent: 0.0,
        received: 0.0,
        wall_s: 0.0,
        cpu_s: 0.0,
    };
    for _ in 0..ROUNDS {
        let mut command = lab.in_agent("fping");
        command
            .args(["-q", "-i", interval_ms])
            .args(["-c", &COUNT.to_string(), "-p", &period_ms.to_string()])
            .args(["-t", &TIMEOUT_MS.to_string(), "-f"])
            .arg(targets_file);
        let (cpu, started) = (children_cpu_seconds(), Instant::now());
        let out = command
            .output()
            .context("cannot run fping (apt package fping)")?;
        total.wall_s += started.elapsed().as_secs_f64();
        total.cpu_s += children_cpu_seconds() - cpu;
        check_interrupted()?;
        // Exit 1 means some targets were unreachable: that is a figure, not a failure.
        if !matches!(out.status.code(), Some(0 | 1)) {
            bail!(
                "fping failed with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // "10.251.0.1 : xmt/rcv/%loss = 5/5/0%, min/avg/max = ..."
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            let Some((_, counts)) = line.split_once("xmt/rcv/%loss = ") else {
                continue;
            };
            let mut parts = counts.split('/');
            let (Some(xmt), Some(rcv)) = (parts.next(), parts.next()) else {
                continue;
            };
            total.sent += xmt.parse::<f64>().context("fping xmt")?;
            total.received += rcv.parse::<f64>().context("fping rcv")?;
        }
    }
    if total.sent == 0.0 {
        bail!("fping reported no echoes");
    }
    Ok(total)
}

fn ping_load(root: &Path, lab: &Lab, rate: u32) -> Result<Figures> {
    let example = root.join("target/release/examples/ping_load");
    let plugin = root.join("target/plugins/ping.wasm");
    let mut command = lab.in_agent(example.to_str().context("utf-8 path")?);
    command.arg(&plugin).args([
        format!("targets={TARGETS}"),
        "batch=1000".to_owned(),
        format!("rounds={ROUNDS}"),
        format!("count={COUNT}"),
        format!("interval_ms={INTERVAL_MS}"),
        format!("timeout_ms={TIMEOUT_MS}"),
        format!("rate={rate}"),
    ]);
    let out = cmd::output(&mut command)?;
    let json: serde_json::Value =
        serde_json::from_str(out.trim()).with_context(|| format!("ping_load printed {out:?}"))?;
    let field = |name: &str| {
        json[name]
            .as_f64()
            .with_context(|| format!("ping_load: no {name} in {json}"))
    };
    Ok(Figures {
        sent: field("sent")?,
        received: field("received")?,
        wall_s: field("wall_s")?,
        cpu_s: field("cpu_s")?,
    })
}
