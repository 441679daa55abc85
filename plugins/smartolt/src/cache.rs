//! What the plugin keeps in `kv` between runs, so that the steady state costs few calls: the OLT
//! list (`olts/<target>`), the slow-changing ONU details per OLT (`details/<target>/<olt id>`) and
//! the outage PONs raised last run (`outages/<target>/<olt id>`, to clear them when they end).
//!
//! Values are small tab-separated text: a header `v1 <fetched unix ms>`, then one row per line.
//! A value that does not parse is treated as absent (it is rewritten on the next read).

use std::collections::BTreeMap;

use vigia_plugin_sdk::{Host, Target};

/// A cached table: when it was read, and its rows (fields without tabs or newlines).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Table {
    pub fetched_ms: u64,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(fetched_ms: u64, rows: Vec<Vec<String>>) -> Self {
        Self { fetched_ms, rows }
    }

    pub(crate) fn is_fresh(&self, now_ms: u64, max_age_secs: u64) -> bool {
        now_ms
            < self
                .fetched_ms
                .saturating_add(max_age_secs.saturating_mul(1000))
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = format!("v1 {}\n", self.fetched_ms);
        for row in &self.rows {
            let fields: Vec<String> = row.iter().map(|f| clean(f)).collect();
            out.push_str(&fields.join("\t"));
            out.push('\n');
        }
        out.into_bytes()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut lines = text.lines();
        let fetched_ms = lines.next()?.strip_prefix("v1 ")?.trim().parse().ok()?;
        let rows = lines
            .filter(|line| !line.is_empty())
            .map(|line| line.split('\t').map(str::to_owned).collect())
            .collect();
        Some(Self { fetched_ms, rows })
    }
}

fn clean(field: &str) -> String {
    field.replace(['\t', '\n', '\r'], " ")
}

pub(crate) fn olts_key(target: &Target) -> String {
    format!("olts/{}", target.id)
}

pub(crate) fn details_key(target: &Target, olt_id: u32) -> String {
    format!("details/{}/{olt_id}", target.id)
}

pub(crate) fn outages_key(target: &Target, olt_id: u32) -> String {
    format!("outages/{}/{olt_id}", target.id)
}

/// The table under `key`; `None` when absent, unreadable or `kv` is not granted.
pub(crate) fn load(host: &impl Host, key: &str) -> Option<Table> {
    match host.kv_get(key) {
        Ok(Some(bytes)) => Table::decode(&bytes),
        Ok(None) => None,
        Err(error) => {
            host.debug(&format!("kv get {key}: {}", error.message()));
            None
        }
    }
}

/// Stores a table; a failure (no `kv` grant, too large) is logged, not fatal.
pub(crate) fn store(host: &impl Host, key: &str, table: &Table) {
    if let Err(error) = host.kv_set(key, &table.encode()) {
        host.warn(&format!(
            "cannot cache {key} (grant `kv`, or raise its size limits): {}",
            error.message()
        ));
    }
}

/// Rows keyed by their first field.
pub(crate) fn by_first(table: &Table) -> BTreeMap<&str, &[String]> {
    table
        .rows
        .iter()
        .filter_map(|row| row.first().map(|k| (k.as_str(), row.as_slice())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip_and_fields_lose_tabs() {
        let table = Table::new(
            42,
            vec![vec!["1".into(), "OLT\tCENTRO".into()], vec!["2".into()]],
        );
        let back = Table::decode(&table.encode()).unwrap();
        assert_eq!(back.fetched_ms, 42);
        assert_eq!(back.rows[0], vec!["1".to_owned(), "OLT CENTRO".to_owned()]);
        assert_eq!(back.rows[1], vec!["2".to_owned()]);
        assert_eq!(Table::decode(b"garbage"), None);
        assert!(back.is_fresh(1041, 1));
        assert!(!back.is_fresh(1042, 1));
    }
}
