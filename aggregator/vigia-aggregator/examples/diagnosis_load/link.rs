//! One agent's stream to the aggregator's ingest over mutually authenticated TLS: Hello, then
//! the given batches with at most the aggregator's `Throttle` in flight, until every one is acked
//! (acks come after the durable commit). Every wait is bounded.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_stream::wrappers::ReceiverStream;
use vigia_ingest::testing::{self, ClientIdentity};
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;

/// Bound on connecting and on any one answer from the aggregator.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Most batches this client keeps unacked (lowered to the aggregator's Throttle).
const MAX_IN_FLIGHT: usize = 32;

/// Where and as whom.
pub struct Agent {
    pub id: String,
    pub addr: SocketAddr,
    pub server_name: String,
    pub identity: ClientIdentity,
    pub epoch: u64,
}

/// A run of one plugin: its probe, its plugin id and what it observed.
pub struct Run {
    pub probe: &'static str,
    pub plugin: &'static str,
    pub observations: Vec<pb::Observation>,
}

/// Sends every run, one batch each, and returns once all are acked.
pub async fn send_all(agent: Agent, runs: Vec<Run>) -> Result<u64, String> {
    let who = agent.id.clone();
    timeout(IO_TIMEOUT * 10, send(agent, runs))
        .await
        .map_err(|_| format!("agent {who}: not done within {:?}", IO_TIMEOUT * 10))?
        .map_err(|error| format!("agent {who}: {error}"))
}

async fn send(agent: Agent, runs: Vec<Run>) -> Result<u64, String> {
    let mut client = timeout(
        IO_TIMEOUT,
        testing::connect(agent.addr, &agent.server_name, &agent.identity),
    )
    .await
    .map_err(|_| "connect timed out".to_owned())?
    .map_err(|error| format!("connect: {error}"))?;
    let (to_server, outbound) = mpsc::channel(MAX_IN_FLIGHT + 2);
    // Queued before the call is awaited: the server reads the Hello before answering.
    to_server
        .try_send(testing::hello(&agent.id, agent.epoch, 0))
        .map_err(|error| format!("queue hello: {error}"))?;
    let mut inbound = timeout(IO_TIMEOUT, client.connect(ReceiverStream::new(outbound)))
        .await
        .map_err(|_| "connect call timed out".to_owned())?
        .map_err(|status| format!("connect call: {status}"))?
        .into_inner();
    let mut limit = MAX_IN_FLIGHT;
    let mut pending: BTreeSet<u64> = BTreeSet::new();
    let mut observations = 0u64;
    let mut runs = runs.into_iter().enumerate().peekable();
    loop {
        while pending.len() < limit
            && let Some((index, run)) = runs.next()
        {
            let sequence = index as u64 + 1;
            observations += run.observations.len() as u64;
            let batch = batch(&agent, sequence, run);
            to_server
                .send(testing::batch_message(batch))
                .await
                .map_err(|error| format!("request stream: {error}"))?;
            pending.insert(sequence);
        }
        if pending.is_empty() && runs.peek().is_none() {
            break;
        }
        let message = timeout(IO_TIMEOUT, inbound.message())
            .await
            .map_err(|_| format!("no answer within {IO_TIMEOUT:?}"))?
            .map_err(|status| format!("stream failed: {status}"))?
            .ok_or("the aggregator ended the stream")?;
        match message.message {
            Some(ToAgent::Ack(ack)) if ack.epoch == agent.epoch => {
                pending.retain(|seq| *seq > ack.up_to && !ack.sequences.contains(seq));
            }
            Some(ToAgent::Throttle(throttle)) => {
                let allowed = usize::try_from(throttle.max_batches_in_flight).unwrap_or(usize::MAX);
                limit = MAX_IN_FLIGHT.min(allowed.max(1));
            }
            Some(ToAgent::Goodbye(goodbye)) => {
                return Err(format!("the aggregator said goodbye: {}", goodbye.reason));
            }
            _ => {}
        }
    }
    // Half-close and wait (bounded) for the aggregator to end its side.
    drop(to_server);
    timeout(IO_TIMEOUT, async {
        while let Ok(Some(_)) = inbound.message().await {}
    })
    .await
    .map_err(|_| "the aggregator did not end the stream".to_owned())?;
    Ok(observations)
}

fn batch(agent: &Agent, sequence: u64, run: Run) -> pb::ResultBatch {
    let finished = run
        .observations
        .iter()
        .map(|o| o.observed_at_ms)
        .max()
        .unwrap_or(0);
    pb::ResultBatch {
        epoch: agent.epoch,
        sequence,
        live: true,
        results: vec![pb::RunResult {
            probe: run.probe.to_owned(),
            plugin: Some(pb::PluginRef {
                plugin_id: run.plugin.to_owned(),
                version: "1.0.0".to_owned(),
                sha256: vec![0x5a; 32],
            }),
            run_id: format!("{}-{:x}-{sequence}", agent.id, agent.epoch),
            started_at_ms: finished.saturating_sub(2_000),
            finished_at_ms: finished,
            outcome: Some(pb::run_result::Outcome::Observations(pb::ObservationList {
                observations: run.observations,
            })),
        }],
    }
}
