//! `vigia-aggregator pki init|issue-agent|issue-server`: a small CA in a directory, for making the
//! certificates agents and the aggregator need. Keys are written with mode 0600; nothing is ever
//! overwritten.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use vigia_ingest::pki::{CertificateAuthority, IssuedCert, Validity};
use vigia_store::AgentId;

use crate::EX_USAGE;

const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca.key";

#[derive(Subcommand)]
pub(crate) enum PkiCommand {
    /// Create a CA in DIR: ca.pem (give it to the aggregator as tls.client_ca and to agents to
    /// verify the aggregator) and ca.key (0600; keep it offline when you can).
    Init {
        /// Directory to create the CA in (created if missing).
        #[arg(long)]
        dir: PathBuf,
        /// Common name of the CA.
        #[arg(long, default_value = "Vigia CA")]
        name: String,
        /// Validity, days.
        #[arg(long, default_value_t = 3650)]
        days: u32,
    },
    /// Issue an agent certificate: DIR/agent-ID.pem and DIR/agent-ID.key. The id goes in the
    /// SAN `ID.agents.vigia`, which is how the aggregator identifies the agent.
    IssueAgent {
        /// Directory holding the CA.
        #[arg(long)]
        dir: PathBuf,
        /// The agent id: 1-63 characters of a-z, 0-9 and - (a DNS label).
        #[arg(long)]
        id: String,
        /// Validity, days.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Issue the aggregator's server certificate: DIR/server.pem and DIR/server.key.
    IssueServer {
        /// Directory holding the CA.
        #[arg(long)]
        dir: PathBuf,
        /// A DNS name or IP address agents dial; repeat for several.
        #[arg(long = "name", required = true)]
        names: Vec<String>,
        /// Validity, days.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
}

pub(crate) fn run(command: PkiCommand) -> ExitCode {
    let result = match command {
        PkiCommand::Init { dir, name, days } => init(&dir, &name, days),
        PkiCommand::IssueAgent { dir, id, days } => match AgentId::new(id) {
            Ok(id) => issue_agent(&dir, &id, days),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(EX_USAGE);
            }
        },
        PkiCommand::IssueServer { dir, names, days } => issue_server(&dir, &names, days),
    };
    match result {
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init(dir: &Path, name: &str, days: u32) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ca = CertificateAuthority::generate(name, &Validity::days_from_now(days))?;
    let issued = IssuedCert {
        cert_pem: ca.cert_pem().to_owned(),
        key_pem: ca.key_pem(),
    };
    write_pair(dir, CA_CERT, CA_KEY, &issued)
}

fn issue_agent(dir: &Path, id: &AgentId, days: u32) -> anyhow::Result<Vec<PathBuf>> {
    let ca = load_ca(dir)?;
    let issued = ca.issue_agent(id, &Validity::days_from_now(days))?;
    if let Some(serial) = issued.serial() {
        // To revoke this certificate later: `[agents] revoked_serials`.
        println!("agent {id} certificate serial {serial}");
    }
    write_pair(
        dir,
        &format!("agent-{id}.pem"),
        &format!("agent-{id}.key"),
        &issued,
    )
}

fn issue_server(dir: &Path, names: &[String], days: u32) -> anyhow::Result<Vec<PathBuf>> {
    let ca = load_ca(dir)?;
    let issued = ca.issue_server(names, &Validity::days_from_now(days))?;
    write_pair(dir, "server.pem", "server.key", &issued)
}

fn load_ca(dir: &Path) -> anyhow::Result<CertificateAuthority> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (run `vigia-aggregator pki init --dir {}` first)",
                path.display(),
                dir.display()
            )
        })
    };
    CertificateAuthority::from_pem(&read(CA_CERT)?, &read(CA_KEY)?)
        .with_context(|| format!("the CA in {} is unusable", dir.display()))
}

/// Writes the certificate (0644) and the key (0600), refusing to replace existing files.
fn write_pair(
    dir: &Path,
    cert_name: &str,
    key_name: &str,
    issued: &IssuedCert,
) -> anyhow::Result<Vec<PathBuf>> {
    let (cert, key) = (dir.join(cert_name), dir.join(key_name));
    for path in [&cert, &key] {
        if path.exists() {
            bail!("{} already exists; not replacing it", path.display());
        }
    }
    write_new(&key, issued.key_pem.as_bytes(), 0o600)?;
    write_new(&cert, issued.cert_pem.as_bytes(), 0o644)?;
    Ok(vec![cert, key])
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}
