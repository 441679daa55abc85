//! `cargo xtask`: everything CI does, one command each.
//!
//! - `cargo xtask plugins`: build every plugin in `plugins/` into `target/plugins/<id>.wasm`.
//! - `cargo xtask test`: install what tests need, build plugins, lint, run every test.
//! - `cargo xtask demo`: build everything and run the main job on embedded defaults.
//! - `cargo xtask bench <suite>`: run a benchmark that prints figures.
//!
//! It does not replace cargo: plain `cargo test` works for the host crates once plugins are built.

mod bench;
mod cmd;
mod demo;
mod plugins;
mod pyenv;
mod test;
#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Vigia build automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build every plugin into target/plugins/<id>.wasm (and test guests into target/plugins/test-guests/).
    Plugins,
    /// Install test prerequisites, build plugins, check formatting and lints, run every test.
    Test(test::Args),
    /// Build everything and run the demo: the ping plugin through the agent against loopback, then
    /// the simulated ISP with an agent, ending in the diagnosis API (a fault injected and diagnosed).
    Demo,
    /// Run a benchmark that prints figures.
    Bench {
        #[arg(value_enum)]
        suite: bench::Suite,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    match cli.command {
        Command::Plugins => plugins::build_all(&root).map(|_| ()),
        Command::Test(args) => test::run(&root, &args),
        Command::Demo => demo::run(&root),
        Command::Bench { suite } => bench::run(&root, suite),
    }
}

/// The repository root (the parent of `xtask/`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
