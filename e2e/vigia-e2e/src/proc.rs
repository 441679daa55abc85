//! A binary started inside a network namespace, its stdout and stderr captured to a file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::Duration;

use crate::lab::Lab;
use crate::wait::wait_until;

/// A running process; killed (SIGKILL) on drop if still running.
pub struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Starts `bin args` in namespace `ns`, appending its output to `log` (kept across restarts
    /// of the same component so a failure shows the whole story).
    pub fn spawn(name: &str, ns: &str, bin: &Path, args: &[&str], log: &Path) -> Self {
        Self::start(
            name,
            Lab::command(ns, bin.to_str().expect("utf-8 path")),
            args,
            log,
        )
    }

    /// Starts `bin args` in this process's own namespace (for tests on loopback only), with
    /// extra environment variables.
    pub fn spawn_here(
        name: &str,
        bin: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        log: &Path,
    ) -> Self {
        let mut command = std::process::Command::new(bin);
        command.envs(env.iter().copied());
        Self::start(name, command, args, log)
    }

    fn start(name: &str, mut command: std::process::Command, args: &[&str], log: &Path) -> Self {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("open log file");
        let err = out.try_clone().expect("clone log handle");
        let child = command
            .args(args)
            .env("VIGIA_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
            log: log.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process (and its earlier runs sharing the log) printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle` (at least `times` times).
    pub fn wait_for_log(&mut self, needle: &str, times: usize, timeout: Duration) {
        let name = self.name.clone();
        wait_until(&format!("{name} to log {needle:?}"), timeout, || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{name} exited ({status}) before logging {needle:?}; log:\n{}",
                    self.log()
                );
            }
            (self.log().matches(needle).count() >= times).then_some(())
        });
    }

    /// SIGKILL, as a power cut would: no shutdown step runs.
    pub fn kill9(mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().expect("wait for killed child")
    }

    /// SIGTERM, then waits for a clean exit within `timeout`.
    pub fn terminate(mut self, timeout: Duration) -> ExitStatus {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid} failed");
        let name = self.name.clone();
        wait_until(&format!("{name} to exit after SIGTERM"), timeout, || {
            self.child.try_wait().expect("try_wait")
        })
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
