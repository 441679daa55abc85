//! Loading: bad binaries, contract versions, describe, config validation, the compile cache.

use vigia_plugin_host::{LoadError, SUPPORTED_WIT_VERSIONS};

use crate::support::{assert_host_survives, host, load, wasm};

/// The smallest valid component (preamble only): exports nothing.
const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";
/// The smallest valid core module: not a component.
const EMPTY_CORE_MODULE: &[u8] = b"\0asm\x01\x00\x00\x00";

#[tokio::test]
async fn garbage_bytes_are_a_load_error_naming_the_file() {
    let host = host();
    let err = host
        .load(b"this is not wasm at all", "junk.wasm")
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::Compile { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("plugin 'junk.wasm' is not a valid WebAssembly component"),
        "{err}"
    );

    let err = host.load(EMPTY_CORE_MODULE, "core.wasm").await.unwrap_err();
    assert!(matches!(err, LoadError::Compile { .. }), "{err:?}");
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn a_component_without_the_probe_export_is_not_a_plugin() {
    let err = host()
        .load(EMPTY_COMPONENT, "empty.wasm")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LoadError::NotAPlugin { exports, .. } if exports.is_empty()),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "plugin 'empty.wasm' does not export vigia:plugin/probe (its exports: none)"
    );
}

#[tokio::test]
async fn a_missing_file_is_a_read_error_naming_it() {
    let err = host()
        .load_file("/nonexistent/vigia/ping.wasm")
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "cannot read plugin file /nonexistent/vigia/ping.wasm"
    );
}

#[tokio::test]
async fn a_future_contract_version_is_refused_with_plugin_wanted_and_supported_versions() {
    let host = host();
    let err = host
        .load(&wasm("test-guests/future-wit"), "future-wit.wasm")
        .await
        .unwrap_err();
    match &err {
        LoadError::UnsupportedVersion {
            plugin,
            wanted,
            supported,
        } => {
            assert_eq!(plugin, "future-wit.wasm");
            assert_eq!(wanted, "9.0.0");
            assert_eq!(
                supported,
                &SUPPORTED_WIT_VERSIONS
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
            );
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
    let text = err.to_string();
    for needle in ["future-wit", "9.0.0", "0.1.0"] {
        assert!(text.contains(needle), "{text} should name {needle}");
    }
    assert_host_survives(&host).await;
}

#[tokio::test]
async fn loading_the_same_bytes_twice_compiles_once() {
    let host = host();
    let first = load(&host, "ping").await;
    let second = load(&host, "ping").await;
    assert_eq!(host.compile_count(), 1);
    assert!(first.shares_code_with(&second));
    assert_eq!(first.info(), second.info());
    let bench = load(&host, "test-guests/bench").await;
    assert_eq!(host.compile_count(), 2);
    assert!(!bench.shares_code_with(&first));
}
