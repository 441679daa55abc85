//! SNMP: one walk of a 50,000-varbind subtree, through the plugin host's `snmp` capability (the
//! `snmp-walk` test guest, `snmp_load` example, one thread) against `snmpbulkwalk`, both against
//! net-snmp's snmpd on loopback, both SNMPv2c with 32 repetitions per GETBULK. The table is
//! made of `override` lines in a generated snmpd config (snmpd serves them from memory; a walk
//! of 20,000 of them takes snmpbulkwalk about 0.1 s), so snmpd, not the table, sets the pace.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::lab::{KillOnDrop, check_interrupted};
use super::report::{children_cpu_seconds, header, heading, ratio, row, verdict};
use crate::cmd;

const OIDS: u32 = 50_000;
const ROOT: &str = "1.3.6.1.4.1.99999.1";
const ROUNDS: u32 = 5;
const REPETITIONS: u32 = 32;
const COMMUNITY: &str = "benchcomm";
const GOAL_PER_SEC: f64 = 100_000.0;

struct Figures {
    oids: f64,
    wall_s: f64,
    cpu_s: f64,
}

fn free_udp_port() -> Result<u16> {
    Ok(std::net::UdpSocket::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn start_snmpd(work: &Path) -> Result<(KillOnDrop, u16)> {
    let port = free_udp_port()?;
    let mut conf =
        format!("agentAddress udp:127.0.0.1:{port}\nrocommunity {COMMUNITY} 127.0.0.1\n");
    for n in 1..=OIDS {
        let _ = writeln!(conf, "override .{ROOT}.{n} integer {n}");
    }
    let conf_path = work.join("snmpd.conf");
    std::fs::write(&conf_path, conf)?;
    let child = Command::new("snmpd")
        .args(["-f", "-Lo", "-C", "-c"])
        .arg(&conf_path)
        .arg("-p")
        .arg(work.join("snmpd.pid"))
        .env("SNMP_PERSISTENT_DIR", work)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start snmpd (apt package snmpd)")?;
    let snmpd = KillOnDrop(child);
    // Ready when it answers a GET of the last override (it reads its config before serving).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = Command::new("snmpget")
            .args(["-v2c", "-c", COMMUNITY, "-On", "-t", "0.2", "-r", "0"])
            .arg(format!("127.0.0.1:{port}"))
            .arg(format!(".{ROOT}.{OIDS}"))
            .output()
            .context("cannot run snmpget (apt package snmp)")?;
        if ok.status.success() {
            return Ok((snmpd, port));
        }
        check_interrupted()?;
        if Instant::now() > deadline {
            bail!("snmpd did not answer within 60 s");
        }
    }
}

fn snmpbulkwalk(port: u16) -> Result<Figures> {
    let mut total = Figures {
        oids: 0.0,
        wall_s: 0.0,
        cpu_s: 0.0,
    };
    for _ in 0..ROUNDS {
        let (cpu, started) = (children_cpu_seconds(), Instant::now());
        let out = cmd::output(
            Command::new("snmpbulkwalk")
                .args(["-v2c", "-c", COMMUNITY, "-On", &format!("-Cr{REPETITIONS}")])
                .arg(format!("127.0.0.1:{port}"))
                .arg(format!(".{ROOT}")),
        )?;
        total.wall_s += started.elapsed().as_secs_f64();
        total.cpu_s += children_cpu_seconds() - cpu;
        total.oids += out.lines().count() as f64;
        check_interrupted()?;
    }
    Ok(total)
}

fn snmp_load(root: &Path, port: u16) -> Result<Figures> {
    let example = root.join("target/release/examples/snmp_load");
    let out = cmd::output(
        Command::new(example)
            .arg(root.join("target/plugins/test-guests/snmp-walk.wasm"))
            .args([
                format!("port={port}"),
                format!("root={ROOT}"),
                format!("rows={}", OIDS + 1000),
                format!("rounds={ROUNDS}"),
                format!("community={COMMUNITY}"),
            ]),
    )?;
    let json: serde_json::Value =
        serde_json::from_str(out.trim()).with_context(|| format!("snmp_load printed {out:?}"))?;
    let field = |name: &str| {
        json[name]
            .as_f64()
            .with_context(|| format!("snmp_load: no {name} in {json}"))
    };
    Ok(Figures {
        oids: field("oids")?,
        wall_s: field("wall_s")?,
        cpu_s: field("cpu_s")?,
    })
}

pub(super) fn run(root: &Path, work: &Path) -> Result<()> {
    heading(&format!(
        "SNMP: walk of {OIDS} varbinds x {ROUNDS}, snmp capability (snmp-walk guest) vs snmpbulkwalk, v2c, {REPETITIONS} per GETBULK"
    ));
    let (_snmpd, port) = start_snmpd(work)?;
    let baseline = snmpbulkwalk(port)?;
    let ours = snmp_load(root, port)?;
    if ours.oids != baseline.oids {
        bail!(
            "the walks disagree: ours saw {} varbinds, snmpbulkwalk {}",
            ours.oids,
            baseline.oids
        );
    }
    let (ours_rate, base_rate) = (ours.oids / ours.wall_s, baseline.oids / baseline.wall_s);
    header("ours", "snmpbulkwalk");
    row(
        "varbinds/s",
        format!("{ours_rate:.0}"),
        format!("{base_rate:.0}"),
        ratio(ours_rate, base_rate),
        &format!(">= 100000: {}", verdict(ours_rate >= GOAL_PER_SEC)),
    );
    let (ours_cpu, base_cpu) = (
        ours.cpu_s * 1e6 / ours.oids,
        baseline.cpu_s * 1e6 / baseline.oids,
    );
    row(
        "client CPU µs per varbind",
        format!("{ours_cpu:.2}"),
        format!("{base_cpu:.2}"),
        ratio(ours_cpu, base_cpu),
        "(no goal)",
    );
    Ok(())
}
