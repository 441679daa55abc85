//! Shared setup of the simulator's integration tests: the example scenario served on ephemeral
//! ports, and the real plugin host running a built plugin (`target/plugins/<id>.wasm`, from
//! `cargo xtask plugins`, or `$VIGIA_PLUGIN_DIR`).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use vigia_plugin_host::{
    Grants, HostConfig, KvLimits, Limits, MemoryKv, Plugin, PluginHost, RunOutcome, RunReport,
    RunRequest, SecretMap, Target,
};
use vigia_sim::{Running, Scenario, Sim};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example scenario, parsed.
pub fn example() -> Scenario {
    Scenario::load(&root().join("sim/scenarios/small-isp.toml"))
        .expect("the example scenario loads")
}

/// The example ISP, served on ephemeral loopback ports.
pub async fn serve_example() -> (Arc<Sim>, Running) {
    let sim = Sim::new(example());
    let running = vigia_sim::start(sim.clone(), true)
        .await
        .expect("the simulator starts");
    (sim, running)
}

/// Where the built plugins are.
pub fn plugin_dir() -> PathBuf {
    match std::env::var_os("VIGIA_PLUGIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("target/plugins"),
    }
}

/// A plugin host with these secrets and an in-memory kv store (kept across runs of this host).
pub fn host(secrets: &[(&str, &str)]) -> PluginHost {
    let values: HashMap<String, String> = secrets
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let config = HostConfig {
        secrets: Arc::new(SecretMap::new(values)),
        kv: Arc::new(MemoryKv::new(KvLimits::default())),
        ..HostConfig::default()
    };
    PluginHost::new(config).expect("the plugin host starts")
}

/// Loads `<plugin_dir>/<id>.wasm`; a missing file fails loudly with the command that builds it.
pub async fn load(host: &PluginHost, id: &str) -> Plugin {
    let path = plugin_dir().join(format!("{id}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run `cargo xtask plugins` first",
        path.display()
    );
    host.load_file(&path).await.expect("the plugin loads")
}

/// Runs a plugin once with `config` over `targets` (`(id, address)`), granted `grants`.
pub async fn run(
    host: &PluginHost,
    plugin: &Plugin,
    config: serde_json::Value,
    targets: &[(&str, &str)],
    grants: Grants,
) -> RunReport {
    plugin
        .validate_config(&config)
        .expect("the config is valid");
    let request = RunRequest {
        config,
        targets: targets
            .iter()
            .map(|(id, address)| Target {
                id: (*id).to_owned(),
                address: (*address).to_owned(),
                labels: Vec::new(),
            })
            .collect(),
        grants,
        limits: Limits {
            deadline: Duration::from_secs(30),
            ..Limits::default()
        },
    };
    host.run(plugin, request).await
}

/// The observations of a completed run; anything else fails the test with the run's story.
pub fn completed(report: RunReport) -> Vec<vigia_core::Observation> {
    match report.outcome {
        RunOutcome::Completed(observations) => observations,
        other => panic!(
            "the run did not complete: {other:?}; logs: {:?}",
            report.logs
        ),
    }
}
