//! The agents' live streams and the probe requests waiting for their answers.
//!
//! Each stream is registered under its agent with a generation unique to the stream. An agent
//! that reconnects registers its new stream before the old one is noticed dead: the newest stream
//! wins, and the old stream's deregistration (matched by generation) leaves the new one in place.
//! A request is pending on the stream (generation) it was sent on; only that stream's answer
//! completes it, and that stream's end fails it at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tonic::Status;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::probe_answer::Answer;
use vigia_store::AgentId;

use super::ProbeError;
use crate::metrics::Metrics;

/// Messages to one agent, as the stream writes them.
pub(crate) type Outbound = mpsc::Sender<Result<pb::AggregatorMessage, Status>>;

/// What an answer carries (`None`: neither a result nor a refusal was set).
pub(super) type Reply = Option<Answer>;

/// Live streams by agent and pending requests by id. Shared by the ingest's streams and every
/// [`Probes`](crate::Probes) handle.
#[derive(Debug)]
pub(crate) struct Links {
    state: Mutex<State>,
    metrics: Arc<Metrics>,
    /// Tells this aggregator run's request ids from an earlier run's in agents' logs.
    prefix: String,
    next_request: AtomicU64,
    next_generation: AtomicU64,
}

#[derive(Debug)]
struct State {
    streams: HashMap<AgentId, Stream>,
    pending: HashMap<String, Pending>,
    /// Pending requests per agent (every entry above zero).
    per_agent: HashMap<AgentId, usize>,
    max_per_agent: usize,
    grace: Duration,
}

#[derive(Debug)]
struct Stream {
    generation: u64,
    outbound: Outbound,
}

#[derive(Debug)]
struct Pending {
    agent: AgentId,
    generation: u64,
    reply: oneshot::Sender<Reply>,
}

impl Links {
    pub(crate) fn new(metrics: Arc<Metrics>, max_per_agent: usize, grace: Duration) -> Self {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            state: Mutex::new(State {
                streams: HashMap::new(),
                pending: HashMap::new(),
                per_agent: HashMap::new(),
                max_per_agent,
                grace,
            }),
            metrics,
            prefix: format!("{:x}", started.as_micros()),
            next_request: AtomicU64::new(1),
            next_generation: AtomicU64::new(1),
        }
    }

    /// Changes the per-agent bound and the network grace (for requests made from now on).
    pub(crate) fn set_limits(&self, max_per_agent: usize, grace: Duration) {
        let mut state = self.state.lock();
        state.max_per_agent = max_per_agent;
        state.grace = grace;
    }

    pub(super) fn grace(&self) -> Duration {
        self.state.lock().grace
    }

    /// Requests waiting for an answer, over every agent.
    pub(super) fn pending(&self) -> usize {
        self.state.lock().pending.len()
    }

    /// Makes `outbound` the way to reach `agent`, replacing any older stream of it, until the
    /// returned registration is dropped.
    pub(crate) fn register(self: &Arc<Self>, agent: &AgentId, outbound: Outbound) -> Registration {
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let replaced = self.state.lock().streams.insert(
            agent.clone(),
            Stream {
                generation,
                outbound,
            },
        );
        if let Some(old) = replaced {
            tracing::debug!(agent_id = %agent, old = old.generation, new = generation,
                "a newer stream of the agent takes probe requests");
        }
        Registration {
            links: Arc::clone(self),
            agent: agent.clone(),
            generation,
        }
    }

    fn deregister(&self, agent: &AgentId, generation: u64) {
        let failed: Vec<Pending> = {
            let mut state = self.state.lock();
            if state
                .streams
                .get(agent)
                .is_some_and(|stream| stream.generation == generation)
            {
                state.streams.remove(agent);
            }
            let failed: Vec<Pending> = state
                .pending
                .extract_if(|_, pending| pending.generation == generation)
                .map(|(_, pending)| pending)
                .collect();
            for pending in &failed {
                state.release(&pending.agent);
            }
            failed
        };
        if !failed.is_empty() {
            tracing::debug!(agent_id = %agent, requests = failed.len(),
                "stream ended with probe requests waiting");
        }
        // Dropping the senders tells every waiter that the stream ended.
        drop(failed);
    }

    /// Queues `message(request_id)` to the agent's newest stream without waiting, and returns
    /// the pending request.
    pub(super) fn send(
        self: &Arc<Self>,
        agent: &AgentId,
        message: impl FnOnce(String) -> pb::AggregatorMessage,
    ) -> Result<Waiting, ProbeError> {
        let id = format!(
            "{}-{}",
            self.prefix,
            self.next_request.fetch_add(1, Ordering::Relaxed)
        );
        let mut state = self.state.lock();
        let Some(stream) = state.streams.get(agent) else {
            Metrics::add(&self.metrics.probes_offline, 1);
            return Err(ProbeError::Offline);
        };
        let generation = stream.generation;
        if state.per_agent.get(agent).copied().unwrap_or(0) >= state.max_per_agent {
            Metrics::add(&self.metrics.probes_busy, 1);
            return Err(ProbeError::Busy);
        }
        match stream.outbound.try_send(Ok(message(id.clone()))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                Metrics::add(&self.metrics.probes_busy, 1);
                return Err(ProbeError::Busy);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // The stream is ending; its deregistration is on its way.
                Metrics::add(&self.metrics.probes_offline, 1);
                return Err(ProbeError::Offline);
            }
        }
        let (reply, answer) = oneshot::channel();
        state.pending.insert(
            id.clone(),
            Pending {
                agent: agent.clone(),
                generation,
                reply,
            },
        );
        *state.per_agent.entry(agent.clone()).or_default() += 1;
        Metrics::add(&self.metrics.probes_sent, 1);
        Ok(Waiting {
            links: Arc::clone(self),
            id,
            answer,
        })
    }

    /// Routes an answer read from stream `generation` of `agent` to its waiting request. An
    /// answer nobody waits for (unknown id, a duplicate, too late, or another stream's request)
    /// is counted and dropped.
    pub(crate) fn answered(&self, agent: &AgentId, generation: u64, answer: pb::ProbeAnswer) {
        let pending = {
            let mut state = self.state.lock();
            let ours = state
                .pending
                .get(&answer.request_id)
                .is_some_and(|pending| pending.generation == generation);
            if ours {
                state.take(&answer.request_id)
            } else {
                None
            }
        };
        match pending {
            // The caller may have given up just now: then nobody reads it.
            Some(pending) => {
                let _ = pending.reply.send(answer.answer);
            }
            None => {
                Metrics::add(&self.metrics.probe_answers_unknown, 1);
                tracing::debug!(agent_id = %agent, request_id = %answer.request_id,
                    "probe answer matches no waiting request; ignored");
            }
        }
    }

    fn forget(&self, id: &str) {
        self.state.lock().take(id);
    }
}

impl State {
    fn take(&mut self, id: &str) -> Option<Pending> {
        let pending = self.pending.remove(id)?;
        self.release(&pending.agent);
        Some(pending)
    }

    fn release(&mut self, agent: &AgentId) {
        if let Some(count) = self.per_agent.get_mut(agent) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_agent.remove(agent);
            }
        }
    }
}

/// A stream's place in [`Links`]; dropping it deregisters the stream and fails its pending
/// requests with `Disconnected` (also when the stream's task panics).
#[derive(Debug)]
pub(crate) struct Registration {
    links: Arc<Links>,
    agent: AgentId,
    generation: u64,
}

impl Registration {
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.links.deregister(&self.agent, self.generation);
    }
}

/// A request sent and not yet answered; dropping it (the caller gave up) forgets the request.
#[derive(Debug)]
pub(super) struct Waiting {
    links: Arc<Links>,
    id: String,
    answer: oneshot::Receiver<Reply>,
}

impl Waiting {
    pub(super) fn id(&self) -> &str {
        &self.id
    }

    /// The answer; `Err` when the stream ended first.
    pub(super) async fn answer(&mut self) -> Result<Reply, oneshot::error::RecvError> {
        (&mut self.answer).await
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.links.forget(&self.id);
    }
}
