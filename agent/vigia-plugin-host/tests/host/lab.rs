//! A two-namespace ICMP lab: an "agent" namespace and a "targets" namespace joined by a veth
//! pair. In the targets namespace whole ranges answer echo through `route add local`:
//! 10.251.0.0/16 and fd00:251::/64. Test code runs with every thread inside the agent namespace
//! ([`Lab::run`]); traffic never leaves the machine. Needs root and iproute2: fails loudly
//! without them. Both namespaces (and with them the veth pair) are deleted on drop.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::sched::{CloneFlags, setns};

pub struct Lab {
    agent: String,
    targets: String,
}

pub fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `ip` ({e}): install iproute2; this test needs root")
    });
    assert!(
        out.status.success(),
        "`ip {}` failed (this test needs root): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `n`-th target address of the IPv4 range (0 is 10.251.0.1).
pub fn v4_target(n: u32) -> IpAddr {
    let base = u32::from(Ipv4Addr::new(10, 251, 0, 1));
    IpAddr::V4(Ipv4Addr::from(base + n))
}

/// The `n`-th target address of the IPv6 range (0 is fd00:251::1).
pub fn v6_target(n: u32) -> IpAddr {
    let base = u128::from(Ipv6Addr::new(0xfd00, 0x251, 0, 0, 0, 0, 0, 1));
    IpAddr::V6(Ipv6Addr::from(base + u128::from(n)))
}

impl Lab {
    pub fn create() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let id = format!(
            "{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let lab = Self {
            agent: format!("vigia-lab-a{id}"),
            targets: format!("vigia-lab-t{id}"),
        };
        let (a, t) = (&lab.agent, &lab.targets);
        let (near, far) = (format!("vla{id}"), format!("vlt{id}"));
        let (near_mac, far_mac) = ("02:00:0a:fa:00:01", "02:00:0a:fa:00:02");
        for line in [
            format!("netns add {a}"),
            format!("netns add {t}"),
            format!(
                "link add {near} address {near_mac} netns {a} type veth \
                 peer name {far} address {far_mac} netns {t}"
            ),
            format!("-n {a} addr add 10.250.0.1/30 dev {near}"),
            format!("-n {a} addr add fd00:250::1/64 dev {near} nodad"),
            format!("-n {t} addr add 10.250.0.2/30 dev {far}"),
            format!("-n {t} addr add fd00:250::2/64 dev {far} nodad"),
            format!("-n {a} link set lo up"),
            format!("-n {t} link set lo up"),
            format!("-n {a} link set {near} up"),
            format!("-n {t} link set {far} up"),
            // Permanent neighbours: a burst of echoes must not wait in (and overflow) the queue
            // of a neighbour still being resolved, which would be loss caused by the lab.
            format!("-n {a} neigh replace 10.250.0.2 lladdr {far_mac} dev {near} nud permanent"),
            format!("-n {a} neigh replace fd00:250::2 lladdr {far_mac} dev {near} nud permanent"),
            format!("-n {t} neigh replace 10.250.0.1 lladdr {near_mac} dev {far} nud permanent"),
            format!("-n {t} neigh replace fd00:250::1 lladdr {near_mac} dev {far} nud permanent"),
            format!("-n {a} route add 10.251.0.0/16 via 10.250.0.2"),
            format!("-n {a} -6 route add fd00:251::/64 via fd00:250::2"),
            format!("-n {t} route add local 10.251.0.0/16 dev lo"),
            format!("-n {t} -6 route add local fd00:251::/64 dev lo"),
        ] {
            ip(&line.split_whitespace().collect::<Vec<_>>());
        }
        lab
    }

    /// Makes `prefix` (inside the target ranges) silently drop echo requests.
    pub fn blackhole(&self, prefix: &str) {
        self.route_in_targets("blackhole", prefix);
    }

    /// Makes `prefix` answer echo requests with "destination unreachable" (the namespace then
    /// forwards: without forwarding the kernel drops such packets silently).
    pub fn unreachable(&self, prefix: &str) {
        let status = Command::new("ip")
            .args(["netns", "exec", &self.targets])
            .args(["sysctl", "-qw", "net.ipv4.conf.all.forwarding=1"])
            .status()
            .expect("ip netns exec runs");
        assert!(
            status.success(),
            "cannot enable forwarding in {}",
            self.targets
        );
        self.route_in_targets("unreachable", prefix);
    }

    fn route_in_targets(&self, kind: &str, prefix: &str) {
        let family = if prefix.contains(':') { "-6" } else { "-4" };
        ip(&[
            "-n",
            &self.targets,
            family,
            "route",
            "add",
            kind,
            prefix,
            "table",
            "local",
        ]);
    }

    /// Runs `body` on a fresh multi-thread runtime whose threads all live in the agent
    /// namespace (so the sockets the host opens are there), and returns its output.
    pub fn run<F, Fut, T>(&self, workers: usize, body: F) -> T
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = T>,
        T: Send,
    {
        let path = format!("/var/run/netns/{}", self.agent);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    enter(&path);
                    let body = body;
                    let thread_path = path.clone();
                    let runtime = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(workers)
                        .enable_all()
                        .on_thread_start(move || enter(&thread_path))
                        .build()
                        .expect("runtime builds");
                    runtime.block_on(body())
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

fn enter(netns_path: &str) {
    let file =
        std::fs::File::open(netns_path).unwrap_or_else(|e| panic!("cannot open {netns_path}: {e}"));
    setns(&file, CloneFlags::CLONE_NEWNET)
        .unwrap_or_else(|e| panic!("cannot enter {netns_path} (needs root): {e}"));
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.agent, &self.targets] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
