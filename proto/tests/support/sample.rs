//! Representative messages, built field by field from the generated types (not through
//! `convert`, so the compatibility fixtures do not move when conversion code changes).
//!
//! Shared by test crates with `#[path = "support/sample.rs"] mod sample;`.

#![allow(dead_code)]

use vigia_proto::agent::v1 as pb;

fn label(key: &str, value: &str) -> pb::Label {
    pb::Label {
        key: key.into(),
        value: value.into(),
    }
}

fn entity(kind: pb::EntityKind, other_kind: Option<&str>, id: &str) -> pb::EntityRef {
    pb::EntityRef {
        kind: kind.into(),
        other_kind: other_kind.map(Into::into),
        id: id.into(),
    }
}

fn observation(target: &str, kind: pb::observation::Kind) -> pb::Observation {
    pb::Observation {
        target: target.into(),
        observed_at_ms: 1_717_000_000_123,
        labels: vec![label("site", "pop-sao"), label("role", "olt")],
        kind: Some(kind),
    }
}

/// One observation of every kind, with optional fields both set and unset.
pub fn every_kind() -> Vec<pb::Observation> {
    use pb::observation::Kind;
    vec![
        observation(
            "cpe-1",
            Kind::Reachability(pb::Reachability {
                address: "10.0.0.1".into(),
                up: true,
                sent: 3,
                received: 2,
                rtt_min_us: Some(410),
                rtt_avg_us: Some(455),
                rtt_max_us: Some(500),
                rtt_jitter_us: Some(90),
                detail: None,
            }),
        ),
        observation(
            "cpe-1",
            Kind::Metric(pb::Metric {
                name: "packet_loss_ratio".into(),
                kind: pb::MetricKind::Gauge.into(),
                value: 0.333_333_333_333_333_3,
                unit: "1".into(),
                labels: vec![label("direction", "both")],
            }),
        ),
        observation(
            "sw-1",
            Kind::Interface(pb::InterfaceStatus {
                index: 3,
                name: "ether3".into(),
                alias: Some("uplink to pop".into()),
                admin_status: pb::LinkStatus::Up.into(),
                oper_status: pb::LinkStatus::LowerLayerDown.into(),
                speed_bps: Some(1_000_000_000),
                in_octets: Some(u64::MAX),
                out_octets: Some(0),
                in_errors: None,
                out_errors: Some(7),
                in_discards: None,
                out_discards: None,
            }),
        ),
        observation(
            "bnas-1",
            Kind::PppoeSession(pb::PppoeSession {
                login: "joao.silva".into(),
                online: false,
                address: None,
                concentrator: "bnas-1".into(),
                caller_id: Some("AA:BB:CC:DD:EE:FF".into()),
                since_ms: Some(1_716_999_000_000),
                last_disconnect_reason: Some("Lost-Carrier".into()),
            }),
        ),
        observation(
            "olt-1",
            Kind::Onu(pb::Onu {
                serial: "HWTC1234ABCD".into(),
                login: Some("joao.silva".into()),
                olt: "olt-1".into(),
                board: Some(0),
                port: Some(7),
                onu_id: Some(12),
                splitter: Some("CTO-42".into()),
                status: pb::OnuStatus::Los.into(),
                rx_dbm: Some(-27.5),
                tx_dbm: Some(2.25),
                olt_rx_dbm: None,
                last_down_cause: Some("LOSi".into()),
                last_down_ms: Some(1_716_999_500_000),
                distance_m: Some(2_450),
                model: Some("HG8310M".into()),
            }),
        ),
        observation(
            "ap-1",
            Kind::RadioLink(pb::RadioLink {
                sm_mac: "0A:00:3E:00:00:01".into(),
                ap_mac: Some("0A:00:3E:00:00:FF".into()),
                tower: Some("tower-norte".into()),
                status: pb::RadioStatus::Connected.into(),
                rssi_dbm: Some(-61.0),
                snr_db: Some(28.5),
                modulation: Some("8X".into()),
                rate_bps: Some(150_000_000),
            }),
        ),
        observation(
            "ixc",
            Kind::Customer(pb::Customer {
                id: "4711".into(),
                name: "João da Silva".into(),
                logins: vec!["joao.silva".into(), "joao.silva2".into()],
                billing: pb::BillingState::Warned.into(),
                billing_code: Some("CA".into()),
                plan: Some("300 Mega".into()),
                address: None,
            }),
        ),
        observation(
            "olt-1",
            Kind::TopologyEdge(pb::TopologyEdge {
                child: Some(entity(pb::EntityKind::Onu, None, "HWTC1234ABCD")),
                parent: Some(entity(pb::EntityKind::Other, Some("cabinet"), "c-9")),
                kind: pb::EdgeKind::Fibre.into(),
                other_kind: None,
            }),
        ),
        observation(
            "olt-1",
            Kind::Alarm(pb::Alarm {
                source: Some(entity(pb::EntityKind::PonPort, None, "olt-1/0/7")),
                severity: pb::Severity::Major.into(),
                code: "LOS".into(),
                text: "loss of signal on 12 ONUs".into(),
                raised_ms: Some(1_716_999_400_000),
                cleared_ms: None,
            }),
        ),
        observation(
            "cpe-9",
            Kind::Failure(pb::PluginError {
                class: pb::ErrorClass::Config.into(),
                message: "address is not an IP literal".into(),
            }),
        ),
    ]
}

fn plugin(id: &str) -> pb::PluginRef {
    pb::PluginRef {
        plugin_id: id.into(),
        version: "1.2.3".into(),
        sha256: (0u8..32).collect(),
    }
}

fn run(run_id: &str, outcome: pb::run_result::Outcome) -> pb::RunResult {
    pb::RunResult {
        probe: "olt-health".into(),
        plugin: Some(plugin("smartolt")),
        run_id: run_id.into(),
        started_at_ms: 1_717_000_000_000,
        finished_at_ms: 1_717_000_000_250,
        outcome: Some(outcome),
    }
}

/// A batch with three runs: one completed with every observation kind, one failed, one faulted.
pub fn result_batch(sequence: u64) -> pb::ResultBatch {
    use pb::run_result::Outcome;
    pb::ResultBatch {
        epoch: 42,
        sequence,
        live: true,
        results: vec![
            run(
                "run-1",
                Outcome::Observations(pb::ObservationList {
                    observations: every_kind(),
                }),
            ),
            run(
                "run-2",
                Outcome::PluginError(pb::PluginError {
                    class: pb::ErrorClass::Auth.into(),
                    message: "401 from api".into(),
                }),
            ),
            run(
                "run-3",
                Outcome::Fault(pb::Fault {
                    kind: pb::FaultKind::MemoryLimit.into(),
                    message: "memory limit exceeded: wanted 1073741824 bytes, limit 67108864"
                        .into(),
                }),
            ),
        ],
    }
}

pub fn agent_result_batch() -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(pb::agent_message::Message::ResultBatch(result_batch(7))),
    }
}

pub fn hello() -> pb::Hello {
    pb::Hello {
        agent_id: "pop-sao-01".into(),
        agent_version: "0.1.0".into(),
        epoch: 42,
        last_acked_sequence: 6,
        plugin_wit_versions: vec!["vigia:plugin@0.1.0".into()],
        installed_plugins: vec![plugin("ping"), plugin("smartolt")],
    }
}

pub fn agent_hello() -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(pb::agent_message::Message::Hello(hello())),
    }
}

pub fn agent_heartbeat() -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(pb::agent_message::Message::Heartbeat(pb::Heartbeat {
            spool_records: 120,
            spool_bytes: 987_654,
            oldest_unacked_age_ms: 61_000,
            dropped_records: 0,
            plugin_faults: 2,
            budget_exhaustions: 1,
            last_ack_at_ms: Some(1_717_000_000_500),
            uptime_ms: 86_400_000,
            probe_runs: 14_400,
            skipped_overlapping_runs: 3,
            sent_at_ms: 1_717_000_001_000,
        })),
    }
}

pub fn aggregator_ack() -> pb::AggregatorMessage {
    pb::AggregatorMessage {
        message: Some(pb::aggregator_message::Message::Ack(pb::Ack {
            epoch: 42,
            up_to: 6,
            sequences: vec![9, 12],
        })),
    }
}

pub fn aggregator_plugin_offer() -> pb::AggregatorMessage {
    pb::AggregatorMessage {
        message: Some(pb::aggregator_message::Message::PluginOffer(
            pb::PluginOffer {
                plugin: Some(plugin("ping")),
                size_bytes: 18_432,
                signature: vec![0xAB; 64],
                key_id: "vigia-release-2024".into(),
                source: Some(pb::plugin_offer::Source::Chunk(pb::PluginChunk {
                    offset: 0,
                    data: b"\0asm\x0d\0\x01\0".to_vec(),
                })),
            },
        )),
    }
}

pub fn aggregator_probe_request() -> pb::AggregatorMessage {
    pb::AggregatorMessage {
        message: Some(pb::aggregator_message::Message::ProbeRequest(
            pb::ProbeRequest {
                request_id: "req-1".into(),
                plugin_id: "ping".into(),
                targets: vec![pb::Target {
                    id: "cpe-1".into(),
                    address: "10.0.0.1".into(),
                    labels: vec![label("customer", "4711")],
                }],
                config_json: r#"{"count":5}"#.into(),
                deadline_ms: 10_000,
            },
        )),
    }
}

pub fn agent_probe_answer() -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(pb::agent_message::Message::ProbeAnswer(pb::ProbeAnswer {
            request_id: "req-1".into(),
            answer: Some(pb::probe_answer::Answer::Refusal(pb::ProbeRefusal {
                reason: pb::ProbeRefusalReason::PluginNotInstalled.into(),
                message: "plugin 'snmp' is not installed".into(),
            })),
        })),
    }
}

pub fn agent_plugin_status() -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(pb::agent_message::Message::PluginStatus(pb::PluginStatus {
            subject: Some(pb::plugin_status::Subject::ConfigVersion(17)),
            error: Some("probe 'olt-health': unknown plugin 'smartolt2'".into()),
        })),
    }
}

pub fn aggregator_config_update() -> pb::AggregatorMessage {
    pb::AggregatorMessage {
        message: Some(pb::aggregator_message::Message::ConfigUpdate(
            pb::ConfigUpdate {
                config_version: 17,
                toml: "[agent]\nid = \"pop-sao-01\"\n".into(),
            },
        )),
    }
}

pub fn aggregator_throttle() -> pb::AggregatorMessage {
    pb::AggregatorMessage {
        message: Some(pb::aggregator_message::Message::Throttle(pb::Throttle {
            max_batches_in_flight: 4,
        })),
    }
}

pub fn aggregator_goodbye() -> pb::AggregatorMessage {
    pb::AggregatorMessage {
        message: Some(pb::aggregator_message::Message::Goodbye(pb::Goodbye {
            reason: "aggregator shutting down".into(),
            reconnect_after_ms: 5_000,
        })),
    }
}
