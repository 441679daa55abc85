//! [`Appended`]: the pending result of an append, resolved once the records are durable.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::error::{Result, SpoolError};

/// Resolves to the sequence numbers assigned to an append's payloads (in order) once they are
/// durable. Await it from async code, or call [`Appended::wait`] from a plain thread.
#[derive(Debug)]
#[must_use = "an append is only known to be durable once this resolves"]
pub struct Appended {
    rx: oneshot::Receiver<Result<Vec<u64>>>,
}

impl Appended {
    pub(crate) fn new(rx: oneshot::Receiver<Result<Vec<u64>>>) -> Self {
        Self { rx }
    }

    /// An append that has already failed.
    pub(crate) fn failed(error: SpoolError) -> Self {
        let (tx, rx) = oneshot::channel();
        // The receiver is alive (it is in our hands), so this cannot fail.
        let _ = tx.send(Err(error));
        Self { rx }
    }

    /// Blocks the current thread until the append is durable (or failed).
    ///
    /// # Panics
    /// When called from inside an async runtime (tokio's rule for blocking receives); await instead.
    pub fn wait(self) -> Result<Vec<u64>> {
        self.rx.blocking_recv().unwrap_or(Err(SpoolError::Closed))
    }
}

impl Future for Appended {
    type Output = Result<Vec<u64>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(SpoolError::Closed)))
    }
}
