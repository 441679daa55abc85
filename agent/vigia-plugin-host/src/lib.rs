//! Runs Vigia plugins: WebAssembly components targeting the `vigia:plugin@0.1.0` world
//! (`plugin-sdk/wit`), with granted capabilities and hard limits. This is the only crate that
//! sees wasmtime.
//!
//! # Use
//!
//! 1. [`PluginHost::new`] once per process: engine (pooling allocator, epoch interruption), the
//!    linker with every import, a background epoch ticker, a compile cache.
//! 2. [`PluginHost::load`] / [`PluginHost::load_file`]: compile (once per distinct binary), check
//!    the exported contract version against [`SUPPORTED_WIT_VERSIONS`], call `describe`, validate
//!    it. [`Plugin::validate_config`] checks a probe's config against the plugin's schema.
//! 3. [`PluginHost::run`]: a fresh store and instance per run, with the operator's [`Grants`] and
//!    the run's [`Limits`]; the [`RunReport`] holds observations, a classified plugin failure, or
//!    a [`Fault`].
//!
//! # Invariants
//!
//! - **Plugins do no I/O except through granted capabilities.** Every import call is counted
//!   against the run's budget and checked against the probe's grants; an ungranted call returns
//!   `host-error::denied` naming the missing grant and where to add it. Third-party
//!   `wasm32-wasip2` components get a locked-down WASI: no files, env, args or network.
//! - **Every guest failure becomes a [`Fault`], never a host crash.** Deadlines (epoch callback
//!   for guest code, tokio timeout for host calls), memory (a limiter that traps), host call
//!   budget and output size are enforced per run; traps and panics are classified. Nothing here
//!   panics on guest input, and the host keeps serving the next run.
//! - **Vendor call budgets hold across runs.** A probe whose grants name a [`Budget`] spends one
//!   token per HTTP request and TCP connect from a bucket shared by every run on the host; an
//!   empty bucket refuses the call with `budget-exhausted` before any network I/O (see
//!   [`HostConfig::budgets`]).
//! - Each run is isolated: a fresh store, instance, resource table and WASI context.
//!
//! # Not here
//!
//! Scheduling, the agent config file, spooling and uplink (`vigia-agent`, `vigia-spool`,
//! `vigia-uplink`). The `snmp` capability is grant-checked but answers `unavailable` until its
//! backend lands. No fuel metering: deadlines are wall-clock.

#[doc(hidden)]
pub mod bench;
mod bindings;
mod budget;
mod cache;
mod capability;
mod clock;
mod convert;
mod engine;
mod error;
mod grants;
mod limits;
mod load;
mod plugin;
mod run;
mod state;
mod wasi;

pub use budget::{Budget, MAX_BUDGET_CALLS};
pub use capability::icmp::{IcmpConfig, IcmpSocketInfo, SocketKind};
pub use capability::kv::{FileKv, KvError, KvLimits, KvStore, MemoryKv};
pub use capability::log::{LogLevel, LogLine};
pub use capability::secrets::{FileSecrets, SecretMap, SecretStore, SecretsError};
pub use engine::{HostConfig, PluginHost};
pub use error::{ConfigError, ConfigViolation, HostError, LoadError};
pub use grants::{GrantError, Grants};
pub use limits::Limits;
pub use load::SUPPORTED_WIT_VERSIONS;
pub use plugin::{Capability, Plugin, PluginInfo};
pub use run::{Fault, FaultKind, RunOutcome, RunReport, RunRequest, RunStats, Target};

/// An error and its sources, joined with `: ` (for messages that cross to the guest or a log).
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = e.source();
    }
    text
}
