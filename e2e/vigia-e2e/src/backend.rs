//! Which store the aggregator under test uses, and how the tests read what it stored, each
//! independently of our store code: SQLite through its own library read-only, PostgreSQL
//! through `psql`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The aggregator's store in a deployment.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The embedded default, in the deployment's data directory.
    Sqlite,
    /// A fresh database on the private test PostgreSQL server (`vigia_store::testing`).
    Postgres { url: String },
}

/// One stored batch row: `(epoch, seq, live, received_at_ms, payload)`.
pub(crate) type RawRow = (u64, u64, bool, u64, Vec<u8>);

impl Backend {
    /// A new, empty database on the test PostgreSQL server (started on first use; it stops
    /// when the test process exits).
    pub fn postgres() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to set up the test database");
        let url = runtime.block_on(vigia_store::testing::fresh_database());
        Self::Postgres { url }
    }

    /// The `[storage]` section of the aggregator's config.
    pub(crate) fn storage_section(&self, data_dir: &Path) -> String {
        match self {
            Self::Sqlite => format!("[storage]\ndata_dir = \"{}\"\n", data_dir.display()),
            Self::Postgres { url } => {
                format!("[storage]\nbackend = \"postgres\"\nurl = \"{url}\"\n")
            }
        }
    }

    /// Every batch stored for `agent`, ordered by (epoch, seq).
    pub(crate) fn rows(&self, data_dir: &Path, agent: &str) -> Vec<RawRow> {
        match self {
            Self::Sqlite => sqlite_rows(data_dir, agent),
            Self::Postgres { url } => postgres_rows(url, agent),
        }
    }
}

fn sqlite_rows(data_dir: &Path, agent: &str) -> Vec<RawRow> {
    let db = data_dir.join("vigia.sqlite3");
    if !db.exists() {
        return Vec::new();
    }
    let conn = rusqlite::Connection::open_with_flags(
        &db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open the aggregator database read-only");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    let mut stmt = conn
        .prepare(
            "SELECT epoch, seq, live, received_at_ms, payload FROM result_batch \
             WHERE agent_id = ?1 ORDER BY epoch, seq",
        )
        .expect("prepare");
    stmt.query_map([agent], |row| {
        Ok((
            row.get::<_, i64>(0)? as u64,
            row.get::<_, i64>(1)? as u64,
            row.get::<_, i64>(2)? == 1,
            row.get::<_, i64>(3)? as u64,
            row.get::<_, Vec<u8>>(4)?,
        ))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

/// Reads through `psql` (libpq), so the check does not share code with the store under test.
/// Before the aggregator created its tables there is nothing stored.
fn postgres_rows(url: &str, agent: &str) -> Vec<RawRow> {
    if !agent
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        panic!("agent id {agent:?} is not safe to quote");
    }
    let query = format!(
        "SELECT epoch, seq, live::int, received_at_ms, encode(payload, 'hex') FROM result_batch \
         WHERE agent_id = '{agent}' ORDER BY epoch, seq"
    );
    let out = Command::new("psql")
        .args([url, "-X", "-q", "-A", "-t", "-F", "|", "-c", &query])
        .output()
        .expect("run psql (Debian package postgresql-client)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if stderr.contains("does not exist") {
            return Vec::new();
        }
        panic!("psql failed: {stderr}");
    }
    String::from_utf8(out.stdout)
        .expect("utf-8 psql output")
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('|').collect();
            let [epoch, seq, live, received, payload] = fields[..] else {
                panic!("unexpected psql row {line:?}");
            };
            let int = |text: &str| text.parse::<i64>().expect("integer column") as u64;
            (
                int(epoch),
                int(seq),
                live == "1",
                int(received),
                hex(payload),
            )
        })
        .collect()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex payload"))
        .collect()
}
