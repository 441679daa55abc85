//! Conversions between `vigia_core` observations and their `vigia.agent.v1` messages.
//!
//! Core to proto is infallible (`From`). Proto to core is `TryFrom` with [`ConvertError`]: the
//! wire may carry what the domain cannot hold (an enum left `UNSPECIFIED`, an enum value this
//! build does not know, an unset oneof or message field).
//!
//! Implemented pairs: [`Observation`](vigia_core::Observation) (and the record of every kind),
//! [`EntityRef`](vigia_core::EntityRef), [`PluginError`](vigia_core::PluginError), plus
//! `From<ErrorClass>` and `Vec<Observation>` to and from [`ObservationList`](pb::ObservationList)
//! (via [`observations_from_proto`]); [`RunResult`](vigia_core::run::RunResult),
//! [`PluginRef`](vigia_core::run::PluginRef) and [`FaultKind`](vigia_core::run::FaultKind), and a
//! list of runs via [`run_results_from_proto`].

mod enums;
mod observation;
mod records;
mod run;

use crate::agent::v1 as pb;

pub use observation::observations_from_proto;
pub use run::run_results_from_proto;

/// Why a protobuf message cannot become a domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// A oneof or message field that the domain requires is not set.
    #[error("{field} is missing")]
    Missing { field: &'static str },
    /// A required enum field holds its `UNSPECIFIED` (zero) value.
    #[error("{field} is unspecified")]
    Unspecified { field: &'static str },
    /// An enum field holds a value this build does not know (a newer sender, or garbage).
    #[error("{field} has unknown enum value {value}")]
    UnknownEnumValue { field: &'static str, value: i32 },
    /// A nested message is invalid; the source says how.
    #[error("invalid {field}")]
    Nested {
        field: &'static str,
        #[source]
        source: Box<ConvertError>,
    },
    /// An observation of a list is invalid; the source says how.
    #[error("invalid observation at index {index}")]
    Observation {
        index: usize,
        #[source]
        source: Box<ConvertError>,
    },
    /// A bytes field has the wrong length (e.g. a SHA-256 that is not 32 bytes).
    #[error("{field} must be {expected} bytes, got {actual}")]
    InvalidLength {
        field: &'static str,
        expected: usize,
        actual: usize,
    },
    /// A run of a list is invalid; the source says how.
    #[error("invalid run result at index {index}")]
    RunResult {
        index: usize,
        #[source]
        source: Box<ConvertError>,
    },
}

impl ConvertError {
    /// The innermost error, past any `Nested` or `Observation` context.
    pub fn root(&self) -> &ConvertError {
        match self {
            Self::Nested { source, .. }
            | Self::Observation { source, .. }
            | Self::RunResult { source, .. } => source.root(),
            other => other,
        }
    }

    fn nested(field: &'static str) -> impl FnOnce(ConvertError) -> ConvertError {
        move |source| ConvertError::Nested {
            field,
            source: Box::new(source),
        }
    }
}

fn labels_to_proto(labels: Vec<vigia_core::Label>) -> Vec<pb::Label> {
    labels
        .into_iter()
        .map(|(key, value)| pb::Label { key, value })
        .collect()
}

fn labels_from_proto(labels: Vec<pb::Label>) -> Vec<vigia_core::Label> {
    labels
        .into_iter()
        .map(|label| (label.key, label.value))
        .collect()
}

/// The value of a required message field, or `Missing`.
fn required<T>(value: Option<T>, field: &'static str) -> Result<T, ConvertError> {
    value.ok_or(ConvertError::Missing { field })
}

#[cfg(test)]
mod tests;
