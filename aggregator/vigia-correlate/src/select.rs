//! Which groups explain this cycle's drops: candidates are the groups whose new drops pass their
//! level's thresholds (and hysteresis); the purest, then largest, are chosen first, each taking the
//! drops no chosen group explains yet; siblings that fire together give way to their parent.

use std::cmp::Ordering;

use crate::config::CorrelateConfig;
use crate::input::{Cycle, GroupIdx, LayerState, MemberIdx, Topology};
use crate::tally::Tally;

/// A group chosen as the root of a mass problem this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chosen {
    pub root: GroupIdx,
    /// Newly-down members it explains, in index order.
    pub members: Vec<MemberIdx>,
    /// Other groups whose drops it explains (child PONs, an equal CRM group...), in index order.
    pub absorbed: Vec<GroupIdx>,
}

/// A group's thresholds pass this cycle (coverage, count, fraction).
pub(crate) fn is_bad(
    config: &CorrelateConfig,
    topology: &Topology,
    tally: &Tally,
    g: GroupIdx,
) -> bool {
    let group = &topology.groups[g as usize];
    let Some(level) = config.levels.get(&group.kind) else {
        return false;
    };
    let count = tally.groups[g as usize];
    if group.size == 0 || !covered(config, count.known, group.size) {
        return false;
    }
    count.new >= level.min_down
        && f64::from(count.new) >= level.min_fraction * f64::from(eligible(group.size, count))
}

/// The members a drop could come from: all but those already down before the window (a churned
/// ONU in LOS for months neither counts as a drop nor dilutes its PON's share).
pub(crate) fn eligible(size: u32, count: crate::tally::GroupCount) -> u32 {
    size.saturating_sub(count.down.saturating_sub(count.new))
        .max(1)
}

/// Enough members have a fresh state to judge.
pub(crate) fn covered(config: &CorrelateConfig, known: u32, size: u32) -> bool {
    f64::from(known) >= config.min_coverage * f64::from(size)
}

/// Better explanation first: purer (more of the group down), then larger, then a group whose own
/// state is down before one with no state before one known up (a backhaul link that answers is
/// not why its tower is dark), then by the configured kind preference (top-down: a tower before
/// its APs, a PON before a CRM group with the same subscribers), then higher, then by id.
fn order(
    config: &CorrelateConfig,
    topology: &Topology,
    tally: &Tally,
    cycle: &Cycle,
    a: GroupIdx,
    b: GroupIdx,
) -> Ordering {
    let (ga, gb) = (&topology.groups[a as usize], &topology.groups[b as usize]);
    let (ca, cb) = (tally.groups[a as usize], tally.groups[b as usize]);
    let (na, nb) = (u64::from(ca.new), u64::from(cb.new));
    let (ea, eb) = (
        u64::from(eligible(ga.size, ca)),
        u64::from(eligible(gb.size, cb)),
    );
    // na/ea > nb/eb  <=>  na*eb > nb*ea
    (nb * ea)
        .cmp(&(na * eb))
        .then(eb.cmp(&ea))
        .then(own_state(cycle, a).cmp(&own_state(cycle, b)))
        .then(config.rank(&ga.kind).cmp(&config.rank(&gb.kind)))
        .then(ga.depth.cmp(&gb.depth))
        .then(ga.id.cmp(&gb.id))
}

/// Down first, then no state, then up.
fn own_state(cycle: &Cycle, g: GroupIdx) -> u8 {
    match cycle.devices.get(g as usize).map(|d| d.state) {
        Some(LayerState::Down) => 0,
        Some(LayerState::Up) => 2,
        _ => 1,
    }
}

/// Chooses the roots among `armed` groups (bad for enough cycles); `bad` are all groups bad this
/// cycle (for absorption).
pub(crate) fn choose(
    config: &CorrelateConfig,
    topology: &Topology,
    tally: &Tally,
    cycle: &Cycle,
    armed: &[GroupIdx],
    bad: &[GroupIdx],
) -> Vec<Chosen> {
    if armed.is_empty() {
        return Vec::new();
    }
    let mut candidates = armed.to_vec();
    candidates.sort_by(|&a, &b| order(config, topology, tally, cycle, a, b));
    // Which chosen root explains each member (u32::MAX: none yet).
    let mut owner = vec![u32::MAX; topology.members.len()];
    let mut chosen: Vec<Chosen> = Vec::new();
    for g in candidates {
        let min_down = config
            .levels
            .get(&topology.groups[g as usize].kind)
            .map_or(u32::MAX, |l| l.min_down);
        let fresh: Vec<MemberIdx> = topology
            .members_of(g)
            .iter()
            .copied()
            .filter(|&m| owner[m as usize] == u32::MAX && tally.newly_down(m, g))
            .collect();
        if (fresh.len() as u64) < u64::from(min_down) {
            continue;
        }
        let slot = chosen.len() as u32;
        for &m in &fresh {
            owner[m as usize] = slot;
        }
        chosen.push(Chosen {
            root: g,
            members: fresh,
            absorbed: Vec::new(),
        });
    }
    merge_siblings(config, topology, tally, &mut chosen);
    absorb(topology, tally, bad, &mut chosen);
    chosen
}

/// Siblings that fire together give way to their parent, up to a fixpoint.
fn merge_siblings(
    config: &CorrelateConfig,
    topology: &Topology,
    tally: &Tally,
    chosen: &mut Vec<Chosen>,
) {
    loop {
        let mut merged = false;
        // Parents of chosen roots, deepest first, so merges bubble up one level at a time.
        let mut parents: Vec<GroupIdx> = chosen
            .iter()
            .flat_map(|c| topology.groups[c.root as usize].parents.iter().copied())
            .collect();
        parents.sort_unstable();
        parents.dedup();
        parents.sort_by_key(|&p| std::cmp::Reverse(topology.groups[p as usize].depth));
        for p in parents {
            // Siblings are p's direct children with a chosen root at or under them: two boxes
            // of one PON are not two branches of its OLT.
            let branches = topology.groups[p as usize]
                .children
                .iter()
                .filter(|&&child| {
                    chosen
                        .iter()
                        .any(|c| c.root != p && topology.is_at_or_above(child, c.root))
                })
                .count();
            if branches < config.merge_children as usize {
                continue;
            }
            let group = &topology.groups[p as usize];
            let Some(level) = config.levels.get(&group.kind) else {
                continue;
            };
            let count = tally.groups[p as usize];
            if count.new < level.min_down || !covered(config, count.known, group.size) {
                continue;
            }
            // The parent may be chosen already (it took the drops its chosen children left):
            // the children fold into it, never into a second entry for the same group.
            let mut merged_into = chosen
                .iter()
                .position(|c| c.root == p)
                .map(|i| chosen.remove(i))
                .unwrap_or(Chosen {
                    root: p,
                    members: Vec::new(),
                    absorbed: Vec::new(),
                });
            let under: Vec<usize> = chosen
                .iter()
                .enumerate()
                .filter(|(_, c)| topology.is_at_or_above(p, c.root))
                .map(|(i, _)| i)
                .collect();
            for &i in under.iter().rev() {
                let c = chosen.remove(i);
                merged_into.members.extend(c.members);
                merged_into.absorbed.push(c.root);
                merged_into.absorbed.extend(c.absorbed);
            }
            merged_into.members.sort_unstable();
            merged_into.members.dedup();
            merged_into.absorbed.sort_unstable();
            merged_into.absorbed.dedup();
            chosen.push(merged_into);
            merged = true;
            break;
        }
        if !merged {
            break;
        }
    }
}

/// Bad groups not chosen are absorbed by the chosen root that explains all their new drops.
fn absorb(topology: &Topology, tally: &Tally, bad: &[GroupIdx], chosen: &mut [Chosen]) {
    if chosen.is_empty() {
        return;
    }
    let mut owner = vec![u32::MAX; topology.members.len()];
    for (i, c) in chosen.iter().enumerate() {
        for &m in &c.members {
            owner[m as usize] = i as u32;
        }
    }
    for &g in bad {
        // Groups above a chosen root are not "affected entities" of it (an OLT with one PON cut).
        if chosen.iter().any(|c| topology.is_at_or_above(g, c.root)) {
            continue;
        }
        let mut explained_by: Option<u32> = None;
        let mut all = true;
        for &m in topology.members_of(g) {
            if !tally.newly_down(m, g) {
                continue;
            }
            let o = owner[m as usize];
            if o == u32::MAX || explained_by.is_some_and(|e| e != o) {
                all = false;
                break;
            }
            explained_by = Some(o);
        }
        if let (true, Some(i)) = (all, explained_by) {
            let c = &mut chosen[i as usize];
            if !c.absorbed.contains(&g) {
                c.absorbed.push(g);
                c.absorbed.sort_unstable();
            }
        }
    }
}
