//! A `vigia-aggregator serve` child: started with a config, ready when it prints `listening on`,
//! its CPU time from `/proc/<pid>/stat`, stopped with SIGTERM (SIGKILL after a grace period, and
//! always on drop).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::lab::check_interrupted;
use crate::cmd;

/// Bound on the aggregator's start (store open, live state restore).
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// After SIGTERM, how long the aggregator gets to flush and exit before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(60);

/// Forwards every line `reader` yields to the returned channel (and to `log`), on a thread that
/// ends at end of file. Keeps the pipe drained so the child never blocks on it.
pub(super) fn watch_lines(
    reader: impl Read + Send + 'static,
    log: Option<File>,
) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut log = log;
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if let Some(file) = log.as_mut() {
                let _ = std::io::Write::write_all(file, format!("{line}\n").as_bytes());
            }
            // The receiver may be gone; keep draining anyway.
            let _ = tx.send(line);
        }
    });
    rx
}

/// Waits for a line starting with `prefix` and returns the rest; fails when the stream ends or
/// `timeout` passes first.
pub(super) fn wait_for_line(
    lines: &Receiver<String>,
    prefix: &str,
    timeout: Duration,
    what: &str,
) -> Result<String> {
    let deadline = Instant::now() + timeout;
    loop {
        check_interrupted()?;
        let left = deadline.saturating_duration_since(Instant::now());
        // Wake up now and then to notice Ctrl-C.
        match lines.recv_timeout(left.min(Duration::from_millis(500))) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return Ok(rest.trim().to_owned());
                }
            }
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
            Err(RecvTimeoutError::Timeout) => bail!("{what}: no `{prefix}` within {timeout:?}"),
            Err(RecvTimeoutError::Disconnected) => bail!("{what} ended before `{prefix}`"),
        }
    }
}

/// A running `vigia-aggregator serve`; killed when dropped unless [`stop`](Self::stop)ped.
pub(super) struct Aggregator {
    child: Option<Child>,
    pub(super) ingest: SocketAddr,
    pub(super) api: Option<SocketAddr>,
    log: PathBuf,
}

impl Aggregator {
    /// Starts `serve --config config`, its stderr going to `log`; returns once it listens.
    pub(super) fn start(binary: &Path, config: &Path, log: &Path) -> Result<Self> {
        let stderr =
            File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .args(["serve", "--log-filter", "warn", "--config"])
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        eprintln!("$ {} serve --config {}", binary.display(), config.display());
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let mut aggregator = Self {
            child: Some(child),
            ingest: SocketAddr::from(([127, 0, 0, 1], 0)),
            api: None,
            log: log.to_path_buf(),
        };
        let lines = watch_lines(stdout, None);
        // `api listening on` (when there is an [api] section) comes before `listening on`.
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = wait_for_line(&lines, "", left, "vigia-aggregator serve")
                .map_err(|error| error.context(aggregator.log_tail()))?;
            if let Some(addr) = line.strip_prefix("api listening on ") {
                aggregator.api = Some(addr.trim().parse().context("api address")?);
            } else if let Some(addr) = line.strip_prefix("listening on ") {
                aggregator.ingest = addr.trim().parse().context("ingest address")?;
                return Ok(aggregator);
            }
        }
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// User + system CPU seconds the aggregator has used so far.
    pub(super) fn cpu_seconds(&self) -> Result<f64> {
        cpu_seconds(self.pid())
    }

    /// Waits (bounded) until the aggregator uses less than a tenth of a core over a second: the
    /// work queued by the previous load is done. Returns whether it became idle.
    pub(super) fn wait_idle(&self, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        let mut before = self.cpu_seconds()?;
        while Instant::now() < deadline {
            check_interrupted()?;
            // A sampling interval, not a wait for readiness.
            std::thread::sleep(Duration::from_secs(1));
            let now = self.cpu_seconds()?;
            if now - before < 0.1 {
                return Ok(true);
            }
            before = now;
        }
        Ok(false)
    }

    /// The last lines of its log, for error messages.
    pub(super) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        format!("aggregator log {}:\n{tail}", self.log.display())
    }

    /// SIGTERM, then waits for a clean exit (SIGKILL after the grace period).
    pub(super) fn stop(mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        signal(child.id(), "TERM");
        let deadline = Instant::now() + STOP_GRACE;
        loop {
            if let Some(status) = child.try_wait()? {
                if !status.success() {
                    bail!("vigia-aggregator exited with {status}\n{}", self.log_tail());
                }
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "vigia-aggregator still running {STOP_GRACE:?} after SIGTERM; killed\n{}",
                    self.log_tail()
                );
            }
            // Polling the exit of a child with a deadline.
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Aggregator {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends `SIGname` to `pid` with kill(1) (xtask has no signal bindings and denies unsafe code).
pub(super) fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status();
}

/// User + system CPU seconds of process `pid`, from `/proc/<pid>/stat`.
pub(super) fn cpu_seconds(pid: u32) -> Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<f64> {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .with_context(|| format!("{path}: field {n} missing"))
    };
    Ok((field(14)? + field(15)?) / clock_ticks()?)
}

/// Clock ticks per second (`getconf CLK_TCK`), the unit of /proc times.
fn clock_ticks() -> Result<f64> {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    if let Some(ticks) = TICKS.get() {
        return Ok(*ticks);
    }
    let text = cmd::output(Command::new("getconf").arg("CLK_TCK"))?;
    let ticks: f64 = text.trim().parse().context("getconf CLK_TCK")?;
    Ok(*TICKS.get_or_init(|| ticks))
}
