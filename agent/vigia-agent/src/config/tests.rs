use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
    Config::parse(text, Path::new("/etc/vigia/agent.toml"))
}

#[test]
fn sample_config_parses_and_resolves_paths() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/agent.sample.toml");
    let config = Config::load(&path).expect("the sample config must parse");
    assert_eq!(config.agent_id, "pop-sao-01");
    assert!(config.plugin_dir.is_absolute());
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
    assert_eq!(ping.config["count"], 3);
}

#[test]
fn demo_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/demo/agent.toml");
    let config = Config::load(&path).expect("the demo config must parse");
    assert!(config.plugin_dir.ends_with("target/plugins"));
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
timeout_ms = 6000
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
    let errors = parse(text).unwrap_err();
    let got: Vec<(usize, &str)> = errors
        .iter()
        .map(|e| (e.location.line, e.message.as_str()))
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, 5);
    assert!(got[0].1.contains("timeout_ms (6000)"), "{got:?}");
    assert_eq!(got[1].0, 12);
    assert!(got[1].1.contains("at least one target"), "{got:?}");
    assert_eq!(got[2].0, 18);
    assert!(got[2].1.contains("defined twice"), "{got:?}");
}

#[test]
fn target_specs() {
    assert_eq!(TargetSpec::parse("10.0.0.1").unwrap().id, "10.0.0.1");
    let t = TargetSpec::parse("olt-1 = 10.0.0.9").unwrap();
    assert_eq!((t.id.as_str(), t.address.as_str()), ("olt-1", "10.0.0.9"));
    assert!(TargetSpec::parse("=10.0.0.1").is_err());
    assert!(TargetSpec::parse("x=").is_err());
}
