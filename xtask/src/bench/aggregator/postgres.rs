//! A throwaway PostgreSQL cluster for the benchmark: `initdb` into the work directory, the
//! server run as the `postgres` OS user (`runuser`), no TCP (`listen_addresses = ''`), a unix
//! socket in the work directory, durable settings left at their defaults (fsync, synchronous
//! commit). Stopped with a fast shutdown at the end, on error and on Ctrl-C.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::process::{signal, wait_for_line, watch_lines};
use crate::bench::lab::KillOnDrop;
use crate::cmd;

const OS_USER: &str = "postgres";
const DATABASE: &str = "vigia";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(60);

pub(super) struct Cluster {
    /// `runuser ... postgres`: the postmaster is its child.
    server: Option<KillOnDrop>,
    data: PathBuf,
    socket_dir: PathBuf,
}

impl Cluster {
    /// Creates and starts a cluster under `dir` (created; owned by the `postgres` user).
    pub(super) fn start(dir: &Path) -> Result<Self> {
        let bin = server_bin_dir()?;
        let (data, socket_dir) = (dir.join("data"), dir.join("socket"));
        std::fs::create_dir_all(&socket_dir)?;
        cmd::output(
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir),
        )?;
        cmd::output(
            as_postgres(&bin.join("initdb"))
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "-D",
                ])
                .arg(&data),
        )?;
        let log = dir.join("postgres.log");
        let log_file =
            File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut command = as_postgres(&bin.join("postgres"));
        command
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&socket_dir)
            .args(["-c", "listen_addresses=", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut server = KillOnDrop(command.spawn().context("cannot start postgres")?);
        let stderr = server.0.stderr.take().context("no stderr pipe")?;
        let cluster = Self {
            server: Some(server),
            data,
            socket_dir,
        };
        // The watcher keeps draining stderr into the log after the server is ready.
        let lines = watch_lines(stderr, Some(log_file));
        ready(&lines).with_context(|| format!("postgres did not start; see {}", log.display()))?;
        cmd::output(
            as_postgres(&bin.join("createdb"))
                .arg("-h")
                .arg(&cluster.socket_dir)
                .arg(DATABASE),
        )?;
        Ok(cluster)
    }

    /// The `storage.url` for the aggregator: the unix socket, no password (trust).
    pub(super) fn url(&self) -> String {
        format!(
            "postgresql://postgres@localhost/{DATABASE}?host={}",
            self.socket_dir.display()
        )
    }

    /// Fast shutdown; fails if the server is still there after the grace period.
    pub(super) fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        let postmaster = postmaster_pid(&self.data);
        if let Some(pid) = postmaster {
            signal(pid, "INT");
        }
        let deadline = Instant::now() + STOP_GRACE;
        loop {
            let exited = server.0.try_wait()?.is_some();
            let gone = postmaster.is_none_or(|pid| !Path::new(&format!("/proc/{pid}")).exists());
            if exited && gone {
                return Ok(());
            }
            if Instant::now() >= deadline {
                if let Some(pid) = postmaster {
                    signal(pid, "KILL");
                }
                bail!("postgres still running {STOP_GRACE:?} after a fast shutdown; killed");
            }
            // Polling the exit with a deadline.
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Waits for the line saying the server accepts connections.
fn ready(lines: &std::sync::mpsc::Receiver<String>) -> Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let line = wait_for_line(
            lines,
            "",
            deadline.saturating_duration_since(Instant::now()),
            "postgres",
        )?;
        if line.contains("database system is ready to accept connections") {
            return Ok(());
        }
    }
}

/// The postmaster's pid: the first line of `postmaster.pid`.
fn postmaster_pid(data: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

fn as_postgres(program: &Path) -> Command {
    let mut command = Command::new("runuser");
    command.args(["-u", OS_USER, "--"]).arg(program);
    command
}

/// `/usr/lib/postgresql/<newest>/bin` (Debian's layout).
fn server_bin_dir() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .with_context(|| format!("cannot list {}", root.display()))?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            path.join("bin/initdb")
                .exists()
                .then(|| (version, path.join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .with_context(|| format!("no PostgreSQL server under {}", root.display()))
}
