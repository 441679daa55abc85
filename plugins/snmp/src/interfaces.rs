//! IF-MIB: ifTable + ifXTable → one `interface-status` per interface.
//!
//! 64-bit `ifHC*Octets` win over the 32-bit `if*Octets` when the device has them (a 32-bit
//! counter wraps in under 6 minutes at 100 Mbit/s); counters are reported raw, as counters, and
//! consumers compute rates and handle wraps. Speed is `ifHighSpeed` (Mbit/s) when non-zero, else
//! `ifSpeed` (bit/s).

use std::collections::{BTreeMap, BTreeSet};

use vigia_plugin_sdk::{Host, HostError, InterfaceStatus, LinkStatus};

use crate::table::{Reader, Row, Table};

pub(crate) const IF_ENTRY: &str = "1.3.6.1.2.1.2.2.1";
pub(crate) const IFX_ENTRY: &str = "1.3.6.1.2.1.31.1.1.1";

const IF_DESCR: u32 = 2;
const IF_SPEED: u32 = 5;
const IF_PHYS_ADDRESS: u32 = 6;
const IF_ADMIN_STATUS: u32 = 7;
const IF_OPER_STATUS: u32 = 8;
const IF_IN_OCTETS: u32 = 10;
const IF_IN_DISCARDS: u32 = 13;
const IF_IN_ERRORS: u32 = 14;
const IF_OUT_OCTETS: u32 = 16;
const IF_OUT_DISCARDS: u32 = 19;
const IF_OUT_ERRORS: u32 = 20;

const IF_NAME: u32 = 1;
const IF_HC_IN_OCTETS: u32 = 6;
const IF_HC_OUT_OCTETS: u32 = 10;
const IF_HIGH_SPEED: u32 = 15;
const IF_ALIAS: u32 = 18;

/// What was read from IF-MIB: the interfaces, and their names and MACs for the vendor readers.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interfaces {
    pub list: Vec<InterfaceStatus>,
    pub macs: BTreeMap<u32, String>,
    pub names: BTreeMap<u32, String>,
}

impl Interfaces {
    pub(crate) fn read(reader: &Reader<'_, impl Host>) -> Result<Self, HostError> {
        let if_table = reader.table(
            IF_ENTRY,
            &[
                IF_DESCR,
                IF_SPEED,
                IF_PHYS_ADDRESS,
                IF_ADMIN_STATUS,
                IF_OPER_STATUS,
                IF_IN_OCTETS,
                IF_IN_DISCARDS,
                IF_IN_ERRORS,
                IF_OUT_OCTETS,
                IF_OUT_DISCARDS,
                IF_OUT_ERRORS,
            ],
        )?;
        // Agents without IF-MIB answer the first column empty: skip the rest of ifXTable then.
        let ifx_table = if if_table.is_empty() {
            reader.table(IFX_ENTRY, &[IF_NAME])?
        } else {
            reader.table(
                IFX_ENTRY,
                &[
                    IF_NAME,
                    IF_HC_IN_OCTETS,
                    IF_HC_OUT_OCTETS,
                    IF_HIGH_SPEED,
                    IF_ALIAS,
                ],
            )?
        };
        Ok(Self::from_tables(&if_table, &ifx_table))
    }

    pub(crate) fn from_tables(if_table: &Table, ifx_table: &Table) -> Self {
        let indexes: BTreeSet<u32> = if_table
            .rows()
            .chain(ifx_table.rows())
            .filter_map(|(index, _)| match index.as_slice() {
                [if_index] => Some(*if_index),
                _ => None,
            })
            .collect();
        let mut out = Self::default();
        for if_index in indexes {
            let base = if_table.row(&[if_index]);
            let ext = ifx_table.row(&[if_index]);
            let interface = status(if_index, base, ext);
            if let Some(mac) = base.and_then(|row| row.mac(IF_PHYS_ADDRESS)) {
                out.macs.insert(if_index, mac);
            }
            out.names.insert(if_index, interface.name.clone());
            out.list.push(interface);
        }
        out
    }
}

fn status(if_index: u32, base: Option<Row<'_>>, ext: Option<Row<'_>>) -> InterfaceStatus {
    let from_base = |f: &dyn Fn(Row<'_>) -> Option<u64>| base.and_then(f);
    let from_ext = |f: &dyn Fn(Row<'_>) -> Option<u64>| ext.and_then(f);
    let name = ext
        .and_then(|row| row.text(IF_NAME))
        .filter(|name| !name.is_empty())
        .or_else(|| base.and_then(|row| row.text(IF_DESCR)))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| format!("if{if_index}"));
    let high_speed = from_ext(&|row| row.unsigned(IF_HIGH_SPEED)).filter(|&mbps| mbps > 0);
    let speed_bps = high_speed
        .map(|mbps| mbps.saturating_mul(1_000_000))
        .or_else(|| from_base(&|row| row.unsigned(IF_SPEED)));
    InterfaceStatus {
        index: if_index,
        name,
        alias: ext
            .and_then(|row| row.text(IF_ALIAS))
            .filter(|alias| !alias.is_empty()),
        admin_status: link_status(base.and_then(|row| row.integer(IF_ADMIN_STATUS))),
        oper_status: link_status(base.and_then(|row| row.integer(IF_OPER_STATUS))),
        speed_bps,
        in_octets: from_ext(&|row| row.counter(IF_HC_IN_OCTETS))
            .or_else(|| from_base(&|row| row.counter(IF_IN_OCTETS))),
        out_octets: from_ext(&|row| row.counter(IF_HC_OUT_OCTETS))
            .or_else(|| from_base(&|row| row.counter(IF_OUT_OCTETS))),
        in_errors: from_base(&|row| row.counter(IF_IN_ERRORS)),
        out_errors: from_base(&|row| row.counter(IF_OUT_ERRORS)),
        in_discards: from_base(&|row| row.counter(IF_IN_DISCARDS)),
        out_discards: from_base(&|row| row.counter(IF_OUT_DISCARDS)),
    }
}

/// `ifAdminStatus`/`ifOperStatus` (RFC 2863); anything else, or a wrong type, is unknown.
fn link_status(code: Option<i64>) -> LinkStatus {
    match code {
        Some(1) => LinkStatus::Up,
        Some(2) => LinkStatus::Down,
        Some(3) => LinkStatus::Testing,
        Some(5) => LinkStatus::Dormant,
        Some(6) => LinkStatus::NotPresent,
        Some(7) => LinkStatus::LowerLayerDown,
        _ => LinkStatus::Unknown,
    }
}
