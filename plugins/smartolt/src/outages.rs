//! The vendor's outage grouping (`get_outage_pons/{olt_id}`): `response.sections[].groups[].pons[]`
//! with `board`/`port` as strings. Each PON becomes an `alarm` on the `pon-port`
//! `<olt name>/<board>/<port>` (the id the aggregator derives from `onu` observations), code
//! `smartolt_outage_pon`; a PON raised last run and absent now is sent once more, cleared.

use serde_json::Value;
use vigia_plugin_sdk::{
    Alarm, EntityKind, EntityRef, Host, Observation, ObservationKind, PluginError, Severity,
};

use crate::account::Run;
use crate::cache::{self, Table};
use crate::olts::Olt;
use crate::values::{local_time_ms, number, text};

pub(crate) const CODE: &str = "smartolt_outage_pon";

/// One PON in outage as the vendor groups it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutagePon {
    pub board: u32,
    pub port: u32,
    /// `power` (most ONUs sent a dying gasp) or `los`.
    pub power: bool,
    pub affected_onus: Option<u32>,
    pub affected_percent: Option<u32>,
    pub since: Option<String>,
    pub zone: Option<String>,
    pub odb: Option<String>,
}

/// Parses the answer; PONs without a numeric board and port are skipped.
pub(crate) fn parse(body: &Value, what: &str) -> Result<Vec<OutagePon>, PluginError> {
    let response = body
        .get("response")
        .ok_or_else(|| PluginError::invalid_response(format!("{what}: no `response`")))?;
    // No outage at all is sometimes an empty list instead of an empty `sections`.
    if response.as_array().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let sections = response
        .get("sections")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            PluginError::invalid_response(format!("{what}: no `response.sections` array"))
        })?;
    let mut pons = Vec::new();
    for group in sections
        .iter()
        .filter_map(|s| s.get("groups").and_then(Value::as_array))
        .flatten()
    {
        let since = text(group, "since");
        for pon in group
            .get("pons")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(board), Some(port)) = (number(pon, "board"), number(pon, "port")) else {
                continue;
            };
            let kind = text(pon, "alert_kind").unwrap_or_default().to_lowercase();
            pons.push(OutagePon {
                board,
                port,
                power: kind.contains("power") || kind.contains("pwr"),
                affected_onus: number(pon, "affected_onus"),
                affected_percent: number(pon, "affected_percent"),
                since: text(pon, "partial_started_at").or_else(|| since.clone()),
                zone: text(pon, "zone_name"),
                odb: text(pon, "odb_name"),
            });
        }
    }
    Ok(pons)
}

pub(crate) fn read_olt<H: Host>(run: &mut Run<'_, H>, olt: &Olt) {
    let path = format!("system/get_outage_pons/{}", olt.id);
    let what = format!("GET /api/{path}");
    let pons = match run.client.get(&path, run.config.timeout_ms) {
        Ok(body) => match parse(&body, &what) {
            Ok(pons) => pons,
            Err(error) => return run.failure(error, Some(olt.id)),
        },
        Err(error) => return run.fail(error, Some(olt.id)),
    };
    let offset = run.config.timezone_offset_minutes;
    let mut rows = Vec::new();
    for pon in &pons {
        let raised_ms = pon
            .since
            .as_deref()
            .and_then(|at| local_time_ms(at, offset));
        let alarm = Alarm {
            source: source(olt, pon.board, pon.port),
            severity: severity(pon.power),
            code: CODE.to_owned(),
            text: describe(pon),
            raised_ms,
            cleared_ms: None,
        };
        run.observations.push(observation(run, olt, alarm));
        rows.push(vec![
            pon.board.to_string(),
            pon.port.to_string(),
            if pon.power { "power" } else { "los" }.to_owned(),
            raised_ms.map(|ms| ms.to_string()).unwrap_or_default(),
        ]);
    }
    let key = cache::outages_key(run.target, olt.id);
    if let Some(previous) = cache::load(run.host, &key) {
        for row in &previous.rows {
            let (Some(board), Some(port)) = (
                row.first().and_then(|b| b.parse::<u32>().ok()),
                row.get(1).and_then(|p| p.parse::<u32>().ok()),
            ) else {
                continue;
            };
            if pons.iter().any(|p| p.board == board && p.port == port) {
                continue;
            }
            let power = row.get(2).is_some_and(|k| k == "power");
            let alarm = Alarm {
                source: source(olt, board, port),
                severity: severity(power),
                code: CODE.to_owned(),
                text: "outage pon cleared: the pon's onus are back".to_owned(),
                raised_ms: row.get(3).and_then(|ms| ms.parse().ok()),
                cleared_ms: Some(run.now_ms),
            };
            run.observations.push(observation(run, olt, alarm));
        }
    }
    cache::store(run.host, &key, &Table::new(run.now_ms, rows));
}

fn source(olt: &Olt, board: u32, port: u32) -> EntityRef {
    EntityRef {
        kind: EntityKind::PonPort,
        id: format!("{}/{board}/{port}", olt.name.trim()),
    }
}

/// A PON-wide loss of light is a cut until proven otherwise; a power failure is the utility's.
fn severity(power: bool) -> Severity {
    if power {
        Severity::Major
    } else {
        Severity::Critical
    }
}

fn describe(pon: &OutagePon) -> String {
    let cause = if pon.power {
        "power fail (dying gasp)"
    } else {
        "loss of signal"
    };
    let mut text = format!("smartolt outage pon {}/{}: {cause}", pon.board, pon.port);
    if let Some(onus) = pon.affected_onus {
        text.push_str(&format!(", {onus} onus down"));
    }
    if let Some(percent) = pon.affected_percent {
        text.push_str(&format!(" ({percent}%)"));
    }
    if let Some(zone) = &pon.zone {
        text.push_str(&format!(", zone {zone}"));
    }
    if let Some(odb) = &pon.odb {
        text.push_str(&format!(", odb {odb}"));
    }
    text
}

fn observation<H: Host>(run: &Run<'_, H>, olt: &Olt, alarm: Alarm) -> Observation {
    Observation::new(run.target, ObservationKind::Alarm(alarm))
        .with_label("olt_id", olt.id.to_string())
        .with_label("olt", olt.name.clone())
}
