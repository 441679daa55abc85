//! What every cnMaestro list shares: `limit`/`offset` paging in a `{paging, data}` envelope, the
//! `fields` projection, and the filters by device family, mode, network, tower and state.

use serde_json::{Map, Value, json};

use super::MAX_LIMIT;
use super::inventory::Device;

/// The query of a list request.
#[derive(Debug, Default)]
pub(super) struct Params {
    limit: usize,
    offset: usize,
    fields: Option<Vec<String>>,
    family: Option<String>,
    mode: Option<String>,
    network: Option<String>,
    tower: Option<String>,
    online: Option<bool>,
    severity: Option<String>,
}

impl Params {
    /// Reads the query; `Err` with the message of a 422 for malformed values.
    pub(super) fn parse(query: &[(String, String)]) -> Result<Self, String> {
        let mut p = Params {
            limit: MAX_LIMIT,
            ..Params::default()
        };
        for (key, value) in query {
            let number = || {
                value.trim().parse::<usize>().map_err(|_| {
                    format!("Invalid value `{value}` for `{key}`: expected an integer")
                })
            };
            match key.as_str() {
                "limit" => p.limit = number()?.clamp(1, MAX_LIMIT),
                "offset" => p.offset = number()?,
                "fields" => {
                    p.fields = Some(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|f| !f.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                "type" => p.family = Some(value.clone()),
                "mode" => p.mode = Some(value.clone()),
                "network" => p.network = Some(value.clone()),
                "tower" => p.tower = Some(value.clone()),
                "severity" => p.severity = Some(value.clone()),
                "online" => {
                    p.online = Some(match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(format!(
                                "Invalid value `{value}` for `online`: expected true or false"
                            ));
                        }
                    });
                }
                // Other parameters of the spec (search, sort, site, managed_account...) are
                // accepted and ignored.
                _ => {}
            }
        }
        Ok(p)
    }

    pub(super) fn keeps_device(&self, d: &Device<'_>) -> bool {
        self.family.as_deref().is_none_or(|f| f == d.family)
            && self.mode.as_deref().is_none_or(|m| m == d.mode())
            && self.network.as_deref().is_none_or(|n| n == d.tower.network)
            && self.tower.as_deref().is_none_or(|t| t == d.tower.name)
            && self.online.is_none_or(|o| o == d.online)
    }

    /// Alarms are filtered by severity, network and tower (every simulated alarm is `major`).
    pub(super) fn keeps_alarm(&self, d: &Device<'_>) -> bool {
        self.severity.as_deref().is_none_or(|s| s == "major")
            && self.network.as_deref().is_none_or(|n| n == d.tower.network)
            && self.tower.as_deref().is_none_or(|t| t == d.tower.name)
    }

    /// One page of `items`, projected, in the paging envelope.
    pub(super) fn page(&self, items: Vec<Value>) -> Value {
        let total = items.len();
        let data: Vec<Value> = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .map(|item| match &self.fields {
                Some(fields) => project(&item, fields),
                None => item,
            })
            .collect();
        json!({
            "paging": {"offset": self.offset, "limit": self.limit, "total": total},
            "data": data,
        })
    }
}

/// Keeps only `fields` of `item`: `name` keeps a top-level field, `radio.dl_rssi` one nested
/// field (and `radio` all of it).
pub(super) fn project(item: &Value, fields: &[String]) -> Value {
    let Value::Object(object) = item else {
        return item.clone();
    };
    let mut out = Map::new();
    for field in fields {
        let (head, rest) = match field.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (field.as_str(), None),
        };
        let Some(value) = object.get(head) else {
            continue;
        };
        match (rest, value) {
            (None, _) => {
                out.insert(head.to_owned(), value.clone());
            }
            (Some(rest), Value::Object(inner)) => {
                if let Some(v) = inner.get(rest) {
                    let slot = out
                        .entry(head.to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(slot) = slot {
                        slot.insert(rest.to_owned(), v.clone());
                    }
                }
            }
            (Some(_), _) => {}
        }
    }
    Value::Object(out)
}
