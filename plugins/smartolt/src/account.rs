//! One run over one account: the order of the calls, the budget checks, and the failures.

use vigia_plugin_sdk::{ErrorClass, Host, Metric, Observation, PluginError, Target};

use crate::api::{CallError, Client};
use crate::config::{Config, Read};
use crate::onus::OnuRecord;
use crate::{diagnose, full_status, olts, onus, outages};

/// The state of one account's run.
pub(crate) struct Run<'a, H: Host> {
    pub config: &'a Config,
    pub target: &'a Target,
    pub host: &'a H,
    pub client: Client<'a, H>,
    pub now_ms: u64,
    pub onus: Vec<OnuRecord>,
    pub observations: Vec<Observation>,
    /// Set after a failure that makes further calls pointless (auth, budget, unreachable, ...).
    pub stopped: bool,
    /// Reads left out to keep the account's reserve of calls.
    pub skipped: Vec<String>,
}

/// Everything about one account.
pub(crate) fn probe(
    config: &Config,
    target: &Target,
    host: &impl Host,
    now_ms: u64,
) -> Vec<Observation> {
    let secret = target
        .labels
        .iter()
        .find(|(key, _)| key == "token_secret")
        .map_or(config.token_secret.as_str(), |(_, value)| value.as_str());
    let token = match host.get_secret(secret) {
        Ok(token) => token,
        Err(error) => {
            let error = PluginError::from(error).context(format!("secret `{secret}`"));
            return vec![Observation::failure(target, error)];
        }
    };
    let client = match Client::new(host, &target.address, token) {
        Ok(client) => client,
        Err(error) => return vec![Observation::failure(target, error)],
    };
    let mut run = Run {
        config,
        target,
        host,
        client,
        now_ms,
        onus: Vec::new(),
        observations: Vec::new(),
        stopped: false,
        skipped: Vec::new(),
    };
    run.all();
    run.finish()
}

impl<H: Host> Run<'_, H> {
    fn all(&mut self) {
        if !self.config.full_status_onus.is_empty() {
            diagnose::run_all(self);
            return;
        }
        let Some(olts) = olts::selected(self) else {
            return;
        };
        for olt in &olts {
            if self.stopped {
                break;
            }
            onus::read_olt(self, olt);
            if self.config.reads(Read::Outages) && !self.stopped {
                if self.keep_reserve(&format!("outages of olt {}", olt.id)) {
                    continue;
                }
                outages::read_olt(self, olt);
            }
        }
        for wanted in &self.config.full_status_for {
            if self.stopped {
                break;
            }
            if self.keep_reserve(&format!("full status of {wanted}")) {
                continue;
            }
            full_status::read(self, wanted);
        }
    }

    /// Records a failed call; stops the account's run when retrying is pointless.
    pub(crate) fn fail(&mut self, error: CallError, olt_id: Option<u32>) {
        if error.is_final() {
            self.stopped = true;
        }
        self.failure(error.error, olt_id);
    }

    pub(crate) fn failure(&mut self, error: PluginError, olt_id: Option<u32>) {
        let mut observation = Observation::failure(self.target, error);
        if let Some(id) = olt_id {
            observation = observation.with_label("olt_id", id.to_string());
        }
        self.observations.push(observation);
    }

    /// True (and noted) when the account is below its reserve of calls: skip `what`.
    pub(crate) fn keep_reserve(&mut self, what: &str) -> bool {
        let low = self
            .client
            .remaining()
            .is_some_and(|left| left < self.config.reserve_calls);
        if low {
            self.skipped.push(what.to_owned());
        }
        low
    }

    fn finish(mut self) -> Vec<Observation> {
        let mut observations: Vec<Observation> = self
            .onus
            .drain(..)
            .map(|record| record.observation(self.target))
            .collect();
        observations.append(&mut self.observations);
        if !self.skipped.is_empty() {
            let left = self.client.remaining().unwrap_or(0);
            let error = PluginError::new(
                ErrorClass::Budget,
                format!(
                    "{left} calls left this hour, under the reserve of {}: skipped {}",
                    self.config.reserve_calls,
                    self.skipped.join(", ")
                ),
            );
            observations.push(Observation::failure(self.target, error));
        }
        if let Some(remaining) = self.client.remaining() {
            let mut metric =
                Metric::gauge("smartolt_api_calls_remaining", f64::from(remaining), "1");
            if let Some(limit) = self.client.limit() {
                metric = metric.with_label("limit", limit.to_string());
            }
            observations.push(Observation::metric(self.target, metric));
        }
        observations.push(Observation::metric(
            self.target,
            Metric::gauge(
                "smartolt_api_calls_run",
                f64::from(self.client.calls()),
                "1",
            ),
        ));
        observations
    }
}
