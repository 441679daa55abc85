//! Shared helpers: finding the built components, a host, requests, and the survival check.

use std::path::PathBuf;
use std::time::Duration;

use vigia_plugin_host::{
    Grants, HostConfig, Limits, Plugin, PluginHost, RunOutcome, RunRequest, Target,
};

/// `target/plugins` of this workspace (or `$VIGIA_PLUGIN_DIR`).
pub fn plugin_dir() -> PathBuf {
    match std::env::var_os("VIGIA_PLUGIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins"),
    }
}

/// The bytes of a built component: `ping` or `test-guests/spin`. Panics, naming the command that
/// builds it, when it is missing.
pub fn wasm(name: &str) -> Vec<u8> {
    let path = plugin_dir().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `cargo xtask plugins` to build the plugins first",
            path.display()
        )
    })
}

pub fn host() -> PluginHost {
    host_with(HostConfig::default())
}

pub fn host_with(config: HostConfig) -> PluginHost {
    PluginHost::new(HostConfig {
        max_instances: 16,
        ..config
    })
    .expect("host builds")
}

pub async fn load(host: &PluginHost, name: &str) -> Plugin {
    host.load(&wasm(name), &format!("{name}.wasm"))
        .await
        .unwrap_or_else(|e| panic!("cannot load {name}: {e}"))
}

pub fn target(id: &str, address: &str) -> Target {
    Target {
        id: id.into(),
        address: address.into(),
        labels: vec![("site".into(), "lab".into())],
    }
}

pub fn request(config: serde_json::Value, targets: Vec<Target>, grants: Grants) -> RunRequest {
    RunRequest {
        config,
        targets,
        grants,
        limits: Limits {
            deadline: Duration::from_secs(5),
            ..Limits::default()
        },
    }
}

/// Runs the bench guest normally on `host` and asserts it completes: the host survived whatever
/// ran before.
pub async fn assert_host_survives(host: &PluginHost) {
    let bench = load(host, "test-guests/bench").await;
    let report = host
        .run(
            &bench,
            request(
                serde_json::json!({}),
                vec![target("t1", "127.0.0.1")],
                Grants::none(),
            ),
        )
        .await;
    assert!(
        matches!(report.outcome, RunOutcome::Completed(_)),
        "a normal run after a bad one must complete, got {:?}",
        report.outcome
    );
}
