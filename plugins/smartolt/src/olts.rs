//! The account's OLTs: `get_olts`, read at most every `details_max_age_secs` (the vendor asks
//! not to use it as a heartbeat) and kept in `kv`, narrowed to the configured `olt_ids`.

use vigia_plugin_sdk::{Host, PluginError};

use crate::account::Run;
use crate::api::array;
use crate::cache::{self, Table};
use crate::values::{number, text};

/// An OLT as SmartOLT names it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Olt {
    pub id: u32,
    pub name: String,
}

/// The OLTs to read this run; `None` when there is no usable list (a failure is recorded).
pub(crate) fn selected<H: Host>(run: &mut Run<'_, H>) -> Option<Vec<Olt>> {
    let key = cache::olts_key(run.target);
    let cached = cache::load(run.host, &key).map(|table| (table.fetched_ms, from_table(&table)));
    let wanted = &run.config.olt_ids;
    let usable = cached.as_ref().filter(|(fetched_ms, olts)| {
        Table::new(*fetched_ms, Vec::new()).is_fresh(run.now_ms, run.config.details_max_age_secs)
            && wanted.iter().all(|id| olts.iter().any(|o| o.id == *id))
    });
    let all = match usable {
        Some((_, olts)) => olts.clone(),
        None => match fetch(run) {
            Ok(olts) => {
                let rows = olts
                    .iter()
                    .map(|o| vec![o.id.to_string(), o.name.clone()])
                    .collect();
                cache::store(run.host, &key, &Table::new(run.now_ms, rows));
                olts
            }
            Err(()) => match cached {
                // An old list is better than none while the API misbehaves.
                Some((_, olts)) if !run.stopped => olts,
                _ => return None,
            },
        },
    };
    if wanted.is_empty() {
        return Some(all);
    }
    let mut chosen = Vec::new();
    for id in wanted {
        match all.iter().find(|o| o.id == *id) {
            Some(olt) => chosen.push(olt.clone()),
            None => run.failure(
                PluginError::config(format!("olt id {id} is not in this account's get_olts")),
                Some(*id),
            ),
        }
    }
    Some(chosen)
}

fn fetch<H: Host>(run: &mut Run<'_, H>) -> Result<Vec<Olt>, ()> {
    let what = "GET /api/system/get_olts";
    let body = match run.client.get("system/get_olts", run.config.timeout_ms) {
        Ok(body) => body,
        Err(error) => {
            run.fail(error, None);
            return Err(());
        }
    };
    match array(&body, what, "response") {
        Ok(rows) => Ok(rows
            .iter()
            .filter_map(|row| {
                Some(Olt {
                    id: number(row, "id")?,
                    name: text(row, "name")?,
                })
            })
            .collect()),
        Err(error) => {
            run.failure(error, None);
            Err(())
        }
    }
}

fn from_table(table: &Table) -> Vec<Olt> {
    table
        .rows
        .iter()
        .filter_map(|row| {
            Some(Olt {
                id: row.first()?.parse().ok()?,
                name: row.get(1)?.clone(),
            })
        })
        .collect()
}
