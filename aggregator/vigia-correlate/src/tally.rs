//! One cycle's arithmetic: which members are down (and newly so), counted per group.

use crate::config::{CorrelateConfig, GroupClass};
use crate::input::{Cycle, GroupIdx, Layer, LayerState, MemberIdx, Reading, Topology};

/// A member's drop: when its layer went down, and when that same layer was last up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Drop {
    pub since_ms: u64,
    pub last_up_ms: Option<u64>,
}

impl Drop {
    /// Went down at or after `from_ms`, having been up (on the layer that dropped) within
    /// `recent_ms` before: a session that never came up (a blocked subscriber whose ONU is fine)
    /// or an ONU in LOS since it was first seen never counts.
    pub(crate) fn is_new(&self, from_ms: u64, recent_ms: u64) -> bool {
        self.since_ms >= from_ms
            && self
                .last_up_ms
                .is_some_and(|up| up.saturating_add(recent_ms) >= self.since_ms)
    }
}

/// What one member is this cycle, after the sources' health is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct MemberView {
    /// Any layer has a fresh state.
    pub known: bool,
    /// Down for physical groups.
    pub phys_down: Option<Drop>,
    /// Down for logical groups.
    pub any_down: Option<Drop>,
}

impl MemberView {
    pub(crate) fn down(&self, class: GroupClass) -> Option<Drop> {
        match class {
            GroupClass::Physical => self.phys_down,
            GroupClass::Logical => self.any_down,
        }
    }

    pub(crate) fn down_since(&self, class: GroupClass) -> Option<u64> {
        self.down(class).map(|d| d.since_ms)
    }

    /// Went down within the window, having been up recently before.
    pub(crate) fn newly_down(&self, class: GroupClass, from_ms: u64, recent_ms: u64) -> bool {
        self.down(class)
            .is_some_and(|d| d.is_new(from_ms, recent_ms))
    }
}

/// The reading comes from a source judged stale or short this cycle.
pub(crate) fn source_bad(bad_sources: &[bool], source: Option<u32>) -> bool {
    source.is_some_and(|s| bad_sources.get(s as usize).copied().unwrap_or(false))
}

/// A layer as it counts: a bad source makes it unknown.
fn effective(layer: &Layer, bad_sources: &[bool]) -> LayerState {
    if source_bad(bad_sources, layer.source) && layer.state != LayerState::Absent {
        LayerState::Unknown
    } else {
        layer.state
    }
}

pub(crate) fn view(reading: &Reading, bad_sources: &[bool]) -> MemberView {
    let session = effective(&reading.session, bad_sources);
    let access = effective(&reading.access, bad_sources);
    let known = matches!(session, LayerState::Up | LayerState::Down)
        || matches!(access, LayerState::Up | LayerState::Down);
    let drop = |layer: &Layer| Drop {
        since_ms: layer.since_ms,
        last_up_ms: layer.last_up_ms,
    };
    let session_down = (session == LayerState::Down).then(|| drop(&reading.session));
    // An ONU/radio reading of "down" that a session established after it contradicts is stale:
    // a PPPoE session cannot come up over a dark fibre (the ONU is back before its next poll).
    let session_up_after =
        session == LayerState::Up && reading.session.since_ms > reading.access.seen_ms;
    let access_down =
        (access == LayerState::Down && !session_up_after).then(|| drop(&reading.access));
    // A session drop counts physically unless the ONU/radio was confirmed up after it.
    let access_up_after = access == LayerState::Up
        && session_down.is_some_and(|d| reading.access.seen_ms > d.since_ms);
    let phys_down = access_down.or(if access_up_after { None } else { session_down });
    let any_down = session_down.or(access_down);
    MemberView {
        known,
        phys_down,
        any_down,
    }
}

/// Per-group counts for one cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GroupCount {
    pub known: u32,
    /// Down now (by the group's class).
    pub down: u32,
    /// Newly down within the window (by the group's class).
    pub new: u32,
}

/// The whole cycle's member views and group counts.
pub(crate) struct Tally {
    pub members: Vec<MemberView>,
    pub groups: Vec<GroupCount>,
    pub classes: Vec<GroupClass>,
    pub from_ms: u64,
    pub recent_ms: u64,
}

impl Tally {
    pub(crate) fn compute(
        config: &CorrelateConfig,
        topology: &Topology,
        cycle: &Cycle,
        bad_sources: &[bool],
        planned: &[bool],
    ) -> Self {
        let classes: Vec<GroupClass> = topology
            .groups
            .iter()
            .map(|g| {
                config
                    .levels
                    .get(&g.kind)
                    .map_or(GroupClass::Logical, |l| l.class)
            })
            .collect();
        let from_ms = cycle.now_ms.saturating_sub(config.window_ms);
        let recent_ms = config.recent_up_ms;
        let mut groups = vec![GroupCount::default(); topology.groups.len()];
        let mut members = Vec::with_capacity(topology.members.len());
        for m in 0..topology.members.len() {
            let reading = cycle.readings.get(m).copied().unwrap_or_default();
            let v = view(&reading, bad_sources);
            members.push(v);
            // Drops that planned work explains count for no group (a maintenance window must not
            // make an unplanned outage next to it look bigger, or swallow it).
            if !v.known || planned.get(m).copied().unwrap_or(false) {
                continue;
            }
            let phys_new = v.newly_down(GroupClass::Physical, from_ms, recent_ms);
            let any_new = v.newly_down(GroupClass::Logical, from_ms, recent_ms);
            for &g in topology.groups_of(m as MemberIdx) {
                let c = &mut groups[g as usize];
                c.known += 1;
                let (down, new) = match classes[g as usize] {
                    GroupClass::Physical => (v.phys_down.is_some(), phys_new),
                    GroupClass::Logical => (v.any_down.is_some(), any_new),
                };
                c.down += u32::from(down);
                c.new += u32::from(new);
            }
        }
        Self {
            members,
            groups,
            classes,
            from_ms,
            recent_ms,
        }
    }

    pub(crate) fn newly_down(&self, member: MemberIdx, group: GroupIdx) -> bool {
        self.members[member as usize].newly_down(
            self.classes[group as usize],
            self.from_ms,
            self.recent_ms,
        )
    }
}
