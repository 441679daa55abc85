//! A tiny in-memory MIB that answers SNMP get, get-next, get-bulk and walk like an agent would.

use std::collections::BTreeMap;

use crate::HostError;
use crate::snmp::{Value, Varbind};

/// OID → value, ordered the way SNMP orders OIDs (numerically, component by component).
#[derive(Debug, Clone, Default)]
pub(super) struct Mib {
    entries: BTreeMap<Vec<u32>, Value>,
}

impl Mib {
    pub(super) fn insert(&mut self, oid: &str, value: Value) -> Result<(), String> {
        let key =
            parse_oid(oid).map_err(|_| format!("malformed oid `{oid}` in fake snmp agent"))?;
        self.entries.insert(key, value);
        Ok(())
    }

    pub(super) fn get(&self, oids: &[String]) -> Result<Vec<Varbind>, HostError> {
        oids.iter()
            .map(|oid| {
                let value = self.entries.get(&parse_oid(oid)?).cloned();
                Ok(varbind(oid, value.unwrap_or(Value::NoSuchObject)))
            })
            .collect()
    }

    pub(super) fn get_next(&self, oids: &[String]) -> Result<Vec<Varbind>, HostError> {
        oids.iter()
            .map(|oid| Ok(self.next_after(&parse_oid(oid)?)))
            .collect()
    }

    /// GETBULK: get-next for the first `non_repeaters` OIDs, then up to `max_repetitions` rounds
    /// of get-next over the rest, interleaved by round, as RFC 3416 orders them.
    pub(super) fn get_bulk(
        &self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[String],
    ) -> Result<Vec<Varbind>, HostError> {
        let split = (non_repeaters as usize).min(oids.len());
        let mut out = self.get_next(&oids[..split])?;
        let mut cursors = oids[split..]
            .iter()
            .map(|oid| parse_oid(oid))
            .collect::<Result<Vec<_>, _>>()?;
        for _ in 0..max_repetitions {
            if cursors.is_empty() {
                break;
            }
            let mut all_ended = true;
            for cursor in &mut cursors {
                let next = self.next_after(cursor);
                if next.value != Value::EndOfMibView {
                    all_ended = false;
                    *cursor = parse_oid(&next.oid)?;
                }
                out.push(next);
            }
            if all_ended {
                break;
            }
        }
        Ok(out)
    }

    /// Every entry under `root`, in order, at most `max_rows`.
    pub(super) fn walk(&self, root: &str, max_rows: u32) -> Result<Vec<Varbind>, HostError> {
        let root = parse_oid(root)?;
        Ok(self
            .entries
            .range(root.clone()..)
            .take_while(|(oid, _)| oid.starts_with(&root))
            .take(max_rows as usize)
            .map(|(oid, value)| varbind(&format_oid(oid), value.clone()))
            .collect())
    }

    fn next_after(&self, oid: &[u32]) -> Varbind {
        use std::ops::Bound::{Excluded, Unbounded};
        match self
            .entries
            .range::<[u32], _>((Excluded(oid), Unbounded))
            .next()
        {
            Some((next, value)) => varbind(&format_oid(next), value.clone()),
            None => varbind(&format_oid(oid), Value::EndOfMibView),
        }
    }
}

fn varbind(oid: &str, value: Value) -> Varbind {
    Varbind {
        oid: oid.to_owned(),
        value,
    }
}

/// Parses a dotted numeric OID (a leading dot is allowed).
pub(super) fn parse_oid(oid: &str) -> Result<Vec<u32>, HostError> {
    let digits = oid.strip_prefix('.').unwrap_or(oid);
    digits
        .split('.')
        .map(|part| part.parse::<u32>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| HostError::InvalidArgument(format!("malformed oid `{oid}`")))
}

fn format_oid(oid: &[u32]) -> String {
    oid.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}
