//! Dependency suppression and maintenance windows. An event is suppressed when every parent of
//! its root is down (the root of an active event, or itself suppressed that way): it is recorded
//! with `suppressed_by` and not notified. A maintenance window over the root (or above it)
//! silences notifications. Neither stops detection, and neither touches a resolution.

use crate::event::{EventKind, TimelineKind};
use crate::input::{Cycle, GroupIdx, Topology};

use super::Correlator;

pub(crate) fn apply(this: &mut Correlator, topology: &Topology, cycle: &Cycle) {
    if this.active.is_empty() {
        return;
    }
    // The event that makes each group unreachable, if any: its own event, else (all parents
    // down) the first parent's. Groups in depth order so parents come first.
    let mut own: Vec<Option<u64>> = vec![None; topology.groups.len()];
    for (id, event) in &this.active {
        if event.kind == EventKind::CollectorStale {
            continue;
        }
        if let Some(g) = topology.group(&event.root) {
            own[g as usize].get_or_insert(*id);
        }
    }
    let mut order: Vec<GroupIdx> = (0..topology.groups.len() as GroupIdx).collect();
    order.sort_by_key(|&g| topology.groups[g as usize].depth);
    let mut down: Vec<Option<u64>> = vec![None; topology.groups.len()];
    for &g in &order {
        down[g as usize] = own[g as usize].or_else(|| via_parents(topology, &down, g));
    }
    let now = cycle.now_ms;
    let windows: Vec<&crate::MaintenanceWindow> = cycle
        .maintenance
        .iter()
        .filter(|w| w.is_active(now))
        .collect();
    for event in this.active.values_mut() {
        let root = topology.group(&event.root);
        let by = if event.kind == EventKind::CollectorStale {
            None
        } else {
            root.and_then(|g| via_parents(topology, &down, g))
                .filter(|&by| by != event.id)
        };
        if by != event.suppressed_by {
            match by {
                Some(by) => event.record(
                    now,
                    TimelineKind::Suppressed,
                    format!(
                        "suppressed by #{by}: everything {} depends on is down",
                        event.root_name
                    ),
                ),
                None => event.record(
                    now,
                    TimelineKind::Unsuppressed,
                    "no longer suppressed".to_owned(),
                ),
            }
            event.suppressed_by = by;
        }
        let window = windows.iter().find(|w| {
            w.entities.iter().any(|e| {
                *e == event.root
                    || match (topology.group(e), root) {
                        (Some(w), Some(r)) => topology.is_at_or_above(w, r),
                        _ => false,
                    }
            })
        });
        let maintenance = window.map(|w| w.id);
        if maintenance != event.maintenance {
            match window {
                Some(w) => event.record(
                    now,
                    TimelineKind::Maintenance,
                    format!(
                        "in maintenance window #{} ({}): not notified",
                        w.id, w.reason
                    ),
                ),
                None => event.record(
                    now,
                    TimelineKind::Maintenance,
                    "maintenance window over".to_owned(),
                ),
            }
            event.maintenance = maintenance;
        }
    }
}

/// Down through its parents: every parent is down (a group with no parent is not).
fn via_parents(topology: &Topology, down: &[Option<u64>], g: GroupIdx) -> Option<u64> {
    let parents = &topology.groups[g as usize].parents;
    let first = *parents.first()?;
    if parents.iter().all(|&p| down[p as usize].is_some()) {
        down[first as usize]
    } else {
        None
    }
}
