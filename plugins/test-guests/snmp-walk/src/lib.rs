//! Test guest `snmp-walk`: walks `root` on every target with SNMPv2c (community from a granted
//! secret) and returns one `snmp_walk_rows` gauge per target, so host tests can drive the `snmp`
//! capability through the full WIT path. The first failing target fails the run. Not a plugin to
//! deploy.

use vigia_plugin_sdk::prelude::*;
use vigia_plugin_sdk::snmp::{Credentials, Device};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// UDP port of the agents.
    pub port: u16,
    /// Name of the secret holding the v2c community.
    pub community_secret: String,
    /// Numeric OID of the subtree to walk.
    pub root: String,
    /// Most varbinds to fetch per target.
    pub max_rows: u32,
}

pub struct SnmpWalk;

impl Plugin for SnmpWalk {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "snmp-walk",
            env!("CARGO_PKG_VERSION"),
            "test guest: walks an SNMP subtree per target",
        )
        .capability(Capability::Snmp)
    }

    fn run(
        config: &Config,
        targets: &[Target],
        host: &impl Host,
    ) -> Result<Vec<Observation>, PluginError> {
        let mut observations = Vec::with_capacity(targets.len());
        for target in targets {
            let device = Device {
                address: target.address.clone(),
                port: config.port,
                credentials: Credentials::V2c(config.community_secret.clone()),
                timeout_ms: 1000,
                retries: 1,
            };
            let rows = host
                .snmp_walk(&device, &config.root, config.max_rows)
                .map_err(|e| {
                    PluginError::from(e).context(format_args!("snmp walk of {}", config.root))
                })?;
            observations.push(Observation::metric(
                target,
                Metric::gauge("snmp_walk_rows", rows.len() as f64, "varbinds"),
            ));
        }
        Ok(observations)
    }
}

export_plugin!(SnmpWalk);

#[cfg(test)]
mod tests {
    use vigia_plugin_sdk::snmp::Value;
    use vigia_plugin_sdk::testing::{self, FakeHost};

    use super::*;

    const CONFIG: &str =
        r#"{"port": 161, "community_secret": "c", "root": "1.3.6.1.2.1.2.2.1.10", "max_rows": 10}"#;

    #[test]
    fn counts_the_varbinds_under_root_per_target() {
        let host = FakeHost::new()
            .snmp_value("10.0.0.9", "1.3.6.1.2.1.2.2.1.10.1", Value::Counter32(5))
            .snmp_value("10.0.0.9", "1.3.6.1.2.1.2.2.1.10.2", Value::Counter32(7))
            .snmp_value("10.0.0.9", "1.3.6.1.2.1.2.2.1.11.1", Value::Counter32(1));
        let target = Target::new("t1", "10.0.0.9");
        let observations =
            testing::run::<SnmpWalk>(CONFIG, std::slice::from_ref(&target), &host).unwrap();
        assert_eq!(
            observations,
            vec![Observation::metric(
                &target,
                Metric::gauge("snmp_walk_rows", 2.0, "varbinds")
            )]
        );
    }

    #[test]
    fn a_failing_target_fails_the_run_with_context() {
        let host = FakeHost::new().snmp_failure("10.0.0.9", HostError::Timeout);
        let err =
            testing::run::<SnmpWalk>(CONFIG, &[Target::new("t1", "10.0.0.9")], &host).unwrap_err();
        assert_eq!(err.class, ErrorClass::Timeout);
        assert!(
            err.message.contains("snmp walk of 1.3.6.1.2.1.2.2.1.10"),
            "{err}"
        );
    }
}
