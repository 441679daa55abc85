//! `[spool]`, `[uplink]` and `[metrics]`.

use super::*;

#[test]
fn the_sample_config_has_a_spool_an_uplink_and_metrics() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/agent.sample.toml");
    let link = Config::load(&path).expect("sample parses").link;
    let spool = link.spool.expect("spool");
    assert_eq!(spool.dir, Path::new("/var/lib/vigia/spool"));
    assert_eq!(spool.max_bytes, 512 * 1024 * 1024);
    let uplink = link.uplink.expect("uplink");
    assert_eq!(uplink.endpoint, "https://aggregator.example.net:7443");
    assert_eq!(uplink.backlog_rate, Some(200));
    assert_eq!(uplink.heartbeat, Some(Duration::from_secs(30)));
    assert_eq!(
        link.metrics_listen,
        Some("127.0.0.1:9464".parse().expect("addr"))
    );
}

#[test]
fn relative_tls_paths_resolve_next_to_the_config_and_the_spool_defaults_to_the_state_dir() {
    let config = parse(&format!(
        "{AGENT}state_dir = \"state\"\n[uplink]\nendpoint = \"https://agg:7443\"\n\
         ca = \"tls/ca.pem\"\ncert = \"tls/a.pem\"\nkey = \"tls/a.key\"\n"
    ))
    .expect("parses");
    let uplink = config.link.uplink.expect("uplink");
    assert_eq!(uplink.ca, Path::new("/etc/vigia/tls/ca.pem"));
    assert_eq!(
        config.link.spool.expect("spool").dir,
        Path::new("/etc/vigia/state/spool")
    );
    assert_eq!(config.link.metrics_listen, None);
}

#[test]
fn link_mistakes_are_reported_at_their_lines() {
    let text = format!(
        "{AGENT}[uplink]\nendpoint = \"http://agg:7443\"\nca = \"c\"\ncert = \"c\"\nkey = \"k\"\n\
         backlog_rate = 0\n[metrics]\nlisten = \"localhost\"\n"
    );
    let found = errors(&text);
    assert!(
        found
            .iter()
            .any(|(line, m)| *line == 4 && m.contains("https://")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(line, m)| *line == 4 && m.contains("backlog_rate")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(line, m)| *line == 4 && m.contains("needs a spool")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(line, m)| *line == 10 && m.contains("metrics.listen")),
        "{found:?}"
    );
}

#[test]
fn the_icmp_pacer_is_read_and_bounded() {
    let config = parse(&format!(
        "{AGENT}[agent.icmp]\nechoes_per_sec = 5000\nburst = 50\n"
    ))
    .expect("parses");
    assert_eq!(config.icmp.echoes_per_sec, 5000);
    assert_eq!(config.icmp.burst, 50);
    assert_eq!(
        parse(AGENT).expect("parses").icmp.echoes_per_sec,
        vigia_plugin_host::IcmpConfig::default().echoes_per_sec
    );
    let found = errors(&format!("{AGENT}[agent.icmp]\nechoes_per_sec = 0\n"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 4);
    assert!(
        found[0].1.contains("agent.icmp.echoes_per_sec"),
        "{found:?}"
    );
}
