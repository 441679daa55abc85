//! The Prometheus exposition, read back by parsers: `prometheus-parse` for names, types and
//! values, and a strict line checker for the text format's escaping rules (prometheus-parse
//! splits labels on `,` and does not unescape).

use std::io::BufRead;

use vigia_core::{Metric, MetricKind, ObservationKind, OnuStatus};
use vigia_state::testing::fixtures::{labelled, obs, onu, reach, run};
use vigia_state::{ENTITY_LABEL, LiveState, MetricsConfig, StateConfig};

const T0: u64 = 1_700_000_000_000;

fn metric(name: &str, value: f64, labels: &[(&str, &str)]) -> ObservationKind {
    ObservationKind::Metric(Metric {
        name: name.into(),
        metric_kind: MetricKind::Gauge,
        value,
        unit: "ratio".into(),
        metric_labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    })
}

fn state(export_subscriber_kinds: bool) -> LiveState {
    let mut live = LiveState::new(StateConfig {
        metrics: MetricsConfig {
            export_subscriber_kinds,
            ..MetricsConfig::default()
        },
        ..StateConfig::default()
    });
    let olt = |o| labelled(o, ENTITY_LABEL, "olt:olt-1");
    live.apply(
        "a",
        &[
            run(
                "snmp",
                T0,
                vec![
                    olt(obs("olt-1", T0, metric("cpu_load", 0.25, &[]))),
                    olt(obs("olt-1", T0 + 1, metric("cpu_load", 0.5, &[]))),
                    olt(obs(
                        "olt-1",
                        T0,
                        metric(
                            "if_errors",
                            3.0,
                            &[
                                ("if.name", "ge-0/0/1, \"uplink\"\nback\\slash"),
                                ("name", "x"),
                            ],
                        ),
                    )),
                    olt(obs("olt-1", T0, reach("10.0.0.1", true))),
                ],
            ),
            run(
                "smartolt",
                T0,
                vec![
                    obs(
                        "acct",
                        T0,
                        onu("hwtc01", "olt-1", 1, OnuStatus::Online, None, Some(-21.0)),
                    ),
                    obs(
                        "acct",
                        T0,
                        onu("hwtc02", "olt-1", 1, OnuStatus::Los, None, None),
                    ),
                ],
            ),
        ],
        T0 + 10,
    );
    live
}

fn render(live: &LiveState) -> String {
    let mut out = String::new();
    live.render_prometheus(&mut out);
    out
}

fn scrape(text: &str) -> prometheus_parse::Scrape {
    let lines = std::io::BufReader::new(text.as_bytes()).lines();
    prometheus_parse::Scrape::parse(lines).unwrap()
}

fn gauge(value: &prometheus_parse::Value) -> f64 {
    match value {
        prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Untyped(v) => *v,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn entity_counts_and_latest_values_parse() {
    let text = render(&state(false));
    let scrape = scrape(&text);
    let find = |metric: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| gauge(&s.value))
    };
    assert_eq!(
        find("vigia_entities", &[("kind", "onu"), ("state", "up")]),
        Some(1.0)
    );
    assert_eq!(
        find("vigia_entities", &[("kind", "onu"), ("state", "down")]),
        Some(1.0)
    );
    assert_eq!(
        find("vigia_entities", &[("kind", "onu"), ("state", "degraded")]),
        Some(0.0)
    );
    assert_eq!(
        find("vigia_entities", &[("kind", "olt"), ("state", "up")]),
        Some(1.0)
    );
    assert_eq!(
        find(
            "vigia_entity_metric",
            &[("entity", "olt:olt-1"), ("name", "cpu_load")]
        ),
        Some(0.5),
        "the latest value"
    );
    assert_eq!(
        find(
            "vigia_entity_metric",
            &[("entity", "olt:olt-1"), ("name", "rtt_avg_us")]
        ),
        Some(900.0)
    );
    assert!(
        find("vigia_entity_metric", &[("entity", "onu:HWTC01")]).is_none(),
        "ONU series are not exported by default"
    );
    assert_eq!(find("vigia_state_observations_total", &[]), Some(6.0));
    assert_eq!(
        scrape.docs.get("vigia_entities").map(String::as_str),
        Some("Entities by kind and state.")
    );

    let all = scrape_all(&state(true));
    assert!(all.contains("vigia_entity_metric{entity=\"onu:HWTC01\",name=\"rx_dbm\"} -21 "));
}

fn scrape_all(live: &LiveState) -> String {
    render(live)
}

#[test]
fn every_line_is_valid_exposition_with_escaped_labels() {
    let text = render(&state(true));
    let mut metric_lines = 0;
    let mut escaped_seen = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix('#') {
            let mut words = rest.split_whitespace();
            let keyword = words.next().unwrap();
            assert!(keyword == "HELP" || keyword == "TYPE", "{line}");
            assert!(valid_metric_name(words.next().unwrap()), "{line}");
            continue;
        }
        let (name, labels, rest) = parse_sample(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(valid_metric_name(&name), "{line}");
        let mut fields = rest.split(' ');
        let value = fields.next().unwrap();
        assert!(
            matches!(value, "NaN" | "+Inf" | "-Inf") || value.parse::<f64>().is_ok(),
            "{line}"
        );
        if let Some(ts) = fields.next() {
            ts.parse::<i64>()
                .unwrap_or_else(|_| panic!("timestamp in {line}"));
        }
        assert!(fields.next().is_none(), "{line}");
        let mut names: Vec<&str> = labels.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), labels.len(), "duplicate label names: {line}");
        if let Some((_, v)) = labels.iter().find(|(n, _)| n == "if_name") {
            assert_eq!(
                v, "ge-0/0/1, \"uplink\"\nback\\slash",
                "unescaped value round-trips"
            );
            assert!(
                labels.iter().any(|(n, v)| n == "label_name" && v == "x"),
                "{labels:?}"
            );
            assert!(
                labels.iter().any(|(n, v)| n == "name" && v == "if_errors"),
                "{labels:?}"
            );
            escaped_seen = true;
        }
        metric_lines += 1;
    }
    assert!(escaped_seen, "{text}");
    assert!(metric_lines > 10);
}

fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `name{a="x",b="y"} rest` → (name, labels unescaped, rest), strictly per the text format.
/// A sample line split into its name, unescaped labels and the rest (value, timestamp).
type SampleParts<'a> = (String, Vec<(String, String)>, &'a str);

fn parse_sample(line: &str) -> Result<SampleParts<'_>, String> {
    let Some(open) = line.find(['{', ' ']) else {
        return Err("no value".into());
    };
    let name = line[..open].to_owned();
    if line.as_bytes()[open] == b' ' {
        return Ok((name, Vec::new(), &line[open + 1..]));
    }
    let mut labels = Vec::new();
    let mut chars = line[open + 1..].char_indices().peekable();
    let base = open + 1;
    loop {
        let mut label = String::new();
        loop {
            match chars.next() {
                Some((_, '=')) => break,
                Some((_, c)) => label.push(c),
                None => return Err("unterminated label name".into()),
            }
        }
        if !valid_label_name(&label) {
            return Err(format!("bad label name {label:?}"));
        }
        if chars.next().map(|(_, c)| c) != Some('"') {
            return Err("label value not quoted".into());
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?}")),
                },
                Some((_, '"')) => break,
                Some((_, '\n')) => return Err("raw newline".into()),
                Some((_, c)) => value.push(c),
                None => return Err("unterminated value".into()),
            }
        }
        labels.push((label, value));
        match chars.next() {
            Some((_, ',')) => continue,
            Some((i, '}')) => {
                let rest = &line[base + i + 1..];
                let rest = rest.strip_prefix(' ').ok_or("no space before value")?;
                return Ok((name, labels, rest));
            }
            other => return Err(format!("unexpected {other:?}")),
        }
    }
}
