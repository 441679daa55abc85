//! Agent certificates: minted here from the CA key (fast: ECDSA P-256), or read from a directory
//! where `vigia-aggregator pki issue-agent` wrote `agent-<id>.pem` and `agent-<id>.key`.

use std::path::Path;

use vigia_ingest::AgentId;
use vigia_ingest::pki::{CertificateAuthority, Validity};
use vigia_ingest::testing::ClientIdentity;

/// The id of simulated agent `index`.
pub fn agent_id(index: u32) -> String {
    format!("load-{index:04}")
}

/// Where the agents' certificates come from.
pub enum Source<'a> {
    /// Issue them with this CA (its certificate and key, PEM).
    Mint { ca_key_pem: &'a str },
    /// Read `agent-<id>.pem` / `.key` from this directory.
    Directory(&'a Path),
}

/// A client identity for each of agents `0..count`, trusting `server_ca_pem` for the aggregator.
pub fn load(
    source: &Source<'_>,
    server_ca_pem: &str,
    count: u32,
) -> Result<Vec<ClientIdentity>, String> {
    // Ok: mint with this CA; Err: read from this directory.
    let ca = match source {
        Source::Mint { ca_key_pem } => {
            Ok(CertificateAuthority::from_pem(server_ca_pem, ca_key_pem)
                .map_err(|error| format!("the CA is unusable: {error}"))?)
        }
        Source::Directory(dir) => Err(*dir),
    };
    (0..count)
        .map(|index| {
            let id = agent_id(index);
            let (cert_pem, key_pem) = match &ca {
                Ok(ca) => {
                    let agent = AgentId::new(id.clone())
                        .map_err(|error| format!("agent id {id}: {error}"))?;
                    let issued = ca
                        .issue_agent(&agent, &Validity::days_from_now(1))
                        .map_err(|error| format!("issuing {id}: {error}"))?;
                    (issued.cert_pem, issued.key_pem)
                }
                Err(dir) => {
                    let read = |ext: &str| {
                        let path = dir.join(format!("agent-{id}.{ext}"));
                        std::fs::read_to_string(&path)
                            .map_err(|error| format!("cannot read {}: {error}", path.display()))
                    };
                    (read("pem")?, read("key")?)
                }
            };
            Ok(ClientIdentity {
                server_ca_pem: server_ca_pem.to_owned(),
                cert_pem,
                key_pem,
            })
        })
        .collect()
}
