//! A real PostgreSQL for tests (feature `testing`): this crate's behaviour suite and the
//! end-to-end tests (`e2e/`) share it.
//!
//! With `VIGIA_TEST_DATABASE_URL` set (a role that may `CREATE DATABASE`), tests use that server.
//! Otherwise the first test of the binary starts a private throwaway cluster from the Debian
//! `postgresql` package (`/usr/lib/postgresql/<version>/bin`): `initdb` into a fresh temporary
//! directory (as the `postgres` OS user when running as root, since initdb refuses root), then
//! `postgres` listening only on a unix socket in that directory (`listen_addresses=''`) with
//! `fsync=on`. Each test gets its own new database.
//!
//! Cleanup without signal handlers or `atexit`: the cluster runs under a small `sh` watchdog
//! whose stdin is a pipe from this process. Nothing ever writes to it; when this process exits,
//! however it exits (even SIGKILL), the kernel closes the pipe, the watchdog reads EOF, stops the
//! postmaster with a fast shutdown (SIGINT, which also ends its backends), waits for it, and
//! deletes the directory. So no postgres process outlives the test binary by more than the
//! shutdown itself.
//!
//! The cluster is per test *process*: under a runner that starts one process per test (nextest),
//! each test starts its own; set `VIGIA_TEST_DATABASE_URL` to share one server instead.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use sqlx_core::connection::Connection;
use sqlx_core::executor::Executor;
use sqlx_postgres::PgConnection;
use tokio::sync::OnceCell;
use url::Url;

/// The environment variable naming an existing server to use instead of a private cluster.
pub const URL_VAR: &str = "VIGIA_TEST_DATABASE_URL";

/// How long the private cluster may take to initialise and accept connections.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The watchdog: started as the `postgres` user (or directly), prints the socket directory once
/// the postmaster is launched, then waits for EOF on stdin to stop it and clean up.
const WATCHDOG: &str = r#"
set -eu
bindir="$1"
dir=$(mktemp -d "${TMPDIR:-/tmp}/vigia-pg-XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap '' INT TERM
if ! "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    exit 1
fi
"$bindir/postgres" -D "$dir/data" -k "$dir" -c listen_addresses= -c fsync=on \
    -c max_connections=300 -c shared_buffers=16MB >"$dir/postgres.log" 2>&1 </dev/null &
pid=$!
echo "$dir"
read -r _ || true
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true
"#;

enum Server {
    /// `VIGIA_TEST_DATABASE_URL`.
    External(Url),
    /// The private cluster: its admin URL and the watchdog (kept for the life of the process;
    /// never dropped, so its stdin stays open until the process exits).
    Private {
        admin: Url,
        socket_dir: PathBuf,
        _watchdog: Mutex<(Child, ChildStdin)>,
    },
}

impl Server {
    fn admin_url(&self) -> &Url {
        match self {
            Server::External(url) => url,
            Server::Private { admin, .. } => admin,
        }
    }
}

static SERVER: OnceCell<Server> = OnceCell::const_new();

/// The URL of a new, empty database on the test server, for one test.
pub async fn fresh_database() -> String {
    let server = SERVER.get_or_init(start).await;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros();
    let name = format!(
        "vigia_t_{}_{}_{}",
        std::process::id(),
        stamp,
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = server.admin_url();
    let mut conn = PgConnection::connect(admin.as_str())
        .await
        .unwrap_or_else(|error| panic!("cannot connect to the test server: {error}"));
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|error| panic!("cannot create test database {name}: {error}"));
    conn.close().await.ok();
    let mut url = admin.clone();
    url.set_path(&format!("/{name}"));
    url.into()
}

/// The socket directory of the private cluster, when one runs (not with an external server).
pub async fn private_socket_dir() -> Option<PathBuf> {
    match SERVER.get_or_init(start).await {
        Server::External(_) => None,
        Server::Private { socket_dir, .. } => Some(socket_dir.clone()),
    }
}

async fn start() -> Server {
    if let Ok(url) = std::env::var(URL_VAR) {
        let url =
            Url::parse(&url).unwrap_or_else(|error| panic!("{URL_VAR} is not a URL: {error}"));
        return Server::External(url);
    }
    let Some(bin) = find_bin_dir() else {
        panic!(
            "PostgreSQL tests need a PostgreSQL server: install the Debian package `postgresql` \
             (apt-get install postgresql; its binaries in /usr/lib/postgresql/<version>/bin are \
             used to start a private throwaway cluster), set {URL_VAR} to a server where the \
             role may CREATE DATABASE, or run `cargo xtask test`"
        );
    };
    start_private(bin).await
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb` and `postgres`.
fn find_bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file())
                .then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

async fn start_private(bin: PathBuf) -> Server {
    let mut command = if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", "sh", "-c", WATCHDOG, "vigia-pg"]);
        command
    } else {
        let mut command = Command::new("sh");
        command.args(["-c", WATCHDOG, "vigia-pg"]);
        command
    };
    command
        .arg(&bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start the PostgreSQL watchdog: {error}"));
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    // initdb runs before the directory is printed: read it off the async runtime's threads.
    let reader = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(START_DEADLINE, reader)
        .await
        .unwrap_or_else(|_| panic!("initdb did not finish in {START_DEADLINE:?}"))
        .expect("reader task")
        .unwrap_or_else(|error| panic!("cannot read from the PostgreSQL watchdog: {error}"));
    let socket_dir = PathBuf::from(line.trim());
    if line.trim().is_empty() {
        let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
        panic!("initdb failed ({status}); its output is above");
    }

    let mut admin = Url::parse("postgres://postgres@localhost/postgres").expect("static url");
    admin
        .query_pairs_mut()
        .append_pair("host", &socket_dir.display().to_string());
    wait_until_accepting(&admin, &socket_dir, &mut child).await;
    Server::Private {
        admin,
        socket_dir,
        _watchdog: Mutex::new((child, stdin)),
    }
}

/// Polls a connection until the server accepts one, failing with the server's log if that takes
/// longer than [`START_DEADLINE`] or the watchdog exits.
async fn wait_until_accepting(admin: &Url, socket_dir: &Path, watchdog: &mut Child) {
    let deadline = tokio::time::Instant::now() + START_DEADLINE;
    loop {
        // "the database system is starting up" until recovery is done: keep polling.
        let error = match PgConnection::connect(admin.as_str()).await {
            Ok(conn) => {
                conn.close().await.ok();
                return;
            }
            Err(error) => error,
        };
        let exited = watchdog.try_wait().ok().flatten();
        if exited.is_some() || tokio::time::Instant::now() >= deadline {
            let log = std::fs::read_to_string(socket_dir.join("postgres.log")).unwrap_or_default();
            panic!(
                "the private PostgreSQL server did not accept connections \
                 (watchdog exit: {exited:?}; last error: {error}); its log:\n{log}"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
