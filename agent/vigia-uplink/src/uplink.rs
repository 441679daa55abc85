//! [`Uplink`]: reconnects forever, one session at a time, with backoff between them.

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio_util::sync::CancellationToken;
use vigia_spool::Spool;

use crate::backoff::Backoff;
use crate::config::UplinkConfig;
use crate::dial::Dialer;
use crate::error::{ConfigError, chain};
use crate::health::HealthSource;
use crate::on_demand::OnDemand;
use crate::session::{self, Context, End};
use crate::spool_io::SpoolIo;
use crate::status::UplinkStatus;

/// The agent's uplink. Build it with [`Uplink::new`] (which checks the config), keep a
/// [`status`](Uplink::status) handle, then [`run`](Uplink::run) it until shutdown.
pub struct Uplink {
    ctx: Context,
}

impl Uplink {
    /// Checks the config and prepares the TLS client; nothing is dialled yet.
    pub fn new(
        config: UplinkConfig,
        spool: Arc<dyn Spool>,
        health: Arc<dyn HealthSource>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let dialer = Dialer::new(&config)?;
        let epoch = spool.epoch();
        // Reads of a few batches at a time; one record larger than this is still returned.
        let spool = SpoolIo::new(spool, config.max_batch_bytes.saturating_mul(4));
        Ok(Self {
            ctx: Context {
                config,
                dialer,
                spool,
                health,
                status: UplinkStatus::default(),
                epoch,
                on_demand: None,
            },
        })
    }

    /// Runs the aggregator's `ProbeRequest`s with `handler` (without one they are refused
    /// `NOT_ALLOWED`). Each request is handed over without blocking the stream; its answer goes
    /// out on the stream the request came on, or is dropped if that stream has ended.
    pub fn with_on_demand(mut self, handler: Arc<dyn OnDemand>) -> Self {
        self.ctx.on_demand = Some(handler);
        self
    }

    /// The shared status handle (cheap to clone and read).
    pub fn status(&self) -> UplinkStatus {
        self.ctx.status.clone()
    }

    /// Connects, streams and reconnects until `shutdown` is cancelled; never returns earlier.
    /// Every failure is logged, shown in the status and retried after a backoff.
    pub async fn run(self, shutdown: CancellationToken) {
        let ctx = &self.ctx;
        let config = &ctx.config;
        let mut backoff = Backoff::new(
            config.backoff_min,
            config.backoff_max,
            StdRng::from_os_rng(),
        );
        let mut acked_up_to = ctx.spool.initially_acked().await;
        while !shutdown.is_cancelled() {
            ctx.status.attempt();
            let report = session::run(ctx, &mut acked_up_to, &shutdown).await;
            if report.established {
                backoff.reset();
            }
            let delay = match report.end {
                End::Shutdown => break,
                End::Goodbye { reason, after } => {
                    tracing::info!(%reason, reconnect_after = ?after, "aggregator said goodbye");
                    ctx.status
                        .closed(Some(format!("goodbye from the aggregator: {reason}")));
                    backoff.after_goodbye(after)
                }
                End::Lost(error) => {
                    let text = chain(&error);
                    tracing::warn!(error = %text, endpoint = %config.endpoint, "uplink connection failed");
                    ctx.status.closed(Some(text));
                    backoff.next_delay()
                }
            };
            tracing::debug!(?delay, "uplink reconnecting after backoff");
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
        ctx.status.closed(None);
        tracing::info!("uplink stopped");
    }
}
