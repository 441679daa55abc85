//! `cargo xtask test`: the one command that runs every check CI runs.
//!
//! Order: toolchain check, test prerequisites (Debian packages, the Python test peers), plugin build, formatting, lints,
//! native plugin tests, workspace tests. Each step fails the whole run.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::{cmd, plugins, pyenv};

/// Packages the test suite needs besides the plugin toolchain (which `plugins` installs itself).
/// PostgreSQL: the store's second backend is tested against a real server (a throwaway cluster
/// the tests start). python3-venv: for the Python test peers (`pyenv`).
const TEST_PACKAGES: &[&str] = &[
    "iproute2",
    "snmp",
    "snmpd",
    "nftables",
    "curl",
    "fping",
    "postgresql",
    "python3-venv",
];

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Skip `cargo fmt --check` and `cargo clippy` (faster local iterations).
    #[arg(long)]
    no_lint: bool,
}

pub(crate) fn run(root: &Path, args: &Args) -> Result<()> {
    check_toolchain(root)?;
    cmd::apt_install(TEST_PACKAGES)?;
    pyenv::ensure(root)?;
    plugins::build_all(root)?;
    if !args.no_lint {
        lint(root)?;
    }
    plugins::test_native(root)?;
    // The end-to-end tests (e2e/) start the agent and aggregator binaries.
    cmd::run(root, "cargo", &["build", "--workspace", "--bins"])?;
    cmd::run(
        root,
        "cargo",
        &["test", "--workspace", "--all-targets", "--no-fail-fast"],
    )?;
    cmd::run(root, "cargo", &["test", "--workspace", "--doc"])?;
    eprintln!("xtask test: all checks passed");
    Ok(())
}

fn lint(root: &Path) -> Result<()> {
    cmd::run(root, "cargo", &["fmt", "--all", "--check"])?;
    cmd::run(
        root,
        "cargo",
        &[
            "fmt",
            "--all",
            "--check",
            "--manifest-path",
            "plugins/Cargo.toml",
        ],
    )?;
    cmd::run(
        root,
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    cmd::run(
        root,
        "cargo",
        &[
            "clippy",
            "--manifest-path",
            "plugins/Cargo.toml",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )
}

/// The host workspace is pinned to Rust 1.95 (wasmtime 48 needs >= 1.95; newer wasmtime needs newer Rust).
fn check_toolchain(root: &Path) -> Result<()> {
    let version = cmd::output(Command::new("rustc").arg("--version").current_dir(root))?;
    if !version.starts_with("rustc 1.95.") {
        bail!(
            "the workspace is pinned to Rust 1.95 (rust-version in Cargo.toml), found `{}`",
            version.trim()
        );
    }
    Ok(())
}
