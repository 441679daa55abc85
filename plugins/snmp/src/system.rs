//! The system group (SNMPv2-MIB): what the device says it is.

use vigia_plugin_sdk::snmp::Value;
use vigia_plugin_sdk::{Host, PluginError};

use crate::table::{self, Reader};

pub(crate) const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
pub(crate) const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";
pub(crate) const SYS_UPTIME: &str = "1.3.6.1.2.1.1.3.0";
pub(crate) const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";

/// The system group of one device.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct System {
    pub descr: String,
    pub object_id: String,
    /// sysUpTime, hundredths of a second.
    pub uptime_ticks: Option<u32>,
    pub name: Option<String>,
}

/// Reads the system group. A device that answers without a usable `sysObjectID` is an
/// `invalid-response`: nothing else can be interpreted without it.
pub(crate) fn read(reader: &Reader<'_, impl Host>) -> Result<System, PluginError> {
    let values = reader
        .get(&[SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME])
        .map_err(|error| PluginError::from(error).context("snmp get of the system group"))?;
    let object_id = match values.get(SYS_OBJECT_ID) {
        Some(Value::ObjectId(oid)) => oid.strip_prefix('.').unwrap_or(oid).to_owned(),
        Some(other) => {
            return Err(PluginError::invalid_response(format!(
                "sysObjectID is not an object identifier: {other:?}"
            )));
        }
        None => {
            return Err(PluginError::invalid_response(
                "the device answered without sysObjectID",
            ));
        }
    };
    let uptime_ticks = match values.get(SYS_UPTIME) {
        Some(Value::Timeticks(ticks)) => Some(*ticks),
        _ => None,
    };
    Ok(System {
        descr: values
            .get(SYS_DESCR)
            .and_then(table::text)
            .unwrap_or_default(),
        object_id,
        uptime_ticks,
        name: values
            .get(SYS_NAME)
            .and_then(table::text)
            .filter(|name| !name.is_empty()),
    })
}
