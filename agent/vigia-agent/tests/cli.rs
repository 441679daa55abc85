//! The agent binary, driven as an operator would: real plugins built by `cargo xtask plugins`,
//! real ICMP to loopback (needs root or unprivileged ICMP sockets: fails loudly otherwise).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A plugin built by `cargo xtask plugins`; panics with the fix when it is missing.
fn plugin(relative: &str) -> PathBuf {
    let path = root().join("target/plugins").join(relative);
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask plugins` first",
        path.display()
    );
    path
}

fn agent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigia-agent"))
        .args(args)
        .env("VIGIA_LOG", "warn")
        .output()
        .expect("the agent binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn plugin_run_prints_reachability_with_rtt_for_loopback() {
    let ping = plugin("ping.wasm");
    let out = agent(&[
        "plugin",
        "run",
        ping.to_str().unwrap(),
        "--target",
        "127.0.0.1",
        "--config",
        r#"{"count":2,"interval_ms":10}"#,
    ]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let observations: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let reach = observations
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "reachability")
        .expect("a reachability observation");
    assert_eq!(reach["target"], "127.0.0.1");
    assert_eq!(reach["up"], true);
    assert_eq!(reach["received"], 2);
    assert!(reach["rtt_avg_us"].as_u64().is_some(), "{reach}");
}

#[test]
fn plugin_describe_prints_the_descriptor() {
    let ping = plugin("ping.wasm");
    let out = agent(&["plugin", "describe", ping.to_str().unwrap()]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["id"], "ping");
    assert_eq!(info["wit_version"], "0.1.0");
    assert_eq!(info["capabilities"], serde_json::json!(["icmp"]));
    assert_eq!(info["config_schema"]["type"], "object");
}

#[test]
fn plugin_run_rejects_a_bad_config_before_running() {
    let ping = plugin("ping.wasm");
    let out = agent(&[
        "plugin",
        "run",
        ping.to_str().unwrap(),
        "--target",
        "127.0.0.1",
        "--config",
        r#"{"count":"many"}"#,
    ]);
    assert_eq!(out.status.code(), Some(64));
    let err = text(&out.stderr);
    assert!(
        err.contains("config rejected by plugin `ping`") && err.contains("/count"),
        "{err}"
    );
}

#[test]
fn garbage_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junk.wasm");
    std::fs::write(&file, b"\x00asm this is not a component").unwrap();
    let out = agent(&["plugin", "describe", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("junk.wasm"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_config_reports_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agent.toml");
    std::fs::write(&file, "[agent]\nid = \"x\"\nplugin_dir = \"p\"\n\n[[probe]]\nname = \"a\"\nplugin = \"ping\"\ninterval_secs = 0\ntargets = [\"127.0.0.1\"]\n").unwrap();
    let out = agent(&["check-config", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{}:5:", file.display())) && err.contains("interval_secs"),
        "{err}"
    );
}

#[test]
fn check_config_loads_plugins_and_checks_their_configs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agent.toml");
    let plugins = plugin("ping.wasm").parent().unwrap().to_path_buf();
    std::fs::write(
        &file,
        format!(
            "[agent]\nid = \"x\"\nplugin_dir = \"{}\"\n\n[[probe]]\nname = \"a\"\nplugin = \"ping\"\ninterval_secs = 5\ntargets = [\"127.0.0.1\"]\n[probe.grants]\ntcp = [\"10.0.0.1\"]\n[probe.config]\ncount = 0\n\n[[probe]]\nname = \"b\"\nplugin = \"nosuch\"\ninterval_secs = 5\ntargets = [\"127.0.0.1\"]\n",
            plugins.display()
        ),
    )
    .unwrap();
    let out = agent(&["check-config", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    let err = text(&out.stderr);
    assert!(
        err.contains(":5: probe `a`: config rejected") && err.contains("/count"),
        "{err}"
    );
    assert!(
        err.contains(
            ":5: probe `a`: grant tcp entry '10.0.0.1' is invalid: a tcp grant needs a port"
        ),
        "{err}"
    );
    assert!(
        err.contains(":15: probe `b`: cannot load plugin `nosuch`"),
        "{err}"
    );
}

/// A probe with a plugin that never returns runs next to a ping probe: each of its runs ends as a
/// timeout fault, and the agent keeps running the ping probe, round after round.
#[test]
fn agent_survives_a_misbehaving_plugin_and_keeps_probing() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(plugin("ping.wasm"), plugins.join("ping.wasm")).unwrap();
    std::fs::copy(plugin("test-guests/spin.wasm"), plugins.join("spin.wasm")).unwrap();
    let file = dir.path().join("agent.toml");
    std::fs::write(
        &file,
        "[agent]\nid = \"t\"\nplugin_dir = \"plugins\"\n\n\
         [[probe]]\nname = \"stuck\"\nplugin = \"spin\"\ninterval_secs = 1\ntimeout_ms = 300\ntargets = [\"127.0.0.1\"]\n\n\
         [[probe]]\nname = \"lo\"\nplugin = \"ping\"\ninterval_secs = 1\ntimeout_ms = 900\ntargets = [\"127.0.0.1\"]\n\
         [probe.grants]\nicmp = true\n[probe.config]\ncount = 1\n",
    )
    .unwrap();
    let out = agent(&["run", "--config", file.to_str().unwrap(), "--rounds", "3"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let of = |probe: &str| {
        lines
            .iter()
            .filter(move |l| l["probe"] == probe)
            .collect::<Vec<_>>()
    };
    let stuck = of("stuck");
    let lo = of("lo");
    assert_eq!((stuck.len(), lo.len()), (3, 3), "{lines:?}");
    for line in &stuck {
        assert_eq!(line["outcome"], "fault", "{line}");
        assert!(
            line["fault"].as_str().unwrap().contains("timeout"),
            "{line}"
        );
    }
    for line in &lo {
        assert_eq!(line["outcome"], "completed", "{line}");
        assert_eq!(line["observations"][0]["up"], true, "{line}");
        assert_eq!(
            line["observations"][0]["labels"],
            serde_json::json!([["vigia.state", "up"]]),
            "{line}"
        );
        assert_eq!(
            line["plugin_sha256"].as_str().map(str::len),
            Some(64),
            "{line}"
        );
    }
    let ids: std::collections::HashSet<&str> = lines
        .iter()
        .map(|l| l["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 6, "unique run ids");
}

/// The scheduler settings are checked before anything starts, each error at its line: an
/// undefined budget at the `budget =` line, a bad CIDR at its list element, a bad line of a
/// targets file at that file's line, a timeout as long as the interval at the probe.
#[test]
fn check_config_reports_scheduler_and_budget_errors_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cpes.txt"), "10.1.0.1\n10.1.0.0/33\n").unwrap();
    let file = dir.path().join("agent.toml");
    std::fs::write(
        &file,
        "[agent]\nid = \"x\"\nplugin_dir = \"p\"\n\n\
         [budget.acme]\ncalls = 1000\nper_secs = 3600\n\n\
         [[probe]]\nname = \"olt\"\nplugin = \"smartolt\"\ninterval_secs = 300\ntargets = [\"https://acme.smartolt.com\"]\n\
         grants = { http_hosts = [\"acme.smartolt.com\"], budget = \"acne\" }\n\n\
         [[probe]]\nname = \"cpes\"\nplugin = \"ping\"\ninterval_secs = 30\ntargets = [\n  \"10.0.0.1\",\n  \"10.0.0.1/24\",\n]\ntargets_file = \"cpes.txt\"\n\n\
         [[probe]]\nname = \"slow\"\nplugin = \"ping\"\ninterval_secs = 2\ntimeout_ms = 2000\ntargets = [\"10.0.0.9\"]\n",
    )
    .unwrap();
    let out = agent(&["check-config", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    let err = text(&out.stderr);
    let config = file.display();
    let targets = dir.path().join("cpes.txt");
    for expected in [
        format!("{config}:14: probe `olt`: grants.budget `acne` is not defined"),
        format!(
            "{config}:22: probe `cpes`: `10.0.0.1/24` is not a valid CIDR range: host bits are set"
        ),
        format!(
            "{}:2: probe `cpes`: `10.1.0.0/33` is not a valid CIDR range",
            targets.display()
        ),
        format!(
            "{config}:26: probe `slow`: timeout_ms (2000) must be at least 1 and less than interval_secs * 1000 (2000)"
        ),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
}

/// `run` stops on SIGTERM: no new rounds, the process exits 0 after its runs are delivered.
#[test]
fn run_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin("ping.wasm").parent().unwrap().to_path_buf();
    let file = dir.path().join("agent.toml");
    std::fs::write(
        &file,
        format!(
            "[agent]\nid = \"t\"\nplugin_dir = \"{}\"\nshutdown_grace_secs = 5\n\n\
             [[probe]]\nname = \"lo\"\nplugin = \"ping\"\ninterval_secs = 1\ntargets = [\"127.0.0.1\"]\n\
             grants = {{ icmp = true }}\nconfig = {{ count = 1 }}\n",
            plugins.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigia-agent"))
        .args(["run", "--config", file.to_str().unwrap()])
        .env("VIGIA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the agent starts");
    // Wait for the first result: the agent is running its schedule.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let first: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(first["outcome"], "completed", "{first}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    // Whatever it printed after the signal is whole JSON lines.
    for line in stdout.lines() {
        let line = line.unwrap();
        serde_json::from_str::<serde_json::Value>(&line).expect("a whole JSON line");
    }
}

/// A scripted RouterOS API peer for `plugin run`: accepts `/login` with password `s3cret`, and
/// prints one session (`alice`) while `online` is set. Short words only (one length byte).
fn fake_router(online: std::sync::Arc<std::sync::atomic::AtomicBool>) -> u16 {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    fn sentence(stream: &mut std::net::TcpStream) -> Option<Vec<String>> {
        let mut words = Vec::new();
        loop {
            let mut len = [0u8; 1];
            stream.read_exact(&mut len).ok()?;
            assert!(len[0] < 0x80, "the fake router reads short words only");
            if len[0] == 0 {
                return Some(words);
            }
            let mut word = vec![0u8; usize::from(len[0])];
            stream.read_exact(&mut word).ok()?;
            words.push(String::from_utf8(word).unwrap());
        }
    }
    fn send(stream: &mut std::net::TcpStream, words: &[&str], tag: &str) {
        let mut out = Vec::new();
        for word in words
            .iter()
            .copied()
            .chain([tag].into_iter().filter(|t| !t.is_empty()))
        {
            out.push(u8::try_from(word.len()).unwrap());
            out.extend_from_slice(word.as_bytes());
        }
        out.push(0);
        let _ = stream.write_all(&out);
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            while let Some(words) = sentence(&mut stream) {
                let tag = words
                    .iter()
                    .find(|w| w.starts_with(".tag="))
                    .cloned()
                    .unwrap_or_default();
                match words[0].as_str() {
                    "/login" if words.iter().any(|w| w == "=password=s3cret") => {
                        send(&mut stream, &["!done"], &tag);
                    }
                    "/login" => {
                        send(
                            &mut stream,
                            &["!trap", "=message=invalid user name or password (6)"],
                            &tag,
                        );
                        send(&mut stream, &["!done"], &tag);
                    }
                    "/ppp/active/print" if online.load(Ordering::SeqCst) => {
                        let row = [
                            "!re",
                            "=.id=*1",
                            "=name=alice",
                            "=address=10.0.0.2",
                            "=uptime=1m",
                        ];
                        send(&mut stream, &row, &tag);
                        send(&mut stream, &["!done"], &tag);
                    }
                    _ => send(&mut stream, &["!done"], &tag),
                }
            }
        }
    });
    port
}

/// `plugin run` grants hosts and secrets the plugin leaves to the operator, and keeps `kv` in
/// `--kv-dir` between runs: the second run reports the vanished login from the first's snapshot.
#[test]
fn plugin_run_grants_tcp_and_secrets_and_keeps_kv_between_runs() {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mikrotik = plugin("mikrotik.wasm");
    let online = std::sync::Arc::new(AtomicBool::new(true));
    let port = fake_router(online.clone());
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.toml");
    std::fs::write(&secrets, "mikrotik = \"s3cret\"\n").unwrap();
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).unwrap();
    let kv = dir.path().join("kv");
    std::fs::create_dir(&kv).unwrap();
    let address = format!("127.0.0.1:{port}");
    let target = format!("r1={address}");
    let config =
        r#"{"user":"vigia","password_secret":"mikrotik","read":["sessions"],"timeout_ms":2000}"#;
    let run = |extra: &[&str]| {
        let mut args = vec![
            "plugin",
            "run",
            mikrotik.to_str().unwrap(),
            "--target",
            &target,
        ];
        args.extend_from_slice(&["--config", config]);
        args.extend_from_slice(extra);
        agent(&args)
    };
    let granted = [
        "--grant-tcp",
        &address,
        "--secrets",
        secrets.to_str().unwrap(),
        "--kv-dir",
        kv.to_str().unwrap(),
    ];
    let alice = |out: &Output| -> serde_json::Value {
        assert!(out.status.success(), "stderr: {}", text(&out.stderr));
        let observations: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        observations
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == "pppoe_session" && o["login"] == "alice")
            .cloned()
            .unwrap_or_else(|| panic!("alice is reported: {observations}"))
    };

    let first = alice(&run(&granted));
    assert_eq!(first["online"], true);
    online.store(false, Ordering::SeqCst);
    let second = alice(&run(&granted));
    assert_eq!(
        second["online"], false,
        "gone since the snapshot in --kv-dir"
    );
    assert_eq!(
        second["labels"],
        serde_json::json!([["source", "snapshot"]])
    );

    // The TCP grant is what lets it connect.
    let out = run(&granted[2..]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let observations: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(observations[0]["kind"], "failure", "{observations}");
    assert_eq!(observations[0]["class"], "denied", "{observations}");

    // --deny: not even the secret.
    let mut denied = granted.to_vec();
    denied.push("--deny");
    let out = run(&denied);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("denied"),
        "{}",
        text(&out.stderr)
    );
}
