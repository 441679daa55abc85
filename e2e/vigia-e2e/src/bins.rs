//! Locating the workspace's binaries next to the running test.

use std::path::PathBuf;

/// `target/<profile>/<name>`, found from the test executable's location
/// (`target/<profile>/deps/<test>-<hash>`). Panics with the command to run when it is missing.
pub fn path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in target/<profile>/deps");
    let bin = profile_dir.join(name);
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --bins` (cargo xtask test does) before these tests",
        bin.display()
    );
    bin
}
