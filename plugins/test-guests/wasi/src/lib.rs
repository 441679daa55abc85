//! Test guest `wasi`: a component that imports WASI (a file read and an environment variable
//! through std, a TCP connect) and reports what each attempt returned, to prove the host locks
//! WASI down. Built for `wasm32-wasip2`; not a plugin to deploy.
//!
//! The TCP connect uses `wasi:sockets` directly (the `wasi` crate, renamed `wasi-p2`), not `std::net`: with Debian's
//! toolchain, `-Zbuild-std` for wasm32-wasip2 links against Debian's wasi-libc, a WASI preview 1
//! libc without sockets, so any `std::net` use fails to link (`undefined symbol: socket`,
//! `connect`, `getaddrinfo`). Natively (for the unit test) it uses `std::net`.
//!
//! `run` returns one `wasi_attempt_ok` metric per attempt (1 = it worked, 0 = it failed), labelled
//! `attempt` (`fs_read`, `env_var`, `tcp_connect`) and `result` (what std returned).

use std::io::Read;

use vigia_plugin_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// File to read.
    pub path: String,
    /// Environment variable to read.
    pub env_var: String,
    /// `ip:port` to connect to.
    pub tcp_address: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            path: "/etc/hostname".to_owned(),
            env_var: "HOME".to_owned(),
            tcp_address: "127.0.0.1:80".to_owned(),
        }
    }
}

pub struct Wasi;

impl Plugin for Wasi {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "wasi",
            env!("CARGO_PKG_VERSION"),
            "test guest: tries WASI file, env and socket access",
        )
    }

    fn run(
        config: &Config,
        targets: &[Target],
        _: &impl Host,
    ) -> Result<Vec<Observation>, PluginError> {
        let target = targets
            .first()
            .cloned()
            .unwrap_or_else(|| Target::new("wasi", ""));
        let attempts = [
            ("fs_read", read_file(&config.path)),
            (
                "env_var",
                std::env::var(&config.env_var).map_err(|error| error.to_string()),
            ),
            ("tcp_connect", connect(&config.tcp_address)),
        ];
        Ok(attempts
            .into_iter()
            .map(|(attempt, result)| {
                let (ok, text) = match result {
                    Ok(value) => (1.0, format!("ok: {value}")),
                    Err(error) => (0.0, format!("error: {error}")),
                };
                let metric = Metric::gauge("wasi_attempt_ok", ok, "1")
                    .with_label("attempt", attempt)
                    .with_label("result", text);
                Observation::metric(&target, metric)
            })
            .collect())
    }
}

fn read_file(path: &str) -> Result<String, String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|mut file| file.read_to_string(&mut text))
        .map_err(|error| error.to_string())?;
    Ok(format!("{} bytes", text.len()))
}

#[cfg(not(target_os = "wasi"))]
fn connect(address: &str) -> Result<String, String> {
    let stream = std::net::TcpStream::connect(address).map_err(|error| error.to_string())?;
    let peer = stream.peer_addr().map_err(|error| error.to_string())?;
    Ok(format!("connected to {peer}"))
}

/// `wasi:sockets/tcp` connect to an IPv4 `ip:port`; each step's error is reported by name.
#[cfg(target_os = "wasi")]
fn connect(address: &str) -> Result<String, String> {
    use wasi_p2::sockets::instance_network::instance_network;
    use wasi_p2::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
    use wasi_p2::sockets::tcp_create_socket::create_tcp_socket;

    let remote: std::net::SocketAddrV4 = address
        .parse()
        .map_err(|error| format!("`{address}` is not an ipv4 ip:port: {error}"))?;
    let network = instance_network();
    let socket = create_tcp_socket(IpAddressFamily::Ipv4)
        .map_err(|code| format!("create-tcp-socket: {code:?}"))?;
    let [a, b, c, d] = remote.ip().octets();
    let remote_address = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: remote.port(),
        address: (a, b, c, d),
    });
    socket
        .start_connect(&network, remote_address)
        .map_err(|code| format!("start-connect: {code:?}"))?;
    socket.subscribe().block();
    socket
        .finish_connect()
        .map_err(|code| format!("finish-connect: {code:?}"))?;
    Ok(format!("connected to {remote}"))
}

export_plugin!(Wasi);

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use vigia_plugin_sdk::testing::{self, FakeHost};

    use super::*;

    fn results(observations: &[Observation]) -> Vec<(String, f64, String)> {
        observations
            .iter()
            .map(|observation| {
                let ObservationKind::Metric(metric) = &observation.kind else {
                    panic!("expected a metric")
                };
                let label = |key: &str| {
                    metric
                        .labels
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.clone())
                        .unwrap()
                };
                (label("attempt"), metric.value, label("result"))
            })
            .collect()
    }

    /// Natively nothing is locked down, so every attempt works: this checks the reporting, the
    /// host test checks the denials.
    #[test]
    fn reports_each_attempt_with_what_std_returned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hostname");
        std::fs::write(&path, "pop-sao-01\n").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let config = serde_json::json!({
            "path": path,
            "env_var": "CARGO_PKG_NAME",
            "tcp_address": listener.local_addr().unwrap().to_string(),
        });
        let observations =
            testing::run::<Wasi>(&config.to_string(), &[], &FakeHost::new()).unwrap();
        let results = results(&observations);
        assert_eq!(results[0], ("fs_read".into(), 1.0, "ok: 11 bytes".into()));
        assert_eq!(results[1], ("env_var".into(), 1.0, "ok: wasi".into()));
        assert_eq!(results[2].0, "tcp_connect");
        assert_eq!(results[2].1, 1.0, "{:?}", results[2]);
    }

    #[test]
    fn failures_are_reported_not_returned() {
        let config = r#"{"path": "/nonexistent/x", "env_var": "VIGIA_SURELY_UNSET_VAR", "tcp_address": "not-an-address"}"#;
        let observations = testing::run::<Wasi>(config, &[], &FakeHost::new()).unwrap();
        let results = results(&observations);
        assert!(
            results
                .iter()
                .all(|(_, ok, text)| *ok == 0.0 && text.starts_with("error: ")),
            "{results:?}"
        );
        assert_eq!(results[1].2, "error: environment variable not found");
    }
}
