//! [`Tapped`]: a transport stream that remembers its first I/O error.
//!
//! With TLS 1.3 the client's handshake completes before the server has checked the client
//! certificate; a refusal arrives later as an alert, which hyper's connection task reads and
//! swallows ("connection closed"). Keeping the first read or write error lets the uplink report
//! the real cause, e.g. "received fatal alert: UnknownCA".

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The first I/O error of a connection, shared with whoever reports its failure.
#[derive(Debug, Clone, Default)]
pub(crate) struct FirstError(Arc<Mutex<Option<String>>>);

impl FirstError {
    fn record(&self, error: &io::Error) {
        // A plain Option<String>: a panic while it was held cannot leave it half-written.
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(error.to_string());
        }
    }

    pub(crate) fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

pub(crate) struct Tapped<S> {
    inner: S,
    first_error: FirstError,
}

impl<S> Tapped<S> {
    pub(crate) fn new(inner: S, first_error: FirstError) -> Self {
        Self { inner, first_error }
    }

    fn tap<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(error)) = &poll {
            self.first_error.record(error);
        }
        poll
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.tap(poll)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.tap(poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.tap(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.tap(poll)
    }
}
