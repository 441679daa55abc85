//! The durable sink: each finished run becomes one spool record (the uplink's payload format,
//! `vigia_uplink::encode_batch`), appended and awaited until it is on stable storage.

use std::sync::Arc;

use vigia_core::run::{PluginRef, RunOutcome, RunResult};
use vigia_plugin_host::RunOutcome as HostOutcome;
use vigia_spool::Spool;

use crate::scheduler::{BoxFuture, FinishedRun, PluginIdentity, RunSink, SinkError};

/// Appends every finished run to the spool.
pub(crate) struct SpoolSink {
    spool: Arc<dyn Spool>,
}

impl SpoolSink {
    pub(crate) fn new(spool: Arc<dyn Spool>) -> Self {
        Self { spool }
    }
}

impl RunSink for SpoolSink {
    fn deliver(&self, run: FinishedRun) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            let (run_id, probe) = (run.run_id.clone(), run.probe.clone());
            let payload = vigia_uplink::encode_batch(vec![run_result(run)]);
            self.spool
                .append(vec![payload])
                .await
                .map(|_| ())
                .map_err(|e| SinkError {
                    run_id,
                    probe,
                    sink: "spool",
                    source: Box::new(e),
                })
        })
    }
}

/// The wire-neutral result of a finished run.
pub(crate) fn run_result(run: FinishedRun) -> RunResult {
    let outcome = match run.report.outcome {
        HostOutcome::Completed(observations) => RunOutcome::Observations(observations),
        HostOutcome::Failed(error) => RunOutcome::Failed(error),
        HostOutcome::Fault(fault) => RunOutcome::Fault {
            kind: fault.kind,
            message: fault.message,
        },
    };
    RunResult {
        probe: run.probe,
        plugin: plugin_ref(run.plugin),
        run_id: run.run_id,
        started_at_ms: run.started_at_ms,
        finished_at_ms: run.finished_at_ms,
        outcome,
    }
}

/// The wire-neutral reference to a plugin build.
pub(crate) fn plugin_ref(identity: PluginIdentity) -> PluginRef {
    PluginRef {
        plugin_id: identity.id,
        version: identity.version,
        sha256: sha256_bytes(&identity.sha256),
    }
}

/// The plugin host reports the component hash as lowercase hex; a malformed one (never
/// produced by the host) becomes all zeroes rather than a lost result.
fn sha256_bytes(hex_text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if hex_text.len() == 64 {
        for (i, byte) in out.iter_mut().enumerate() {
            match u8::from_str_radix(&hex_text[2 * i..2 * i + 2], 16) {
                Ok(b) => *byte = b,
                Err(_) => return [0u8; 32],
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_hashes_become_bytes() {
        let hex_text = "00ff10".to_owned() + &"ab".repeat(29);
        let bytes = sha256_bytes(&hex_text);
        assert_eq!(&bytes[..3], &[0x00, 0xff, 0x10]);
        assert_eq!(bytes[31], 0xab);
        assert_eq!(sha256_bytes("xyz"), [0u8; 32]);
    }
}
