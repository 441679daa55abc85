//! [`Stop`]: the demo's waits, cut short by Ctrl-C. With Ctrl-C handled here the demo fails
//! with "interrupted" instead of dying, so the guards of its daemons stop them.

use std::io::IsTerminal;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

enum Signal {
    Interrupt,
    Enter,
}

pub(crate) struct Stop {
    tx: Sender<Signal>,
    rx: Receiver<Signal>,
}

impl Stop {
    /// Handles Ctrl-C (SIGINT) for the rest of the process.
    pub(crate) fn install() -> Result<Self> {
        let (tx, rx) = mpsc::channel();
        let on_interrupt = tx.clone();
        ctrlc::set_handler(move || {
            let _ = on_interrupt.send(Signal::Interrupt);
        })
        .context("cannot handle Ctrl-C")?;
        Ok(Self { tx, rx })
    }

    /// Waits `pause`, or fails as soon as Ctrl-C comes.
    pub(crate) fn pause(&self, pause: Duration) -> Result<()> {
        match self.rx.recv_timeout(pause) {
            Ok(Signal::Interrupt) => bail!("interrupted"),
            Ok(Signal::Enter) | Err(RecvTimeoutError::Timeout) => Ok(()),
            Err(RecvTimeoutError::Disconnected) => unreachable!("`self` holds a sender"),
        }
    }

    /// Polls `check` every `every` until it gives a value; fails after `timeout` saying it was
    /// waiting for `what`, or on Ctrl-C.
    pub(crate) fn poll<T>(
        &self,
        what: &str,
        timeout: Duration,
        every: Duration,
        mut check: impl FnMut() -> Result<Option<T>>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check()? {
                return Ok(value);
            }
            if Instant::now() >= deadline {
                bail!("gave up after {timeout:?} waiting for {what}");
            }
            self.pause(every)?;
        }
    }

    /// From a terminal, blocks until Enter or Ctrl-C (both mean "stop") and says true; without
    /// a terminal (CI) returns false at once.
    pub(crate) fn until_enter(&self) -> bool {
        if !std::io::stdin().is_terminal() {
            return false;
        }
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            let _ = tx.send(Signal::Enter);
        });
        let _ = self.rx.recv();
        true
    }
}
