//! One aggregator and its agents in a [`Lab`]: certificates made with `vigia-aggregator pki`,
//! configs written to a temporary directory, processes started and restarted, and what reached
//! the aggregator read back from its store (SQLite or PostgreSQL, see [`Backend`]), independently
//! of our code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;
use vigia_core::run::RunResult;

use crate::backend::Backend;
use crate::lab::{AGGREGATOR_ADDR, Lab};
use crate::proc::Proc;
use crate::{bins, wait_until};

/// The agent id every test's good agent uses (a DNS label, as certificates need).
pub const AGENT_ID: &str = "e2e-agent";
const PORT: u16 = 7443;
const METRICS_PORT: u16 = 9464;
/// The aggregator's REST API port (on its namespace's address).
pub const API_PORT: u16 = 8080;

/// A stored result batch, as the aggregator's database holds it.
#[derive(Debug, Clone)]
pub struct Row {
    pub epoch: u64,
    pub seq: u64,
    pub live: bool,
    pub received_at_ms: u64,
    pub results: Vec<RunResult>,
}

/// How the agent is configured.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// Ping targets: a CIDR inside the lab's target range.
    pub targets: String,
    pub interval_secs: u64,
    pub backlog_rate: u32,
    pub spool_megabytes: u64,
    /// The certificate files to present: (cert, key).
    pub identity: Option<(PathBuf, PathBuf)>,
    /// Port of the agent's `/metrics` on its namespace's loopback.
    pub metrics_port: u16,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            targets: "10.251.0.0/22".into(),
            interval_secs: 1,
            backlog_rate: 200,
            spool_megabytes: 64,
            identity: None,
            metrics_port: METRICS_PORT,
        }
    }
}

pub struct Deployment {
    pub lab: Lab,
    pub dir: TempDir,
    pub pki: PathBuf,
    pub backend: Backend,
}

impl Deployment {
    /// A lab, a CA, the aggregator's certificate and the good agent's; the aggregator will store
    /// into `backend`.
    pub fn create(backend: Backend) -> Self {
        let lab = Lab::create();
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = dir.path().join("pki");
        pki_cmd(&["init", "--dir", path_str(&pki)]);
        pki_cmd(&[
            "issue-server",
            "--dir",
            path_str(&pki),
            "--name",
            AGGREGATOR_ADDR,
        ]);
        pki_cmd(&["issue-agent", "--dir", path_str(&pki), "--id", AGENT_ID]);
        Self {
            lab,
            dir,
            pki,
            backend,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("aggregator-data")
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.dir.path().join(format!("{AGENT_ID}-state/spool"))
    }

    /// The aggregator's config file (written by [`start_aggregator`](Self::start_aggregator)).
    pub fn aggregator_config(&self) -> PathBuf {
        self.dir.path().join("aggregator.toml")
    }

    /// Creates a REST API key with `vigia-aggregator apikey create` (in the root namespace: it
    /// only needs the store) and returns its secret.
    pub fn create_api_key(&self, scope: &str) -> String {
        create_api_key(&self.aggregator_config(), scope)
    }

    /// `GET http://<aggregator>:API_PORT<path>` from the agent's namespace with `key` (if any):
    /// the HTTP status and body.
    pub fn api_get(&self, path: &str, key: Option<&str>) -> (u16, String) {
        let url = format!("http://{AGGREGATOR_ADDR}:{API_PORT}{path}");
        let mut cmd = Lab::command(&self.lab.agent_ns, "curl");
        cmd.args(["-s", "--max-time", "5", "-w", "\n%{http_code}"]);
        if let Some(key) = key {
            cmd.args(["-H", &format!("Authorization: Bearer {key}")]);
        }
        let out = cmd.arg(&url).output().expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
        (status.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// Starts the aggregator (allowing `allowed` agent ids) and waits until it listens.
    pub fn start_aggregator(&self, allowed: &[&str]) -> Proc {
        let config = self.aggregator_config();
        let allowed: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"{AGGREGATOR_ADDR}:{PORT}\"\n\n{}\n\
                 [tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\n\n[agents]\nallowed = [{}]\n\n\
                 [api]\nlisten = \"{AGGREGATOR_ADDR}:{API_PORT}\"\nrate_per_sec = 100000\nburst = 100000\n",
                self.backend.storage_section(&self.data_dir()),
                self.pki.join("server.pem").display(),
                self.pki.join("server.key").display(),
                self.pki.join("ca.pem").display(),
                allowed.join(", "),
            ),
        )
        .expect("write aggregator config");
        let log = self.dir.path().join("aggregator.log");
        let before = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("listening on")
            .count();
        let mut proc = Proc::spawn(
            "vigia-aggregator",
            &self.lab.aggregator_ns,
            &bins::path("vigia-aggregator"),
            &["serve", "--config", path_str(&config)],
            &log,
        );
        proc.wait_for_log("listening on", before + 1, Duration::from_secs(30));
        proc
    }

    /// Writes the agent's config (named `name`) and starts it; `rounds` stops it by itself.
    pub fn start_agent(&self, name: &str, settings: &AgentSettings, rounds: Option<u64>) -> Proc {
        let (cert, key) = settings.identity.clone().unwrap_or_else(|| {
            (
                self.pki.join(format!("agent-{AGENT_ID}.pem")),
                self.pki.join(format!("agent-{AGENT_ID}.key")),
            )
        });
        let state = self.dir.path().join(format!("{name}-state"));
        let config = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "[agent]\nid = \"{name}\"\nplugin_dir = \"{plugins}\"\nstate_dir = \"{state}\"\n\
                 shutdown_grace_secs = 5\n\n\
                 [spool]\nmax_megabytes = {spool_mb}\n\n\
                 [uplink]\nendpoint = \"https://{AGGREGATOR_ADDR}:{PORT}\"\nca = \"{ca}\"\n\
                 cert = \"{cert}\"\nkey = \"{key}\"\nbackoff_min_ms = 200\nbackoff_max_secs = 2\n\
                 backlog_rate = {rate}\nheartbeat_secs = 1\n\n\
                 [metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n\
                 [[probe]]\nname = \"ping\"\nplugin = \"ping\"\ninterval_secs = {interval}\n\
                 timeout_ms = {timeout}\njitter = 0.0\nbatch_size = 1000\ntargets = [\"{targets}\"]\n\
                 [probe.grants]\nicmp = true\n[probe.config]\ncount = 1\ntimeout_ms = 500\n",
                plugins = plugin_dir().display(),
                state = state.display(),
                spool_mb = settings.spool_megabytes,
                ca = self.pki.join("ca.pem").display(),
                cert = cert.display(),
                key = key.display(),
                rate = settings.backlog_rate,
                interval = settings.interval_secs,
                timeout = settings.interval_secs * 900,
                targets = settings.targets,
                metrics_port = settings.metrics_port,
            ),
        )
        .expect("write agent config");
        let mut args = vec![
            "run".to_owned(),
            "--config".to_owned(),
            path_str(&config).to_owned(),
        ];
        if let Some(rounds) = rounds {
            args.extend(["--rounds".to_owned(), rounds.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Proc::spawn(
            name,
            &self.lab.agent_ns,
            &bins::path("vigia-agent"),
            &args,
            &self.dir.path().join(format!("{name}.log")),
        )
    }

    /// A metric of the agent's `/metrics` (first sample of that name); `None` while it does not
    /// answer.
    pub fn agent_metric(&self, name: &str) -> Option<f64> {
        self.agent_metric_at(METRICS_PORT, name)
    }

    /// [`agent_metric`](Self::agent_metric) of an agent whose metrics listen on `port`.
    pub fn agent_metric_at(&self, port: u16, name: &str) -> Option<f64> {
        let text = self
            .lab
            .http_get_in_agent(&format!("http://127.0.0.1:{port}/metrics"))?;
        text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
            let (key, value) = l.split_once(' ')?;
            (key == name || key.starts_with(&format!("{name}{{"))).then(|| value.parse().ok())?
        })
    }

    /// Waits until the agent's metric satisfies `pred`.
    pub fn wait_metric(&self, name: &str, timeout: Duration, pred: impl Fn(f64) -> bool) -> f64 {
        self.wait_metric_at(METRICS_PORT, name, timeout, pred)
    }

    /// [`wait_metric`](Self::wait_metric) of an agent whose metrics listen on `port`.
    pub fn wait_metric_at(
        &self,
        port: u16,
        name: &str,
        timeout: Duration,
        pred: impl Fn(f64) -> bool,
    ) -> f64 {
        wait_until(&format!("agent metric {name}"), timeout, || {
            self.agent_metric_at(port, name).filter(|v| pred(*v))
        })
    }

    /// Every batch stored for `agent`, by (epoch, seq).
    pub fn stored(&self, agent: &str) -> Vec<Row> {
        self.backend
            .rows(&self.data_dir(), agent)
            .into_iter()
            .map(|(epoch, seq, live, received_at_ms, payload)| Row {
                epoch,
                seq,
                live,
                received_at_ms,
                results: decode_stored(&payload),
            })
            .collect()
    }

    /// Waits until at least `n` batches of `agent` are stored.
    pub fn wait_stored(&self, agent: &str, n: usize, timeout: Duration) -> Vec<Row> {
        wait_until(&format!("{n} batches of {agent} stored"), timeout, || {
            let rows = self.stored(agent);
            (rows.len() >= n).then_some(rows)
        })
    }

    /// Opens the (stopped) agent's spool: what is left in it.
    pub fn spool_state(&self) -> SpoolState {
        use vigia_spool::Spool;
        let (spool, report) =
            vigia_spool::SledSpool::open(self.spool_dir(), vigia_spool::SpoolOptions::default())
                .expect("open the agent's spool");
        assert!(report.quarantined.is_none(), "{report:?}");
        let all = vigia_spool::ReadLimits {
            max_records: usize::MAX,
            max_bytes: usize::MAX,
        };
        SpoolState {
            epoch: spool.epoch(),
            next: spool.durable_next(),
            left: spool
                .read_from(0, all)
                .expect("read the spool")
                .into_iter()
                .map(|r| r.seq)
                .collect(),
        }
    }
}

/// A stopped agent's spool.
#[derive(Debug)]
pub struct SpoolState {
    pub epoch: u64,
    /// The next sequence it would assign: every earlier one was spooled.
    pub next: u64,
    /// Sequences still in it (not acknowledged).
    pub left: Vec<u64>,
}

/// Checks delivery of one epoch: every sequence in `first..spool.next` was stored or is still in
/// the spool (none lost), nothing else was stored, and no run was stored twice (run ids are
/// unique across all stored batches; the database's key makes (epoch, seq) unique).
pub fn assert_delivered(rows: &[Row], spool: &SpoolState, first: u64) {
    let stored: std::collections::BTreeSet<u64> = rows
        .iter()
        .filter(|r| r.epoch == spool.epoch)
        .map(|r| r.seq)
        .collect();
    let missing: Vec<u64> = (first..spool.next)
        .filter(|s| !stored.contains(s) && !spool.left.contains(s))
        .collect();
    assert!(missing.is_empty(), "lost sequences: {missing:?}");
    let stray: Vec<&u64> = stored
        .iter()
        .filter(|s| **s < first || **s >= spool.next)
        .collect();
    assert!(
        stray.is_empty(),
        "stored sequences never spooled: {stray:?}"
    );
    let mut runs = BTreeMap::new();
    for row in rows {
        for result in &row.results {
            if let Some(previous) = runs.insert(result.run_id.clone(), row.seq) {
                panic!(
                    "run {} stored twice: seq {previous} and {}",
                    result.run_id, row.seq
                );
            }
        }
    }
}

/// A stored payload is the `ResultBatch` as the agent sent it (header fields set).
fn decode_stored(payload: &[u8]) -> Vec<RunResult> {
    let batch: vigia_proto::agent::v1::ResultBatch =
        vigia_proto::decode(payload).expect("stored payloads decode");
    vigia_proto::convert::run_results_from_proto(batch.results).expect("stored runs convert")
}

fn pki_cmd(args: &[&str]) {
    let out = Command::new(bins::path("vigia-aggregator"))
        .arg("pki")
        .args(args)
        .output()
        .expect("run vigia-aggregator pki");
    assert!(
        out.status.success(),
        "vigia-aggregator pki {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates a REST API key named `e2e` with `scope` in the store an aggregator config names, and
/// returns its secret.
pub fn create_api_key(config: &Path, scope: &str) -> String {
    let out = Command::new(bins::path("vigia-aggregator"))
        .args(["apikey", "create", "--config", path_str(config)])
        .args(["--name", "e2e", "--scope", scope])
        .output()
        .expect("run vigia-aggregator apikey create");
    assert!(
        out.status.success(),
        "apikey create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).expect("utf-8 secret");
    let secret = secret.trim();
    assert!(secret.starts_with("vgk_"), "a secret on stdout: {secret:?}");
    secret.to_owned()
}

/// Issues another certificate with the `pki` command (e.g. a CA of its own, an expired one).
pub fn pki(args: &[&str]) {
    pki_cmd(args);
}

/// `<workspace>/target/plugins`, where `cargo xtask plugins` puts the built plugins.
pub fn plugin_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins");
    assert!(
        dir.join("ping.wasm").is_file(),
        "{} has no ping.wasm: run `cargo xtask plugins` first",
        dir.display()
    );
    dir.canonicalize().expect("plugin dir")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 paths")
}
