//! `cargo xtask bench agent`: builds what it runs (release), sets up the lab, and runs the ICMP,
//! SNMP, spool and memory benchmarks in turn, each printing its figures. Needs root.

use std::path::Path;

use anyhow::{Result, bail};

use super::lab::{Lab, stop_on_ctrl_c};
use super::{icmp, memory, snmp};
use crate::{cmd, plugins};

/// Debian packages the benchmarks run.
const PACKAGES: &[&str] = &["fping", "snmp", "snmpd", "iproute2"];

/// Removes the work folder when dropped.
struct WorkDir(std::path::PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn run(root: &Path) -> Result<()> {
    if !cmd::is_root() {
        bail!(
            "the agent benchmarks need root (network namespaces, raw ICMP): run `sudo -E cargo xtask bench agent`"
        );
    }
    stop_on_ctrl_c()?;
    cmd::apt_install(PACKAGES)?;
    plugins::build_all(root)?;
    // Two builds, not one: each package keeps the feature set (and so the cache) it has when
    // built alone.
    cmd::run(
        root,
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "vigia-plugin-host",
            "--example",
            "ping_load",
            "--example",
            "snmp_load",
        ],
    )?;
    cmd::run(root, "cargo", &["build", "--release", "-p", "vigia-agent"])?;
    let work = WorkDir(std::env::temp_dir().join(format!("vigia-bench-{}", std::process::id())));
    std::fs::create_dir_all(&work.0)?;
    let targets_file = work.0.join("targets.txt");
    icmp::write_targets(&targets_file)?;
    let lab = Lab::create()?;

    // `VIGIA_BENCH_SECTIONS=memory,snmp` runs only those sections (default: all four).
    let sections = std::env::var("VIGIA_BENCH_SECTIONS").unwrap_or_default();
    let wanted = |name: &str| sections.is_empty() || sections.split(',').any(|s| s.trim() == name);
    if wanted("icmp") {
        icmp::run(root, &lab, &targets_file)?;
    }
    if wanted("snmp") {
        snmp::run(root, &work.0)?;
    }
    if wanted("spool") {
        super::report::heading("Spool: cargo bench -p vigia-spool --bench spool (its own goals)");
        cmd::run(
            root,
            "cargo",
            &["bench", "-p", "vigia-spool", "--bench", "spool"],
        )?;
    }
    if wanted("memory") {
        memory::run(root, &lab, &work.0, &targets_file)?;
    }
    Ok(())
}
