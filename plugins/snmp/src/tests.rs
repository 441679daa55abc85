//! Native tests against `FakeHost`: the plugin's reading of each table, its failure classes and
//! its detection. `tests/recordings.rs` replays the real device recordings.

mod detection;
mod recordings;
mod vendors;

use vigia_plugin_sdk::snmp::{Credentials, Value};
use vigia_plugin_sdk::testing::{self, Call, FakeHost};
use vigia_plugin_sdk::{InterfaceStatus, LinkStatus, Metric, RadioLink};

use super::*;

pub(crate) const V2C: &str = r#"{"credentials": {"type": "v2c", "community_secret": "lab"}}"#;

pub(crate) fn run(
    config: &str,
    targets: &[Target],
    host: &FakeHost,
) -> Result<Vec<Observation>, PluginError> {
    testing::run::<Snmp>(config, targets, host)
}

pub(crate) fn device(id: &str, address: &str) -> Target {
    Target::new(id, address).with_label("site", "lab")
}

/// A fake agent at `address` with a system group.
pub(crate) fn agent(host: FakeHost, address: &str, object_id: &str, descr: &str) -> FakeHost {
    host.snmp_value(address, system::SYS_DESCR, Value::Octets(descr.into()))
        .snmp_value(
            address,
            system::SYS_OBJECT_ID,
            Value::ObjectId(object_id.into()),
        )
        .snmp_value(address, system::SYS_UPTIME, Value::Timeticks(123_456))
        .snmp_value(address, system::SYS_NAME, Value::Octets(b"edge-1".to_vec()))
}

pub(crate) fn label<'a>(observation: &'a Observation, key: &str) -> Option<&'a str> {
    observation
        .labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn interfaces(observations: &[Observation]) -> Vec<&InterfaceStatus> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Interface(i) => Some(i),
            _ => None,
        })
        .collect()
}

pub(crate) fn metrics<'a>(observations: &'a [Observation], name: &str) -> Vec<&'a Metric> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Metric(m) if m.name == name => Some(m),
            _ => None,
        })
        .collect()
}

pub(crate) fn metric_label<'a>(metric: &'a Metric, key: &str) -> Option<&'a str> {
    metric
        .labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn radio_links(observations: &[Observation]) -> Vec<&RadioLink> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::RadioLink(r) => Some(r),
            _ => None,
        })
        .collect()
}

pub(crate) fn failure(
    observation: &Observation,
) -> &vigia_plugin_sdk::bindings::vigia::plugin::types::PluginError {
    match &observation.kind {
        ObservationKind::Failure(error) => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

const IF: &str = interfaces::IF_ENTRY;
const IFX: &str = interfaces::IFX_ENTRY;

fn linux_router(address: &str) -> FakeHost {
    let host = agent(
        FakeHost::new(),
        address,
        "1.3.6.1.4.1.8072.3.2.10",
        "Linux edge 6.1",
    );
    host.snmp_value(address, &format!("{IF}.2.1"), Value::Octets(b"lo".to_vec()))
        .snmp_value(
            address,
            &format!("{IF}.2.2"),
            Value::Octets(b"eth0".to_vec()),
        )
        .snmp_value(address, &format!("{IF}.5.1"), Value::Gauge32(10_000_000))
        .snmp_value(address, &format!("{IF}.5.2"), Value::Gauge32(u32::MAX))
        .snmp_value(
            address,
            &format!("{IF}.6.2"),
            Value::Octets(vec![0, 0x1b, 0x21, 0xaa, 0xbb, 0xcc]),
        )
        .snmp_value(address, &format!("{IF}.7.1"), Value::Integer(1))
        .snmp_value(address, &format!("{IF}.7.2"), Value::Integer(1))
        .snmp_value(address, &format!("{IF}.8.1"), Value::Integer(1))
        .snmp_value(address, &format!("{IF}.8.2"), Value::Integer(7))
        .snmp_value(address, &format!("{IF}.10.1"), Value::Counter32(u32::MAX))
        .snmp_value(address, &format!("{IF}.10.2"), Value::Counter32(17))
        .snmp_value(address, &format!("{IF}.14.2"), Value::Counter32(3))
        .snmp_value(address, &format!("{IF}.16.1"), Value::Counter32(900))
        .snmp_value(address, &format!("{IF}.20.2"), Value::Counter32(4))
        .snmp_value(address, &format!("{IF}.13.2"), Value::Counter32(5))
        .snmp_value(address, &format!("{IF}.19.2"), Value::Counter32(6))
        .snmp_value(
            address,
            &format!("{IFX}.1.1"),
            Value::Octets(b"lo".to_vec()),
        )
        .snmp_value(
            address,
            &format!("{IFX}.1.2"),
            Value::Octets(b"eth0".to_vec()),
        )
        .snmp_value(
            address,
            &format!("{IFX}.6.2"),
            Value::Counter64(5_000_000_000_000),
        )
        .snmp_value(
            address,
            &format!("{IFX}.10.2"),
            Value::Counter64(6_000_000_000_000),
        )
        .snmp_value(address, &format!("{IFX}.15.2"), Value::Gauge32(10_000))
        .snmp_value(
            address,
            &format!("{IFX}.18.2"),
            Value::Octets(b"uplink to pop\0".to_vec()),
        )
}

#[test]
fn interfaces_prefer_64_bit_counters_and_high_speed() {
    let host = linux_router("10.0.0.1");
    let observations = run(V2C, &[device("r1", "10.0.0.1")], &host).unwrap();
    let found = interfaces(&observations);
    assert_eq!(found.len(), 2);
    let eth0 = found[1];
    assert_eq!(
        (eth0.index, eth0.name.as_str(), eth0.alias.as_deref()),
        (2, "eth0", Some("uplink to pop"))
    );
    assert_eq!(
        (eth0.admin_status, eth0.oper_status),
        (LinkStatus::Up, LinkStatus::LowerLayerDown)
    );
    assert_eq!(
        eth0.speed_bps,
        Some(10_000_000_000),
        "ifHighSpeed wins over a saturated ifSpeed"
    );
    assert_eq!(
        (eth0.in_octets, eth0.out_octets),
        (Some(5_000_000_000_000), Some(6_000_000_000_000))
    );
    assert_eq!(
        (
            eth0.in_errors,
            eth0.out_errors,
            eth0.in_discards,
            eth0.out_discards
        ),
        (Some(3), Some(4), Some(5), Some(6))
    );
    // lo has no HC counters: the 32-bit ones are used, raw (at the wrap point).
    let lo = found[0];
    assert_eq!(
        (lo.in_octets, lo.out_octets),
        (Some(u64::from(u32::MAX)), Some(900))
    );
    assert_eq!(lo.speed_bps, Some(10_000_000));
    assert_eq!(lo.alias, None);
    for observation in &observations {
        assert_eq!(label(observation, "vigia.entity"), Some("host:r1"));
        assert_eq!(label(observation, "vigia.device_type"), Some("net_snmp"));
        assert_eq!(label(observation, "site"), Some("lab"));
    }
    let supported = metrics(&observations, SUPPORTED_METRIC);
    assert_eq!(supported[0].value, 1.0);
    assert_eq!(
        metrics(&observations, "snmp_uptime_seconds")[0].value,
        1234.56
    );
}

#[test]
fn a_counter_that_wrapped_is_reported_raw_and_as_read() {
    // Two runs: the 32-bit counter went from near the top to a small value. The plugin reports
    // what the device said; consumers see the decrease of a counter and handle the wrap.
    let before = linux_router("10.0.0.1");
    let after = linux_router("10.0.0.1").snmp_value(
        "10.0.0.1",
        &format!("{IF}.10.1"),
        Value::Counter32(41),
    );
    let read = |host: &FakeHost| {
        interfaces(&run(V2C, &[device("r1", "10.0.0.1")], host).unwrap())[0].in_octets
    };
    assert_eq!(read(&before), Some(4_294_967_295));
    assert_eq!(read(&after), Some(41));
}

#[test]
fn wrong_types_and_missing_columns_give_empty_fields_not_errors() {
    let a = "10.0.0.2";
    let host = agent(FakeHost::new(), a, "1.3.6.1.4.1.9.1.1", "Cisco IOS")
        .snmp_value(a, &format!("{IF}.2.3"), Value::Octets(b"Gi0/1".to_vec()))
        .snmp_value(a, &format!("{IF}.7.3"), Value::Octets(b"up".to_vec()))
        .snmp_value(a, &format!("{IF}.8.3"), Value::Integer(99))
        .snmp_value(a, &format!("{IF}.10.3"), Value::Octets(b"12".to_vec()))
        .snmp_value(a, &format!("{IF}.16.3"), Value::Integer(-5))
        .snmp_value(a, &format!("{IF}.14.3"), Value::NoSuchInstance)
        .snmp_value(a, &format!("{IFX}.6.3"), Value::Octets(b"oops".to_vec()));
    let observations = run(V2C, &[device("c1", a)], &host).unwrap();
    let found = interfaces(&observations);
    assert_eq!(found.len(), 1);
    let i = found[0];
    assert_eq!(i.name, "Gi0/1");
    assert_eq!(
        (i.admin_status, i.oper_status),
        (LinkStatus::Unknown, LinkStatus::Unknown)
    );
    assert_eq!(
        (i.in_octets, i.out_octets, i.in_errors, i.speed_bps),
        (None, None, None, None)
    );
    assert_eq!(label(&observations[0], "vigia.entity"), Some("router:c1"));
}

#[test]
fn a_system_only_device_is_one_unsupported_observation() {
    let host = agent(
        FakeHost::new(),
        "10.0.0.3",
        "1.3.6.1.4.1.14988.1",
        "RouterOS RB951G-2HnD",
    );
    let observations = run(V2C, &[device("rb", "10.0.0.3")], &host).unwrap();
    assert_eq!(observations.len(), 1, "{observations:?}");
    let observation = &observations[0];
    let ObservationKind::Metric(metric) = &observation.kind else {
        panic!("expected a metric, got {observation:?}");
    };
    assert_eq!(
        (metric.name.as_str(), metric.value, metric.unit.as_str()),
        (SUPPORTED_METRIC, 0.0, "1")
    );
    assert_eq!(label(observation, "support"), Some("unsupported"));
    assert_eq!(
        label(observation, "vigia.device_type"),
        Some("mikrotik_routeros")
    );
    assert_eq!(label(observation, "vigia.entity"), Some("router:rb"));
    assert_eq!(
        label(observation, "sys_object_id"),
        Some("1.3.6.1.4.1.14988.1")
    );
    assert_eq!(
        label(observation, "reason"),
        Some(
            "the device answers only the system group (no IF-MIB ifTable, no mikrotik_routeros tables)"
        )
    );
}

#[test]
fn per_target_failures_have_their_class_and_the_run_goes_on() {
    let host = linux_router("10.0.0.1")
        .snmp_failure("10.0.0.9", HostError::Timeout)
        .snmp_failure(
            "10.0.0.10",
            HostError::Unreachable("no route to host".into()),
        )
        .snmp_failure("10.0.0.11", HostError::Auth("usm: wrong digest".into()))
        .snmp_failure("10.0.0.12", HostError::Protocol("malformed pdu".into()));
    let targets = [
        device("t", "10.0.0.9"),
        device("u", "10.0.0.10"),
        device("a", "10.0.0.11"),
        device("p", "10.0.0.12"),
        device("ok", "10.0.0.1"),
    ];
    let observations = run(V2C, &targets, &host).unwrap();
    let classes: Vec<(String, ErrorClass)> = observations[..4]
        .iter()
        .map(|o| (o.target.clone(), failure(o).class))
        .collect();
    assert_eq!(
        classes,
        vec![
            ("t".into(), ErrorClass::Timeout),
            ("u".into(), ErrorClass::Unreachable),
            ("a".into(), ErrorClass::Auth),
            ("p".into(), ErrorClass::InvalidResponse),
        ]
    );
    assert!(
        failure(&observations[0])
            .message
            .starts_with("snmp get of the system group: timed out")
    );
    assert_eq!(interfaces(&observations[4..]).len(), 2);
}

#[test]
fn a_device_without_sys_object_id_is_an_invalid_response() {
    let host =
        FakeHost::new().snmp_value("10.0.0.4", system::SYS_DESCR, Value::Octets(b"x".to_vec()));
    let observations = run(V2C, &[device("x", "10.0.0.4")], &host).unwrap();
    assert_eq!(observations.len(), 1);
    let error = failure(&observations[0]);
    assert_eq!(error.class, ErrorClass::InvalidResponse);
    assert_eq!(error.message, "the device answered without sysObjectID");
    let wrong = FakeHost::new().snmp_value("10.0.0.4", system::SYS_OBJECT_ID, Value::Integer(3));
    let observations = run(V2C, &[device("x", "10.0.0.4")], &wrong).unwrap();
    assert_eq!(failure(&observations[0]).class, ErrorClass::InvalidResponse);
}

#[test]
fn a_denied_capability_fails_the_whole_run() {
    // FakeHost denies SNMP to an address it has no agent for, as an ungranted capability.
    let error = run(V2C, &[device("x", "10.0.0.5")], &FakeHost::new()).unwrap_err();
    assert_eq!(error.class, ErrorClass::Denied);
    assert!(
        error.message.starts_with("snmp get of the system group"),
        "{error}"
    );
}

#[test]
fn addresses_give_host_and_port_and_bad_ones_are_config_failures() {
    let host = linux_router("10.0.0.1").snmp_failure("2001:db8::1", HostError::Timeout);
    let targets = [
        device("a", "10.0.0.1:1161"),
        device("b", "[2001:db8::1]:162"),
        device("c", "10.0.0.1:x"),
        device("d", ""),
    ];
    let config = r#"{"credentials": {"type": "v2c", "community_secret": "lab"}, "port": 1161, "timeout_ms": 700, "retries": 2}"#;
    let observations = run(config, &targets, &host).unwrap();
    let failures: Vec<_> = observations
        .iter()
        .filter(|o| matches!(o.kind, ObservationKind::Failure(_)))
        .collect();
    assert_eq!(failures.len(), 3);
    assert_eq!(
        failure(failures[1]).message,
        "address `10.0.0.1:x` has an invalid port"
    );
    assert_eq!(failure(failures[1]).class, ErrorClass::Config);
    assert_eq!(failure(failures[2]).message, "address `` is empty");
    let devices: Vec<(String, u16, u32, u8)> = host
        .calls()
        .iter()
        .filter_map(|call| match call {
            Call::SnmpGet { device, .. } => Some((
                device.address.clone(),
                device.port,
                device.timeout_ms,
                device.retries,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        devices,
        vec![
            ("10.0.0.1".into(), 1161, 700, 2),
            ("2001:db8::1".into(), 162, 700, 2)
        ]
    );
}

#[test]
fn v3_credentials_reach_the_host_by_secret_name() {
    let host = linux_router("10.0.0.1");
    let config = r#"{"credentials": {"type": "v3", "user": "vigia", "auth_protocol": "sha1", "auth_secret": "auth-s", "priv_protocol": "aes128", "priv_secret": "priv-s"}}"#;
    run(config, &[device("r1", "10.0.0.1")], &host).unwrap();
    let Call::SnmpGet { device, .. } = &host.calls()[0] else {
        panic!("expected a get first")
    };
    let Credentials::V3(usm) = &device.credentials else {
        panic!("expected v3")
    };
    assert_eq!(
        (
            usm.user.as_str(),
            usm.auth_secret.as_deref(),
            usm.priv_secret.as_deref()
        ),
        ("vigia", Some("auth-s"), Some("priv-s"))
    );
    assert_eq!(
        (usm.auth_protocol, usm.priv_protocol),
        (
            Some(vigia_plugin_sdk::snmp::AuthProtocol::Sha1),
            Some(vigia_plugin_sdk::snmp::PrivProtocol::Aes128)
        )
    );
}

#[test]
fn bad_configs_are_config_errors_naming_the_field() {
    let host = FakeHost::new();
    for (config, expected) in [
        ("{}", "missing field `credentials`"),
        (
            r#"{"credentials": {"type": "v1", "community_secret": "x"}}"#,
            "unknown variant `v1`",
        ),
        (
            r#"{"credentials": {"type": "v2c", "community_secret": " "}}"#,
            "`credentials.community_secret` must name a secret",
        ),
        (
            r#"{"credentials": {"type": "v3", "user": "u", "priv_protocol": "des", "priv_secret": "p"}}"#,
            "needs `credentials.auth_protocol`",
        ),
        (
            r#"{"credentials": {"type": "v3", "user": "u", "auth_protocol": "md5"}}"#,
            "go together",
        ),
        (
            r#"{"credentials": {"type": "v2c", "community_secret": "c"}, "max_rows": 0}"#,
            "`max_rows` must be 1..=100000, got 0",
        ),
        (
            r#"{"credentials": {"type": "v2c", "community_secret": "c"}, "groups": []}"#,
            "`groups` must name at least one",
        ),
        (
            r#"{"credentials": {"type": "v2c", "community_secret": "c"}, "timeout_ms": 0}"#,
            "`timeout_ms` must be 1..=60000",
        ),
    ] {
        let error = run(config, &[device("x", "10.0.0.1")], &host).unwrap_err();
        assert_eq!(error.class, ErrorClass::Config, "{config}");
        assert!(
            error.message.contains(expected),
            "{config}: {}",
            error.message
        );
    }
    assert!(host.calls().is_empty());
}

#[test]
fn walks_are_bounded_by_max_rows_and_truncation_is_logged() {
    let host = linux_router("10.0.0.1");
    let config = r#"{"credentials": {"type": "v2c", "community_secret": "lab"}, "max_rows": 1, "groups": ["interfaces"]}"#;
    let observations = run(config, &[device("r1", "10.0.0.1")], &host).unwrap();
    let walks: Vec<u32> = host
        .calls()
        .iter()
        .filter_map(|call| match call {
            Call::SnmpWalk { max_rows, .. } => Some(*max_rows),
            _ => None,
        })
        .collect();
    assert_eq!(walks.len(), 16, "11 ifTable + 5 ifXTable columns");
    assert!(walks.iter().all(|&rows| rows == 1));
    // Each column gave its first row only: lo's ifDescr, eth0's ifPhysAddress...; eth0's
    // ifHighSpeed (its only row) is still read, lo's ifSpeed too.
    assert!(!interfaces(&observations).is_empty());
    assert!(
        host.logs()
            .iter()
            .any(|(_, line)| line.contains("stopped at max_rows (1)"))
    );
}

#[test]
fn a_walk_that_times_out_keeps_what_was_read_and_adds_a_failure() {
    // The system group answers; IF-MIB walks are refused by a host that has no answer for walks.
    struct HalfHost(FakeHost);
    impl Host for HalfHost {
        type Connection = <FakeHost as Host>::Connection;
        fn log(&self, level: Level, message: &str) {
            self.0.log(level, message)
        }
        fn now_ms(&self) -> u64 {
            self.0.now_ms()
        }
        fn monotonic_ns(&self) -> u64 {
            self.0.monotonic_ns()
        }
        fn icmp_echo(&self, r: &[EchoRequest]) -> Result<Vec<EchoResult>, HostError> {
            self.0.icmp_echo(r)
        }
        fn snmp_get(
            &self,
            d: &vigia_plugin_sdk::snmp::Device,
            o: &[String],
        ) -> Result<Vec<vigia_plugin_sdk::snmp::Varbind>, HostError> {
            self.0.snmp_get(d, o)
        }
        fn snmp_get_next(
            &self,
            d: &vigia_plugin_sdk::snmp::Device,
            o: &[String],
        ) -> Result<Vec<vigia_plugin_sdk::snmp::Varbind>, HostError> {
            self.0.snmp_get_next(d, o)
        }
        fn snmp_get_bulk(
            &self,
            d: &vigia_plugin_sdk::snmp::Device,
            n: u32,
            m: u32,
            o: &[String],
        ) -> Result<Vec<vigia_plugin_sdk::snmp::Varbind>, HostError> {
            self.0.snmp_get_bulk(d, n, m, o)
        }
        fn snmp_walk(
            &self,
            _: &vigia_plugin_sdk::snmp::Device,
            _: &str,
            _: u32,
        ) -> Result<Vec<vigia_plugin_sdk::snmp::Varbind>, HostError> {
            Err(HostError::Timeout)
        }
        fn http_send(&self, r: &Request) -> Result<Response, HostError> {
            self.0.http_send(r)
        }
        fn tcp_connect(
            &self,
            h: &str,
            p: u16,
            t: Option<&vigia_plugin_sdk::tcp::TlsOptions>,
            ms: u32,
        ) -> Result<Self::Connection, HostError> {
            self.0.tcp_connect(h, p, t, ms)
        }
        fn kv_get(&self, k: &str) -> Result<Option<Vec<u8>>, HostError> {
            self.0.kv_get(k)
        }
        fn kv_set(&self, k: &str, v: &[u8]) -> Result<(), HostError> {
            self.0.kv_set(k, v)
        }
        fn kv_delete(&self, k: &str) -> Result<(), HostError> {
            self.0.kv_delete(k)
        }
        fn get_secret(&self, n: &str) -> Result<String, HostError> {
            self.0.get_secret(n)
        }
    }
    let host = HalfHost(linux_router("10.0.0.1"));
    let observations = testing::run::<Snmp>(V2C, &[device("r1", "10.0.0.1")], &host).unwrap();
    assert_eq!(observations.len(), 1);
    let error = failure(&observations[0]);
    assert_eq!(error.class, ErrorClass::Timeout);
    assert_eq!(error.message, "walk of IF-MIB: timed out");
    assert_eq!(label(&observations[0], "vigia.entity"), Some("host:r1"));
}

#[test]
fn describe_reports_snmp_and_a_schema_requiring_credentials() {
    let info = testing::describe::<Snmp>();
    assert_eq!(info.id, "snmp");
    assert_eq!(info.capabilities, vec![Capability::Snmp]);
    for needle in [
        r#""credentials""#,
        r#""community_secret""#,
        r#""max_rows""#,
        r#""required":["credentials"]"#,
    ] {
        assert!(
            info.config_schema.contains(needle),
            "{needle} missing from {}",
            info.config_schema
        );
    }
}
