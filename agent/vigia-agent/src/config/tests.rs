use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
    Config::parse(text, Path::new("/etc/vigia/agent.toml"))
}

/// `(line, message)` of every error of a config that must fail.
fn errors(text: &str) -> Vec<(usize, String)> {
    parse(text)
        .expect_err("the config must be refused")
        .into_iter()
        .map(|e| (e.location.line, e.message))
        .collect()
}

const AGENT: &str = "[agent]\nid = \"a\"\nplugin_dir = \"p\"\n";

#[test]
fn sample_config_parses_and_resolves_paths() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/agent.sample.toml");
    let config = Config::load(&path).expect("the sample config must parse");
    assert_eq!(config.agent_id, "pop-sao-01");
    assert!(config.plugin_dir.is_absolute());
    assert_eq!(config.shutdown_grace, Duration::from_secs(10));
    assert_eq!(config.concurrency, Concurrency::default());
    assert_eq!(config.on_demand_max_concurrent, 4);
    assert_eq!(
        config.budgets["smartolt-acme"],
        Budget {
            calls: 1000,
            per: Duration::from_secs(3600)
        }
    );
    let ping = &config.probes[0];
    assert_eq!(ping.plugin, "ping");
    assert_eq!(ping.interval, Duration::from_secs(30));
    assert!(ping.grants.icmp);
    assert_eq!(
        ping.targets[0],
        TargetSpec {
            id: "core-router".into(),
            address: "10.0.0.1".into()
        }
    );
    // 10.0.0.2 plus the 254 hosts of 10.0.1.0/24.
    assert_eq!(ping.targets.len(), 256);
    assert_eq!(ping.targets[2].address, "10.0.1.1");
    assert_eq!(ping.config["count"], 3);
    assert!(ping.on_demand && !ping.on_demand_adhoc);
    assert_eq!(
        (ping.jitter, ping.offline_after, ping.batch_size),
        (0.1, 2, 1000)
    );
    assert_eq!(
        ping.breaker,
        BreakerPolicy {
            open_after: 4,
            backoff_min: Duration::from_secs(60),
            backoff_max: Duration::from_secs(3600),
        }
    );
}

#[test]
fn demo_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/demo/agent.toml");
    let config = Config::load(&path).expect("the demo config must parse");
    assert!(config.plugin_dir.ends_with("target/plugins"));
}

#[test]
fn resilience_settings_have_defaults_derived_from_the_interval() {
    let config = parse(&format!(
        "{AGENT}\n[[probe]]\nname = \"p\"\nplugin = \"ping\"\ninterval_secs = 5\ntargets = [\"127.0.0.1\"]\n"
    ))
    .unwrap();
    let probe = &config.probes[0];
    assert_eq!(
        probe.timeout,
        Duration::from_millis(4500),
        "90% of the interval"
    );
    assert_eq!(probe.jitter, 0.1);
    assert_eq!(probe.offline_after, 2);
    assert_eq!(probe.batch_size, 1000);
    assert_eq!(
        probe.breaker,
        BreakerPolicy {
            open_after: 4,
            backoff_min: Duration::from_secs(10),
            backoff_max: Duration::from_secs(3600),
        }
    );
    assert!(config.budgets.is_empty());
}

#[test]
fn unknown_field_is_reported_with_its_line() {
    let errors = parse("[agent]\nid = \"a\"\nplugin_dir = \"p\"\nspool = 3\n").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].location.line, 4, "{}", errors[0]);
    assert!(
        errors[0].message.contains("unknown field `spool`"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0]
            .to_string()
            .starts_with("/etc/vigia/agent.toml:4:")
    );
}

#[test]
fn every_bad_probe_is_reported_at_its_own_line() {
    let text = r#"[agent]
id = "a"
plugin_dir = "p"

[[probe]]
name = "one"
plugin = "ping"
interval_secs = 5
timeout_ms = 5000
targets = ["127.0.0.1"]

[[probe]]
name = "two"
plugin = "ping"
interval_secs = 5
targets = []

[[probe]]
name = "one"
plugin = "ping"
interval_secs = 5
targets = ["127.0.0.1"]
"#;
    let got = errors(text);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, 5);
    assert!(
        got[0].1.contains(
            "timeout_ms (5000) must be at least 1 and less than interval_secs * 1000 (5000)"
        ),
        "{got:?}"
    );
    assert_eq!(got[1].0, 12);
    assert!(got[1].1.contains("no targets"), "{got:?}");
    assert_eq!(got[2].0, 18);
    assert!(got[2].1.contains("defined twice"), "{got:?}");
}

#[test]
fn bad_resilience_settings_are_refused_with_the_reason() {
    let probe = |extra: &str| {
        format!(
            "{AGENT}\n[[probe]]\nname = \"p\"\nplugin = \"ping\"\ninterval_secs = 30\ntargets = [\"127.0.0.1\"]\n{extra}\n"
        )
    };
    for (extra, expected) in [
        (
            "jitter = 0.8",
            "jitter (0.8) is a fraction of the interval, 0.0..=0.5",
        ),
        ("jitter = -0.1", "jitter (-0.1) is a fraction"),
        ("offline_after = 0", "offline_after must be at least 1"),
        ("batch_size = 0", "batch_size must be at least 1"),
        (
            "offline_after = 3\nbreaker = { open_after = 2 }",
            "breaker.open_after (2) must be at least offline_after (3)",
        ),
        (
            "breaker = { backoff_min_secs = 600, backoff_max_secs = 60 }",
            "1 <= backoff_min_secs (600) <= backoff_max_secs (60)",
        ),
        (
            "breaker = { backoff_min_secs = 0 }",
            "1 <= backoff_min_secs (0)",
        ),
        (
            "breaker = { open_afterr = 2 }",
            "unknown field `open_afterr`",
        ),
    ] {
        let got = errors(&probe(extra));
        assert_eq!(got.len(), 1, "{extra}: {got:?}");
        assert!(got[0].1.contains(expected), "{extra}: {got:?}");
    }
}

#[test]
fn resilience_settings_are_read() {
    let config = parse(&format!(
        "{AGENT}\n[[probe]]\nname = \"p\"\nplugin = \"ping\"\ninterval_secs = 30\ntimeout_ms = 2000\njitter = 0.25\noffline_after = 3\nbatch_size = 500\nbreaker = {{ open_after = 5, backoff_min_secs = 120, backoff_max_secs = 7200 }}\ntargets = [\"127.0.0.1\"]\n"
    ))
    .unwrap();
    let p = &config.probes[0];
    assert_eq!((p.jitter, p.offline_after, p.batch_size), (0.25, 3, 500));
    assert_eq!(p.timeout, Duration::from_secs(2));
    assert_eq!(
        p.breaker,
        BreakerPolicy {
            open_after: 5,
            backoff_min: Duration::from_secs(120),
            backoff_max: Duration::from_secs(7200),
        }
    );
}

#[test]
fn concurrency_and_shutdown_grace_are_read_and_zero_limits_refused() {
    let config = parse(
        "[agent]\nid = \"a\"\nplugin_dir = \"p\"\nshutdown_grace_secs = 3\n\n[agent.concurrency]\noverall = 10\nicmp = 2\n",
    )
    .unwrap();
    assert_eq!(config.shutdown_grace, Duration::from_secs(3));
    assert_eq!(
        config.concurrency,
        Concurrency {
            overall: 10,
            icmp: 2,
            ..Concurrency::default()
        }
    );
    let got = errors("[agent]\nid = \"a\"\nplugin_dir = \"p\"\n\n[agent.concurrency]\nsnmp = 0\n");
    assert_eq!(
        got,
        [(
            5,
            "agent.concurrency.snmp must be 1..=1024, got 0".to_owned()
        )]
    );
}

#[test]
fn on_demand_settings_have_defaults_and_are_checked_with_their_line() {
    let probe = "[[probe]]\nname = \"p\"\nplugin = \"ping\"\ninterval_secs = 5\ntargets = [\"127.0.0.1\"]\n";
    let config = parse(&format!("{AGENT}\n{probe}")).unwrap();
    assert_eq!(config.on_demand_max_concurrent, 4);
    assert!(config.probes[0].on_demand);
    assert!(!config.probes[0].on_demand_adhoc);

    let config = parse(&format!(
        "{AGENT}\n[agent.on_demand]\nmax_concurrent = 2\n\n{probe}on_demand_adhoc = true\n"
    ))
    .unwrap();
    assert_eq!(config.on_demand_max_concurrent, 2);
    assert!(config.probes[0].on_demand_adhoc);

    let got = errors(&format!(
        "{AGENT}\n[agent.on_demand]\nmax_concurrent = 0\n\n{probe}on_demand = false\non_demand_adhoc = true\n"
    ));
    assert_eq!(
        got,
        [
            (
                5,
                "agent.on_demand.max_concurrent must be 1..=64, got 0".to_owned()
            ),
            (
                8,
                "probe `p`: on_demand_adhoc = true needs on_demand = true".to_owned()
            ),
        ]
    );
    let got = errors(&format!("{AGENT}\n{probe}on_demand = \"yes\"\n"));
    assert_eq!(got.len(), 1);
    assert!(got[0].1.contains("invalid type"), "{got:?}");
}

#[test]
fn budgets_are_checked_and_probes_must_name_a_defined_one() {
    let text = r#"[agent]
id = "a"
plugin_dir = "p"

[budget.acme]
calls = 1000
per_secs = 3600

[budget.empty]
calls = 0
per_secs = 60

[[probe]]
name = "olts"
plugin = "smartolt"
interval_secs = 300
targets = ["acme=https://acme.smartolt.com"]
[probe.grants]
http_hosts = ["acme.smartolt.com"]
budget = "acmee"

[[probe]]
name = "no-http"
plugin = "ping"
interval_secs = 30
targets = ["127.0.0.1"]
grants = { icmp = true, budget = "acme" }
"#;
    let got = errors(text);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, 9);
    assert_eq!(got[0].1, "budget `empty`: calls must be 1..=100000, got 0");
    assert_eq!(got[1].0, 20, "the line of grants.budget");
    assert_eq!(
        got[1].1,
        "probe `olts`: grants.budget `acmee` is not defined: add a [budget.acmee] table (defined: acme)"
    );
    assert_eq!(got[2].0, 27);
    assert!(
        got[2].1.contains("granted neither http_hosts nor tcp"),
        "{got:?}"
    );
}

#[test]
fn two_probes_may_share_one_budget() {
    let text = r#"[agent]
id = "a"
plugin_dir = "p"

[budget.acme]
calls = 1000
per_secs = 3600

[[probe]]
name = "onus"
plugin = "smartolt"
interval_secs = 300
targets = ["acme=https://acme.smartolt.com"]
grants = { http_hosts = ["acme.smartolt.com"], budget = "acme" }

[[probe]]
name = "signals"
plugin = "smartolt"
interval_secs = 600
targets = ["acme=https://acme.smartolt.com"]
grants = { http_hosts = ["acme.smartolt.com"], budget = "acme" }
"#;
    let config = parse(text).unwrap();
    assert_eq!(config.budgets.len(), 1);
    for probe in &config.probes {
        assert_eq!(probe.grants.budget_name(), Some("acme"));
    }
}

#[test]
fn targets_come_from_the_list_ranges_and_a_file_next_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("targets")).unwrap();
    std::fs::write(
        dir.path().join("targets/tower-3.txt"),
        "# tower 3\ncpe-1 = 10.3.0.1\n10.3.0.2 # spare\n10.4.0.0/30\n",
    )
    .unwrap();
    let path = dir.path().join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "{AGENT}\n[[probe]]\nname = \"cpes\"\nplugin = \"ping\"\ninterval_secs = 30\ntargets = [\"10.9.0.0/31\"]\ntargets_file = \"targets/tower-3.txt\"\n"
        ),
    )
    .unwrap();
    let config = Config::load(&path).unwrap();
    let ids: Vec<&str> = config.probes[0]
        .targets
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "10.9.0.0", "10.9.0.1", "cpe-1", "10.3.0.2", "10.4.0.1", "10.4.0.2"
        ]
    );
}

#[test]
fn bad_targets_are_reported_at_their_own_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.txt"), "10.0.0.1\n\n10.0.0.0/33\n").unwrap();
    let path = dir.path().join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "{AGENT}\n[[probe]]\nname = \"p\"\nplugin = \"ping\"\ninterval_secs = 30\ntargets = [\n  \"10.0.0.2\",\n  \"10.0.0.5/24\",\n]\ntargets_file = \"t.txt\"\n"
        ),
    )
    .unwrap();
    let errors = Config::load(&path).unwrap_err();
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with(&format!(
            "{}:11: probe `p`: `10.0.0.5/24` is not a valid CIDR range: host bits are set",
            path.display()
        )),
        "{got:?}"
    );
    assert!(
        got[1].starts_with(&format!(
            "{}:3: probe `p`: `10.0.0.0/33` is not a valid CIDR range",
            dir.path().join("t.txt").display()
        )),
        "{got:?}"
    );
}

mod link;
