//! Mass outages: groups whose members dropped together. Chosen roots attach to the active event
//! that already covers them, take over the events below them (the root moves up), or open a new
//! event; active events grow with later drops under their root and resolve when their members
//! are back.

use std::collections::HashSet;

use crate::cause::{self, Hints};
use crate::config::GroupClass;
use crate::event::{EventKind, TimelineKind};
use crate::input::{Cycle, GroupIdx, MemberIdx, Topology};
use crate::select::{self, Chosen};
use crate::tally::Tally;

use super::Correlator;

pub(crate) fn reconcile(this: &mut Correlator, topology: &Topology, cycle: &Cycle, tally: &Tally) {
    let bad: Vec<GroupIdx> = (0..topology.groups.len() as GroupIdx)
        .filter(|&g| select::is_bad(&this.config, topology, tally, g))
        .collect();
    let bad_ids: HashSet<&str> = bad
        .iter()
        .map(|&g| topology.groups[g as usize].id.as_str())
        .collect();
    this.group_bad.retain(|id, _| bad_ids.contains(id.as_str()));
    let mut armed = Vec::new();
    for &g in &bad {
        let count = this
            .group_bad
            .entry(topology.groups[g as usize].id.clone())
            .or_insert(0);
        *count = count.saturating_add(1);
        if *count
            >= this
                .config
                .fire_cycles_of(&topology.groups[g as usize].kind)
        {
            armed.push(g);
        }
    }
    for chosen in select::choose(&this.config, topology, tally, cycle, &armed, &bad) {
        attach(this, topology, cycle, chosen);
    }
    let ids: Vec<u64> = this.active.keys().copied().collect();
    for id in ids {
        grow(this, topology, tally, id, cycle.now_ms);
    }
}

fn names(topology: &Topology, members: &[MemberIdx]) -> Vec<String> {
    members
        .iter()
        .map(|&m| topology.members[m as usize].clone())
        .collect()
}

/// Adds ids to a sorted list; returns how many were new.
fn union(list: &mut Vec<String>, more: impl IntoIterator<Item = String>) -> usize {
    let before = list.len();
    list.extend(more);
    list.sort_unstable();
    list.dedup();
    list.len() - before
}

/// A chosen root joins the event that covers it, takes over the events below it, or opens one.
fn attach(this: &mut Correlator, topology: &Topology, cycle: &Cycle, chosen: Chosen) {
    let now = cycle.now_ms;
    let r = chosen.root;
    let group = &topology.groups[r as usize];
    let mut above = None;
    let mut below = Vec::new();
    let mut device = None;
    for (id, event) in &this.active {
        let Some(e) = topology.group(&event.root) else {
            continue;
        };
        match event.kind {
            EventKind::MassOutage if topology.is_at_or_above(e, r) => {
                above.get_or_insert(*id);
            }
            EventKind::MassOutage if topology.is_at_or_above(r, e) => below.push(*id),
            EventKind::DeviceDown if e == r => device = Some(*id),
            _ => {}
        }
    }
    let target = if let Some(id) = above {
        id
    } else if let Some(target) = device.or_else(|| below.first().copied()) {
        let from = this.active[&target].root_name.clone();
        let was_device = this.active[&target].kind == EventKind::DeviceDown;
        let absorbed: Vec<u64> = below.iter().copied().filter(|&id| id != target).collect();
        let mut taken = Vec::new();
        for id in absorbed {
            if let Some(other) = this.active.get(&id) {
                taken.push((
                    id,
                    other.root.clone(),
                    other.root_name.clone(),
                    other.affected.clone(),
                    other.entities.clone(),
                ));
            }
            this.retire(
                id,
                now,
                TimelineKind::Merged,
                format!("merged into #{target}"),
            );
        }
        if let Some(event) = this.active.get_mut(&target) {
            if was_device {
                event.kind = EventKind::MassOutage;
                event.record(
                    now,
                    TimelineKind::RootMoved,
                    format!("subscribers under {} dropped: a mass outage", group.name),
                );
            } else {
                let old_root = std::mem::replace(&mut event.root, group.id.clone());
                union(&mut event.entities, [old_root]);
                event.root_kind = group.kind.clone();
                event.root_name = group.name.clone();
                event.record(
                    now,
                    TimelineKind::RootMoved,
                    format!("root moved up from {from} to {}", group.name),
                );
            }
            event.root = group.id.clone();
            for (id, root, name, affected, entities) in taken {
                union(&mut event.affected, affected);
                union(&mut event.entities, entities.into_iter().chain([root]));
                event.record(
                    now,
                    TimelineKind::Merged,
                    format!("#{id} ({name}) merged into this event"),
                );
            }
        }
        target
    } else {
        let text = format!(
            "{} of {} subscribers under {} went down within {} s",
            chosen.members.len(),
            group.size,
            group.name,
            this.config.window_ms / 1000
        );
        this.open_group(EventKind::MassOutage, group, now, text)
    };
    let Some(event) = this.active.get_mut(&target) else {
        return;
    };
    let before = event.affected.len();
    union(&mut event.affected, names(topology, &chosen.members));
    let mut entities: Vec<String> = chosen
        .absorbed
        .iter()
        .map(|&g| topology.groups[g as usize].id.clone())
        .collect();
    if event.root != group.id {
        entities.push(group.id.clone());
    }
    union(&mut event.entities, entities);
    let added = event.affected.len() - before;
    if added > 0 && before > 0 {
        event.record(
            now,
            TimelineKind::Grew,
            format!("{added} more subscribers down under {}", group.name),
        );
    }
}

/// Members under the root that dropped since the event began join it.
fn grow(this: &mut Correlator, topology: &Topology, tally: &Tally, id: u64, now: u64) {
    let Some(event) = this.active.get(&id) else {
        return;
    };
    if event.kind == EventKind::CollectorStale {
        return;
    }
    if this.tracks.get(&id).is_some_and(|t| t.holding) {
        return;
    }
    let Some(root) = topology.group(&event.root) else {
        return;
    };
    let class = tally.classes[root as usize];
    let from = event.started_ms.saturating_sub(this.config.window_ms);
    let recent = this.config.recent_up_ms;
    let mut joined = Vec::new();
    for &m in topology.members_of(root) {
        let v = &tally.members[m as usize];
        let fresh = v.down(class).is_some_and(|d| d.is_new(from, recent));
        if fresh {
            let name = &topology.members[m as usize];
            if event.affected.binary_search(name).is_err() {
                joined.push(name.clone());
            }
        }
    }
    if joined.is_empty() {
        return;
    }
    let name = event.root_name.clone();
    let had = !event.affected.is_empty();
    if let Some(event) = this.active.get_mut(&id) {
        let added = union(&mut event.affected, joined);
        if had && added > 0 {
            event.record(
                now,
                TimelineKind::Grew,
                format!("{added} more subscribers down under {name}"),
            );
        }
    }
}

/// Counts the affected members down now (and known), and the hints of the down ones.
pub(crate) fn count(
    topology: &Topology,
    cycle: &Cycle,
    tally: &Tally,
    affected: &[String],
    class: GroupClass,
) -> (u64, u64, Hints) {
    let mut down = 0;
    let mut known = 0;
    let mut hints = Hints::default();
    for id in affected {
        let Some(m) = topology.member(id) else {
            continue;
        };
        let v = &tally.members[m as usize];
        if !v.known {
            continue;
        }
        known += 1;
        if v.down_since(class).is_some() {
            down += 1;
            hints.add(
                cycle
                    .readings
                    .get(m as usize)
                    .map(|r| r.cause)
                    .unwrap_or_default(),
            );
        }
    }
    (down, known, hints)
}

/// Updates counts and cause; resolves when every affected member is back (for `clear_cycles`)
/// or only a residue has been down for `residual_after_ms`.
pub(crate) fn settle(
    this: &mut Correlator,
    topology: &Topology,
    cycle: &Cycle,
    tally: &Tally,
    id: u64,
) -> Option<String> {
    let now = cycle.now_ms;
    let config = &this.config;
    let event = this.active.get_mut(&id)?;
    let root = topology.group(&event.root);
    let class = root.map_or(GroupClass::Logical, |g| tally.classes[g as usize]);
    if let Some(g) = root {
        event.group_size = u64::from(topology.groups[g as usize].size);
    }
    let (down, known, hints) = count(topology, cycle, tally, &event.affected, class);
    let total = event.affected.len() as u64;
    let track = this.tracks.entry(id).or_default();
    // Holding: the counts and cause stay as last known.
    if !select::covered(config, known as u32, total as u32) {
        if !track.holding {
            track.holding = true;
            event.record(
                now,
                TimelineKind::Shrank,
                format!("holding: only {known} of {total} affected subscribers have a fresh state"),
            );
        }
        return None;
    }
    if track.holding {
        track.holding = false;
        event.record(
            now,
            TimelineKind::Grew,
            format!("coverage back: {known} of {total} affected subscribers have a fresh state"),
        );
    }
    if down < event.down_now {
        event.record(
            now,
            TimelineKind::Shrank,
            format!(
                "{} back up ({down} of {total} still down)",
                event.down_now - down
            ),
        );
    }
    event.down_now = down;
    event.peak_down = event.peak_down.max(down);
    if down > 0 {
        let evidence: Vec<&crate::input::Evidence> = cycle
            .evidence
            .iter()
            .filter(|e| {
                root.is_some_and(|r| topology.is_at_or_above(r, e.group))
                    || event
                        .entities
                        .binary_search(&topology.groups[e.group as usize].id)
                        .is_ok()
            })
            .collect();
        let (cause, detail) = cause::infer(config, &hints, &evidence);
        if cause != event.cause {
            event.record(
                now,
                TimelineKind::Cause,
                format!("cause: {} ({detail})", cause.as_str()),
            );
            event.cause = cause;
        }
        event.cause_detail = detail;
    }
    if down == 0 {
        track.residual_since_ms = None;
        track.good_cycles += 1;
        return (track.good_cycles >= config.clear_cycles_of(&event.root_kind))
            .then(|| format!("all {total} affected subscribers recovered"));
    }
    track.good_cycles = 0;
    if (down as f64) <= config.residual_fraction * total as f64 {
        let since = *track.residual_since_ms.get_or_insert(now);
        if now.saturating_sub(since) >= config.residual_after_ms {
            return Some(format!(
                "{down} of {total} affected subscribers still down after {} min: treated as individual faults",
                config.residual_after_ms / 60_000
            ));
        }
    } else {
        track.residual_since_ms = None;
    }
    None
}
