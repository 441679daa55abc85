//! `cargo xtask plugins`: builds the plugin workspace into wasm components.

use std::path::{Path, PathBuf};

use anyhow::Result;

/// Builds every plugin; returns the paths of the `.wasm` files written.
pub(crate) fn build_all(_root: &Path) -> Result<Vec<PathBuf>> {
    anyhow::bail!("not written yet")
}
