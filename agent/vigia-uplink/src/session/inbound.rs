//! Reacting to the aggregator: acks delete from the spool and free the window; throttles resize
//! it; a goodbye ends the session; requests this agent cannot serve yet get a refusal or a log
//! line. Also the periodic heartbeat.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::aggregator_message::Message as FromAggregator;

use super::{End, Session};
use crate::clock::unix_ms;
use crate::error::chain;
use crate::health::HealthSnapshot;
use crate::on_demand::{self, BoxFuture, ProbeAnswer, ProbeRequest};

const PROBE_REFUSAL: &str = "on-demand probes are not enabled on this agent";
/// How long a finished answer may wait for room on the outgoing queue before it is dropped.
const ANSWER_SEND_TIMEOUT: Duration = Duration::from_secs(30);

impl Session<'_> {
    pub(super) async fn on_message(&mut self, message: pb::AggregatorMessage) -> Result<(), End> {
        match message.message {
            Some(FromAggregator::Ack(ack)) => self.on_ack(ack).await?,
            Some(FromAggregator::Throttle(throttle)) => {
                tracing::info!(
                    max_batches_in_flight = throttle.max_batches_in_flight,
                    "throttled by the aggregator"
                );
                self.flow.throttle(throttle.max_batches_in_flight);
            }
            Some(FromAggregator::Goodbye(goodbye)) => {
                return Err(End::Goodbye {
                    reason: goodbye.reason,
                    after: Duration::from_millis(goodbye.reconnect_after_ms),
                });
            }
            Some(FromAggregator::ProbeRequest(request)) => self.on_probe_request(request),
            Some(FromAggregator::PluginOffer(offer)) => {
                let plugin = offer.plugin.map(|p| p.plugin_id).unwrap_or_default();
                tracing::info!(%plugin, "plugin offers are not supported yet, offer ignored");
            }
            Some(FromAggregator::ConfigUpdate(update)) => {
                tracing::info!(
                    config_version = update.config_version,
                    "config updates are not supported yet, update ignored"
                );
            }
            None => tracing::warn!("empty aggregator message ignored"),
        }
        Ok(())
    }

    async fn on_ack(&mut self, ack: pb::Ack) -> Result<(), End> {
        let epoch = self.ctx.epoch;
        if ack.epoch != epoch {
            tracing::warn!(
                ack_epoch = ack.epoch,
                epoch,
                "ack for another epoch ignored"
            );
            return Ok(());
        }
        let deleted = self
            .ctx
            .spool
            .ack(ack.up_to, ack.sequences.clone())
            .await
            .map_err(End::Lost)?;
        self.flow.acked(ack.up_to, &ack.sequences);
        *self.acked_up_to = (*self.acked_up_to).max(ack.up_to);
        self.ctx.status.acked(deleted, unix_ms());
        if !self.established {
            self.established = true;
            tracing::info!(
                epoch,
                up_to = ack.up_to,
                held_above = ack.sequences.len(),
                "aggregator resumed the stream"
            );
        }
        self.stall_deadline =
            (self.flow.in_flight() > 0).then(|| Instant::now() + self.ctx.config.ack_timeout);
        Ok(())
    }

    /// Hands the request to the on-demand handler and goes on reading: the answer is sent from
    /// its own task when the run ends. Without a handler, refuses it at once.
    fn on_probe_request(&self, request: pb::ProbeRequest) {
        let Some(handler) = &self.ctx.on_demand else {
            self.refuse_probe(request);
            return;
        };
        let request = ProbeRequest::from(request);
        let request_id = request.request_id.clone();
        tracing::info!(
            %request_id,
            plugin_id = %request.plugin_id,
            targets = request.targets.len(),
            deadline_ms = request.deadline.as_millis() as u64,
            "on-demand probe requested"
        );
        let answer = handler.run(request);
        tokio::spawn(answer_when_done(
            request_id,
            answer,
            self.tx.clone(),
            self.shutdown.clone(),
        ));
    }

    fn refuse_probe(&self, request: pb::ProbeRequest) {
        tracing::info!(
            request_id = %request.request_id,
            plugin_id = %request.plugin_id,
            "on-demand probe refused"
        );
        let answer = pb::ProbeAnswer {
            request_id: request.request_id,
            answer: Some(pb::probe_answer::Answer::Refusal(pb::ProbeRefusal {
                reason: pb::ProbeRefusalReason::NotAllowed.into(),
                message: PROBE_REFUSAL.to_owned(),
            })),
        };
        self.try_send(
            pb::agent_message::Message::ProbeAnswer(answer),
            "probe answer",
        );
    }

    /// Sends a heartbeat; a failure to gather the figures skips this one.
    pub(super) async fn heartbeat(&mut self) {
        let health = match self.ctx.spool.health(Arc::clone(&self.ctx.health)).await {
            Ok(health) => health,
            Err(error) => {
                tracing::warn!(error = %chain(&error), "heartbeat skipped");
                return;
            }
        };
        let HealthSnapshot {
            spool_records,
            spool_bytes,
            oldest_unacked_age_ms,
            dropped_records,
            plugin_faults,
            budget_exhaustions,
            probe_runs,
            skipped_overlapping_runs,
            uptime_ms,
        } = health;
        let beat = pb::Heartbeat {
            spool_records,
            spool_bytes,
            oldest_unacked_age_ms,
            dropped_records,
            plugin_faults,
            budget_exhaustions,
            last_ack_at_ms: self.ctx.status.last_ack_at_ms(),
            uptime_ms,
            probe_runs,
            skipped_overlapping_runs,
            sent_at_ms: unix_ms(),
        };
        self.try_send(pb::agent_message::Message::Heartbeat(beat), "heartbeat");
    }
}

/// Waits for the handler's answer and queues it on the stream the request came on. Dropped (and
/// logged) when that stream has ended, the queue stays full too long, or the uplink stops.
async fn answer_when_done(
    request_id: String,
    answer: BoxFuture<'static, ProbeAnswer>,
    tx: mpsc::Sender<pb::AgentMessage>,
    shutdown: CancellationToken,
) {
    let answer = tokio::select! {
        biased;
        () = shutdown.cancelled() => {
            tracing::info!(%request_id, "uplink stopping, on-demand probe answer dropped");
            return;
        }
        answer = answer => answer,
    };
    let outcome = match &answer {
        ProbeAnswer::Result(result) => result.outcome.label(),
        ProbeAnswer::Refused(_) => "refused",
    };
    let message = pb::AgentMessage {
        message: Some(pb::agent_message::Message::ProbeAnswer(
            on_demand::to_proto(request_id.clone(), answer),
        )),
    };
    let sent = tokio::select! {
        biased;
        () = shutdown.cancelled() => Err("the uplink is stopping"),
        sent = tx.send(message) => sent.map_err(|_| "its stream has ended"),
        () = tokio::time::sleep(ANSWER_SEND_TIMEOUT) => Err("the outgoing queue stayed full"),
    };
    match sent {
        Ok(()) => tracing::info!(%request_id, outcome, "on-demand probe answered"),
        Err(why) => tracing::warn!(%request_id, outcome, why, "on-demand probe answer dropped"),
    }
}
