//! [`IspLab`]: the simulated ISP (`vigia-sim` with `sim/scenarios/small-isp.toml`), an
//! aggregator and one agent reading the ISP's vendor systems (RouterOS API with `listen`,
//! SmartOLT, cnMaestro, IXC with its online flag two minutes behind), and fake Telegram and webhook endpoints the aggregator notifies. All on
//! loopback in this namespace: no ICMP is involved, so no namespace is needed, and nothing but
//! loopback carries traffic. Used by the outage tests and `cargo xtask bench outage`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use vigia_notify::testing::{FakeTelegram, FakeWebhook};

use crate::deployment::{create_api_key, pki, plugin_dir};
use crate::{Proc, bins, wait_until};

/// The agent's id in the ISP lab.
pub const ISP_AGENT: &str = "pop-centro";
/// The fake bot's token and chat, and the webhook's signing secret.
pub const BOT_TOKEN: &str = "4242:e2e-bot-token";
pub const CHAT_ID: i64 = -100_424_242;
pub const WEBHOOK_SECRET: &str = "e2e-webhook-secret";

/// How often things run in the lab.
#[derive(Debug, Clone)]
pub struct IspTiming {
    /// Correlation cycle.
    pub correlation_ms: u64,
    /// RouterOS probe interval, and how much of it the plugin listens for session ends.
    pub routeros_secs: u64,
    pub listen_ms: u64,
    /// SmartOLT and cnMaestro poll intervals.
    pub smartolt_secs: u64,
    pub cnmaestro_secs: u64,
}

impl Default for IspTiming {
    fn default() -> Self {
        Self {
            correlation_ms: 1000,
            routeros_secs: 5,
            listen_ms: 3500,
            smartolt_secs: 20,
            cnmaestro_secs: 20,
        }
    }
}

pub struct IspLab {
    pub dir: TempDir,
    pub runtime: tokio::runtime::Runtime,
    pub telegram: FakeTelegram,
    pub webhook: FakeWebhook,
    /// Service name (`control`, `smartolt`, `routeros:bng-centro`...) → address.
    pub sim_addrs: BTreeMap<String, SocketAddr>,
    pub sim: Proc,
    pub aggregator: Option<Proc>,
    pub agent: Option<Proc>,
    pub api: SocketAddr,
    grpc: SocketAddr,
    /// An `operate` API key.
    pub key: String,
    timing: IspTiming,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 paths")
}

fn secret_file(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write secret");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
}

/// `<what> listening on <addr>` lines of a log.
fn listening(log: &str) -> BTreeMap<String, SocketAddr> {
    log.lines()
        .filter_map(|line| {
            let (name, addr) = line.trim().split_once(" listening on ")?;
            Some((name.trim().to_owned(), addr.trim().parse().ok()?))
        })
        .chain(log.lines().filter_map(|line| {
            let addr = line.trim().strip_prefix("listening on ")?;
            Some(("grpc".to_owned(), addr.trim().parse().ok()?))
        }))
        .collect()
}

impl IspLab {
    /// Starts the simulated ISP, the aggregator (SQLite) and the agent, and waits until the
    /// aggregator knows the ISP's topology and every subscriber that should be online is.
    pub fn start(timing: IspTiming) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime for the fakes");
        let telegram = runtime
            .block_on(FakeTelegram::start(BOT_TOKEN))
            .expect("fake telegram");
        let webhook = runtime
            .block_on(FakeWebhook::start(WEBHOOK_SECRET))
            .expect("fake webhook");

        let scenario = workspace().join("sim/scenarios/small-isp.toml");
        let mut sim = Proc::spawn_here(
            "vigia-sim",
            &bins::path("vigia-sim"),
            &["serve", "--scenario", path_str(&scenario), "--ephemeral"],
            // IXC's online flag trails RADIUS accounting by minutes in real life: the aggregator
            // must not let it contradict the routers.
            &[("VIGIA_SIM_IXC_ONLINE_LAG_SECS", "120")],
            &dir.path().join("sim.log"),
        );
        sim.wait_for_log("cnmaestro listening on", 1, Duration::from_secs(30));
        let sim_addrs = listening(&sim.log());

        let pki_dir = dir.path().join("pki");
        pki(&["init", "--dir", path_str(&pki_dir)]);
        pki(&[
            "issue-server",
            "--dir",
            path_str(&pki_dir),
            "--name",
            "127.0.0.1",
        ]);
        pki(&[
            "issue-agent",
            "--dir",
            path_str(&pki_dir),
            "--id",
            ISP_AGENT,
        ]);

        let mut lab = Self {
            dir,
            runtime,
            telegram,
            webhook,
            sim_addrs,
            sim,
            aggregator: None,
            agent: None,
            api: "127.0.0.1:0".parse().expect("addr"),
            grpc: "127.0.0.1:0".parse().expect("addr"),
            key: String::new(),
            timing,
        };
        lab.start_aggregator();
        lab.key = create_api_key(&lab.aggregator_config(), "operate");
        lab.agent = Some(lab.start_agent());
        lab
    }

    fn aggregator_config(&self) -> PathBuf {
        self.dir.path().join("aggregator.toml")
    }

    /// Starts (or restarts) the aggregator on its previous ports, if any.
    pub fn start_aggregator(&mut self) {
        let d = self.dir.path();
        secret_file(&d.join("telegram-token"), BOT_TOKEN);
        secret_file(&d.join("webhook-secret"), WEBHOOK_SECRET);
        let pki_dir = d.join("pki");
        std::fs::write(
            self.aggregator_config(),
            format!(
                "[server]\nlisten = \"{grpc}\"\n\n[storage]\nbackend = \"sqlite\"\ndata_dir = \"{data}\"\n\n\
                 [tls]\ncert = \"{pki}/server.pem\"\nkey = \"{pki}/server.key\"\nclient_ca = \"{pki}/ca.pem\"\n\n\
                 [agents]\nallowed = [\"{ISP_AGENT}\"]\n\n\
                 [api]\nlisten = \"{api}\"\nrate_per_sec = 100000\nburst = 100000\n\n\
                 [correlation]\ninterval_ms = {interval}\n\n\
                 [notify]\npublic_url = \"http://vigia.isp.test\"\nutc_offset = \"-03:00\"\n\
                 [[notify.channels]]\nname = \"noc-telegram\"\n[notify.channels.telegram]\n\
                 bot_token_file = \"telegram-token\"\nchat_id = {CHAT_ID}\napi_url = \"{telegram}\"\n\
                 [[notify.channels]]\nname = \"tickets\"\n[notify.channels.webhook]\n\
                 url = \"{webhook}/vigia\"\nsecret_file = \"webhook-secret\"\n",
                grpc = self.grpc,
                api = self.api,
                data = d.join("aggregator-data").display(),
                pki = pki_dir.display(),
                interval = self.timing.correlation_ms,
                telegram = self.telegram.url(),
                webhook = self.webhook.url(),
            ),
        )
        .expect("write aggregator config");
        let log = d.join("aggregator.log");
        let before = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("api listening on")
            .count();
        let mut proc = Proc::spawn_here(
            "vigia-aggregator",
            &bins::path("vigia-aggregator"),
            &["serve", "--config", path_str(&self.aggregator_config())],
            &[],
            &log,
        );
        proc.wait_for_log("api listening on", before + 1, Duration::from_secs(30));
        // Later lines win: the addresses of this run.
        let addrs = listening(&proc.log());
        self.api = addrs["api"];
        self.grpc = addrs["grpc"];
        self.aggregator = Some(proc);
    }

    /// Stops the aggregator cleanly (SIGTERM).
    pub fn stop_aggregator(&mut self) {
        if let Some(proc) = self.aggregator.take() {
            let status = proc.terminate(Duration::from_secs(30));
            assert!(status.success(), "the aggregator exits cleanly: {status}");
        }
    }

    fn start_agent(&self) -> Proc {
        let d = self.dir.path();
        let secrets = d.join("agent-secrets.toml");
        secret_file(
            &secrets,
            "routeros = \"sim-routeros-password\"\nsmartolt = \"sim-smartolt-token\"\n\
             cnmaestro = \"sim-cnmaestro-secret\"\nixc = \"7:4dac0b5e9c7f4e1a8d2b6c3f0e9a7b5d\"\n",
        );
        let t = &self.timing;
        let mut probes = String::new();
        for bng in ["bng-centro", "bng-norte"] {
            let addr = self.sim_addrs[&format!("routeros:{bng}")];
            probes.push_str(&format!(
                "[[probe]]\nname = \"{bng}\"\nplugin = \"mikrotik\"\ninterval_secs = {every}\n\
                 timeout_ms = {timeout}\njitter = 0.0\ntargets = [\"{bng}={addr}\"]\n\
                 [probe.grants]\ntcp = [\"{addr}\"]\nsecrets = [\"routeros\"]\nkv = true\n\
                 [probe.config]\nuser = \"vigia\"\npassword_secret = \"routeros\"\n\
                 read = [\"sessions\", \"secrets\"]\nlisten_ms = {listen}\nrun_budget_ms = {budget}\n\
                 timezone_offset_minutes = -180\n\n",
                every = t.routeros_secs,
                timeout = t.routeros_secs * 1000 - 100,
                listen = t.listen_ms,
                budget = t.routeros_secs * 1000 - 300,
            ));
        }
        let smartolt = self.sim_addrs["smartolt"];
        probes.push_str(&format!(
            "[[probe]]\nname = \"smartolt\"\nplugin = \"smartolt\"\ninterval_secs = {every}\n\
             timeout_ms = 15000\njitter = 0.0\ntargets = [\"smartolt=http://{smartolt}/api\"]\n\
             [probe.grants]\nhttp_hosts = [\"{smartolt}\"]\nsecrets = [\"smartolt\"]\nkv = true\n\
             [probe.config]\ntoken_secret = \"smartolt\"\ntimezone_offset_minutes = -180\n\n",
            every = t.smartolt_secs,
        ));
        let cnm = self.sim_addrs["cnmaestro"];
        probes.push_str(&format!(
            "[[probe]]\nname = \"cnmaestro\"\nplugin = \"cnmaestro\"\ninterval_secs = {every}\n\
             timeout_ms = 15000\njitter = 0.0\ntargets = [\"cnm=http://{cnm}/api/v2\"]\n\
             [probe.grants]\nhttp_hosts = [\"{cnm}\"]\nsecrets = [\"cnmaestro\"]\nkv = true\n\
             [probe.config]\nclient_id = \"sim-cnmaestro-client\"\nclient_secret_secret = \"cnmaestro\"\n\
             link_subscribers = true\n\n",
            every = t.cnmaestro_secs,
        ));
        let ixc = self.sim_addrs["ixc"];
        probes.push_str(&format!(
            "[[probe]]\nname = \"ixc\"\nplugin = \"ixc\"\ninterval_secs = {every}\n\
             timeout_ms = 15000\njitter = 0.0\ntargets = [\"ixc=http://{ixc}/webservice/v1\"]\n\
             [probe.grants]\nhttp_hosts = [\"{ixc}\"]\nsecrets = [\"ixc\"]\n\
             [probe.config]\ntoken_secret = \"ixc\"\ntimezone_offset_minutes = -180\n\
             concentrators = {{ \"10.200.0.1\" = \"bng-centro\", \"10.200.0.2\" = \"bng-norte\" }}\n\n",
            every = t.cnmaestro_secs,
        ));
        let pki_dir = d.join("pki");
        let config = d.join("agent.toml");
        std::fs::write(
            &config,
            format!(
                "[agent]\nid = \"{ISP_AGENT}\"\nplugin_dir = \"{plugins}\"\nstate_dir = \"{state}\"\n\
                 secrets_file = \"{secrets}\"\nshutdown_grace_secs = 5\n\n\
                 [uplink]\nendpoint = \"https://{grpc}\"\nca = \"{pki}/ca.pem\"\n\
                 cert = \"{pki}/agent-{ISP_AGENT}.pem\"\nkey = \"{pki}/agent-{ISP_AGENT}.key\"\n\
                 backoff_min_ms = 200\nbackoff_max_secs = 2\nheartbeat_secs = 1\n\n{probes}",
                plugins = plugin_dir().display(),
                state = d.join("agent-state").display(),
                secrets = secrets.display(),
                grpc = self.grpc,
                pki = pki_dir.display(),
            ),
        )
        .expect("write agent config");
        Proc::spawn_here(
            "vigia-agent",
            &bins::path("vigia-agent"),
            &["run", "--config", path_str(&config)],
            &[],
            &d.join("agent.log"),
        )
    }

    /// `GET` on the aggregator's API with the lab's key: status and JSON body (`Null` if none).
    pub fn api(&self, path: &str) -> (u16, Value) {
        curl(
            &["-H", &format!("Authorization: Bearer {}", self.key)],
            &format!("http://{}{path}", self.api),
        )
    }

    /// `POST` a JSON body to the aggregator's API with the lab's key.
    pub fn api_post(&self, path: &str, body: &Value) -> (u16, Value) {
        let auth = format!("Authorization: Bearer {}", self.key);
        let body = body.to_string();
        curl(
            &[
                "-X",
                "POST",
                "-H",
                &auth,
                "-H",
                "Content-Type: application/json",
                "-d",
                &body,
            ],
            &format!("http://{}{path}", self.api),
        )
    }

    /// A request to the simulator's control API.
    pub fn control(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = format!("http://{}{path}", self.sim_addrs["control"]);
        let mut args = vec!["-X".to_owned(), method.to_owned()];
        if let Some(body) = body {
            args.extend([
                "-H".into(),
                "Content-Type: application/json".into(),
                "-d".into(),
                body.to_string(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        curl(&args, &url)
    }

    /// Injects a fault; returns its id.
    pub fn inject(&self, fault: Value) -> u64 {
        let (status, body) = self.control("POST", "/v1/faults", Some(&fault));
        assert_eq!(status, 201, "fault {fault} refused: {body}");
        body["id"].as_u64().expect("fault id")
    }

    pub fn repair(&self, id: u64) {
        let (status, body) = self.control("DELETE", &format!("/v1/faults/{id}"), None);
        assert!(status < 300, "repair {id}: {status} {body}");
    }

    /// The events the API lists with `status` (`active` or `resolved`).
    pub fn events(&self, status: &str) -> Vec<Value> {
        let (code, body) = self.api(&format!("/v1/events?status={status}&limit=100"));
        assert_eq!(code, 200, "{body}");
        body["items"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the aggregator knows the ISP: every PON and tower, sessions of the online
    /// subscribers, and no active event (the churned ONUs of the scenario must not make one).
    pub fn wait_ready(&self, timeout: Duration) {
        wait_until("the aggregator to know the simulated ISP", timeout, || {
            let (_, pons) = self.api("/v1/entities?kind=pon_port&limit=100");
            let (_, subs) = self.api("/v1/entities?kind=subscriber&state=up&limit=1000");
            let (_, onus) = self.api("/v1/entities?kind=onu&limit=1000");
            let count = |v: &Value| v["items"].as_array().map_or(0, Vec::len);
            (count(&pons) >= 6 && count(&subs) >= 200 && count(&onus) >= 200).then_some(())
        });
    }

    pub fn telegram_texts(&self) -> Vec<String> {
        self.telegram
            .delivered()
            .into_iter()
            .map(|r| r.text)
            .collect()
    }
}

fn curl(extra: &[&str], url: &str) -> (u16, Value) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "40", "-w", "\n%{http_code}"])
        .args(extra)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

impl IspLab {
    /// Prints an entity and, `depth` levels down, its first children.
    fn dump(&self, id: &str, depth: usize) {
        let path = id.replace('/', "%2F").replace(' ', "%20");
        let (_, entity) = self.api(&format!("/v1/entities/{path}"));
        eprintln!("--- {id} ---\n{entity}");
        if depth == 0 {
            return;
        }
        for child in entity["children"].as_array().into_iter().flatten().take(3) {
            if let Some(child) = child["id"].as_str() {
                self.dump(child, depth - 1);
            }
        }
    }
}

impl Drop for IspLab {
    /// On a failing test, the last lines of every component's log, so CI shows why.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        // `VIGIA_E2E_DUMP=<entity id>`: that entity and two levels of its first children.
        if let Ok(id) = std::env::var("VIGIA_E2E_DUMP") {
            self.dump(&id, 2);
        }
        let (_, events) = self.api("/v1/events?limit=20");
        eprintln!("--- events ---\n{events}");
        let text = Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "5",
                &format!("http://{}/metrics", self.api),
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let correlation: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.starts_with("vigia_correlation")
                    || l.starts_with("vigia_events")
                    || l.starts_with("vigia_notify")
            })
            .collect();
        eprintln!("--- correlation metrics ---\n{}", correlation.join("\n"));
        for name in ["sim", "aggregator", "agent"] {
            let text = std::fs::read_to_string(self.dir.path().join(format!("{name}.log")))
                .unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(40)..];
            eprintln!("--- last lines of {name}.log ---\n{}", tail.join("\n"));
        }
    }
}
