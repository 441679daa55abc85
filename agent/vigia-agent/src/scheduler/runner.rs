//! The seam between the scheduler and the plugin host: [`Runner`] runs one batch of targets.
//! Production uses [`PluginRunner`] (the real host); the scheduler's tests use a fake, so the
//! schedule logic is tested without wasm.

use std::future::Future;
use std::pin::Pin;

use vigia_plugin_host::{Plugin, PluginHost, RunReport, RunRequest};

/// A boxed, sendable future: what the scheduler's traits return (they are used as trait objects).
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs a plugin once over the request's targets. Never fails: every outcome is in the report.
pub(crate) trait Runner: Send + Sync {
    fn run(&self, request: RunRequest) -> BoxFuture<'static, RunReport>;
}

/// Runs one loaded plugin on the plugin host.
pub(crate) struct PluginRunner {
    host: PluginHost,
    plugin: Plugin,
}

impl PluginRunner {
    pub(crate) fn new(host: PluginHost, plugin: Plugin) -> Self {
        Self { host, plugin }
    }
}

impl Runner for PluginRunner {
    fn run(&self, request: RunRequest) -> BoxFuture<'static, RunReport> {
        let host = self.host.clone();
        let plugin = self.plugin.clone();
        Box::pin(async move { host.run(&plugin, request).await })
    }
}
