//! The ONUs of one OLT: statuses (every run) + signals (every run) + details (from the `kv`
//! cache, refreshed when stale or when an ONU appears that the cache does not know).

use std::collections::BTreeMap;

use serde_json::Value;
use vigia_plugin_sdk::{Host, Metric, Observation, ObservationKind, Onu, OnuStatus, Target};

use crate::account::Run;
use crate::api::array;
use crate::cache::{self, Table};
use crate::config::Read;
use crate::olts::Olt;
use crate::values::{dbm_field, local_time_ms, number, text};

/// One ONU's observation as it is built up during the run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OnuRecord {
    pub onu: Onu,
    pub external_id: String,
    pub labels: Vec<(String, String)>,
}

impl OnuRecord {
    pub(crate) fn observation(self, target: &Target) -> Observation {
        let mut observation = Observation::new(target, ObservationKind::Onu(self.onu));
        observation.labels.extend(self.labels);
        observation
    }

    pub(crate) fn label(&mut self, key: &str, value: impl Into<String>) {
        self.labels.push((key.to_owned(), value.into()));
    }
}

/// SmartOLT's status words.
pub(crate) fn status(word: Option<&str>) -> OnuStatus {
    match word.map(|w| w.trim().to_ascii_lowercase()).as_deref() {
        Some("online") => OnuStatus::Online,
        Some("offline") => OnuStatus::Offline,
        Some("los") => OnuStatus::Los,
        Some("power fail" | "powerfail" | "pwrfail" | "power_fail") => OnuStatus::PowerFail,
        _ => OnuStatus::Unknown,
    }
}

/// Slow-changing facts from `get_all_onus_details`, by `unique_external_id`.
#[derive(Debug, Clone, Default)]
struct Detail {
    splitter: Option<String>,
    model: Option<String>,
    zone: Option<String>,
}

/// Reads statuses, signals and details of one OLT into `run.onus`.
pub(crate) fn read_olt<H: Host>(run: &mut Run<'_, H>, olt: &Olt) {
    let path = format!("onu/get_onus_statuses?olt_id={}", olt.id);
    let what = format!("GET /api/{path}");
    let rows = match run.client.get(&path, run.config.timeout_ms) {
        Ok(body) => match array(&body, &what, "response") {
            Ok(rows) => rows.to_vec(),
            Err(error) => return run.failure(error, Some(olt.id)),
        },
        Err(error) => return run.fail(error, Some(olt.id)),
    };
    let signals = if run.config.reads(Read::Signals)
        && !run.keep_reserve(&format!("signals of olt {}", olt.id))
    {
        read_signals(run, olt)
    } else {
        BTreeMap::new()
    };
    let details = if run.config.reads(Read::Details) {
        read_details(run, olt, &rows)
    } else {
        BTreeMap::new()
    };
    let mut online = 0u32;
    let mut malformed = 0u32;
    for row in &rows {
        match record(run, olt, row, &signals, &details) {
            Some(record) => {
                online += u32::from(record.onu.status == OnuStatus::Online);
                run.onus.push(record);
            }
            None => malformed += 1,
        }
    }
    if malformed > 0 {
        run.host.warn(&format!(
            "olt {}: {malformed} status rows without sn or unique_external_id were skipped",
            olt.id
        ));
    }
    let metric = Metric::gauge("smartolt_onus_online", f64::from(online), "1")
        .with_label("olt", olt.name.clone())
        .with_label("olt_id", olt.id.to_string());
    run.observations
        .push(Observation::metric(run.target, metric));
}

/// `(class, rx, olt rx)` by `unique_external_id`; empty after a failure (recorded).
type Signals = BTreeMap<String, (Option<String>, Option<f64>, Option<f64>)>;

fn read_signals<H: Host>(run: &mut Run<'_, H>, olt: &Olt) -> Signals {
    let path = format!("onu/get_onus_signals?olt_id={}", olt.id);
    let what = format!("GET /api/{path}");
    let body = match run.client.get(&path, run.config.timeout_ms) {
        Ok(body) => body,
        Err(error) => {
            run.fail(error, Some(olt.id));
            return Signals::new();
        }
    };
    match array(&body, &what, "response") {
        Ok(rows) => rows
            .iter()
            .filter_map(|row| {
                let id = text(row, "unique_external_id")?;
                let class = text(row, "signal");
                Some((
                    id,
                    (
                        class,
                        dbm_field(row, "signal_1490"),
                        dbm_field(row, "signal_1310"),
                    ),
                ))
            })
            .collect(),
        Err(error) => {
            run.failure(error, Some(olt.id));
            Signals::new()
        }
    }
}

fn read_details<H: Host>(
    run: &mut Run<'_, H>,
    olt: &Olt,
    statuses: &[Value],
) -> BTreeMap<String, Detail> {
    let key = cache::details_key(run.target, olt.id);
    let cached = cache::load(run.host, &key);
    let known = |table: &Table| {
        let rows = cache::by_first(table);
        statuses.iter().all(|row| {
            text(row, "unique_external_id").is_none_or(|id| rows.contains_key(id.as_str()))
        })
    };
    let fresh = cached.as_ref().is_some_and(|table| {
        table.is_fresh(run.now_ms, run.config.details_max_age_secs) && known(table)
    });
    let table = if fresh || run.keep_reserve(&format!("details of olt {}", olt.id)) {
        cached
    } else {
        match fetch_details(run, olt) {
            Some(table) => {
                cache::store(run.host, &key, &table);
                Some(table)
            }
            None => cached,
        }
    };
    let Some(table) = table else {
        return BTreeMap::new();
    };
    let field = |row: &[String], i: usize| row.get(i).filter(|v| !v.is_empty()).cloned();
    table
        .rows
        .iter()
        .filter_map(|row| {
            Some((
                row.first()?.clone(),
                Detail {
                    splitter: field(row, 1),
                    model: field(row, 2),
                    zone: field(row, 3),
                },
            ))
        })
        .collect()
}

/// `get_all_onus_details?olt_id=`: only the splitter, model and zone are kept (never the PPPoE
/// password the rows carry).
fn fetch_details<H: Host>(run: &mut Run<'_, H>, olt: &Olt) -> Option<Table> {
    let path = format!("onu/get_all_onus_details?olt_id={}", olt.id);
    let what = format!("GET /api/{path}");
    let body = match run.client.get(&path, run.config.timeout_ms) {
        Ok(body) => body,
        Err(error) => {
            run.fail(error, Some(olt.id));
            return None;
        }
    };
    match array(&body, &what, "onus") {
        Ok(onus) => {
            let rows = onus
                .iter()
                .filter_map(|row| {
                    let get = |key| text(row, key).unwrap_or_default();
                    Some(vec![
                        text(row, "unique_external_id")?,
                        get("odb_name"),
                        get("onu_type_name"),
                        get("zone_name"),
                    ])
                })
                .collect();
            Some(Table::new(run.now_ms, rows))
        }
        Err(error) => {
            run.failure(error, Some(olt.id));
            None
        }
    }
}

fn record<H: Host>(
    run: &Run<'_, H>,
    olt: &Olt,
    row: &Value,
    signals: &Signals,
    details: &BTreeMap<String, Detail>,
) -> Option<OnuRecord> {
    let external_id = text(row, "unique_external_id");
    let serial = text(row, "sn").or_else(|| external_id.clone())?;
    let external_id = external_id.unwrap_or_else(|| serial.clone());
    let status = status(text(row, "status").as_deref());
    let online = status == OnuStatus::Online;
    let (class, rx, olt_rx) = signals.get(&external_id).cloned().unwrap_or_default();
    let detail = details.get(&external_id).cloned().unwrap_or_default();
    let last_down_ms = if online {
        None
    } else {
        text(row, "last_status_change")
            .and_then(|at| local_time_ms(&at, run.config.timezone_offset_minutes))
    };
    let onu = Onu {
        serial,
        login: text(row, "name"),
        olt: olt.name.clone(),
        board: number(row, "board"),
        port: number(row, "port"),
        onu_id: number(row, "onu"),
        splitter: detail.splitter,
        status,
        // A down ONU has no light to measure, whatever the signal table says.
        rx_dbm: rx.filter(|_| online),
        tx_dbm: None,
        olt_rx_dbm: olt_rx.filter(|_| online),
        last_down_cause: None,
        last_down_ms,
        distance_m: None,
        model: detail.model,
    };
    let mut record = OnuRecord {
        onu,
        external_id: external_id.clone(),
        labels: Vec::new(),
    };
    record.label("external_id", external_id);
    record.label("olt_id", olt.id.to_string());
    if let Some(zone) = detail.zone {
        record.label("zone", zone);
    }
    if let Some(class) = class.filter(|_| online) {
        record.label("signal", class);
    }
    Some(record)
}
