use std::path::Path;

use vigia_store::AgentId;

use super::*;

fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
    Config::parse(text, Path::new("/etc/vigia/aggregator.toml"))
}

/// `(line, message)` of every error of a config that must fail.
fn errors(text: &str) -> Vec<(usize, String)> {
    parse(text)
        .expect_err("the config must be refused")
        .into_iter()
        .map(|e| (e.location.line, e.message))
        .collect()
}

const MINIMAL: &str = r#"[server]
listen = "127.0.0.1:7443"
[storage]
data_dir = "data"
[tls]
cert = "server.pem"
key = "server.key"
client_ca = "ca.pem"
"#;

#[test]
fn the_example_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/aggregator.example.toml");
    let config = Config::load(&path).expect("the example config must parse");
    assert_eq!(config.listen, "0.0.0.0:7443".parse().expect("addr"));
    assert_eq!(config.max_message_bytes, 16 * 1024 * 1024);
    let Backend::Sqlite { data_dir } = &config.storage.backend else {
        panic!("the example uses the embedded store");
    };
    assert_eq!(data_dir.value, Path::new("/var/lib/vigia-aggregator"));
    assert_eq!(
        config.tls.client_ca.value,
        Path::new("/etc/vigia/aggregator/agent-ca.pem")
    );
    let allowed: Vec<&str> = config
        .agents
        .allowed
        .as_ref()
        .expect("the example lists agents")
        .iter()
        .map(AgentId::as_str)
        .collect();
    assert_eq!(allowed, ["pop-sao-01", "pop-sao-02"]);
}

#[test]
fn a_minimal_config_takes_defaults_and_resolves_relative_paths() {
    let config = parse(MINIMAL).expect("valid");
    assert_eq!(config.max_message_bytes, 16 * 1024 * 1024);
    assert!(config.agents.allowed.is_none(), "any certified agent");
    let Backend::Sqlite { data_dir } = &config.storage.backend else {
        panic!("sqlite is the default");
    };
    assert_eq!(data_dir.value, Path::new("/etc/vigia/data"));
    assert_eq!(
        (config.storage.history_days, config.storage.batch_days),
        (90, 7)
    );
    assert!(config.api.is_none());
    assert_eq!(config.tls.key.value, Path::new("/etc/vigia/server.key"));
    assert_eq!(config.tls.key.location.line, 7);
}

#[test]
fn every_bad_value_is_reported_with_its_line() {
    let text = MINIMAL.replace("127.0.0.1:7443", "aggregator.example:7443")
        + "[agents]\nallowed = [\n  \"pop-1\",\n  \"Pop_2\",\n  \"pop-1\",\n]\n";
    assert_eq!(
        errors(&text),
        [
            (
                2,
                "server.listen `aggregator.example:7443` must be an IP address and port, e.g. \"0.0.0.0:7443\"".into()
            ),
            (
                12,
                "invalid agent id `Pop_2`: must contain only a-z, 0-9 and -".into()
            ),
            (13, "agent `pop-1` is listed twice in agents.allowed".into()),
        ]
    );
}

#[test]
fn an_empty_allow_list_is_refused() {
    let text = format!("{MINIMAL}[agents]\nallowed = []\n");
    let found = errors(&text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 10);
    assert!(
        found[0].1.starts_with("agents.allowed is empty"),
        "{}",
        found[0].1
    );
}

#[test]
fn message_size_must_be_within_bounds() {
    let text = MINIMAL.replace(
        "listen = \"127.0.0.1:7443\"",
        "listen = \"127.0.0.1:7443\"\nmax_message_bytes = 10",
    );
    assert_eq!(
        errors(&text),
        [(
            3,
            "server.max_message_bytes (10) must be between 65536 and 268435456".into()
        )]
    );
}

#[test]
fn unknown_keys_and_missing_sections_are_errors_with_a_line() {
    let typo = MINIMAL.replace("client_ca", "client_cert");
    let found = errors(&typo);
    assert_eq!(found[0].0, 8);
    assert!(
        found[0].1.contains("unknown field `client_cert`"),
        "{found:?}"
    );

    let missing = MINIMAL.replace("[storage]\ndata_dir = \"data\"\n", "");
    let found = errors(&missing);
    assert!(found[0].1.contains("missing field `storage`"), "{found:?}");
}

#[test]
fn revocations_api_and_state_sections_are_read_and_checked() {
    let text = format!(
        "{MINIMAL}[agents]\nrevoked = [\"pop-old\"]\nrevoked_serials = [\"0A:1b\", \"xyz\"]\n\
         [api]\nlisten = \"127.0.0.1:8080\"\ncors_origins = [\"https://noc.example.net\", \"noc\"]\n\
         rate_per_sec = 0\n[state]\noverrides = \"topology.toml\"\n"
    );
    assert_eq!(
        errors(&text),
        [
            (11, "agents.revoked_serials: `xyz` is not a certificate serial (hex digits, optionally `:`-separated, as `pki issue-agent` prints)".into()),
            (14, "api.cors_origins: `noc` must be an origin such as \"https://noc.example.net\" (scheme and host, no path, no wildcard)".into()),
            (15, "api.rate_per_sec (0) must be between 1 and 1000000".into()),
        ]
    );
    let good = text
        .replace(", \"xyz\"", "")
        .replace(", \"noc\"", "")
        .replace("rate_per_sec = 0", "rate_per_sec = 20");
    let config = parse(&good).expect("valid");
    assert_eq!(config.agents.revoked[0].as_str(), "pop-old");
    assert_eq!(config.agents.revoked_serials, ["0A:1b"]);
    let api = config.api.expect("api section");
    assert_eq!(api.listen, "127.0.0.1:8080".parse().expect("addr"));
    assert_eq!((api.rate_per_sec, api.burst), (20, 200));
    assert_eq!(api.cors_origins, ["https://noc.example.net"]);
    let overrides = config.state.overrides.expect("overrides");
    assert_eq!(overrides.value, Path::new("/etc/vigia/topology.toml"));
    assert_eq!(config.state.stale_after_secs, 900);
}

#[test]
fn the_postgres_backend_needs_a_url_and_sqlite_a_data_dir() {
    let postgres = MINIMAL.replace(
        "data_dir = \"data\"",
        "backend = \"postgres\"\nurl = \"postgres://vigia@db.example/vigia\"\npool_size = 4",
    );
    let config = parse(&postgres).expect("valid");
    let Backend::Postgres { url, pool_size } = &config.storage.backend else {
        panic!("postgres backend");
    };
    assert_eq!(
        (url.as_str(), *pool_size),
        ("postgres://vigia@db.example/vigia", 4)
    );

    let no_url = MINIMAL.replace("data_dir = \"data\"", "backend = \"postgres\"");
    if std::env::var_os(storage::DATABASE_URL_ENV).is_none() {
        let found = errors(&no_url);
        assert_eq!(found[0].0, 4);
        assert!(found[0].1.contains("needs storage.url"), "{found:?}");
    }
    let no_dir = MINIMAL.replace("data_dir = \"data\"", "history_days = 30");
    assert_eq!(
        errors(&no_dir),
        [(
            3,
            "storage.data_dir is required for the sqlite backend".into()
        )]
    );
    let unknown = MINIMAL.replace("data_dir = \"data\"", "backend = \"mysql\"");
    assert_eq!(
        errors(&unknown),
        [(
            4,
            "storage.backend `mysql` is unknown: use \"sqlite\" or \"postgres\"".into()
        )]
    );
}

#[test]
fn the_example_topology_overrides_parse() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/topology.example.toml");
    let overrides = vigia_state::Overrides::load(&path).expect("the example overrides must parse");
    assert_eq!(overrides.entities.len(), 2);
    assert_eq!(overrides.edges.len(), 2);
    assert_eq!(overrides.remove_edges.len(), 1);
}

#[test]
fn the_example_config_serves_the_api_and_keeps_history() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/aggregator.example.toml");
    let config = Config::load(&path).expect("the example config must parse");
    let api = config.api.expect("the example serves the API");
    assert_eq!(api.listen, "127.0.0.1:8080".parse().expect("addr"));
    assert_eq!((api.rate_per_sec, api.burst), (100, 200));
    assert_eq!(
        (config.storage.history_days, config.storage.batch_days),
        (90, 7)
    );
    assert!(config.agents.revoked.is_empty() && config.agents.revoked_serials.is_empty());
    assert!(config.state.overrides.is_none());
}

#[test]
fn the_example_config_correlates_every_two_seconds_without_channels() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/aggregator.example.toml");
    let config = Config::load(&path).expect("the example config must parse");
    assert_eq!(config.correlation.interval_ms, 2000);
    assert_eq!(config.correlation.rules.levels["pon_port"].min_down, 4);
    let notify = config.notify.expect("the example has a [notify] section");
    assert!(notify.channels.is_empty(), "its channels are commented out");
}

#[test]
fn notify_secrets_are_read_relative_to_the_config_and_a_missing_one_names_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("token"), "123:abc").expect("token");
    let text = format!(
        "{MINIMAL}\n[notify]\n[[notify.channels]]\nname = \"noc\"\n[notify.channels.telegram]\n\
         bot_token_file = \"token\"\nchat_id = -100\n"
    );
    let config = Config::parse(&text, &dir.path().join("aggregator.toml")).expect("valid");
    let notify = config.notify.expect("notify");
    assert_eq!(notify.channels.len(), 1);
    assert_eq!(notify.channels[0].name, "noc");

    let missing = text.replace("bot_token_file = \"token\"", "bot_token_file = \"nope\"");
    let errors =
        Config::parse(&missing, &dir.path().join("aggregator.toml")).expect_err("missing file");
    let line = missing
        .lines()
        .position(|l| l == "[notify]")
        .expect("section")
        + 1;
    assert_eq!(errors[0].location.line, line, "{}", errors[0]);
    assert!(errors[0].message.contains("nope"), "{}", errors[0]);
}

#[test]
fn bad_correlation_settings_name_their_line() {
    let text = format!(
        "{MINIMAL}\n[correlation]\ninterval_ms = 10\n[correlation.rules]\nmin_coverage = 2.0\n"
    );
    let errors = parse(&text).expect_err("bad");
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("correlation.interval_ms (10)")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("min_coverage")),
        "{messages:?}"
    );
}

#[test]
fn diagnosis_settings_merge_over_the_defaults_and_bad_ones_name_their_line() {
    let config = parse(&format!(
        "{MINIMAL}\n[diagnosis]\nlive_deadline_ms = 8000\nping_plugin = \"icmp\"\n\
         [diagnosis.triage]\nrx_min_dbm = -27.0\n"
    ))
    .expect("valid");
    let diagnosis = &config.diagnosis;
    assert_eq!(diagnosis.live_deadline_ms, 8000);
    assert_eq!(diagnosis.ping_plugin, "icmp");
    assert_eq!(diagnosis.session_plugin, "mikrotik");
    assert_eq!(diagnosis.triage.rx_min_dbm, -27.0);
    // Keys not given keep their defaults.
    assert_eq!(diagnosis.triage.rx_drop_db, 2.0);

    let defaults = parse(MINIMAL).expect("valid");
    assert_eq!(defaults.diagnosis.live_deadline_ms, 15_000);
    assert_eq!(defaults.diagnosis.search_refresh_ms, 30_000);

    let text = format!(
        "{MINIMAL}\n[diagnosis]\nlive_deadline_ms = 60000\n[diagnosis.triage]\nrx_min = 1\n"
    );
    let errors = parse(&text).expect_err("bad");
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("diagnosis.live_deadline_ms (60000)")),
        "{messages:?}"
    );
    let triage_line = text.lines().position(|l| l == "rx_min = 1").expect("line") + 1;
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("rx_min") && e.location.line + 1 >= triage_line),
        "{messages:?}"
    );
}
