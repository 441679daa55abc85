//! Resolving one `[[probe]]` table: schedule, limits, resilience settings, targets and grants.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use vigia_plugin_host::Budget;

use super::raw::{RawBreaker, RawProbe};
use super::targets::TargetCollector;
use super::{ConfigError, Lines, Location, Probe};
use crate::scheduler::BreakerPolicy;

/// Defaults for a probe's limits, chosen for small tower hosts.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
const DEFAULT_MEMORY_MEGABYTES: u64 = 64;
const DEFAULT_MAX_OUTPUT_KILOBYTES: u64 = 4096;
/// Defaults of the resilience settings, after the infrastructure monitor the ISPs run today.
const DEFAULT_JITTER: f64 = 0.1;
const MAX_JITTER: f64 = 0.5;
const DEFAULT_OFFLINE_AFTER: u32 = 2;
const DEFAULT_OPEN_AFTER: u32 = 4;
/// The longest a breaker waits by default before retrying a dead target.
const DEFAULT_BACKOFF_MAX_SECS: u64 = 3600;
/// Targets per plugin run by default (the ping plugin handles 1,000 in one run comfortably).
const DEFAULT_BATCH_SIZE: usize = 1000;

/// What resolving a probe needs from the rest of the file.
pub(super) struct Context<'a> {
    pub(super) lines: &'a Lines<'a>,
    /// The config file's folder: relative `targets_file` paths start here.
    pub(super) base: &'a Path,
    pub(super) budgets: &'a BTreeMap<String, Budget>,
}

pub(super) fn resolve(
    raw: RawProbe,
    location: Location,
    context: &Context<'_>,
    names: &mut HashSet<String>,
) -> Result<Probe, Vec<ConfigError>> {
    let name = raw.name.trim().to_owned();
    let error = |location: &Location, message: String| ConfigError {
        location: location.clone(),
        message,
    };
    if name.is_empty() {
        return Err(vec![error(
            &location,
            "probe name must not be empty".into(),
        )]);
    }
    if !names.insert(name.clone()) {
        return Err(vec![error(
            &location,
            format!("probe `{name}` is defined twice"),
        )]);
    }
    let mut errors = Vec::new();
    let settings = match settings(&raw) {
        Ok(settings) => Some(settings),
        Err(message) => {
            errors.push(error(&location, format!("probe `{name}`: {message}")));
            None
        }
    };
    if let Some(budget) = &raw.grants.budget {
        let at = context.lines.at(budget.span().start);
        let budget = budget.get_ref();
        if !context.budgets.contains_key(budget) {
            let known: Vec<&str> = context.budgets.keys().map(String::as_str).collect();
            let message = format!(
                "probe `{name}`: grants.budget `{budget}` is not defined: add a [budget.{budget}] table (defined: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
            errors.push(error(&at, message));
        } else if raw.grants.http_hosts.is_empty() && raw.grants.tcp.is_empty() {
            let message = format!(
                "probe `{name}`: grants.budget meters http and tcp calls, but this probe is granted neither http_hosts nor tcp"
            );
            errors.push(error(&at, message));
        }
    }
    let on_demand = raw.on_demand.unwrap_or(true);
    let on_demand_adhoc = raw.on_demand_adhoc.unwrap_or(false);
    if on_demand_adhoc && !on_demand {
        errors.push(error(
            &location,
            format!("probe `{name}`: on_demand_adhoc = true needs on_demand = true"),
        ));
    }
    let mut collector = TargetCollector::new(&name);
    collector.add_list(&raw.targets, |offset| context.lines.at(offset));
    if let Some(file) = &raw.targets_file {
        let at = context.lines.at(file.span().start);
        let path = file.get_ref();
        let path = if path.is_absolute() {
            path.clone()
        } else {
            context.base.join(path)
        };
        collector.add_file(&path, at);
    }
    let targets = match collector.finish(&location) {
        Ok(targets) => targets,
        Err(mut found) => {
            errors.append(&mut found);
            Vec::new()
        }
    };
    let config = match serde_json::to_value(&raw.config) {
        Ok(config) => Some(config),
        Err(e) => {
            errors.push(error(&location, format!("probe `{name}`: config: {e}")));
            None
        }
    };
    let (Some(settings), Some(config), true) = (settings, config, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(Probe {
        name,
        plugin: raw.plugin,
        interval: settings.interval,
        timeout: settings.timeout,
        jitter: settings.jitter,
        offline_after: settings.offline_after,
        breaker: settings.breaker,
        batch_size: settings.batch_size,
        memory_bytes: raw.memory_megabytes.unwrap_or(DEFAULT_MEMORY_MEGABYTES) * 1024 * 1024,
        max_output_bytes: raw
            .max_output_kilobytes
            .unwrap_or(DEFAULT_MAX_OUTPUT_KILOBYTES)
            * 1024,
        targets,
        grants: raw.grants,
        config,
        on_demand,
        on_demand_adhoc,
        location,
    })
}

/// The checked scalar settings of a probe.
struct Settings {
    interval: Duration,
    timeout: Duration,
    jitter: f64,
    offline_after: u32,
    breaker: BreakerPolicy,
    batch_size: usize,
}

/// Checks the plugin id, schedule and resilience settings; the first problem found.
fn settings(raw: &RawProbe) -> Result<Settings, String> {
    if raw.plugin.is_empty()
        || !raw
            .plugin
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!(
            "plugin `{}` must be a plugin id ([a-z0-9-])",
            raw.plugin
        ));
    }
    if raw.interval_secs == 0 {
        return Err("interval_secs must be at least 1".into());
    }
    let interval_ms = raw.interval_secs.saturating_mul(1000);
    // By default a run may take up to 90% of the interval (at most 10 s).
    let timeout_ms = raw
        .timeout_ms
        .unwrap_or(DEFAULT_TIMEOUT_MS.min(interval_ms - interval_ms / 10));
    if timeout_ms == 0 || timeout_ms >= interval_ms {
        return Err(format!(
            "timeout_ms ({timeout_ms}) must be at least 1 and less than interval_secs * 1000 ({interval_ms})"
        ));
    }
    let jitter = raw.jitter.unwrap_or(DEFAULT_JITTER);
    if !(0.0..=MAX_JITTER).contains(&jitter) {
        return Err(format!(
            "jitter ({jitter}) is a fraction of the interval, 0.0..={MAX_JITTER}"
        ));
    }
    let offline_after = raw.offline_after.unwrap_or(DEFAULT_OFFLINE_AFTER);
    if offline_after == 0 {
        return Err("offline_after must be at least 1".into());
    }
    let breaker = breaker(
        raw.breaker.as_ref().unwrap_or(&RawBreaker::default()),
        raw.interval_secs,
        offline_after,
    )?;
    let batch_size = raw.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
    if batch_size == 0 {
        return Err("batch_size must be at least 1".into());
    }
    Ok(Settings {
        interval: Duration::from_secs(raw.interval_secs),
        timeout: Duration::from_millis(timeout_ms),
        jitter,
        offline_after,
        breaker,
        batch_size,
    })
}

/// Defaults: open after 4 failures, first retry after two intervals, doubling up to an hour.
fn breaker(
    raw: &RawBreaker,
    interval_secs: u64,
    offline_after: u32,
) -> Result<BreakerPolicy, String> {
    let open_after = raw.open_after.unwrap_or(DEFAULT_OPEN_AFTER);
    if open_after < offline_after {
        return Err(format!(
            "breaker.open_after ({open_after}) must be at least offline_after ({offline_after}): a target is confirmed down before its breaker opens"
        ));
    }
    let min = raw
        .backoff_min_secs
        .unwrap_or(interval_secs.saturating_mul(2));
    let max = raw
        .backoff_max_secs
        .unwrap_or(DEFAULT_BACKOFF_MAX_SECS.max(min));
    if min == 0 || max < min {
        return Err(format!(
            "breaker backoff must satisfy 1 <= backoff_min_secs ({min}) <= backoff_max_secs ({max})"
        ));
    }
    Ok(BreakerPolicy {
        open_after,
        backoff_min: Duration::from_secs(min),
        backoff_max: Duration::from_secs(max),
    })
}
