//! Python test peers: a virtualenv under `target/pyenv` with the pinned tools the tests run
//! (Schemathesis against the REST API's OpenAPI document, librouteros against the simulated
//! RouterOS API, snmpsim serving the device recordings). Made once, reused while the pins and the
//! interpreter hold.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cmd;

/// Pinned so a run today and a run next month test against the same checks.
const PACKAGES: &[&str] = &[
    "schemathesis==4.32.5",
    "librouteros==4.2.2",
    // snmpsim and what it runs on: serves the device recordings to the snmp plugin tests.
    "snmpsim==1.2.2",
    "pysnmp==7.1.30",
    "pysmi==2.0.0",
    "pyasn1==0.6.5",
];

/// Debian's interpreter: snmpsim drops root privileges to `nobody` after binding, and a venv
/// whose interpreter lives under root's home (pyenv) is unreadable to `nobody`. `target/` is
/// world-readable, so a venv made from `/usr/bin/python3` there is too.
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// The virtualenv's directory.
pub(crate) fn dir(root: &Path) -> PathBuf {
    root.join("target/pyenv")
}

/// Creates the virtualenv if needed and installs the pinned packages into it.
pub(crate) fn ensure(root: &Path) -> Result<()> {
    let env = dir(root);
    let stamp = env.join("vigia-packages.txt");
    let python = if Path::new(SYSTEM_PYTHON).exists() {
        SYSTEM_PYTHON
    } else {
        "python3"
    };
    let wanted = format!("python: {python}\n{}", PACKAGES.join("\n"));
    if std::fs::read_to_string(&stamp).is_ok_and(|have| have == wanted) {
        return Ok(());
    }
    let env_str = env.to_str().context("target directory is not UTF-8")?;
    cmd::run(root, python, &["-m", "venv", "--clear", env_str])?;
    let pip = env.join("bin/pip");
    let pip = pip.to_str().context("target directory is not UTF-8")?;
    let mut args = vec!["install", "--quiet", "--disable-pip-version-check"];
    args.extend_from_slice(PACKAGES);
    cmd::run(root, pip, &args)?;
    std::fs::write(&stamp, wanted).with_context(|| format!("cannot write {}", stamp.display()))
}
