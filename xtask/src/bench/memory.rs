//! Memory: the real `vigia-agent run` binary in the lab's agent namespace with one ping probe
//! over 10,000 targets, alone and then with a probe for every other plugin under the built
//! plugin folder that loads with an empty config, each for a fixed number of rounds. VmRSS
//! (sampled every 50 ms, with its anonymous and file-backed parts) and VmHWM from /proc.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::icmp::TARGETS;
use super::lab::{KillOnDrop, Lab, check_interrupted};
use super::report::{heading, verdict};
use crate::cmd;

const ROUNDS: u32 = 3;
const GOAL_MIB: f64 = 64.0;

/// Every `.wasm` under `dir`, recursively.
fn wasm_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            wasm_files(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "wasm") {
            found.push(path);
        }
    }
    Ok(())
}

/// The plugin's id and whether an empty config satisfies its schema, from `plugin describe`.
fn describe(agent: &Path, wasm: &Path) -> Result<(String, bool)> {
    let out = cmd::output(Command::new(agent).args(["plugin", "describe"]).arg(wasm))?;
    let info: serde_json::Value =
        serde_json::from_str(&out).with_context(|| format!("describe printed {out:?}"))?;
    let id = info["id"].as_str().context("describe: no id")?.to_owned();
    let required = info["config_schema"]["required"]
        .as_array()
        .is_some_and(|r| !r.is_empty());
    Ok((id, !required))
}

pub(super) fn run(root: &Path, lab: &Lab, work: &Path, targets_file: &Path) -> Result<()> {
    let agent = root.join("target/release/vigia-agent");
    let plugin_dir = work.join("plugins");
    std::fs::create_dir_all(&plugin_dir)?;
    let mut files = Vec::new();
    wasm_files(&root.join("target/plugins"), &mut files)?;
    files.sort();
    let header = format!(
        "[agent]\nid = \"bench\"\nplugin_dir = \"{}\"\n",
        plugin_dir.display()
    );
    let (mut guest_probes, mut shipped_probes) = (String::new(), String::new());
    let (mut loaded, mut left_out) = (Vec::new(), Vec::new());
    for wasm in &files {
        let name = wasm
            .strip_prefix(root.join("target/plugins"))
            .unwrap_or(wasm)
            .display()
            .to_string();
        match describe(&agent, wasm) {
            Ok((id, true)) => {
                std::fs::copy(wasm, plugin_dir.join(format!("{id}.wasm")))?;
                let probes = if name.starts_with("test-guests") {
                    &mut guest_probes
                } else {
                    &mut shipped_probes
                };
                if id != "ping" {
                    let _ = write!(
                        probes,
                        "\n[[probe]]\nname = \"{id}\"\nplugin = \"{id}\"\ninterval_secs = 5\n\
                         timeout_ms = 2000\ntargets = [\"127.0.0.1\"]\n"
                    );
                }
                loaded.push(name);
            }
            Ok((_, false)) => left_out.push(format!("{name} (its config has required fields)")),
            Err(error) => left_out.push(format!("{name} ({error:#})")),
        }
    }
    // Shipped plugins sit directly in target/plugins; test guests (some misbehave on purpose,
    // e.g. membomb allocates up to its limit) are measured too, but the goal is for what ships.
    let shipped: Vec<&String> = loaded
        .iter()
        .filter(|n| !n.starts_with("test-guests"))
        .collect();
    let shipped_config = header.clone() + &shipped_probes + &ping_probe(targets_file);
    let everything = header + &shipped_probes + &guest_probes + &ping_probe(targets_file);
    heading(&format!(
        "Memory: vigia-agent run, {TARGETS} ICMP targets (count 3), {ROUNDS} rounds"
    ));
    println!("loadable plugins: {}", loaded.join(", "));
    if !left_out.is_empty() {
        println!("not loadable: {}", left_out.join("; "));
    }
    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>10}   goal",
        "", "VmRSS max", "anon", "file", "VmHWM"
    );
    let shipped_label = format!(
        "every shipped plugin ({})",
        shipped
            .iter()
            .map(|s| s.trim_end_matches(".wasm"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (what, text, with_goal) in [
        (shipped_label.as_str(), shipped_config, true),
        (
            "+ every loadable test guest (not shipped)",
            everything,
            false,
        ),
    ] {
        let config_path = work.join("agent.toml");
        std::fs::write(&config_path, text)?;
        let m = measure(lab, &agent, &config_path)?;
        let goal = if with_goal {
            format!("<= {GOAL_MIB} MiB: {}", verdict(m.hwm <= GOAL_MIB))
        } else {
            "(no goal)".to_owned()
        };
        println!(
            "{what:<44} {:>6.1} MiB {:>6.1} MiB {:>6.1} MiB {:>6.1} MiB   {goal}",
            m.rss_max, m.anon, m.file, m.hwm
        );
    }
    println!(
        "(anon and file: RssAnon and RssFile when VmRSS was highest; file pages are the binary's code)"
    );
    Ok(())
}

fn ping_probe(targets_file: &Path) -> String {
    format!(
        "\n[[probe]]\nname = \"ping-10k\"\nplugin = \"ping\"\ninterval_secs = 5\n\
         timeout_ms = 4000\ntargets_file = \"{}\"\n[probe.grants]\nicmp = true\n\
         [probe.config]\ncount = 3\ninterval_ms = 100\ntimeout_ms = 1000\n",
        targets_file.display()
    )
}

/// MiB figures of one agent run.
struct Memory {
    rss_max: f64,
    anon: f64,
    file: f64,
    hwm: f64,
}

fn measure(lab: &Lab, agent: &Path, config_path: &Path) -> Result<Memory> {
    let mut command = lab.in_agent(agent.to_str().context("utf-8 path")?);
    command
        .arg("run")
        .arg("--config")
        .arg(config_path)
        .args(["--rounds", &ROUNDS.to_string(), "--log-filter", "error"])
        .stdout(Stdio::null());
    let mut child = KillOnDrop(command.spawn().context("cannot start vigia-agent")?);
    let status_path = format!("/proc/{}/status", child.0.id());
    let (mut rss_max, mut anon, mut file, mut hwm) = (0u64, 0u64, 0u64, 0u64);
    let exit = loop {
        // Periodic sampling of a running process (not a wait for readiness).
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            let rss = kib(&status, "VmRSS:");
            if rss > rss_max {
                (rss_max, anon, file) = (rss, kib(&status, "RssAnon:"), kib(&status, "RssFile:"));
            }
            hwm = hwm.max(kib(&status, "VmHWM:"));
        }
        if let Some(exit) = child.0.try_wait()? {
            break exit;
        }
        check_interrupted()?;
        std::thread::sleep(Duration::from_millis(50));
    };
    if !exit.success() {
        bail!("vigia-agent run exited with {exit}");
    }
    let mib = |kib: u64| kib as f64 / 1024.0;
    Ok(Memory {
        rss_max: mib(rss_max),
        anon: mib(anon),
        file: mib(file),
        hwm: mib(hwm),
    })
}

/// A `kB` field of /proc/PID/status.
fn kib(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
