//! Recorded requests and a bounded wait for them.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

/// Fewer requests arrived than waited for.
#[derive(Debug, thiserror::Error)]
#[error("waited {waited:?} for {wanted} requests, {got} arrived")]
pub struct WaitTimeout {
    pub wanted: usize,
    pub got: usize,
    pub waited: Duration,
}

#[derive(Debug)]
pub(crate) struct Recorder<T> {
    items: Mutex<Vec<T>>,
    count: watch::Sender<usize>,
}

impl<T: Clone> Recorder<T> {
    pub(crate) fn new() -> Self {
        Self {
            items: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
        }
    }

    pub(crate) fn push(&self, item: T) {
        let len = {
            let mut items = self.lock();
            items.push(item);
            items.len()
        };
        self.count.send_replace(len);
    }

    pub(crate) fn all(&self) -> Vec<T> {
        self.lock().clone()
    }

    /// Waits until at least `n` items were recorded, at most `timeout`; returns all of them.
    pub(crate) async fn wait_for(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<T>, WaitTimeout> {
        let mut rx = self.count.subscribe();
        let reached = tokio::time::timeout(timeout, rx.wait_for(|count| *count >= n)).await;
        match reached {
            Ok(Ok(_)) => Ok(self.all()),
            _ => Err(WaitTimeout {
                wanted: n,
                got: self.lock().len(),
                waited: timeout,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
