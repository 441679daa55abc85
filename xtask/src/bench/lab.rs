//! The benchmark's network: an "agent" namespace and a "targets" namespace joined by a veth
//! pair, where the whole of 10.251.0.0/16 answers echo (`route add local`), as in
//! `docs/test-lab.md`. Both namespaces are deleted when the [`Lab`] drops: at the end, on error,
//! and on Ctrl-C (the handler installed by [`stop_on_ctrl_c`] lets the children die and the
//! error unwind instead of killing xtask). Child processes are killed by [`KillOnDrop`].

use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

use crate::cmd;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C reaches the children (same process group) and ends them; xtask itself only notes it.
pub(super) fn stop_on_ctrl_c() -> Result<()> {
    ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C handler")
}

pub(super) fn check_interrupted() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

pub(super) struct Lab {
    pub(super) agent: String,
    pub(super) targets: String,
}

fn ip(line: &str) -> Result<()> {
    let args: Vec<&str> = line.split_whitespace().collect();
    cmd::output(Command::new("ip").args(&args)).map(|_| ())
}

impl Lab {
    pub(super) fn create() -> Result<Self> {
        let pid = std::process::id();
        let lab = Self {
            agent: format!("vigia-bench-a{pid}"),
            targets: format!("vigia-bench-t{pid}"),
        };
        let (a, t) = (&lab.agent, &lab.targets);
        let (near, far) = (format!("vba{pid}"), format!("vbt{pid}"));
        let (near_mac, far_mac) = ("02:00:0a:fa:00:01", "02:00:0a:fa:00:02");
        ip(&format!("netns add {a}"))?;
        ip(&format!("netns add {t}"))?;
        for line in [
            format!(
                "link add {near} address {near_mac} netns {a} type veth \
                 peer name {far} address {far_mac} netns {t}"
            ),
            format!("-n {a} addr add 10.250.0.1/30 dev {near}"),
            format!("-n {t} addr add 10.250.0.2/30 dev {far}"),
            format!("-n {a} link set lo up"),
            format!("-n {t} link set lo up"),
            format!("-n {a} link set {near} up"),
            format!("-n {t} link set {far} up"),
            // Resolved neighbours: a burst must not overflow the queue of one being resolved.
            format!("-n {a} neigh replace 10.250.0.2 lladdr {far_mac} dev {near} nud permanent"),
            format!("-n {t} neigh replace 10.250.0.1 lladdr {near_mac} dev {far} nud permanent"),
            format!("-n {a} route add 10.251.0.0/16 via 10.250.0.2"),
            format!("-n {t} route add local 10.251.0.0/16 dev lo"),
        ] {
            ip(&line)?;
        }
        Ok(lab)
    }

    /// A command that runs `program` inside the agent namespace.
    pub(super) fn in_agent(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.agent, program]);
        command
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.agent, &self.targets] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Kills and reaps a child process when dropped.
pub(super) struct KillOnDrop(pub(super) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
