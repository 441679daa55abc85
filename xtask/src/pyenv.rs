//! Python test peers: a virtualenv under `target/pyenv` with the pinned tools the tests run
//! (Schemathesis against the REST API's OpenAPI document). Made once, reused while the pins hold.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cmd;

/// Pinned so a run today and a run next month test against the same checks.
const PACKAGES: &[&str] = &["schemathesis==4.32.5"];

/// The virtualenv's directory.
pub(crate) fn dir(root: &Path) -> PathBuf {
    root.join("target/pyenv")
}

/// Creates the virtualenv if needed and installs the pinned packages into it.
pub(crate) fn ensure(root: &Path) -> Result<()> {
    let env = dir(root);
    let stamp = env.join("vigia-packages.txt");
    let wanted = PACKAGES.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|have| have == wanted) {
        return Ok(());
    }
    let env_str = env.to_str().context("target directory is not UTF-8")?;
    cmd::run(root, "python3", &["-m", "venv", env_str])?;
    let pip = env.join("bin/pip");
    let pip = pip.to_str().context("target directory is not UTF-8")?;
    let mut args = vec!["install", "--quiet", "--disable-pip-version-check"];
    args.extend_from_slice(PACKAGES);
    cmd::run(root, pip, &args)?;
    std::fs::write(&stamp, wanted).with_context(|| format!("cannot write {}", stamp.display()))
}
