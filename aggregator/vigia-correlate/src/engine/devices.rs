//! Device-down events: an infrastructure entity (OLT, concentrator, AP, tower, backhaul link)
//! down by its own state. A device that is the root of a mass outage is part of that event, not a
//! second one.

use crate::event::{EventKind, TimelineKind};
use crate::input::{Cycle, GroupIdx, LayerState, Topology};
use crate::tally::source_bad;

use super::Correlator;

pub(crate) fn reconcile(
    this: &mut Correlator,
    topology: &Topology,
    cycle: &Cycle,
    bad_sources: &[bool],
) {
    let now = cycle.now_ms;
    let mut down: Vec<GroupIdx> = Vec::new();
    for (g, group) in topology.groups.iter().enumerate() {
        if !this
            .config
            .levels
            .get(&group.kind)
            .is_some_and(|l| l.device)
        {
            continue;
        }
        let Some(reading) = cycle.devices.get(g) else {
            continue;
        };
        if reading.state == LayerState::Down && !source_bad(bad_sources, reading.source) {
            down.push(g as GroupIdx);
        }
    }
    let down_ids: std::collections::HashSet<&str> = down
        .iter()
        .map(|&g| topology.groups[g as usize].id.as_str())
        .collect();
    this.device_bad
        .retain(|id, _| down_ids.contains(id.as_str()));
    for g in down {
        let group = &topology.groups[g as usize];
        let count = this.device_bad.entry(group.id.clone()).or_insert(0);
        *count = count.saturating_add(1);
        if *count < this.config.fire_cycles_of(&group.kind) {
            continue;
        }
        let reason = &cycle.devices[g as usize].reason;
        let existing = this
            .active
            .values_mut()
            .find(|e| e.root == group.id && e.kind != EventKind::CollectorStale);
        match existing {
            Some(event) if event.kind == EventKind::MassOutage => {
                if event.entities.binary_search(&group.id).is_err() {
                    let at = event
                        .entities
                        .binary_search(&group.id)
                        .unwrap_or_else(|i| i);
                    event.entities.insert(at, group.id.clone());
                    event.record(
                        now,
                        TimelineKind::Grew,
                        format!("{} itself is down: {reason}", group.name),
                    );
                }
            }
            Some(_) => {}
            None => {
                let text = format!("{} is down: {reason}", group.name);
                let id = this.open_group(EventKind::DeviceDown, group, now, text);
                if let Some(event) = this.active.get_mut(&id) {
                    event.cause_detail = reason.clone();
                }
            }
        }
    }
}

/// A device event resolves once the device is up for `clear_cycles` cycles; unknown holds.
pub(crate) fn settle(
    this: &mut Correlator,
    topology: &Topology,
    cycle: &Cycle,
    bad_sources: &[bool],
    id: u64,
) -> Option<String> {
    let event = this.active.get(&id)?;
    let name = event.root_name.clone();
    let Some(g) = topology.group(&event.root) else {
        return Some(format!("{name} is no longer in the topology"));
    };
    let reading = cycle.devices.get(g as usize)?;
    let state = if source_bad(bad_sources, reading.source) {
        LayerState::Unknown
    } else {
        reading.state
    };
    let clear = this
        .config
        .clear_cycles_of(&topology.groups[g as usize].kind);
    let track = this.tracks.entry(id).or_default();
    match state {
        LayerState::Up => track.good_cycles += 1,
        LayerState::Down => track.good_cycles = 0,
        LayerState::Unknown | LayerState::Absent => return None,
    }
    (track.good_cycles >= clear).then(|| format!("{name} is up again"))
}
