//! One stream to the aggregator, from dialling until it ends: open it with a `Hello`, then react
//! to whatever happens first (a message from the aggregator, new durable records, a heartbeat
//! tick, a pacing or timeout deadline, shutdown) and send what [`Flow`] allows.

mod inbound;
mod outbound;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{self, Instant, MissedTickBehavior};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Streaming;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_link_client::AgentLinkClient;

use crate::config::UplinkConfig;
use crate::dial::{Dialer, FirstError};
use crate::error::LinkError;
use crate::flow::Flow;
use crate::health::HealthSource;
use crate::on_demand::OnDemand;
use crate::pacer::Pacer;
use crate::spool_io::SpoolIo;
use crate::status::UplinkStatus;

/// Room on the outgoing queue beyond the in-flight window, for heartbeats and probe answers.
const SPARE_SLOTS: usize = 16;
/// Largest aggregator message accepted (plugin offers carry chunks of `.wasm` files).
const MAX_INBOUND_BYTES: usize = 16 * 1024 * 1024;

/// What every session of one uplink shares.
pub(crate) struct Context {
    pub(crate) config: UplinkConfig,
    pub(crate) dialer: Dialer,
    pub(crate) spool: SpoolIo,
    pub(crate) health: Arc<dyn HealthSource>,
    pub(crate) status: UplinkStatus,
    pub(crate) epoch: u64,
    /// Runs `ProbeRequest`s; `None`: they are refused `NOT_ALLOWED`.
    pub(crate) on_demand: Option<Arc<dyn OnDemand>>,
}

/// How a session ended.
#[derive(Debug)]
pub(crate) enum End {
    Shutdown,
    Goodbye { reason: String, after: Duration },
    Lost(LinkError),
}

pub(crate) struct Report {
    pub(crate) end: End,
    /// The aggregator acked at least once: the connection worked.
    pub(crate) established: bool,
}

/// Runs one session. `acked_up_to` is the highest cumulative ack known, kept across sessions
/// for the next `Hello`.
pub(crate) async fn run(
    ctx: &Context,
    acked_up_to: &mut u64,
    shutdown: &CancellationToken,
) -> Report {
    let opened = tokio::select! {
        biased;
        () = shutdown.cancelled() => Err(End::Shutdown),
        opened = open(ctx, *acked_up_to) => opened.map_err(End::Lost),
    };
    let opened = match opened {
        Ok(opened) => opened,
        Err(end) => {
            return Report {
                end,
                established: false,
            };
        }
    };
    ctx.status.opened();
    tracing::info!(
        epoch = ctx.epoch,
        boundary = opened.boundary,
        acked_up_to = *acked_up_to,
        "uplink stream open"
    );
    let mut session = Session {
        ctx,
        shutdown,
        tx: opened.tx,
        flow: Flow::new(ctx.config.max_in_flight as usize, opened.boundary),
        pacer: Pacer::new(ctx.config.backlog_rate, Instant::now()),
        stall_deadline: None,
        established: false,
        acked_up_to,
    };
    let end = match session.drive(opened.inbound, opened.durable).await {
        End::Lost(LinkError::Stream { source, .. }) => End::Lost(LinkError::Stream {
            transport: opened.first_error.get(),
            source,
        }),
        end => end,
    };
    Report {
        end,
        established: session.established,
    }
}

struct Opened {
    tx: mpsc::Sender<pb::AgentMessage>,
    inbound: Streaming<pb::AggregatorMessage>,
    durable: watch::Receiver<u64>,
    /// The spool's first non-durable sequence when the stream opened: live from here on.
    boundary: u64,
    first_error: FirstError,
}

async fn open(ctx: &Context, acked_up_to: u64) -> Result<Opened, LinkError> {
    let (channel, first_error) = ctx.dialer.connect().await?;
    let mut client = AgentLinkClient::new(channel)
        .max_encoding_message_size(ctx.config.max_batch_bytes + 1024)
        .max_decoding_message_size(MAX_INBOUND_BYTES);
    // Subscribe before reading the boundary, so no commit after it goes unnoticed.
    let mut durable = ctx.spool.subscribe();
    durable.borrow_and_update();
    let boundary = ctx.spool.durable_next();

    let (tx, rx) = mpsc::channel(ctx.config.max_in_flight as usize + SPARE_SLOTS);
    // Hello goes on the request stream before the call is awaited: the aggregator reads it
    // before answering (see the vigia-proto docs). A fresh queue always has room for it.
    tx.send(hello(ctx, acked_up_to))
        .await
        .map_err(|_| LinkError::Closed)?;
    let response = time::timeout(
        ctx.config.open_timeout,
        client.connect(ReceiverStream::new(rx)),
    )
    .await
    .map_err(|_| LinkError::Timeout {
        what: "answer to Connect",
        after: ctx.config.open_timeout,
    })?
    .map_err(|source| LinkError::Refused {
        transport: first_error.get(),
        source,
    })?;
    Ok(Opened {
        tx,
        inbound: response.into_inner(),
        durable,
        boundary,
        first_error,
    })
}

fn hello(ctx: &Context, acked_up_to: u64) -> pb::AgentMessage {
    let config = &ctx.config;
    pb::AgentMessage {
        message: Some(pb::agent_message::Message::Hello(pb::Hello {
            agent_id: config.agent_id.clone(),
            agent_version: config.agent_version.clone(),
            epoch: ctx.epoch,
            last_acked_sequence: acked_up_to,
            plugin_wit_versions: config.plugin_wit_versions.clone(),
            installed_plugins: config
                .installed_plugins
                .iter()
                .cloned()
                .map(Into::into)
                .collect(),
        })),
    }
}

/// One open stream.
struct Session<'a> {
    ctx: &'a Context,
    shutdown: &'a CancellationToken,
    tx: mpsc::Sender<pb::AgentMessage>,
    flow: Flow,
    pacer: Pacer,
    /// With batches in flight: when the connection counts as dead if no ack came.
    stall_deadline: Option<Instant>,
    established: bool,
    acked_up_to: &'a mut u64,
}

impl Session<'_> {
    async fn drive(
        &mut self,
        mut inbound: Streaming<pb::AggregatorMessage>,
        mut durable: watch::Receiver<u64>,
    ) -> End {
        let shutdown = self.shutdown;
        let config = &self.ctx.config;
        let start = Instant::now();
        let resume_at = start + config.resume_timeout;
        let mut heartbeat =
            time::interval_at(start + config.heartbeat_interval, config.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut spool_open = true;
        loop {
            if let Err(end) = self.pump().await {
                return end;
            }
            self.ctx
                .status
                .window(self.flow.in_flight(), self.flow.limit());
            let pace_at = self.backlog_waits_until();
            let stall_at = self.stall_deadline;
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return End::Shutdown,
                message = inbound.message() => {
                    let handled = match message {
                        Ok(Some(message)) => self.on_message(message).await,
                        Ok(None) => Err(End::Lost(LinkError::Closed)),
                        Err(source) => Err(End::Lost(LinkError::Stream { transport: None, source })),
                    };
                    if let Err(end) = handled {
                        return end;
                    }
                }
                changed = durable.changed(), if spool_open => {
                    // The spool only goes away with the agent; stop watching it if it does.
                    spool_open = changed.is_ok();
                }
                _ = heartbeat.tick() => self.heartbeat().await,
                () = time::sleep_until(resume_at), if !self.flow.resumed() => {
                    tracing::warn!(
                        after = ?config.resume_timeout,
                        "no first ack from the aggregator, replaying the backlog anyway"
                    );
                    self.flow.resume_anyway();
                }
                () = time::sleep_until(stall_at.unwrap_or_else(far_future)), if stall_at.is_some() => {
                    return End::Lost(LinkError::Timeout { what: "ack", after: config.ack_timeout });
                }
                () = time::sleep_until(pace_at.unwrap_or_else(far_future)), if pace_at.is_some() => {}
            }
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(365 * 24 * 3600)
}
