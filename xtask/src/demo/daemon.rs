//! [`Daemon`]: a long-running child of the demo (aggregator, agent, simulator) that is stopped
//! when its guard drops, on every exit path: success, error or Ctrl-C.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How long a daemon gets to exit after SIGTERM before it is killed.
const GRACE: Duration = Duration::from_secs(20);

/// A running child; dropping it sends SIGTERM, waits (bounded), then kills.
pub(crate) struct Daemon {
    name: String,
    child: Child,
    /// Where its output goes, when not to the terminal.
    log: Option<PathBuf>,
}

impl Daemon {
    /// Starts `command` with its output inherited (or as the command set it up).
    pub(crate) fn spawn(name: &str, command: &mut Command) -> Result<Self> {
        eprintln!("$ {}", describe(command));
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log: None,
        })
    }

    /// Starts `command` with stdout and stderr appended to `log`.
    pub(crate) fn spawn_logged(name: &str, command: &mut Command, log: &Path) -> Result<Self> {
        let file = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let err = file.try_clone()?;
        command.stdout(Stdio::from(file)).stderr(Stdio::from(err));
        let mut daemon = Self::spawn(name, command)?;
        eprintln!("  ({name}'s output: {})", log.display());
        daemon.log = Some(log.to_owned());
        Ok(daemon)
    }

    pub(crate) fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Its log so far (empty when its output is not logged to a file).
    pub(crate) fn log(&self) -> String {
        self.log
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    /// Fails, with the end of its log, when it has exited.
    pub(crate) fn check_running(&mut self) -> Result<()> {
        let Some(status) = self.child.try_wait()? else {
            return Ok(());
        };
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        anyhow::bail!(
            "{} exited ({status}); the end of its output:\n{tail}",
            self.name
        )
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // The child is not reaped yet, so its pid cannot have been reused.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "{} did not stop within {GRACE:?} of SIGTERM: killing it",
            self.name
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command line, for echoing.
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}
