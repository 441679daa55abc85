//! One agent stream: Hello, then batches, heartbeats and probe answers until either side ends it.
//!
//! Two tasks per stream. The reader validates each message; batches go through a bounded queue
//! (its depth is the `Throttle` sent to the agent) to the committer, which takes every batch
//! waiting, commits them in one store call and acks them. A malformed message ends only this
//! stream: acks for what was already committed are sent first, then the error status.
//!
//! Once open, the stream is registered in the [`Links`](crate::probes::Links) so that on-demand
//! probe requests reach the agent; the reader routes `ProbeAnswer`s there. The registration ends
//! as soon as the reader stops, failing the requests still waiting for this stream.

mod convert;

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tonic::{Status, Streaming};
use vigia_core::run::RunResult;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_message::Message as FromAgent;
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;
use vigia_store::AgentId;

use crate::accept::Peer;
use crate::metrics::Metrics;
use crate::probes::{Outbound, Registration};
use crate::service::Shared;

/// Messages to the agent waiting to be written.
const OUTBOUND_DEPTH: usize = 64;

/// Why the reader stopped.
enum End {
    /// The agent closed its side.
    Closed,
    /// The server is shutting down.
    Shutdown,
    /// The committer failed and already told the agent.
    CommitFailed,
    /// The agent sent something invalid.
    Failed(Status),
    /// The connection broke (reset, keepalive timeout).
    Lost(Status),
}

/// Reads the Hello, answers with what the store holds for that epoch and a `Throttle`, and starts
/// the stream's tasks. Returns the channel of messages to the agent.
pub(crate) async fn open(
    shared: Arc<Shared>,
    peer: Peer,
    mut inbound: Streaming<pb::AgentMessage>,
) -> Result<mpsc::Receiver<Result<pb::AggregatorMessage, Status>>, Status> {
    let agent = peer.agent.id.clone();
    let hello = read_hello(&shared, &mut inbound)
        .await
        .inspect_err(|status| {
            Metrics::add(&shared.metrics.streams_failed, 1);
            tracing::warn!(agent_id = %agent, remote = %peer.remote_addr, code = ?status.code(),
            message = status.message(), "stream refused before hello");
        })?;
    if hello.agent_id != agent.as_str() {
        tracing::warn!(agent_id = %agent, claimed_id = %hello.agent_id,
            "hello agent_id differs from the certificate identity; using the certificate");
    }
    let acked = shared
        .store
        .acked(&agent, hello.epoch)
        .await
        .map_err(|error| {
            Metrics::add(&shared.metrics.streams_failed, 1);
            tracing::error!(agent_id = %agent, %error, "cannot read what is stored for the agent");
            Status::unavailable(format!("aggregator storage unavailable: {error}"))
        })?;
    let (outbound, messages) = mpsc::channel(OUTBOUND_DEPTH);
    let first = [
        ToAgent::Ack(pb::Ack {
            epoch: acked.epoch,
            up_to: acked.up_to,
            sequences: acked.above,
        }),
        ToAgent::Throttle(pb::Throttle {
            max_batches_in_flight: shared.options.max_batches_in_flight,
        }),
    ];
    for message in first {
        // The channel is new and deeper than two: this cannot be full.
        let _ = outbound.try_send(Ok(pb::AggregatorMessage {
            message: Some(message),
        }));
    }
    Metrics::add(&shared.metrics.streams_opened, 1);
    shared
        .agents
        .stream_opened(&agent, convert::hello_info(&hello));
    tracing::info!(agent_id = %agent, remote = %peer.remote_addr, epoch = hello.epoch,
        up_to = acked.up_to, agent_version = %hello.agent_version, "agent stream opened");
    let registration = shared.links.register(&agent, outbound.clone());
    tokio::spawn(run(
        shared,
        agent,
        hello.epoch,
        inbound,
        outbound,
        registration,
    ));
    Ok(messages)
}

async fn read_hello(
    shared: &Shared,
    inbound: &mut Streaming<pb::AgentMessage>,
) -> Result<pb::Hello, Status> {
    let timeout = shared.options.hello_timeout;
    let first = tokio::time::timeout(timeout, inbound.message())
        .await
        .map_err(|_| Status::deadline_exceeded(format!("no hello within {timeout:?}")))?
        .map_err(|status| convert::inbound_error(status).unwrap_or_else(|lost| lost))?;
    match first.and_then(|m| m.message) {
        Some(FromAgent::Hello(hello)) => Ok(hello),
        Some(other) => Err(Status::failed_precondition(format!(
            "first message must be hello, got {}",
            convert::kind(&other)
        ))),
        None => Err(Status::failed_precondition(
            "first message must be hello, got none",
        )),
    }
}

async fn run(
    shared: Arc<Shared>,
    agent: AgentId,
    epoch: u64,
    inbound: Streaming<pb::AgentMessage>,
    outbound: Outbound,
    registration: Registration,
) {
    let failed = CancellationToken::new();
    let depth = usize::try_from(shared.options.max_batches_in_flight).unwrap_or(usize::MAX);
    let (pending, queue) = mpsc::channel(depth.max(1));
    let committer = tokio::spawn(commit_loop(
        Arc::clone(&shared),
        agent.clone(),
        epoch,
        queue,
        outbound.clone(),
        failed.clone(),
    ));
    let generation = registration.generation();
    let end = read_loop(
        &shared, &agent, epoch, generation, inbound, pending, &failed,
    )
    .await;
    // No more probe answers can arrive: requests still waiting fail now, not at their deadline.
    drop(registration);
    // The queue is closed now: the committer commits and acks what is left, then stops.
    if committer.await.is_err() {
        tracing::error!(agent_id = %agent, "stream committer panicked");
    }
    match end {
        End::Closed => tracing::info!(agent_id = %agent, "agent closed its stream"),
        End::CommitFailed => {}
        End::Shutdown => {
            let goodbye = pb::Goodbye {
                reason: "aggregator shutting down".into(),
                reconnect_after_ms: u64::try_from(shared.options.reconnect_after.as_millis())
                    .unwrap_or(u64::MAX),
            };
            let _ = outbound
                .send(Ok(pb::AggregatorMessage {
                    message: Some(ToAgent::Goodbye(goodbye)),
                }))
                .await;
            tracing::info!(agent_id = %agent, "goodbye sent");
        }
        End::Lost(status) => {
            tracing::info!(agent_id = %agent, code = ?status.code(), message = status.message(),
                "agent connection lost");
        }
        End::Failed(status) => {
            Metrics::add(&shared.metrics.streams_failed, 1);
            tracing::warn!(agent_id = %agent, code = ?status.code(), message = status.message(),
                "agent stream ended with an error");
            let _ = outbound.send(Err(status)).await;
        }
    }
    shared.agents.stream_closed(&agent);
}

/// Reads the stream registered as `generation` until it ends.
async fn read_loop(
    shared: &Shared,
    agent: &AgentId,
    epoch: u64,
    generation: u64,
    mut inbound: Streaming<pb::AgentMessage>,
    pending: mpsc::Sender<convert::Received>,
    failed: &CancellationToken,
) -> End {
    loop {
        let received = tokio::select! {
            () = shared.stop.cancelled() => return End::Shutdown,
            () = failed.cancelled() => return End::CommitFailed,
            received = inbound.message() => received,
        };
        let message = match received {
            Ok(Some(message)) => message,
            Ok(None) => return End::Closed,
            Err(status) => {
                return match convert::inbound_error(status) {
                    Ok(malformed) => End::Failed(malformed),
                    Err(lost) => End::Lost(lost),
                };
            }
        };
        match message.message {
            Some(FromAgent::ResultBatch(batch)) => {
                let batch = match convert::validate_batch(batch, epoch) {
                    Ok(batch) => batch,
                    Err(status) => return End::Failed(status),
                };
                Metrics::add(&shared.metrics.batches_received, 1);
                tokio::select! {
                    () = shared.stop.cancelled() => return End::Shutdown,
                    () = failed.cancelled() => return End::CommitFailed,
                    sent = pending.send(batch) => if sent.is_err() { return End::CommitFailed },
                }
            }
            Some(FromAgent::Heartbeat(heartbeat)) => {
                Metrics::add(&shared.metrics.heartbeats, 1);
                shared.agents.heartbeat(agent, convert::health(&heartbeat));
            }
            Some(FromAgent::Hello(_)) => {
                return End::Failed(Status::failed_precondition(
                    "hello sent twice on one stream",
                ));
            }
            Some(FromAgent::ProbeAnswer(answer)) => {
                shared.links.answered(agent, generation, answer);
            }
            Some(other @ FromAgent::PluginStatus(_)) => {
                tracing::debug!(agent_id = %agent, kind = convert::kind(&other),
                    "ignored: the aggregator asked for nothing");
            }
            None => {
                return End::Failed(Status::invalid_argument(
                    "agent message carries nothing (no oneof field set)",
                ));
            }
        }
    }
}

async fn commit_loop(
    shared: Arc<Shared>,
    agent: AgentId,
    epoch: u64,
    mut queue: mpsc::Receiver<convert::Received>,
    outbound: Outbound,
    failed: CancellationToken,
) {
    let metrics = &shared.metrics;
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < shared.options.max_batches_per_commit {
            let Ok(next) = queue.try_recv() else { break };
            group.push(next);
        }
        let batches = group.len();
        let (group, mut runs): (Vec<_>, BTreeMap<_, _>) = group
            .into_iter()
            .map(|received| {
                let seq = received.batch.seq;
                (received.batch, (seq, received.runs))
            })
            .unzip();
        match shared.store.commit(&agent, epoch, group).await {
            Ok(committed) => {
                Metrics::add(&metrics.commits, 1);
                Metrics::add(&metrics.batches_stored, committed.inserted.len() as u64);
                Metrics::add(&metrics.duplicates, committed.duplicates.len() as u64);
                let ack = pb::Ack {
                    epoch,
                    up_to: committed.up_to,
                    sequences: committed.above_watermark(),
                };
                let message = pb::AggregatorMessage {
                    message: Some(ToAgent::Ack(ack)),
                };
                let gone = outbound.send(Ok(message)).await.is_err();
                // Passed on even when the agent is gone: what was committed stays committed.
                pass_on(&shared, &agent, &committed.inserted, &mut runs).await;
                if gone {
                    failed.cancel();
                    return;
                }
            }
            Err(error) => {
                Metrics::add(&metrics.commit_failures, 1);
                Metrics::add(&metrics.streams_failed, 1);
                tracing::error!(agent_id = %agent, %error, batches, "commit failed; ending the stream");
                let status =
                    Status::unavailable(format!("aggregator could not store batches: {error}"));
                let _ = outbound.send(Err(status)).await;
                failed.cancel();
                return;
            }
        }
    }
}

/// Hands the runs of the newly inserted batches to the listener, in sequence order.
async fn pass_on(
    shared: &Shared,
    agent: &AgentId,
    inserted: &[u64],
    runs: &mut BTreeMap<u64, Result<Vec<RunResult>, vigia_proto::ConvertError>>,
) {
    let mut inserted = inserted.to_vec();
    inserted.sort_unstable();
    let mut passed = Vec::new();
    for seq in inserted {
        match runs.remove(&seq) {
            Some(Ok(batch_runs)) => passed.extend(batch_runs),
            Some(Err(error)) => {
                Metrics::add(&shared.metrics.batches_undecodable, 1);
                tracing::warn!(agent_id = %agent, seq, %error,
                    "batch stored but its results do not convert; the live state skips it");
            }
            None => {}
        }
    }
    if let Some(listener) = &shared.listener
        && !passed.is_empty()
    {
        listener.committed(agent, passed).await;
    }
}
