//! A real net-snmp `snmpd` on a free loopback UDP port, killed on drop.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub(super) const COMMUNITY: &str = "testcomm";
pub(super) const V3_USER: &str = "vigiatest";
pub(super) const V3_AUTH: &str = "auth-pass-123";
pub(super) const V3_PRIV: &str = "priv-pass-456";

const SNMPD: &str = "/usr/sbin/snmpd";

pub(super) struct Snmpd {
    child: Child,
    pub(super) port: u16,
    _dir: tempfile::TempDir,
}

impl Snmpd {
    /// Starts snmpd; fails loudly when it is not installed. Readiness is the caller's job
    /// (a real GET).
    pub(super) fn start() -> Self {
        assert!(
            Path::new(SNMPD).exists(),
            "{SNMPD} is missing: install the `snmpd` and `snmp` packages (`cargo xtask test` does)"
        );
        let port = free_udp_port();
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("snmpd.conf");
        let mut file = std::fs::File::create(&conf).unwrap();
        write!(
            file,
            "agentAddress udp:127.0.0.1:{port}\n\
             rocommunity {COMMUNITY} 127.0.0.1\n\
             createUser {V3_USER} SHA \"{V3_AUTH}\" AES \"{V3_PRIV}\"\n\
             rouser {V3_USER} priv\n"
        )
        .unwrap();
        let child = Command::new(SNMPD)
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(&conf)
            .arg("-p")
            .arg(dir.path().join("snmpd.pid"))
            .env("SNMP_PERSISTENT_DIR", dir.path())
            .env("MIBS", "")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SNMPD}: {e}"));
        Self {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A UDP port nothing listens on right now (bound, noted, released).
pub(super) fn free_udp_port() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}
