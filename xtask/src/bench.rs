//! `cargo xtask bench <suite>`: benchmarks that print figures next to their goals.

use std::path::Path;

use anyhow::Result;

use crate::{cmd, plugins};

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Suite {
    /// Cost of one plugin run (new store + instantiate + run with two host calls) and of one host call.
    /// Goals on a 2-core machine: run <= 50 µs, host call <= 5 µs.
    PluginHost,
}

pub(crate) fn run(root: &Path, suite: Suite) -> Result<()> {
    match suite {
        Suite::PluginHost => {
            plugins::build_all(root)?;
            cmd::run(
                root,
                "cargo",
                &["bench", "-p", "vigia-plugin-host", "--bench", "plugin_run"],
            )
        }
    }
}
