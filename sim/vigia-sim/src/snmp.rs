//! SNMP peers for tests and the simulated ISP: net-snmp's `snmpd` (live counters of the host or
//! namespace it runs in; v2c and v3 users) and snmpsim (`snmpsim-command-responder`, serving
//! recorded devices, one community per `.snmprec` file), each on a free loopback UDP port.
//!
//! Both are started as child processes, killed on drop, and returned only once they answer a
//! real SNMP GET (polled with a bounded deadline; no sleeps). Scratch files live in a private
//! directory removed on drop.
//!
//! Not here: the simulated world's own devices (they are written as `.snmprec` files by the
//! world, then served through [`Snmpsim`]), MIB files (Debian ships none; everything is numeric).

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `snmpd` lives (apt `snmpd`).
pub const SNMPD: &str = "/usr/sbin/snmpd";
/// How long a peer may take to answer its first GET.
pub const READY_DEADLINE: Duration = Duration::from_secs(20);

/// Errors starting an SNMP peer.
#[derive(Debug, thiserror::Error)]
pub enum SnmpError {
    #[error("cannot prepare {path}")]
    Files {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start {program}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot find a free loopback udp port")]
    Port(#[source] std::io::Error),
    #[error("{what} on {address} did not answer an snmp get within {} ms ({status})", waited.as_millis())]
    NotReady {
        what: &'static str,
        address: SocketAddr,
        waited: Duration,
        status: String,
    },
}

/// An SNMPv3 user of [`Snmpd`]: authPriv with SHA-1 and AES-128.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3User {
    pub name: String,
    /// At least 8 characters (net-snmp refuses shorter pass phrases).
    pub auth_pass: String,
    pub priv_pass: String,
}

/// What [`Snmpd`] serves: a read-only v2c community and v3 users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnmpdConfig {
    pub community: String,
    pub v3_users: Vec<V3User>,
}

/// A running `snmpd` on `127.0.0.1:<port>`, killed on drop.
#[derive(Debug)]
pub struct Snmpd {
    child: Child,
    address: SocketAddr,
    _scratch: Scratch,
}

impl Snmpd {
    /// Starts `snmpd -f -Lo -C -c <generated config>` on a free port and waits until it
    /// answers a v2c GET of sysDescr.0 with the configured community.
    pub fn start(config: &SnmpdConfig) -> Result<Self, SnmpError> {
        let scratch = Scratch::new("snmpd")?;
        let address = free_udp_address()?;
        let mut conf = format!(
            "agentAddress udp:{address}\nrocommunity {} 127.0.0.1\n",
            config.community
        );
        for user in &config.v3_users {
            conf.push_str(&format!(
                "createUser {} SHA \"{}\" AES \"{}\"\nrouser {} priv\n",
                user.name, user.auth_pass, user.priv_pass, user.name
            ));
        }
        let conf_path = scratch.write("snmpd.conf", &conf)?;
        let child = Command::new(SNMPD)
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(&conf_path)
            .arg("-p")
            .arg(scratch.path().join("snmpd.pid"))
            .env("SNMP_PERSISTENT_DIR", scratch.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| SnmpError::Spawn {
                program: SNMPD.into(),
                source,
            })?;
        let mut snmpd = Self {
            child,
            address,
            _scratch: scratch,
        };
        wait_ready(
            "snmpd",
            &mut snmpd.child,
            address,
            &config.community,
            READY_DEADLINE,
        )?;
        Ok(snmpd)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A running snmpsim command responder on `127.0.0.1:<port>` serving a data directory (the
/// community of each device is its file name without `.snmprec`), killed on drop.
#[derive(Debug)]
pub struct Snmpsim {
    child: Child,
    address: SocketAddr,
    _scratch: Scratch,
}

impl Snmpsim {
    /// Starts `snmpsim-command-responder` and waits until it answers a GET of sysDescr.0 in
    /// `probe_community` (one of the recordings: snmpsim does not answer unknown communities).
    ///
    /// snmpsim refuses to run as root and drops to `nobody:nogroup` when started as root, after
    /// binding: the data directory and the executable's virtualenv must then be readable by
    /// `nobody` (a venv from Debian's `/usr/bin/python3` under a world-readable path), and the
    /// cache directory writable by it (a private directory, mode 0777, made here).
    pub fn start(
        executable: &Path,
        data_dir: &Path,
        probe_community: &str,
    ) -> Result<Self, SnmpError> {
        let scratch = Scratch::new("snmpsim")?;
        let cache = scratch.path().join("cache");
        std::fs::create_dir(&cache).map_err(|source| SnmpError::Files {
            path: cache.clone(),
            source,
        })?;
        world_writable(&cache)?;
        let address = free_udp_address()?;
        let mut command = Command::new(executable);
        command
            .arg(format!("--data-dir={}", data_dir.display()))
            .arg(format!("--cache-dir={}", cache.display()))
            .arg(format!("--agent-udpv4-endpoint={address}"))
            .arg("--logging-method=null")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if is_root() {
            command.args(["--process-user=nobody", "--process-group=nogroup"]);
        }
        let child = command.spawn().map_err(|source| SnmpError::Spawn {
            program: executable.to_owned(),
            source,
        })?;
        let mut snmpsim = Self {
            child,
            address,
            _scratch: scratch,
        };
        wait_ready(
            "snmpsim",
            &mut snmpsim.child,
            address,
            probe_community,
            READY_DEADLINE,
        )?;
        Ok(snmpsim)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }
}

impl Drop for Snmpsim {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// `snmpsim-command-responder` of the workspace's Python test environment
/// (`<workspace>/target/pyenv`, made by `cargo xtask test`), or `$VIGIA_SNMPSIM` when set.
pub fn snmpsim_executable(workspace_root: &Path) -> PathBuf {
    match std::env::var_os("VIGIA_SNMPSIM") {
        Some(path) => PathBuf::from(path),
        None => workspace_root.join("target/pyenv/bin/snmpsim-command-responder"),
    }
}

/// The shared device recordings: `$VIGIA_SNMPREC_DIR`, else `../shared/testdata/snmprec`
/// beside the workspace; `None` when neither is a directory.
pub fn recordings_dir(workspace_root: &Path) -> Option<PathBuf> {
    let dir = match std::env::var_os("VIGIA_SNMPREC_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root.join("../shared/testdata/snmprec"),
    };
    dir.is_dir().then_some(dir)
}

/// Sends v2c GETs of sysDescr.0 to `address` until a response comes back or `deadline`
/// passes (each attempt waits up to 100 ms for the answer). Fails early if `child` exits.
fn wait_ready(
    what: &'static str,
    child: &mut Child,
    address: SocketAddr,
    community: &str,
    deadline: Duration,
) -> Result<(), SnmpError> {
    let started = Instant::now();
    let not_ready = |status: String| SnmpError::NotReady {
        what,
        address,
        waited: started.elapsed(),
        status,
    };
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(SnmpError::Port)?;
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .map_err(SnmpError::Port)?;
    let request = get_request(community, 0x5649_4741);
    let mut buffer = [0u8; 1500];
    while started.elapsed() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(not_ready(format!("it exited: {status}")));
        }
        // Until the agent binds, the send may fail (ICMP port unreachable): try again.
        let _ = socket.send_to(&request, address);
        match socket.recv_from(&mut buffer) {
            Ok((len, from)) if from == address && is_response(&buffer[..len]) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                // Nothing bound yet; the next attempt is paced by a short blocking receive.
                let _ = socket.recv_from(&mut buffer);
            }
            Err(e) => return Err(not_ready(format!("receive failed: {e}"))),
        }
    }
    Err(not_ready("no answer".to_owned()))
}

/// A BER-encoded SNMPv2c GetRequest for sysDescr.0.
fn get_request(community: &str, request_id: u32) -> Vec<u8> {
    let sys_descr = [0x2b, 6, 1, 2, 1, 1, 1, 0]; // 1.3.6.1.2.1.1.1.0
    let varbind = tlv(0x30, &[tlv(0x06, &sys_descr), vec![0x05, 0x00]].concat());
    let pdu = tlv(
        0xa0,
        &[
            tlv(0x02, &minimal(request_id)),
            vec![0x02, 0x01, 0x00], // error-status
            vec![0x02, 0x01, 0x00], // error-index
            tlv(0x30, &varbind),
        ]
        .concat(),
    );
    tlv(
        0x30,
        &[
            vec![0x02, 0x01, 0x01], // version: v2c
            tlv(0x04, community.as_bytes()),
            pdu,
        ]
        .concat(),
    )
}

/// The minimal two's-complement content octets of a non-negative INTEGER (BER forbids padding).
fn minimal(value: u32) -> Vec<u8> {
    let mut bytes = vec![0u8];
    bytes.extend(value.to_be_bytes());
    while bytes.len() > 1 && bytes[0] == 0 && bytes[1] & 0x80 == 0 {
        bytes.remove(0);
    }
    bytes
}

/// A type-length-value with a definite length (short or long form).
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

/// A sequence holding a GetResponse PDU (tag 0xa2).
fn is_response(message: &[u8]) -> bool {
    message.first() == Some(&0x30) && message.contains(&0xa2)
}

fn free_udp_address() -> Result<SocketAddr, SnmpError> {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .map_err(SnmpError::Port)
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn is_root() -> bool {
    // `id -u` would need a process; the owner of /proc/self is the effective user.
    std::fs::metadata("/proc/self").is_ok_and(|meta| {
        use std::os::unix::fs::MetadataExt;
        meta.uid() == 0
    })
}

fn world_writable(path: &Path) -> Result<(), SnmpError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).map_err(|source| {
        SnmpError::Files {
            path: path.to_owned(),
            source,
        }
    })
}

/// A private scratch directory (mode 0755, so a peer that dropped privileges can read it),
/// removed on drop.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Result<Self, SnmpError> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let unique = format!(
            "vigia-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(unique);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|source| SnmpError::Files {
            path: path.clone(),
            source,
        })?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(
            |source| SnmpError::Files {
                path: path.clone(),
                source,
            },
        )?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf, SnmpError> {
        let path = self.0.join(name);
        std::fs::write(&path, text).map_err(|source| SnmpError::Files {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_request_is_a_v2c_get_of_sys_descr() {
        let mut expected = vec![0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06];
        expected.extend(b"public");
        expected.extend([0xa0, 0x1c, 0x02, 0x04, 0x56, 0x49, 0x47, 0x41]);
        expected.extend([0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c]);
        expected.extend([0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 1, 0, 0x05, 0x00]);
        assert_eq!(get_request("public", 0x5649_4741), expected);
    }

    #[test]
    fn integers_are_minimal() {
        assert_eq!(minimal(0), vec![0]);
        assert_eq!(minimal(1), vec![1]);
        assert_eq!(minimal(0x80), vec![0, 0x80]);
        assert_eq!(minimal(0xffff_ffff), vec![0, 0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn long_lengths_use_the_long_form() {
        let value = vec![0u8; 300];
        let encoded = tlv(0x04, &value);
        assert_eq!(&encoded[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(encoded.len(), 304);
    }
}
