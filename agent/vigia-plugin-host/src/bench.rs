//! Not API: hooks for `benches/plugin_run.rs` to time the parts of a run separately (a warm
//! instance whose exports are called repeatedly). Production runs always use a fresh instance.

use wasmtime::Store;

use crate::bindings::Plugin as PluginWorld;
use crate::run::{Stage, classify};
use crate::state::HostState;
use crate::{Fault, Grants, Limits, Plugin, PluginHost, Target, convert};

/// One instance kept alive across calls.
pub struct WarmInstance {
    store: Store<HostState>,
    instance: PluginWorld,
}

impl WarmInstance {
    /// Instantiates `plugin` once, with no host call budget and the deadline of `limits`.
    pub async fn new(
        host: &PluginHost,
        plugin: &Plugin,
        grants: Grants,
        limits: Limits,
    ) -> Result<Self, Fault> {
        let limits = Limits {
            max_host_calls: u32::MAX,
            ..limits
        };
        let mut store = host.new_store(plugin.info().id.clone(), grants, limits, 1);
        match plugin
            .inner
            .compiled
            .pre
            .instantiate_async(&mut store)
            .await
        {
            Ok(instance) => Ok(Self { store, instance }),
            Err(e) => Err(classify(Stage::Instantiate, &e, store.data())),
        }
    }

    pub async fn describe(&mut self) -> Result<(), Fault> {
        let probe = self.instance.vigia_plugin_probe();
        match probe.call_describe(&mut self.store).await {
            Ok(_) => Ok(()),
            Err(e) => Err(classify(Stage::Call, &e, self.store.data())),
        }
    }

    /// Calls `run`; returns the number of observations (or 0 when the plugin reported a failure).
    pub async fn run(&mut self, config: &str, targets: &[Target]) -> Result<usize, Fault> {
        let targets: Vec<_> = targets.iter().map(convert::target).collect();
        let probe = self.instance.vigia_plugin_probe();
        match probe.call_run(&mut self.store, config, &targets).await {
            Ok(result) => Ok(result.map_or(0, |obs| obs.len())),
            Err(e) => Err(classify(Stage::Call, &e, self.store.data())),
        }
    }

    /// Host calls made by this instance so far.
    pub fn host_calls(&self) -> u32 {
        self.store.data().host_calls
    }
}
