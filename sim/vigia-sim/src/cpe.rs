//! CPE addresses that answer ICMP: the address of every subscriber with a PPPoE session is put on
//! the loopback of a network namespace (the operator's or test's "subscriber side"), and removed
//! when the session ends, so pings from an agent's namespace see exactly what the world says.
//!
//! The namespace must exist (routing to it is the caller's business); this needs root and
//! iproute2. Changes are applied in batches with `ip -n <ns> -force -batch -`. If this follower
//! falls behind the change stream it resynchronises: it flushes the global addresses of `lo` and
//! adds the current set again.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::process::Stdio;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::{Change, Sim};

/// Starts following the world into namespace `netns`; returns once the current addresses are
/// in place.
pub async fn follow(sim: Arc<Sim>, netns: String) -> Result<JoinHandle<()>> {
    // Subscribe before reading the snapshot, so no change falls between the two.
    let mut changes = sim.subscribe();
    sync(&sim, &netns).await?;
    Ok(tokio::spawn(async move {
        loop {
            let first = match changes.recv().await {
                Ok(change) => change,
                Err(RecvError::Closed) => return,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, netns, "CPE follower lagged; resynchronising");
                    if let Err(error) = sync(&sim, &netns).await {
                        tracing::error!(error = format!("{error:#}"), "CPE resync failed");
                    }
                    continue;
                }
            };
            let mut lines = String::new();
            push_line(&mut lines, &first);
            while let Ok(change) = changes.try_recv() {
                push_line(&mut lines, &change);
            }
            if lines.is_empty() {
                continue;
            }
            if let Err(error) = batch(&netns, &lines).await {
                tracing::error!(
                    error = format!("{error:#}"),
                    netns,
                    "cannot update CPE addresses"
                );
            }
        }
    }))
}

fn push_line(lines: &mut String, change: &Change) {
    if let Change::Cpe { address, up } = change {
        let verb = if *up { "add" } else { "del" };
        lines.push_str(&format!("address {verb} {address}/32 dev lo\n"));
    }
}

/// Makes the namespace's addresses exactly the CPEs with a session now.
async fn sync(sim: &Arc<Sim>, netns: &str) -> Result<()> {
    let up: BTreeSet<Ipv4Addr> = sim
        .world()
        .subscribers
        .iter()
        .filter(|s| s.live.session.is_some())
        .map(|s| s.cpe_ip)
        .collect();
    let status = Command::new("ip")
        .args([
            "-n", netns, "address", "flush", "dev", "lo", "scope", "global",
        ])
        .status()
        .await
        .context("cannot run `ip` (iproute2)")?;
    if !status.success() {
        bail!(
            "cannot flush the addresses of lo in namespace `{netns}` (does it exist? are we root?)"
        );
    }
    let mut lines = String::new();
    for address in up {
        lines.push_str(&format!("address add {address}/32 dev lo\n"));
    }
    batch(netns, &lines).await
}

async fn batch(netns: &str, lines: &str) -> Result<()> {
    let mut child = Command::new("ip")
        .args(["-n", netns, "-force", "-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run `ip` (iproute2)")?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(lines.as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    // `-force` goes on after an error (e.g. an address already gone); report the first one.
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        tracing::debug!(netns, errors = %text.trim(), "some CPE address changes did not apply");
    }
    Ok(())
}
