//! Sending: live records first, then the paced backlog, each decoded from its spool payload
//! and sent with the stream's epoch, its sequence and `live`; unsendable records are quarantined.

use tokio::time::{self, Instant};
use vigia_proto::agent::v1 as pb;
use vigia_spool::{Record, SpoolError};

use super::{End, Session};
use crate::error::{LinkError, chain};
use crate::payload::decode_payload;
use crate::spool_io::Read;

impl Session<'_> {
    /// Sends everything the window and the pacer allow right now.
    pub(super) async fn pump(&mut self) -> Result<(), End> {
        self.pump_live().await?;
        self.pump_backlog().await
    }

    async fn pump_live(&mut self) -> Result<(), End> {
        loop {
            let room = self.flow.live_room();
            if room == 0 {
                return Ok(());
            }
            match self.read(self.flow.live_next(), room).await? {
                Read::Records(records) if records.is_empty() => return Ok(()),
                Read::Records(records) => {
                    for record in records {
                        self.send_record(record, true).await?;
                    }
                }
                Read::Corrupt { seq, error } => self.quarantine_corrupt(seq, true, &error).await?,
            }
        }
    }

    async fn pump_backlog(&mut self) -> Result<(), End> {
        loop {
            let room = self.flow.backlog_room();
            if room == 0 {
                return Ok(());
            }
            let tokens = self.pacer.available(Instant::now());
            if tokens == 0 {
                return Ok(());
            }
            let boundary = self.flow.boundary();
            match self
                .read(self.flow.backlog_next(), room.min(tokens))
                .await?
            {
                Read::Records(records) => {
                    let mut reached_live = records.is_empty();
                    for record in records {
                        if record.seq >= boundary {
                            reached_live = true;
                            break;
                        }
                        self.pacer.take();
                        self.send_record(record, false).await?;
                    }
                    if reached_live {
                        self.flow.finish_backlog();
                        tracing::info!(epoch = self.ctx.epoch, boundary, "backlog replayed");
                        return Ok(());
                    }
                }
                Read::Corrupt { seq, .. } if seq >= boundary => {
                    // Past the backlog: the live side deals with it.
                    self.flow.finish_backlog();
                    return Ok(());
                }
                Read::Corrupt { seq, error } => self.quarantine_corrupt(seq, false, &error).await?,
            }
        }
    }

    /// When to pump the backlog again, if only the pacer stands in its way (with no room in the
    /// window, an ack or the resume timeout wakes the session instead).
    ///
    /// This reads the clock after [`pump_backlog`](Self::pump_backlog) did, so a token may have
    /// come in between: then the answer is "now", never "no wake-up", or the replay would stall
    /// until some unrelated message arrived.
    pub(super) fn backlog_waits_until(&mut self) -> Option<Instant> {
        let room = self.flow.backlog_room();
        (room > 0).then(|| self.pacer.ready_at(Instant::now(), room))
    }

    async fn read(&self, from: u64, max_records: usize) -> Result<Read, End> {
        self.ctx
            .spool
            .read(from, max_records)
            .await
            .map_err(End::Lost)
    }

    async fn send_record(&mut self, record: Record, live: bool) -> Result<(), End> {
        let seq = record.seq;
        let mut batch = match decode_payload(&record.payload, self.ctx.config.max_batch_bytes) {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(seq, epoch = self.ctx.epoch, error = %chain(&error), "unsendable spool record");
                return self.quarantine(seq, live).await;
            }
        };
        batch.epoch = self.ctx.epoch;
        batch.sequence = seq;
        batch.live = live;
        self.send(pb::agent_message::Message::ResultBatch(batch))
            .await?;
        self.flow.sent(seq, live);
        self.ctx.status.sent(live);
        if self.stall_deadline.is_none() {
            self.stall_deadline = Some(Instant::now() + self.ctx.config.ack_timeout);
        }
        Ok(())
    }

    async fn quarantine_corrupt(
        &mut self,
        seq: u64,
        live: bool,
        error: &SpoolError,
    ) -> Result<(), End> {
        tracing::warn!(seq, epoch = self.ctx.epoch, error = %chain(error), "unreadable spool record");
        self.quarantine(seq, live).await
    }

    async fn quarantine(&mut self, seq: u64, live: bool) -> Result<(), End> {
        if self.ctx.spool.quarantine(seq).await.map_err(End::Lost)? {
            self.ctx.status.quarantined();
        }
        self.flow.skip(seq, live);
        Ok(())
    }

    /// Queues a message that must not be lost (a batch): waits for room, but not past shutdown
    /// or the ack timeout.
    pub(super) async fn send(&self, message: pb::agent_message::Message) -> Result<(), End> {
        let message = pb::AgentMessage {
            message: Some(message),
        };
        let after = self.ctx.config.ack_timeout;
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => Err(End::Shutdown),
            sent = self.tx.send(message) => sent.map_err(|_| End::Lost(LinkError::Closed)),
            () = time::sleep(after) => Err(End::Lost(LinkError::Timeout { what: "room on the stream", after })),
        }
    }

    /// Queues a message that may be skipped when the stream is backed up (a heartbeat, an
    /// answer the aggregator will time out on).
    pub(super) fn try_send(&self, message: pb::agent_message::Message, what: &'static str) {
        let message = pb::AgentMessage {
            message: Some(message),
        };
        if self.tx.try_send(message).is_err() {
            tracing::debug!(what, "outgoing queue full or closed, message dropped");
        }
    }
}
