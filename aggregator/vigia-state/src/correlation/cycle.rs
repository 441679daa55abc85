//! One cycle's readings: per member its two layers and cause hint, per group its own state and
//! vendor evidence (open alarms), and the sources' health. Members' layers are read from the
//! live state's dense slots through the handles of the [`CorrelationInput`]; an entity is looked
//! up by id only for a down access device's cause, and for groups with a state or alarms. No id
//! text is built.

use serde_json::Value;
use vigia_correlate::{
    CauseHint, Cycle, DeviceReading, Evidence, GroupIdx, Layer, LayerState, Reading, SourceReading,
};

use super::{CorrelationInput, Handle};
use crate::live::{LiveState, Slot};
use crate::model::{Entity, State};

/// SmartOLT's alarm for a PON it lists as an outage.
const OUTAGE_PON_ALARM: &str = "smartolt_outage_pon";

impl LiveState {
    /// The correlator's readings of the current state, for the topology of `input` (built by
    /// [`LiveState::correlation_input`]; rebuild it when [`LiveState::topology_version`] moved).
    /// `maintenance` is left empty for the caller.
    pub fn correlation_cycle(&self, input: &CorrelationInput, now_ms: u64) -> Cycle {
        let (sources, by_state_source) = self.source_readings();
        let layer = |slot: &Slot| layer(slot, &by_state_source);
        let readings = input
            .members
            .iter()
            .map(|m| {
                let session = m.session.as_ref().map(|h| self.slot(h.slot));
                let access = m.access.as_ref().map(|h| (h, self.slot(h.slot)));
                Reading {
                    session: session.as_ref().map_or_else(Layer::default, layer),
                    access: access.map_or_else(Layer::default, |(_, s)| layer(&s)),
                    cause: match access {
                        Some((handle, slot)) if slot.state == Some(State::Down) => {
                            self.entity_of(handle).map_or(CauseHint::None, cause_hint)
                        }
                        _ => CauseHint::None,
                    },
                }
            })
            .collect();
        let mut devices = Vec::with_capacity(input.groups.len());
        let mut evidence = Vec::new();
        for (g, handle) in input.groups.iter().enumerate() {
            let Some(handle) = handle else {
                devices.push(DeviceReading::default());
                continue;
            };
            let slot = self.slot(handle.slot);
            // Only groups with a state or alarms are looked up (most PONs and boxes have neither).
            let entity = if slot.state.is_some() || slot.alarms {
                self.entity_of(handle)
            } else {
                None
            };
            devices.push(match entity.and_then(|e| e.state.as_ref()) {
                Some(info) => DeviceReading {
                    state: layer_state(info.state),
                    since_ms: info.since_ms,
                    reason: info.reason.clone(),
                    source: source_index(slot.source, &by_state_source),
                },
                None => DeviceReading::default(),
            });
            if let Some(entity) = entity.filter(|_| slot.alarms) {
                open_alarms(entity, g as GroupIdx, &mut evidence);
            }
        }
        Cycle {
            now_ms,
            readings,
            devices,
            evidence,
            sources,
            maintenance: Vec::new(),
        }
    }

    fn entity_of(&self, handle: &Handle) -> Option<&Entity> {
        self.entities.get(&handle.id).map(|e| &**e)
    }

    /// One reading per source, and each state source id's index among them.
    fn source_readings(&self) -> (Vec<SourceReading>, Vec<Option<u32>>) {
        let mut readings = Vec::with_capacity(self.sources.len());
        let mut by_state_source = vec![None; self.state_sources.len()];
        for (i, s) in self.sources.values().enumerate() {
            readings.push(SourceReading {
                key: format!("{}/{}", s.agent, s.plugin_id),
                last_success_ms: s.last_success_ms,
                rows_last: s.rows_last,
                rows_usual: s.rows_usual,
            });
            let text = format!("plugin:{}@{}", s.plugin_id, s.agent);
            if let Some(id) = self.state_sources.get(&text)
                && let Some(index) = by_state_source.get_mut(id as usize)
            {
                *index = Some(i as u32);
            }
        }
        (readings, by_state_source)
    }
}

/// The index among the cycle's sources of a state source id (`None` for the sweep, an override
/// or a source with no runs since the start).
fn source_index(source: u32, by_state_source: &[Option<u32>]) -> Option<u32> {
    by_state_source.get(source as usize).copied().flatten()
}

fn layer_state(state: State) -> LayerState {
    match state {
        State::Up | State::Degraded => LayerState::Up,
        State::Down => LayerState::Down,
        State::Unknown => LayerState::Unknown,
    }
}

/// An entity's state as a layer (`Absent` when it was never observed in a state).
fn layer(slot: &Slot, by_state_source: &[Option<u32>]) -> Layer {
    let Some(state) = slot.state else {
        return Layer::default();
    };
    Layer {
        state: layer_state(state),
        since_ms: slot.since_ms,
        seen_ms: slot.seen_ms,
        last_up_ms: slot.last_up_ms,
        source: source_index(slot.source, by_state_source),
    }
}

/// Why a down access device is down, as far as its attributes say: an ONU's vendor status, else
/// its last down cause; a subscriber module gives no reason. Nothing while it is not down.
fn cause_hint(device: &Entity) -> CauseHint {
    if device.current_state() != State::Down {
        return CauseHint::None;
    }
    if device.id.kind() != "onu" {
        return CauseHint::Other;
    }
    let text = |key: &str| device.attributes.get(key).and_then(Value::as_str);
    match text("status") {
        Some("power_fail") => CauseHint::Power,
        Some("los") => CauseHint::Fibre,
        _ => text("last_down_cause").map_or(CauseHint::Other, down_cause),
    }
}

/// Classifies a vendor's last down cause text (case-insensitive): dying gasp or power → power;
/// LOS, LOSi, LOBi, LOFi (as words, so "closed" is not LOS), fiber or fibre → fibre; anything
/// else → other.
pub(crate) fn down_cause(text: &str) -> CauseHint {
    let text = text.to_lowercase();
    if ["dying", "gasp", "power"].iter().any(|w| text.contains(w)) {
        return CauseHint::Power;
    }
    let los_word = text
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| matches!(w, "los" | "losi" | "lobi" | "lofi"));
    if los_word || text.contains("fiber") || text.contains("fibre") {
        return CauseHint::Fibre;
    }
    CauseHint::Other
}

/// The group entity's alarms that are not cleared, as evidence: SmartOLT's outage PON says power
/// when its text speaks of power or a dying gasp, else fibre; other alarms say "other".
fn open_alarms(entity: &Entity, group: GroupIdx, out: &mut Vec<Evidence>) {
    let Some(Value::Array(alarms)) = entity.attributes.get("alarms") else {
        return;
    };
    for alarm in alarms {
        if !alarm.get("cleared_ms").is_none_or(Value::is_null) {
            continue;
        }
        let code = alarm.get("code").and_then(Value::as_str).unwrap_or("");
        let text = alarm
            .get("text")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(code);
        let cause = if code == OUTAGE_PON_ALARM {
            let lower = text.to_lowercase();
            if lower.contains("power") || lower.contains("dying gasp") {
                CauseHint::Power
            } else {
                CauseHint::Fibre
            }
        } else {
            CauseHint::Other
        };
        // `plugin:<id>@<agent>` → `<id>`.
        let plugin = alarm
            .get("source")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("plugin:"))
            .map(|s| s.split_once('@').map_or(s, |(id, _)| id))
            .unwrap_or("vendor");
        out.push(Evidence {
            group,
            cause,
            text: format!("{plugin}: {text}"),
        });
    }
}
