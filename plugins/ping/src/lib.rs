//! `ping`: the reference Vigia plugin. ICMP echo to every IP target of the run, through the
//! host's `icmp` capability (one call for the whole batch), reported as one `reachability`
//! observation and one `packet_loss_ratio` metric per target.
//!
//! It does NOT resolve host names (a target address must be an IP literal; anything else is a
//! `config` failure of that target), send packets itself, or retry: loss is data.

use std::net::IpAddr;

use vigia_plugin_sdk::prelude::*;

/// Config of a ping probe; every field is optional.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Echo requests per target.
    #[schemars(range(min = 1, max = 20))]
    pub count: u16,
    /// Pause between the requests to one target, milliseconds.
    pub interval_ms: u32,
    /// How long to wait for each reply, milliseconds.
    #[schemars(range(min = 1))]
    pub timeout_ms: u32,
    /// ICMP payload size, bytes.
    #[schemars(range(max = 1472))]
    pub payload_bytes: u16,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            count: 3,
            interval_ms: 200,
            timeout_ms: 1000,
            payload_bytes: 56,
        }
    }
}

impl Config {
    /// The host validates against the schema too; this keeps the plugin safe on its own.
    fn validate(&self) -> Result<(), PluginError> {
        if !(1..=20).contains(&self.count) {
            return Err(PluginError::config(format!(
                "`count` must be 1..=20, got {}",
                self.count
            )));
        }
        if self.timeout_ms == 0 {
            return Err(PluginError::config("`timeout_ms` must be at least 1"));
        }
        if self.payload_bytes > 1472 {
            let got = self.payload_bytes;
            return Err(PluginError::config(format!(
                "`payload_bytes` must be 0..=1472, got {got}"
            )));
        }
        Ok(())
    }

    fn request(&self, address: &str) -> EchoRequest {
        EchoRequest {
            address: address.to_owned(),
            count: self.count,
            interval_ms: self.interval_ms,
            timeout_ms: self.timeout_ms,
            payload_bytes: self.payload_bytes,
        }
    }
}

pub struct Ping;

impl Plugin for Ping {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "ping",
            env!("CARGO_PKG_VERSION"),
            "icmp echo: reachability, rtt and packet loss of ip targets",
        )
        .capability(Capability::Icmp)
    }

    fn run(
        config: &Config,
        targets: &[Target],
        host: &impl Host,
    ) -> Result<Vec<Observation>, PluginError> {
        config.validate()?;
        let mut observations = Vec::new();
        let mut probed = Vec::new();
        for target in targets {
            if target.address.parse::<IpAddr>().is_ok() {
                probed.push(target);
            } else {
                let error = PluginError::config(format!(
                    "address `{}` is not an ip literal",
                    target.address
                ));
                observations.push(Observation::failure(target, error));
            }
        }
        if probed.is_empty() {
            return Ok(observations);
        }

        let requests: Vec<EchoRequest> = probed
            .iter()
            .map(|target| config.request(&target.address))
            .collect();
        let results = host
            .icmp_echo(&requests)
            .map_err(|error| PluginError::from(error).context("icmp echo"))?;
        if results.len() != probed.len() {
            let message = format!(
                "icmp echo returned {} results for {} requests",
                results.len(),
                probed.len()
            );
            return Err(PluginError::invalid_response(message));
        }
        for (target, result) in probed.into_iter().zip(&results) {
            if result.address != target.address {
                let message = format!(
                    "icmp echo answered {} where {} was asked",
                    result.address, target.address
                );
                return Err(PluginError::invalid_response(message));
            }
            observations.extend(observe(config, target, result));
        }
        Ok(observations)
    }
}

/// The reachability observation and the loss metric of one target.
fn observe(config: &Config, target: &Target, result: &EchoResult) -> Vec<Observation> {
    let mut reachability =
        Reachability::from_rtts(&target.address, u32::from(result.sent), &result.rtts_us);
    if let Some(error) = &result.error {
        reachability = reachability.with_detail(error);
    } else if !reachability.up && result.sent > 0 {
        reachability =
            reachability.with_detail(format!("no echo reply within {} ms", config.timeout_ms));
    }
    let loss = reachability.loss_ratio();
    let mut observations = vec![Observation::reachability(target, reachability)];
    if let Some(loss) = loss {
        observations.push(Observation::metric(
            target,
            Metric::gauge("packet_loss_ratio", loss, "1"),
        ));
    }
    observations
}

export_plugin!(Ping);

#[cfg(test)]
mod tests;
