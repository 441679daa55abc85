//! The result of one run of one probe: which plugin build ran, when, and how it ended.
//!
//! Mirrors `RunResult` of the wire contract (`vigia.agent.v1`); the agent spools these and the
//! aggregator stores them. Times are Unix milliseconds passed in by the caller (no clock here).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Observation, PluginError};

/// One run of one probe over its targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The name of the probe in the agent's config.
    pub probe: String,
    /// The plugin build that ran.
    pub plugin: PluginRef,
    /// Unique id of this run, chosen by the agent.
    pub run_id: String,
    pub started_at_ms: u64,
    pub finished_at_ms: u64,
    pub outcome: RunOutcome,
}

/// A plugin build: id, version and the SHA-256 of its `.wasm` bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PluginRef {
    pub plugin_id: String,
    /// The plugin's own semver version (not the WIT version).
    pub version: String,
    /// SHA-256 of the `.wasm` bytes; lowercase hex in JSON.
    #[serde(with = "sha256_hex")]
    pub sha256: [u8; 32],
}

/// How a run ended. In JSON, externally tagged: `{"observations": [...]}`, `{"failed": {...}}`,
/// `{"fault": {"kind": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// The run completed with these observations (possibly none).
    Observations(Vec<Observation>),
    /// The plugin reported that the whole run failed.
    Failed(PluginError),
    /// The host stopped or rejected the run.
    Fault { kind: FaultKind, message: String },
}

impl RunOutcome {
    /// `observations`, `failed` or `fault`: for logs and metrics labels.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Observations(_) => "observations",
            Self::Failed(_) => "failed",
            Self::Fault { .. } => "fault",
        }
    }
}

/// Why the host stopped or rejected a run (mirrors `FaultKind` of the wire contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The run exceeded its deadline.
    Timeout,
    /// The plugin tried to grow its memory past the limit.
    MemoryLimit,
    /// The plugin panicked.
    Panic,
    /// Any other WebAssembly trap.
    Trap,
    /// The plugin returned more output than allowed.
    OutputTooLarge,
    /// The plugin made more host calls than allowed.
    HostCallBudget,
    /// The plugin could not be instantiated.
    Instantiate,
}

impl FaultKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::MemoryLimit => "memory_limit",
            Self::Panic => "panic",
            Self::Trap => "trap",
            Self::OutputTooLarge => "output_too_large",
            Self::HostCallBudget => "host_call_budget",
            Self::Instantiate => "instantiate",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[u8; 32]` as 64 lowercase hex digits (serde would otherwise write 32 numbers).
mod sha256_hex {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    const DIGITS: &[u8; 16] = b"0123456789abcdef";

    pub(super) fn serialize<S: Serializer>(
        bytes: &[u8; 32],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let text: String = bytes
            .iter()
            .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
            .map(char::from)
            .collect();
        serializer.serialize_str(&text)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(deserializer)?;
        let digits = text.as_bytes();
        if digits.len() != 64 {
            return Err(D::Error::custom(format!(
                "sha256 must be 64 hex digits, got {}",
                digits.len()
            )));
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let nibble = |d: u8| {
                char::from(d)
                    .to_digit(16)
                    .ok_or_else(|| D::Error::custom("sha256 must be hex digits"))
            };
            // Each digit is < 16, so the pair fits a byte.
            *byte = (nibble(pair[0])? * 16 + nibble(pair[1])?) as u8;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorClass;

    fn plugin() -> PluginRef {
        let mut sha256 = [0u8; 32];
        sha256[0] = 0xab;
        sha256[31] = 0x01;
        PluginRef {
            plugin_id: "ping".into(),
            version: "0.1.0".into(),
            sha256,
        }
    }

    fn run(outcome: RunOutcome) -> RunResult {
        RunResult {
            probe: "cpe-ping".into(),
            plugin: plugin(),
            run_id: "r-1".into(),
            started_at_ms: 10,
            finished_at_ms: 20,
            outcome,
        }
    }

    #[test]
    fn sha256_is_hex_in_json() {
        let json = serde_json::to_value(plugin()).unwrap();
        let hex = json["sha256"].as_str().unwrap();
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with("ab00"), "{hex}");
        assert!(hex.ends_with("0001"), "{hex}");
        let back: PluginRef = serde_json::from_value(json).unwrap();
        assert_eq!(back, plugin());
    }

    #[test]
    fn bad_sha256_text_is_refused() {
        for bad in ["abc", &"zz".repeat(32)] {
            let json = serde_json::json!({"plugin_id": "p", "version": "1", "sha256": bad});
            let err = serde_json::from_value::<PluginRef>(json).unwrap_err();
            assert!(err.to_string().contains("sha256"), "{err}");
        }
    }

    #[test]
    fn every_outcome_round_trips_through_json() {
        let outcomes = [
            RunOutcome::Observations(vec![]),
            RunOutcome::Failed(PluginError {
                class: ErrorClass::Auth,
                message: "401".into(),
            }),
            RunOutcome::Fault {
                kind: FaultKind::MemoryLimit,
                message: "grew past 64 MiB".into(),
            },
        ];
        for outcome in outcomes {
            let label = outcome.label();
            let original = run(outcome);
            let json = serde_json::to_value(&original).unwrap();
            assert!(json["outcome"].get(label).is_some(), "{json}");
            let back: RunResult = serde_json::from_value(json).unwrap();
            assert_eq!(back, original);
        }
    }
}
