//! The agent's TOML config: parsed into `RawConfig` (serde, spans kept), then resolved into `Config`
//! with every value checked. Errors point at the file and line: of the `[agent]`, `[budget.*]` or
//! `[[probe]]` table, of the target in a list, or of the line in a `targets_file`.

mod link;
mod probe;
mod raw;
mod targets;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use vigia_plugin_host::{Budget, IcmpConfig, MAX_BUDGET_CALLS};

use crate::scheduler::{BreakerPolicy, Concurrency};
use raw::{RawAgent, RawBudget, RawConfig};

pub(crate) use link::{Link, SpoolConfig, UplinkSettings};
pub(crate) use raw::RawGrants;
pub(crate) use targets::TargetSpec;

/// Seconds a run in progress may take to finish once the agent is asked to stop.
const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 10;
/// Most plugin runs in flight at once: the host reserves an instance slot (address space up to
/// the memory ceiling) for each.
const MAX_CONCURRENT_RUNS: u32 = 1024;
/// On-demand runs in flight at once by default (`[agent.on_demand] max_concurrent`), and at most.
const DEFAULT_ON_DEMAND_CONCURRENT: u32 = 4;
const MAX_ON_DEMAND_CONCURRENT: u32 = 64;

/// The resolved agent config: every path absolute, every value checked.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) agent_id: String,
    pub(crate) plugin_dir: PathBuf,
    pub(crate) secrets_file: Option<PathBuf>,
    pub(crate) state_dir: Option<PathBuf>,
    /// How long runs in progress may take to finish after a stop is asked.
    pub(crate) shutdown_grace: Duration,
    pub(crate) concurrency: Concurrency,
    /// `[agent.icmp]`: echoes per second for the whole agent, and the burst after a pause.
    pub(crate) icmp: IcmpConfig,
    /// `[agent.on_demand] max_concurrent`: on-demand runs in flight at once; more are refused.
    pub(crate) on_demand_max_concurrent: u32,
    /// Call budgets by name, handed to the plugin host.
    pub(crate) budgets: BTreeMap<String, Budget>,
    pub(crate) probes: Vec<Probe>,
    /// Spool, uplink and metrics endpoint.
    pub(crate) link: Link,
}

/// One configured probe: a plugin run on an interval over a set of targets.
#[derive(Debug)]
pub(crate) struct Probe {
    pub(crate) name: String,
    pub(crate) plugin: String,
    pub(crate) interval: Duration,
    /// Deadline of one plugin run; shorter than the interval.
    pub(crate) timeout: Duration,
    /// Fraction of the interval by which each start may move, 0..=0.5.
    pub(crate) jitter: f64,
    /// Consecutive failed runs before a target is reported down.
    pub(crate) offline_after: u32,
    pub(crate) breaker: BreakerPolicy,
    /// Most targets in one plugin run.
    pub(crate) batch_size: usize,
    pub(crate) memory_bytes: u64,
    pub(crate) max_output_bytes: u64,
    pub(crate) targets: Vec<TargetSpec>,
    pub(crate) grants: RawGrants,
    pub(crate) config: serde_json::Value,
    /// The aggregator may run this probe on demand (with its grants, limits and config).
    pub(crate) on_demand: bool,
    /// On-demand runs may name targets this probe does not configure (their address as sent).
    pub(crate) on_demand_adhoc: bool,
    /// Where the probe is written, for error messages: `file:line`.
    pub(crate) location: Location,
}

/// A place in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A config error with its place in the file.
#[derive(Debug)]
pub(crate) struct ConfigError {
    pub(crate) location: Location,
    pub(crate) message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Turns byte offsets of one file into locations.
struct Lines<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Lines<'_> {
    fn at_line(&self, line: usize) -> Location {
        Location {
            file: self.path.to_path_buf(),
            line,
        }
    }

    fn at(&self, offset: usize) -> Location {
        let line = self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1;
        self.at_line(line)
    }
}

impl Config {
    /// Reads and resolves a config file. Returns every problem found, not only the first.
    pub(crate) fn load(path: &Path) -> Result<Self, Vec<ConfigError>> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            vec![ConfigError {
                location: Location {
                    file: path.to_path_buf(),
                    line: 0,
                },
                message: format!("cannot read config: {error}"),
            }]
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` is used for messages and to resolve relative paths (of
    /// plugin_dir, secrets_file, state_dir and every probe's targets_file).
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, Vec<ConfigError>> {
        let lines = Lines { text, path };
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let location = error
                .span()
                .map_or(lines.at_line(0), |span| lines.at(span.start));
            vec![ConfigError {
                location,
                message: error.message().to_owned(),
            }]
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };

        let mut errors = Vec::new();
        let agent_at = lines.at(raw.agent.span().start);
        let agent = raw.agent.into_inner();
        let concurrency = resolve_agent(&agent, &lines, &agent_at, &mut errors);
        let icmp = resolve_icmp(&agent, &lines, &mut errors);
        let on_demand_max_concurrent = resolve_on_demand(&agent, &lines, &mut errors);
        let budgets = resolve_budgets(raw.budget, &lines, &mut errors);
        let state_dir = agent.state_dir.clone().map(resolve);
        let link = link::resolve(
            link::RawLink {
                spool: raw.spool,
                uplink: raw.uplink,
                metrics: raw.metrics,
            },
            state_dir.as_deref(),
            base,
            &lines,
            &mut errors,
        );
        let mut names = HashSet::new();
        let mut probes = Vec::new();
        for spanned in raw.probe {
            let location = lines.at(spanned.span().start);
            let context = probe::Context {
                lines: &lines,
                base,
                budgets: &budgets,
            };
            match probe::resolve(spanned.into_inner(), location, &context, &mut names) {
                Ok(probe) => probes.push(probe),
                Err(mut found) => errors.append(&mut found),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            agent_id: agent.id,
            plugin_dir: resolve(agent.plugin_dir),
            secrets_file: agent.secrets_file.map(resolve),
            state_dir,
            shutdown_grace: Duration::from_secs(
                agent
                    .shutdown_grace_secs
                    .unwrap_or(DEFAULT_SHUTDOWN_GRACE_SECS),
            ),
            concurrency,
            icmp,
            on_demand_max_concurrent,
            budgets,
            probes,
            link,
        })
    }
}

fn resolve_agent(
    agent: &RawAgent,
    lines: &Lines<'_>,
    agent_at: &Location,
    errors: &mut Vec<ConfigError>,
) -> Concurrency {
    if agent.id.trim().is_empty() {
        errors.push(ConfigError {
            location: agent_at.clone(),
            message: "agent.id must not be empty".into(),
        });
    }
    let defaults = Concurrency::default();
    let Some(raw) = &agent.concurrency else {
        return defaults;
    };
    let at = lines.at(raw.span().start);
    let raw = raw.get_ref();
    let mut limit = |key: &str, value: Option<u32>, default: u32| match value {
        Some(n) if !(1..=MAX_CONCURRENT_RUNS).contains(&n) => {
            errors.push(ConfigError {
                location: at.clone(),
                message: format!(
                    "agent.concurrency.{key} must be 1..={MAX_CONCURRENT_RUNS}, got {n}"
                ),
            });
            default
        }
        Some(n) => n,
        None => default,
    };
    Concurrency {
        overall: limit("overall", raw.overall, defaults.overall),
        icmp: limit("icmp", raw.icmp, defaults.icmp),
        snmp: limit("snmp", raw.snmp, defaults.snmp),
        http: limit("http", raw.http, defaults.http),
        tcp: limit("tcp", raw.tcp, defaults.tcp),
    }
}

const MAX_ECHOES_PER_SEC: u32 = 200_000;
const MAX_ICMP_BURST: u32 = 10_000;

fn resolve_icmp(agent: &RawAgent, lines: &Lines<'_>, errors: &mut Vec<ConfigError>) -> IcmpConfig {
    let mut icmp = IcmpConfig::default();
    let Some(raw) = &agent.icmp else {
        return icmp;
    };
    let at = lines.at(raw.span().start);
    let raw = raw.get_ref();
    let mut check = |key: &str, value: Option<u32>, max: u32, into: &mut u32| match value {
        Some(n) if !(1..=max).contains(&n) => errors.push(ConfigError {
            location: at.clone(),
            message: format!("agent.icmp.{key} must be 1..={max}, got {n}"),
        }),
        Some(n) => *into = n,
        None => {}
    };
    check(
        "echoes_per_sec",
        raw.echoes_per_sec,
        MAX_ECHOES_PER_SEC,
        &mut icmp.echoes_per_sec,
    );
    check("burst", raw.burst, MAX_ICMP_BURST, &mut icmp.burst);
    icmp
}

fn resolve_on_demand(agent: &RawAgent, lines: &Lines<'_>, errors: &mut Vec<ConfigError>) -> u32 {
    let Some(raw) = &agent.on_demand else {
        return DEFAULT_ON_DEMAND_CONCURRENT;
    };
    match raw.get_ref().max_concurrent {
        Some(n) if !(1..=MAX_ON_DEMAND_CONCURRENT).contains(&n) => {
            errors.push(ConfigError {
                location: lines.at(raw.span().start),
                message: format!(
                    "agent.on_demand.max_concurrent must be 1..={MAX_ON_DEMAND_CONCURRENT}, got {n}"
                ),
            });
            DEFAULT_ON_DEMAND_CONCURRENT
        }
        Some(n) => n,
        None => DEFAULT_ON_DEMAND_CONCURRENT,
    }
}

fn resolve_budgets(
    raw: BTreeMap<String, Spanned<RawBudget>>,
    lines: &Lines<'_>,
    errors: &mut Vec<ConfigError>,
) -> BTreeMap<String, Budget> {
    let mut budgets = BTreeMap::new();
    for (name, spanned) in raw {
        let location = lines.at(spanned.span().start);
        let RawBudget { calls, per_secs } = spanned.into_inner();
        let mut fail = |message: String| {
            errors.push(ConfigError {
                location: location.clone(),
                message: format!("budget `{name}`: {message}"),
            });
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            fail("a budget name is [a-z0-9_-]".into());
        } else if !(1..=MAX_BUDGET_CALLS).contains(&calls) {
            fail(format!("calls must be 1..={MAX_BUDGET_CALLS}, got {calls}"));
        } else if per_secs == 0 {
            fail("per_secs must be at least 1".into());
        } else {
            let per = Duration::from_secs(per_secs);
            budgets.insert(name, Budget { calls, per });
        }
    }
    budgets
}

#[cfg(test)]
mod tests;
