//! Why an on-demand probe gave no run result.

/// Why [`Probes::run`](crate::Probes::run) returned no run result. Each variant has a stable
/// [`kind`](ProbeError::kind) for the REST API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The agent has no open stream now (answered at once, nothing was sent).
    #[error("agent is offline: it has no open stream to the aggregator")]
    Offline,
    /// Too many probe requests wait for this agent, or its stream's outbound queue is full
    /// (answered at once, nothing was sent).
    #[error("agent is busy: too many probe requests are waiting for it")]
    Busy,
    /// The agent refused to run the probe.
    #[error("agent refused the probe ({reason}): {message}")]
    Refused {
        /// The refusal class, `snake_case` (`plugin_not_installed`, `invalid_request`, `busy`,
        /// `not_allowed`; `unspecified` or `unknown` when the agent sent no or a newer value).
        reason: String,
        /// The agent's explanation.
        message: String,
    },
    /// No answer came within the deadline (plus the network grace).
    #[error("agent did not answer within the deadline")]
    Timeout,
    /// The agent's stream ended while the request waited for its answer.
    #[error("agent stream ended before the probe was answered")]
    Disconnected,
    /// The agent answered with something that is not a valid run result.
    #[error("agent answered with an invalid run result: {0}")]
    Invalid(String),
}

impl ProbeError {
    /// A stable, `snake_case` name of the variant: `offline`, `busy`, `refused`, `timeout`,
    /// `disconnected` or `invalid`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Busy => "busy",
            Self::Refused { .. } => "refused",
            Self::Timeout => "timeout",
            Self::Disconnected => "disconnected",
            Self::Invalid(_) => "invalid",
        }
    }
}
