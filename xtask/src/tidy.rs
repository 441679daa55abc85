//! Architecture rules checked mechanically, as tests (`cargo test -p xtask`).
//!
//! - Only the crates named in [`ALLOWED_DIRECT_DEPS`] may depend on wasmtime, tonic or prost.
//! - The published SDK depends on nothing internal; `vigia-core` does no I/O (serde only).
//! - Every dependency's licence allows use: at least one alternative of its SPDX expression is
//!   not copyleft-network or strong copyleft (no AGPL, GPL, SSPL, BUSL, EUPL).
//! - Every crate root starts with a `//!` doc saying what the crate does and does not do.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Which workspace crates may depend directly on which guarded dependencies.
const ALLOWED_DIRECT_DEPS: &[(&str, &[&str])] = &[
    ("wasmtime", &["vigia-plugin-host"]),
    ("wasmtime-wasi", &["vigia-plugin-host"]),
    ("tonic", &["vigia-proto", "vigia-ingest", "vigia-uplink"]),
    ("tonic-prost", &["vigia-proto"]),
    ("prost", &["vigia-proto", "vigia-ingest"]),
    ("prost-types", &["vigia-proto"]),
];

const COPYLEFT: &[&str] = &["AGPL", "GPL", "SSPL", "BUSL", "EUPL"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn metadata(manifest: &Path) -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn workspace_members(meta: &Value) -> Vec<&Value> {
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| members.contains(&p["id"].as_str().unwrap()))
        .collect()
}

/// True when some alternative of the SPDX expression is free of copyleft terms.
fn licence_allows_use(expression: &str) -> bool {
    let normalized = expression.replace('/', " OR ").replace(['(', ')'], " ");
    normalized
        .split(" OR ")
        .any(|alternative| !COPYLEFT.iter().any(|bad| alternative.contains(bad)))
}

#[test]
fn guarded_dependencies_stay_in_their_crates() {
    let meta = metadata(&root().join("Cargo.toml"));
    let mut violations = Vec::new();
    for package in workspace_members(&meta) {
        let name = package["name"].as_str().unwrap();
        for dep in package["dependencies"].as_array().unwrap() {
            let dep_name = dep["name"].as_str().unwrap();
            if dep["kind"].as_str() == Some("dev") {
                continue;
            }
            if let Some((_, allowed)) = ALLOWED_DIRECT_DEPS
                .iter()
                .find(|(guarded, _)| *guarded == dep_name)
                && !allowed.contains(&name)
            {
                violations.push(format!(
                    "{name} depends on {dep_name} (only {allowed:?} may)"
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn sdk_core_correlate_triage_and_search_stay_independent() {
    let meta = metadata(&root().join("Cargo.toml"));
    for package in workspace_members(&meta) {
        let name = package["name"].as_str().unwrap();
        let deps: Vec<&Value> = package["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .collect();
        if name == "vigia-plugin-sdk" {
            let internal: Vec<&str> = deps
                .iter()
                .filter(|d| d["path"].is_string())
                .map(|d| d["name"].as_str().unwrap())
                .collect();
            assert!(
                internal.is_empty(),
                "the published SDK depends on internal crates {internal:?}"
            );
        }
        if name == "vigia-correlate" {
            let names: Vec<&str> = deps.iter().map(|d| d["name"].as_str().unwrap()).collect();
            let io_free = ["serde", "thiserror", "vigia-core"];
            assert!(
                names.iter().all(|n| io_free.contains(n)),
                "vigia-correlate must stay pure (no I/O, no clock): it depends on {names:?}, only {io_free:?} allowed"
            );
        }
        // The triage and the search index are pure too: facts in, answers out.
        for (pure, allowed) in [
            ("vigia-triage", &["serde", "utoipa"][..]),
            (
                "vigia-search",
                &["serde", "thiserror", "memchr", "unicode-normalization"][..],
            ),
        ] {
            if name == pure {
                let names: Vec<&str> = deps.iter().map(|d| d["name"].as_str().unwrap()).collect();
                assert!(
                    names.iter().all(|n| allowed.contains(n)),
                    "{pure} must stay pure (no I/O, no clock): it depends on {names:?}, only {allowed:?} allowed"
                );
            }
        }
        if name == "vigia-core" {
            let names: Vec<&str> = deps.iter().map(|d| d["name"].as_str().unwrap()).collect();
            assert_eq!(
                names,
                ["serde"],
                "vigia-core must stay I/O-free (serde only)"
            );
        }
    }
}

#[test]
fn every_dependency_licence_allows_use() {
    let mut refused = Vec::new();
    for manifest in [root().join("Cargo.toml"), root().join("plugins/Cargo.toml")] {
        let meta = metadata(&manifest);
        for package in meta["packages"].as_array().unwrap() {
            let name = package["name"].as_str().unwrap();
            match package["license"].as_str() {
                Some(expression) if licence_allows_use(expression) => {}
                Some(expression) => refused.push(format!("{name}: {expression}")),
                None => refused.push(format!("{name}: no SPDX licence expression")),
            }
        }
    }
    assert!(
        refused.is_empty(),
        "dependencies whose licence does not allow use: {refused:#?}"
    );
}

#[test]
fn licence_rule_examples() {
    assert!(licence_allows_use("MIT OR Apache-2.0"));
    assert!(licence_allows_use("MIT OR Apache-2.0 OR LGPL-2.1-or-later"));
    assert!(licence_allows_use("Apache-2.0/MIT"));
    assert!(licence_allows_use("(MIT OR Apache-2.0) AND Unicode-3.0"));
    assert!(!licence_allows_use("AGPL-3.0-only"));
    assert!(!licence_allows_use("GPL-2.0-or-later"));
}

#[test]
fn every_crate_root_has_a_crate_doc() {
    let mut missing = Vec::new();
    for manifest in [root().join("Cargo.toml"), root().join("plugins/Cargo.toml")] {
        let meta = metadata(&manifest);
        for package in workspace_members(&meta) {
            for target in package["targets"].as_array().unwrap() {
                let kinds: Vec<&str> = target["kind"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap())
                    .collect();
                if !kinds
                    .iter()
                    .any(|k| matches!(*k, "lib" | "bin" | "cdylib" | "rlib"))
                {
                    continue;
                }
                let path = PathBuf::from(target["src_path"].as_str().unwrap());
                let text = std::fs::read_to_string(&path).unwrap();
                if !text.trim_start().starts_with("//!") {
                    missing.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "crate roots without a `//!` doc: {missing:#?}"
    );
}
