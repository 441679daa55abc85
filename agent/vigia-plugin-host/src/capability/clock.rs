//! The `clock` capability (always granted).

use crate::bindings::vigia::plugin::clock::Host;
use crate::state::HostState;

impl Host for HostState {
    fn now_ms(&mut self) -> wasmtime::Result<u64> {
        self.charge()?;
        Ok(crate::clock::unix_now_ms())
    }

    fn monotonic_ns(&mut self) -> wasmtime::Result<u64> {
        self.charge()?;
        Ok(u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }
}
