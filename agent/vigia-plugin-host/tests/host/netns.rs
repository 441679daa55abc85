//! A local address that never answers ICMP echo: a veth pair whose far end sits in a network
//! namespace created for the test, with echo replies disabled there. Traffic never leaves the
//! machine. Needs root and `ip` (iproute2); fails loudly without them. Deleted on drop.

use std::process::Command;

pub struct SilentPeer {
    netns: String,
    near: String,
    /// The address inside the namespace (ARP answers, ICMP echo does not).
    pub address: String,
}

fn ip(args: &[&str]) {
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

impl SilentPeer {
    pub fn create() -> Self {
        let pid = std::process::id();
        let netns = format!("vigia-test-{pid}");
        let (near, far) = (format!("vt{pid}a"), format!("vt{pid}b"));
        // A /30 in 198.18.0.0/15 (reserved for network testing), picked from the pid.
        let (hi, lo) = ((pid >> 8) & 0xff, pid & 0xfc);
        let (near_addr, far_addr) = (
            format!("198.18.{hi}.{}", lo + 1),
            format!("198.18.{hi}.{}", lo + 2),
        );
        let peer = Self {
            netns: netns.clone(),
            near: near.clone(),
            address: far_addr.clone(),
        };
        ip(&["netns", "add", &netns]);
        ip(&["link", "add", &near, "type", "veth", "peer", "name", &far]);
        ip(&["link", "set", &far, "netns", &netns]);
        ip(&["addr", "add", &format!("{near_addr}/30"), "dev", &near]);
        ip(&["link", "set", &near, "up"]);
        ip(&[
            "-n",
            &netns,
            "addr",
            "add",
            &format!("{far_addr}/30"),
            "dev",
            &far,
        ]);
        ip(&["-n", &netns, "link", "set", &far, "up"]);
        let status = Command::new("ip")
            .args([
                "netns",
                "exec",
                &netns,
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all",
            ])
            .status()
            .expect("ip netns exec runs");
        assert!(status.success(), "cannot disable echo replies in {netns}");
        peer
    }
}

impl Drop for SilentPeer {
    fn drop(&mut self) {
        // Deleting the namespace destroys the veth pair with it; the link delete covers a setup
        // that failed before the far end moved in.
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .status();
        let _ = Command::new("ip")
            .args(["link", "del", &self.near])
            .stderr(std::process::Stdio::null())
            .status();
    }
}
