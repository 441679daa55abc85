//! A three-namespace lab: the agent (`agt`), the aggregator (`agg`) and the probed targets
//! (`tgt`), joined by veth links. Nothing is addressed in the host's own namespace, so labs of
//! tests running in parallel cannot collide, and no traffic leaves the machine.
//!
//! ```text
//!   agg 10.250.0.2 ── 10.250.0.1 agt 10.250.1.1 ── 10.250.1.2 tgt (+ 10.251.0.0/16 local)
//! ```

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The aggregator's address, as the agent dials it.
pub const AGGREGATOR_ADDR: &str = "10.250.0.2";
/// The agent's address on the aggregator link.
pub const AGENT_ADDR: &str = "10.250.0.1";
/// Every address of this /16 answers ICMP echo inside the target namespace.
pub const TARGET_PREFIX: &str = "10.251";

static NEXT_LAB: AtomicU32 = AtomicU32::new(0);

/// The namespaces of one test; deleted (with their links and nftables rules) on drop.
pub struct Lab {
    pub agent_ns: String,
    pub aggregator_ns: String,
    pub target_ns: String,
}

fn ip(args: &[&str]) {
    let out = run("ip", args);
    assert!(
        out.status.success(),
        "`ip {}` failed (these tests need root and iproute2): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{program}`: {e}"))
}

impl Lab {
    /// Creates the namespaces and links. Needs root; panics with the reason otherwise.
    pub fn create() -> Self {
        let n = NEXT_LAB.fetch_add(1, Ordering::Relaxed);
        let tag = format!("vge2e-{}-{n}", std::process::id());
        let lab = Self {
            agent_ns: format!("{tag}-agt"),
            aggregator_ns: format!("{tag}-agg"),
            target_ns: format!("{tag}-tgt"),
        };
        for ns in [&lab.agent_ns, &lab.aggregator_ns, &lab.target_ns] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let (agt, agg, tgt) = (&lab.agent_ns, &lab.aggregator_ns, &lab.target_ns);
        ip(&[
            "-n", agt, "link", "add", "up0", "type", "veth", "peer", "name", "ag0", "netns", agg,
        ]);
        ip(&[
            "-n", agt, "link", "add", "tg0", "type", "veth", "peer", "name", "at0", "netns", tgt,
        ]);
        ip(&["-n", agt, "addr", "add", "10.250.0.1/30", "dev", "up0"]);
        ip(&["-n", agg, "addr", "add", "10.250.0.2/30", "dev", "ag0"]);
        ip(&["-n", agt, "addr", "add", "10.250.1.1/30", "dev", "tg0"]);
        ip(&["-n", tgt, "addr", "add", "10.250.1.2/30", "dev", "at0"]);
        for (ns, dev) in [(agt, "up0"), (agt, "tg0"), (agg, "ag0"), (tgt, "at0")] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        ip(&[
            "-n",
            agt,
            "route",
            "add",
            "10.251.0.0/16",
            "via",
            "10.250.1.2",
        ]);
        ip(&[
            "-n",
            tgt,
            "route",
            "add",
            "10.250.0.0/24",
            "via",
            "10.250.1.1",
        ]);
        ip(&[
            "-n",
            tgt,
            "route",
            "add",
            "local",
            "10.251.0.0/16",
            "dev",
            "lo",
        ]);
        lab
    }

    /// `ip netns exec <ns> <program> <args>`, ready to be configured and spawned.
    pub fn command(ns: &str, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, program]);
        cmd
    }

    /// Runs a command inside a namespace and returns its stdout; panics when it fails.
    pub fn exec(ns: &str, program: &str, args: &[&str]) -> String {
        let out = Self::command(ns, program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program} in {ns}: {e}"));
        assert!(
            out.status.success(),
            "`{program} {}` in {ns} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// An HTTP GET from inside the agent's namespace (e.g. its `/metrics`); `None` when the
    /// server does not answer.
    pub fn http_get_in_agent(&self, url: &str) -> Option<String> {
        let out = Self::command(&self.agent_ns, "curl")
            .args(["-sf", "--max-time", "2", url])
            .output()
            .expect("curl runs");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Drops every packet between the agent and the aggregator (nftables in the agent's
    /// namespace), both ways, until [`heal`](Self::heal).
    pub fn partition(&self) {
        let rules = format!(
            "table inet vigia_e2e {{\n\
               chain out {{ type filter hook output priority 0; ip daddr {AGGREGATOR_ADDR} drop; }}\n\
               chain in {{ type filter hook input priority 0; ip saddr {AGGREGATOR_ADDR} drop; }}\n\
             }}\n"
        );
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), rules).expect("write nft rules");
        Self::exec(
            &self.agent_ns,
            "nft",
            &["-f", file.path().to_str().expect("utf-8 path")],
        );
    }

    /// Removes the partition.
    pub fn heal(&self) {
        Self::exec(
            &self.agent_ns,
            "nft",
            &["delete", "table", "inet", "vigia_e2e"],
        );
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Deleting a namespace deletes its links (and the peer ends) and its nftables rules.
        for ns in [&self.agent_ns, &self.aggregator_ns, &self.target_ns] {
            let _ = run("ip", &["netns", "del", ns]);
        }
    }
}
