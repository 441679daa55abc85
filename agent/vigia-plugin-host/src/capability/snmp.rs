//! The `snmp` capability: grant-checked, but not yet backed by a client in this agent build.
//!
//! The real backend (the `snmp2` crate) comes next; until then every call that passes the grant
//! check returns `unavailable`, so plugins can already handle it.

use crate::bindings::vigia::plugin::snmp::{Device, Host, Varbind};
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::grants::denied_text;
use crate::state::HostState;

type SnmpResult = wasmtime::Result<Result<Vec<Varbind>, WitHostError>>;

impl HostState {
    fn snmp_call(&mut self) -> SnmpResult {
        self.charge()?;
        if !self.grants.snmp {
            let text = denied_text("snmp", &self.plugin, "`snmp = true` to this probe's grants");
            return Ok(Err(WitHostError::Denied(text)));
        }
        Ok(Err(WitHostError::Unavailable(
            "snmp is not available in this agent build".to_owned(),
        )))
    }
}

impl Host for HostState {
    async fn get(&mut self, _device: Device, _oids: Vec<String>) -> SnmpResult {
        self.snmp_call()
    }

    async fn get_next(&mut self, _device: Device, _oids: Vec<String>) -> SnmpResult {
        self.snmp_call()
    }

    async fn get_bulk(
        &mut self,
        _device: Device,
        _non_repeaters: u32,
        _max_repetitions: u32,
        _oids: Vec<String>,
    ) -> SnmpResult {
        self.snmp_call()
    }

    async fn walk(&mut self, _device: Device, _root: String, _max_rows: u32) -> SnmpResult {
        self.snmp_call()
    }
}
