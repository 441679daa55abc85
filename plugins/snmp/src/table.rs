//! Reading one device: scalar GETs and bounded column walks (GETBULK through the host), and the
//! conversions from SNMP values to numbers, text and MAC addresses.
//!
//! Conversions are lenient about types a device gets wrong (a counter as an `Integer32`, a
//! number as a string) and strict about sense: exceptions (`noSuchObject`, `noSuchInstance`,
//! `endOfMibView`), negative counters and the "no reading" sentinels give `None`, never a value.

use std::cell::RefCell;
use std::collections::BTreeMap;

use vigia_plugin_sdk::snmp::{Device, Value, Varbind};
use vigia_plugin_sdk::{Host, HostError};

/// Row index (the OID suffix after the column), numerically ordered.
pub(crate) type Index = Vec<u32>;

/// The columns of a table that were read, by row index.
#[derive(Debug, Default, Clone)]
pub(crate) struct Table {
    rows: BTreeMap<Index, BTreeMap<u32, Value>>,
}

impl Table {
    pub(crate) fn rows(&self) -> impl Iterator<Item = (&Index, Row<'_>)> {
        self.rows
            .iter()
            .map(|(index, cells)| (index, Row { cells }))
    }

    pub(crate) fn row(&self, index: &[u32]) -> Option<Row<'_>> {
        self.rows.get(index).map(|cells| Row { cells })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One row of a [`Table`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    cells: &'a BTreeMap<u32, Value>,
}

impl Row<'_> {
    pub(crate) fn value(&self, column: u32) -> Option<&Value> {
        self.cells.get(&column)
    }
    pub(crate) fn unsigned(&self, column: u32) -> Option<u64> {
        self.value(column).and_then(unsigned)
    }
    pub(crate) fn counter(&self, column: u32) -> Option<u64> {
        self.value(column).and_then(counter)
    }
    /// Strictly an `Integer32` (enumerations): any other type is a wrong value.
    pub(crate) fn integer(&self, column: u32) -> Option<i64> {
        match self.value(column) {
            Some(Value::Integer(v)) => Some(*v),
            _ => None,
        }
    }
    pub(crate) fn signed(&self, column: u32) -> Option<i64> {
        self.value(column).and_then(signed)
    }
    pub(crate) fn number(&self, column: u32) -> Option<f64> {
        self.value(column).and_then(number)
    }
    pub(crate) fn text(&self, column: u32) -> Option<String> {
        self.value(column).and_then(text)
    }
    pub(crate) fn mac(&self, column: u32) -> Option<String> {
        self.value(column).and_then(mac)
    }
}

/// Reads one device. Remembers which walks hit `max_rows`, so the caller can say so.
pub(crate) struct Reader<'a, H: Host> {
    host: &'a H,
    device: Device,
    max_rows: u32,
    truncated: RefCell<Vec<String>>,
}

impl<'a, H: Host> Reader<'a, H> {
    pub(crate) fn new(host: &'a H, device: Device, max_rows: u32) -> Self {
        Self {
            host,
            device,
            max_rows,
            truncated: RefCell::new(Vec::new()),
        }
    }

    /// GET of scalars; the answer is keyed by the OID asked (exceptions dropped).
    pub(crate) fn get(&self, oids: &[&str]) -> Result<BTreeMap<String, Value>, HostError> {
        let asked: Vec<String> = oids.iter().map(|oid| (*oid).to_owned()).collect();
        let answer = self.host.snmp_get(&self.device, &asked)?;
        Ok(answer
            .into_iter()
            .filter(|varbind| !is_exception(&varbind.value))
            .map(|varbind| (normalise(&varbind.oid).to_owned(), varbind.value))
            .collect())
    }

    /// Walks the given columns of the table whose entry OID is `entry` (`...1`), one bounded
    /// walk per column. Varbinds outside a column's subtree and exceptions are dropped.
    pub(crate) fn table(&self, entry: &str, columns: &[u32]) -> Result<Table, HostError> {
        let mut table = Table::default();
        for &column in columns {
            let root = format!("{entry}.{column}");
            for (index, value) in self.column(&root)? {
                table.rows.entry(index).or_default().insert(column, value);
            }
        }
        Ok(table)
    }

    /// Walks one column: (row index, value) pairs.
    pub(crate) fn column(&self, root: &str) -> Result<Vec<(Index, Value)>, HostError> {
        let varbinds = self.host.snmp_walk(&self.device, root, self.max_rows)?;
        if varbinds.len() >= self.max_rows as usize {
            self.truncated.borrow_mut().push(root.to_owned());
        }
        Ok(under(root, varbinds))
    }

    /// Columns whose walk stopped at `max_rows`.
    pub(crate) fn truncated(&self) -> Vec<String> {
        self.truncated.borrow().clone()
    }
}

fn normalise(oid: &str) -> &str {
    oid.strip_prefix('.').unwrap_or(oid)
}

/// The varbinds strictly under `root`, as (suffix, value); exceptions dropped.
fn under(root: &str, varbinds: Vec<Varbind>) -> Vec<(Index, Value)> {
    let root = normalise(root);
    varbinds
        .into_iter()
        .filter(|varbind| !is_exception(&varbind.value))
        .filter_map(|varbind| {
            let suffix = normalise(&varbind.oid)
                .strip_prefix(root)?
                .strip_prefix('.')?
                .to_owned();
            Some((parse_index(&suffix)?, varbind.value))
        })
        .collect()
}

/// A dotted numeric index (`0.39.16.50.237.96.9`).
pub(crate) fn parse_index(text: &str) -> Option<Index> {
    text.split('.').map(|part| part.parse().ok()).collect()
}

pub(crate) fn is_exception(value: &Value) -> bool {
    matches!(
        value,
        Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView | Value::Null
    )
}

/// "No reading" sentinels used by vendors for signed readings (Huawei 2147483647, and the
/// minimum that some agents report for an absent module).
pub(crate) const NO_READING: [i64; 2] = [i32::MAX as i64, i32::MIN as i64];

/// A non-negative integer of any numeric type.
pub(crate) fn unsigned(value: &Value) -> Option<u64> {
    match value {
        Value::Counter32(v) | Value::Gauge32(v) | Value::Timeticks(v) => Some(u64::from(*v)),
        Value::Counter64(v) => Some(*v),
        Value::Integer(v) => u64::try_from(*v).ok(),
        Value::Octets(_) => text(value)?.parse().ok(),
        _ => None,
    }
}

/// A counter: like [`unsigned`], but never parsed from text.
pub(crate) fn counter(value: &Value) -> Option<u64> {
    match value {
        Value::Octets(_) => None,
        other => unsigned(other),
    }
}

/// A signed integer (`Integer32`, a gauge, or a decimal string); sentinels give `None`.
pub(crate) fn signed(value: &Value) -> Option<i64> {
    let number = match value {
        Value::Integer(v) => *v,
        Value::Counter32(v) | Value::Gauge32(v) => i64::from(*v),
        Value::Octets(_) => text(value)?.parse().ok()?,
        _ => return None,
    };
    (!NO_READING.contains(&number)).then_some(number)
}

/// A number, integer or decimal text (Cambium reports dBm as `"-62.8"`); sentinels give `None`.
pub(crate) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Octets(_) => {
            let parsed: f64 = text(value)?.parse().ok()?;
            (parsed.is_finite() && !NO_READING.contains(&(parsed as i64))).then_some(parsed)
        }
        other => signed(other).map(|v| v as f64),
    }
}

/// Printable text (UTF-8, lossy), trailing NULs and whitespace trimmed.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::Octets(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            Some(text.trim_end_matches('\0').trim().to_owned())
        }
        Value::ObjectId(oid) => Some(normalise(oid).to_owned()),
        _ => None,
    }
}

/// A MAC address as `aa:bb:cc:dd:ee:ff`: from 6 raw octets, or from text in the usual spellings
/// (`AA:BB:..`, `aa-bb-..`, `aabbccddeeff`).
pub(crate) fn mac(value: &Value) -> Option<String> {
    let Value::Octets(bytes) = value else {
        return None;
    };
    if bytes.len() == 6 {
        return Some(format_mac(bytes));
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let hex: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..6)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    Some(format_mac(&bytes?))
}

/// Six index components (a MAC in an index, as MikroTik and Ubiquiti use) as a MAC.
pub(crate) fn mac_from_index(parts: &[u32]) -> Option<String> {
    let bytes: Option<Vec<u8>> = parts.iter().map(|&p| u8::try_from(p).ok()).collect();
    let bytes = bytes?;
    (bytes.len() == 6).then(|| format_mac(&bytes))
}

pub(crate) fn format_mac(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Round to `places` decimals so scaled readings compare cleanly (-48.79, not -48.790000000000006).
pub(crate) fn scaled(raw: i64, divisor: f64) -> f64 {
    let value = raw as f64 / divisor;
    (value * 1000.0).round() / 1000.0
}
