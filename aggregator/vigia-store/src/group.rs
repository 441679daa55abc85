//! What both backends' group-commit writers take from their queue.

use tokio::sync::oneshot;

use crate::int::to_sql_seq;
use crate::{AgentId, Batch, Committed, StoreError};

/// A commit call on its way to the writer.
pub(crate) struct CommitRequest {
    pub(crate) agent: AgentId,
    pub(crate) epoch: u64,
    pub(crate) batches: Vec<Batch>,
    pub(crate) reply: oneshot::Sender<Result<Committed, StoreError>>,
}

impl CommitRequest {
    /// A request and the receiver of its answer, after checking every sequence can be stored.
    pub(crate) fn new(
        agent: &AgentId,
        epoch: u64,
        batches: Vec<Batch>,
    ) -> Result<(Self, oneshot::Receiver<Result<Committed, StoreError>>), StoreError> {
        if let Some(bad) = batches.iter().find(|b| to_sql_seq(b.seq).is_none()) {
            return Err(StoreError::InvalidSequence {
                agent: agent.clone(),
                epoch,
                seq: bad.seq,
            });
        }
        let (reply, answer) = oneshot::channel();
        let request = Self {
            agent: agent.clone(),
            epoch,
            batches,
            reply,
        };
        Ok((request, answer))
    }

    pub(crate) fn payload_bytes(&self) -> usize {
        self.batches.iter().map(|b| b.payload.len()).sum()
    }
}
