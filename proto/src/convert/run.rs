//! [`RunResult`](domain::RunResult) and its parts: the plugin build, the outcome, the fault kind.
//!
//! Like the records, every conversion destructures its source completely, so a field added on
//! either side is a compile error here until it is mapped.

use vigia_core::run as domain;

use super::observation::observations_from_proto;
use super::{ConvertError, required};
use crate::agent::v1 as pb;
use pb::run_result::Outcome;

// === PluginRef ===

impl From<domain::PluginRef> for pb::PluginRef {
    fn from(value: domain::PluginRef) -> Self {
        let domain::PluginRef {
            plugin_id,
            version,
            sha256,
        } = value;
        Self {
            plugin_id,
            version,
            sha256: sha256.to_vec(),
        }
    }
}

impl TryFrom<pb::PluginRef> for domain::PluginRef {
    type Error = ConvertError;

    fn try_from(value: pb::PluginRef) -> Result<Self, ConvertError> {
        let pb::PluginRef {
            plugin_id,
            version,
            sha256,
        } = value;
        let actual = sha256.len();
        let sha256 = <[u8; 32]>::try_from(sha256).map_err(|_| ConvertError::InvalidLength {
            field: "plugin_ref.sha256",
            expected: 32,
            actual,
        })?;
        Ok(Self {
            plugin_id,
            version,
            sha256,
        })
    }
}

// === FaultKind ===

impl From<domain::FaultKind> for pb::FaultKind {
    fn from(value: domain::FaultKind) -> Self {
        use domain::FaultKind as K;
        match value {
            K::Timeout => Self::Timeout,
            K::MemoryLimit => Self::MemoryLimit,
            K::Panic => Self::Panic,
            K::Trap => Self::Trap,
            K::OutputTooLarge => Self::OutputTooLarge,
            K::HostCallBudget => Self::HostCallBudget,
            K::Instantiate => Self::Instantiate,
        }
    }
}

fn fault_kind(value: i32) -> Result<domain::FaultKind, ConvertError> {
    use domain::FaultKind as K;
    const FIELD: &str = "fault.kind";
    Ok(match pb::FaultKind::try_from(value) {
        Ok(pb::FaultKind::Timeout) => K::Timeout,
        Ok(pb::FaultKind::MemoryLimit) => K::MemoryLimit,
        Ok(pb::FaultKind::Panic) => K::Panic,
        Ok(pb::FaultKind::Trap) => K::Trap,
        Ok(pb::FaultKind::OutputTooLarge) => K::OutputTooLarge,
        Ok(pb::FaultKind::HostCallBudget) => K::HostCallBudget,
        Ok(pb::FaultKind::Instantiate) => K::Instantiate,
        Ok(pb::FaultKind::Unspecified) => return Err(ConvertError::Unspecified { field: FIELD }),
        Err(_) => {
            return Err(ConvertError::UnknownEnumValue {
                field: FIELD,
                value,
            });
        }
    })
}

// === RunOutcome ===

fn outcome_to_proto(outcome: domain::RunOutcome) -> Outcome {
    use domain::RunOutcome as O;
    match outcome {
        O::Observations(observations) => Outcome::Observations(observations.into()),
        O::Failed(error) => Outcome::PluginError(error.into()),
        O::Fault { kind, message } => Outcome::Fault(pb::Fault {
            kind: pb::FaultKind::from(kind).into(),
            message,
        }),
    }
}

fn outcome_from_proto(outcome: Outcome) -> Result<domain::RunOutcome, ConvertError> {
    use domain::RunOutcome as O;
    Ok(match outcome {
        Outcome::Observations(list) => O::Observations(observations_from_proto(list)?),
        Outcome::PluginError(error) => O::Failed(
            error
                .try_into()
                .map_err(ConvertError::nested("run_result.plugin_error"))?,
        ),
        Outcome::Fault(pb::Fault { kind, message }) => O::Fault {
            kind: fault_kind(kind)?,
            message,
        },
    })
}

// === RunResult ===

impl From<domain::RunResult> for pb::RunResult {
    fn from(value: domain::RunResult) -> Self {
        let domain::RunResult {
            probe,
            plugin,
            run_id,
            started_at_ms,
            finished_at_ms,
            outcome,
        } = value;
        Self {
            probe,
            plugin: Some(plugin.into()),
            run_id,
            started_at_ms,
            finished_at_ms,
            outcome: Some(outcome_to_proto(outcome)),
        }
    }
}

impl TryFrom<pb::RunResult> for domain::RunResult {
    type Error = ConvertError;

    fn try_from(value: pb::RunResult) -> Result<Self, ConvertError> {
        let pb::RunResult {
            probe,
            plugin,
            run_id,
            started_at_ms,
            finished_at_ms,
            outcome,
        } = value;
        let plugin = required(plugin, "run_result.plugin")?
            .try_into()
            .map_err(ConvertError::nested("run_result.plugin"))?;
        Ok(Self {
            probe,
            plugin,
            run_id,
            started_at_ms,
            finished_at_ms,
            outcome: outcome_from_proto(required(outcome, "run_result.outcome")?)?,
        })
    }
}

/// Converts every run of a list (e.g. `ResultBatch.results`), or fails on the first invalid one,
/// naming its index. All or nothing, like [`observations_from_proto`].
pub fn run_results_from_proto(
    results: Vec<pb::RunResult>,
) -> Result<Vec<domain::RunResult>, ConvertError> {
    results
        .into_iter()
        .enumerate()
        .map(|(index, result)| {
            result.try_into().map_err(|source| ConvertError::RunResult {
                index,
                source: Box::new(source),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
