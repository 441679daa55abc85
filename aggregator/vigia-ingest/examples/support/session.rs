//! One simulated agent: its own TLS connection and `Connect` stream, batches sent paced or as
//! fast as the in-flight window allows, and for every batch the time from its send to the `Ack`
//! that covers it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, sleep_until, timeout};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;
use tonic::transport::Channel;
use vigia_ingest::testing::{self, ClientIdentity};
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_link_client::AgentLinkClient;
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;

use super::workload::Workload;

/// What every agent is told.
pub struct Settings {
    pub addr: SocketAddr,
    pub server_name: String,
    pub observations_per_batch: usize,
    pub max_in_flight: usize,
    /// Batches per second per agent; `None`: as fast as the in-flight window allows.
    pub rate_per_agent: Option<f64>,
    /// Bound on connecting, on the Hello's answer and on the stream's close.
    pub io_timeout: Duration,
    /// How long after the window the last batches may take to be acked.
    pub drain: Duration,
}

/// The load window, the same for every agent.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

/// Agents connected now, and the most at once.
#[derive(Default)]
pub struct Gauge {
    current: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    fn up(&self) {
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }

    fn down(&self) {
        self.current.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Shared by every agent task.
pub struct Context {
    pub settings: Settings,
    pub gauge: Gauge,
    /// Bounds simultaneous handshakes, so the listener's backlog is not overrun.
    pub connect_permits: Semaphore,
    /// Each agent sends once: `true` when its stream is open.
    pub ready: mpsc::Sender<bool>,
    /// `None` until every agent had its chance to connect.
    pub window: watch::Receiver<Option<Window>>,
}

/// One simulated agent.
pub struct Agent {
    pub index: u32,
    pub id: String,
    pub epoch: u64,
    pub identity: ClientIdentity,
}

/// What one agent saw.
#[derive(Debug, Default)]
pub struct Report {
    pub batches_acked: u64,
    pub observations_acked: u64,
    /// Observations acked before the window ended (the throughput figure).
    pub observations_in_window: u64,
    /// Microseconds from send to covering Ack, per batch.
    pub latencies_us: Vec<u32>,
    /// Paced sends skipped because the in-flight window was full.
    pub sends_skipped: u64,
    pub error: Option<String>,
}

struct Stream {
    // Kept so the connection lives as long as the stream.
    _client: AgentLinkClient<Channel>,
    to_server: mpsc::Sender<pb::AgentMessage>,
    inbound: Streaming<pb::AggregatorMessage>,
    limit: usize,
}

/// Runs one agent from connect to close; never panics on what the aggregator does.
pub async fn run(agent: Agent, cx: Arc<Context>) -> Report {
    let mut report = Report::default();
    let opened = {
        let _permit = cx.connect_permits.acquire().await;
        match timeout(cx.settings.io_timeout, open(&agent, &cx.settings)).await {
            Ok(opened) => opened,
            Err(_) => Err(format!(
                "no stream within {:?} (connect, Hello, Ack)",
                cx.settings.io_timeout
            )),
        }
    };
    let _ = cx.ready.send(opened.is_ok()).await;
    let mut stream = match opened {
        Ok(stream) => stream,
        Err(error) => {
            report.error = Some(format!("agent {}: {error}", agent.id));
            return report;
        }
    };
    cx.gauge.up();
    let mut window = cx.window.clone();
    let window = match window.wait_for(Option::is_some).await.map(|w| *w) {
        Ok(Some(window)) => window,
        _ => {
            report.error = Some(format!("agent {}: the load never started", agent.id));
            cx.gauge.down();
            return report;
        }
    };
    let outcome = match drive(&agent, &cx.settings, &mut stream, window, &mut report).await {
        Ok(()) => close(stream, cx.settings.io_timeout).await,
        Err(error) => Err(error),
    };
    cx.gauge.down();
    if let Err(error) = outcome {
        report.error = Some(format!("agent {}: {error}", agent.id));
    }
    report
}

/// Connects, sends Hello and reads the aggregator's first Ack and Throttle.
async fn open(agent: &Agent, settings: &Settings) -> Result<Stream, String> {
    let mut client = testing::connect(settings.addr, &settings.server_name, &agent.identity)
        .await
        .map_err(|error| format!("connect: {error}"))?;
    let (to_server, outbound) = mpsc::channel(settings.max_in_flight + 2);
    // The Hello is queued before the call is awaited: the server reads it before answering.
    to_server
        .try_send(testing::hello(&agent.id, agent.epoch, 0))
        .map_err(|error| format!("queue hello: {error}"))?;
    let mut inbound = client
        .connect(ReceiverStream::new(outbound))
        .await
        .map_err(|status| format!("connect call: {status}"))?
        .into_inner();
    let mut limit = settings.max_in_flight;
    let (mut acked, mut throttled) = (false, false);
    while !(acked && throttled) {
        match next(&mut inbound).await? {
            ToAgent::Ack(_) => acked = true,
            ToAgent::Throttle(throttle) => {
                throttled = true;
                let allowed = usize::try_from(throttle.max_batches_in_flight).unwrap_or(usize::MAX);
                limit = limit.min(allowed.max(1));
            }
            other => return Err(format!("unexpected first message {other:?}")),
        }
    }
    Ok(Stream {
        _client: client,
        to_server,
        inbound,
        limit,
    })
}

async fn next(inbound: &mut Streaming<pb::AggregatorMessage>) -> Result<ToAgent, String> {
    match inbound.message().await {
        Ok(Some(pb::AggregatorMessage {
            message: Some(message),
        })) => Ok(message),
        Ok(Some(_)) => Err("aggregator message with nothing set".into()),
        Ok(None) => Err("the aggregator ended the stream".into()),
        Err(status) => Err(format!("stream failed: {status}")),
    }
}

/// Sends during the window and reads acks until every batch sent is acked.
async fn drive(
    agent: &Agent,
    settings: &Settings,
    stream: &mut Stream,
    window: Window,
    report: &mut Report,
) -> Result<(), String> {
    let mut workload = Workload::new(agent.index);
    let per_batch = settings.observations_per_batch;
    let mut ticker = settings.rate_per_agent.map(|rate| {
        let period = Duration::from_secs_f64(1.0 / rate);
        // Agents start at different points of the period, so sends are spread evenly.
        let phase = period.mul_f64(f64::from(agent.index % 1000) / 1000.0);
        let mut ticker = interval_at(window.start + phase, period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        ticker
    });
    let mut pending: BTreeMap<u64, Instant> = BTreeMap::new();
    let mut next_seq = 1u64;
    let mut sending = true;
    let window_end = sleep_until(window.end);
    let drain_end = sleep_until(window.end + settings.drain);
    tokio::pin!(window_end, drain_end);
    while sending || !pending.is_empty() {
        let room = pending.len() < stream.limit;
        tokio::select! {
            biased;
            message = next(&mut stream.inbound) => match message? {
                ToAgent::Ack(ack) if ack.epoch == agent.epoch => {
                    on_ack(&ack, &mut pending, window, per_batch, report);
                }
                ToAgent::Throttle(throttle) => {
                    let allowed = usize::try_from(throttle.max_batches_in_flight).unwrap_or(usize::MAX);
                    stream.limit = settings.max_in_flight.min(allowed.max(1));
                }
                ToAgent::Goodbye(goodbye) => {
                    return Err(format!("the aggregator said goodbye: {}", goodbye.reason));
                }
                _ => {}
            },
            () = &mut window_end, if sending => sending = false,
            () = &mut drain_end, if !sending => {
                return Err(format!(
                    "{} batches still unacked {:?} after the window", pending.len(), settings.drain
                ));
            }
            () = send_slot(&mut ticker), if sending && (ticker.is_some() || room) => {
                if !room {
                    report.sends_skipped += 1;
                    continue;
                }
                let batch = workload.batch(agent.epoch, next_seq, per_batch, unix_ms());
                stream
                    .to_server
                    .try_send(testing::batch_message(batch))
                    .map_err(|error| format!("request stream: {error}"))?;
                pending.insert(next_seq, Instant::now());
                next_seq += 1;
            }
        }
    }
    Ok(())
}

/// Waits for the next paced send, or not at all when unpaced.
async fn send_slot(ticker: &mut Option<Interval>) {
    if let Some(ticker) = ticker {
        ticker.tick().await;
    }
}

/// Settles every pending batch the ack covers.
fn on_ack(
    ack: &pb::Ack,
    pending: &mut BTreeMap<u64, Instant>,
    window: Window,
    per_batch: usize,
    report: &mut Report,
) {
    let now = Instant::now();
    let above = pending.split_off(&ack.up_to.saturating_add(1));
    let mut covered: Vec<Instant> = std::mem::replace(pending, above).into_values().collect();
    covered.extend(ack.sequences.iter().filter_map(|seq| pending.remove(seq)));
    for sent in covered {
        let micros = now.duration_since(sent).as_micros();
        report
            .latencies_us
            .push(u32::try_from(micros).unwrap_or(u32::MAX));
        report.batches_acked += 1;
        report.observations_acked += per_batch as u64;
        if now <= window.end {
            report.observations_in_window += per_batch as u64;
        }
    }
}

/// Half-closes the request stream and waits (bounded) for the aggregator to end its side.
async fn close(stream: Stream, io_timeout: Duration) -> Result<(), String> {
    let Stream {
        _client,
        to_server,
        mut inbound,
        ..
    } = stream;
    drop(to_server);
    let rest = async {
        loop {
            match inbound.message().await {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(status) => return Err(format!("stream failed at close: {status}")),
            }
        }
    };
    timeout(io_timeout, rest)
        .await
        .map_err(|_| format!("the aggregator did not end the stream within {io_timeout:?}"))?
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
