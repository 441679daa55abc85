//! Scheduler tests. All but `real_ping` use a fake [`Runner`](super::runner::Runner) and
//! `tokio::time::pause()`: the schedule, breakers, permits and shutdown are checked in virtual
//! time, exactly, without wasm. `real_ping` runs the real ping plugin on the real plugin host.

mod breaker;
mod delivery;
mod jitter;
mod offline;
mod overlap;
mod permits;
mod real_ping;
mod shutdown;
mod support;
