//! The aggregator binary, driven as an operator would: make certificates with `pki`, check the
//! config, `serve`, connect as an agent over mutually authenticated TLS, stop with SIGTERM.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio_stream::wrappers::ReceiverStream;
use vigia_ingest::testing::{self, ClientIdentity};
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;
use vigia_store::{AgentId, IngestStore, SqliteStore};

const WAIT: Duration = Duration::from_secs(30);

fn aggregator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigia-aggregator"))
        .args(args)
        .env("VIGIA_LOG", "warn")
        .output()
        .expect("the aggregator binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("file written")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

/// Kills the server if the test fails before it stopped it.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn pki(dir: &Path, args: &[&str]) {
    let mut all = vec!["pki"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--dir", dir.to_str().expect("utf-8 path")]);
    let out = aggregator(&all);
    assert!(out.status.success(), "pki {args:?}: {}", text(&out.stderr));
}

#[test]
fn certificates_from_pki_are_accepted_by_serve_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    pki(d, &["init"]);
    pki(
        d,
        &["issue-server", "--name", "localhost", "--name", "127.0.0.1"],
    );
    pki(d, &["issue-agent", "--id", "tower-1", "--days", "30"]);
    for key in ["ca.key", "server.key", "agent-tower-1.key"] {
        assert_eq!(mode(&d.join(key)), 0o600, "{key}");
    }
    // Nothing is ever replaced.
    let before = read(d, "ca.pem");
    let again = aggregator(&["pki", "init", "--dir", d.to_str().expect("utf-8")]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(read(d, "ca.pem"), before);

    let config = d.join("aggregator.toml");
    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \"data\"\n\
         [tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n\
         [agents]\nallowed = [\"tower-1\"]\n",
    )
    .expect("write config");
    let checked = aggregator(&["check-config", config.to_str().expect("utf-8")]);
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    assert!(text(&checked.stdout).contains("ok (listen 127.0.0.1:0, 1 allowed agents)"));

    let mut server = ChildGuard(
        Command::new(env!("CARGO_BIN_EXE_vigia-aggregator"))
            .args(["serve", "--config", config.to_str().expect("utf-8")])
            .env("VIGIA_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("serve starts"),
    );
    let stdout = server.0.stdout.take().expect("stdout piped");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let listening = received
        .recv_timeout(WAIT)
        .expect("serve prints its address");
    let addr = listening
        .strip_prefix("listening on ")
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {listening}"));

    let identity = ClientIdentity {
        server_ca_pem: read(d, "ca.pem"),
        cert_pem: read(d, "agent-tower-1.pem"),
        key_pem: read(d, "agent-tower-1.key"),
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let goodbye = runtime.block_on(async {
        let mut client = testing::connect(addr, "localhost", &identity)
            .await
            .expect("connect");
        let (to_server, outbound) = tokio::sync::mpsc::channel(8);
        to_server
            .send(testing::hello("tower-1", 7, 0))
            .await
            .expect("queue hello");
        let mut from_server = client
            .connect(ReceiverStream::new(outbound))
            .await
            .expect("stream opened")
            .into_inner();
        to_server
            .send(testing::batch_message(testing::result_batch(7, 1, true)))
            .await
            .expect("send batch");
        loop {
            let message = tokio::time::timeout(WAIT, from_server.message())
                .await
                .expect("answer in time")
                .expect("no error")
                .expect("stream open");
            match message.message {
                Some(ToAgent::Ack(ack)) if ack.up_to == 1 => break,
                Some(ToAgent::Ack(_) | ToAgent::Throttle(_)) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        let term = Command::new("kill")
            .args(["-TERM", &server.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(term.success());
        let message = tokio::time::timeout(WAIT, from_server.message())
            .await
            .expect("answer in time")
            .expect("no error")
            .expect("goodbye before the end");
        drop(to_server);
        message.message
    });
    assert!(matches!(goodbye, Some(ToAgent::Goodbye(_))), "{goodbye:?}");

    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "serve exit status {status}");

    // The batch is in the database, for the identity in the certificate.
    let store = SqliteStore::open(&d.join("data")).expect("open the store");
    let tower = AgentId::new("tower-1").expect("valid");
    let stored = runtime.block_on(store.batches(&tower, 7)).expect("read");
    assert_eq!(stored.iter().map(|b| b.seq).collect::<Vec<_>>(), [1]);
}

#[test]
fn check_config_reports_problems_with_file_line_and_exit_64() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("aggregator.toml");
    std::fs::write(
        &config,
        "[server]\nlisten = \"localhost\"\n[storage]\ndata_dir = \"data\"\n\
         [tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n",
    )
    .expect("write config");
    let out = aggregator(&["check-config", config.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(64));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:2: server.listen `localhost`",
            config.display()
        )),
        "{stderr}"
    );

    // Valid values, but the TLS files do not exist: each is reported at its own line.
    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \"data\"\n\
         [tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n",
    )
    .expect("write config");
    let out = aggregator(&["check-config", config.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(64));
    let stderr = text(&out.stderr);
    for (line, key) in [(6, "tls.cert"), (7, "tls.key"), (8, "tls.client_ca")] {
        assert!(
            stderr.contains(&format!("{}:{line}: {key} ", config.display())),
            "{key}: {stderr}"
        );
    }
    // serve refuses the same config the same way, before binding anything.
    let out = aggregator(&["serve", "--config", config.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn check_config_blames_a_key_that_does_not_match_its_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    pki(d, &["init"]);
    pki(d, &["issue-server", "--name", "localhost"]);
    pki(d, &["issue-agent", "--id", "tower-1"]);
    let config = d.join("aggregator.toml");
    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \"data\"\n\
         [tls]\ncert = \"server.pem\"\nkey = \"agent-tower-1.key\"\nclient_ca = \"ca.pem\"\n",
    )
    .expect("write config");
    let out = aggregator(&["check-config", config.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(64));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:7: tls.key ", config.display())),
        "{stderr}"
    );
}

#[test]
fn issue_agent_refuses_an_id_that_cannot_be_an_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    pki(dir.path(), &["init"]);
    let out = aggregator(&[
        "pki",
        "issue-agent",
        "--dir",
        dir.path().to_str().expect("utf-8"),
        "--id",
        "Tower_1",
    ]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        text(&out.stderr).contains("invalid agent id `Tower_1`"),
        "{}",
        text(&out.stderr)
    );
}
