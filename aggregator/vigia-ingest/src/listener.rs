//! Where committed batches go next: [`CommitListener`] (the aggregator's live state).

use async_trait::async_trait;
use vigia_core::run::RunResult;
use vigia_store::AgentId;

/// Told about every batch the store newly committed, after its `Ack` was queued to the agent.
/// Duplicates (batches already stored) are not passed on again, so each batch reaches the
/// listener once per aggregator run. Batches whose results do not convert to the domain types are
/// stored and acked but not passed on (counted as `batches_undecodable`).
///
/// The call is awaited by the stream's committer: a slow listener slows that agent's stream
/// (backpressure through the in-flight window), it never loses batches.
#[async_trait]
pub trait CommitListener: Send + Sync + 'static {
    /// The runs of the batches one commit inserted, in sequence order.
    async fn committed(&self, agent: &AgentId, runs: Vec<RunResult>);
}
