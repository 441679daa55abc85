//! What the correlator reads each cycle: the topology as groups and members (rebuilt only when
//! the topology changes), and per cycle the members' readings, the groups' own device states and
//! vendor evidence, and the sources' health.

use std::collections::HashMap;

/// Index of a group in [`Topology::groups`].
pub type GroupIdx = u32;
/// Index of a member in [`Topology::members`].
pub type MemberIdx = u32;

/// A group: an entity that subscribers depend on (PON, OLT, AP, tower, concentrator...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub kind: String,
    pub name: String,
    /// Direct parent groups (an OLT for a PON; a POP for an OLT).
    pub parents: Vec<GroupIdx>,
    /// Direct child groups.
    pub children: Vec<GroupIdx>,
    /// Members under it (transitively).
    pub size: u32,
    /// Longest chain of parents above it (0 for a top group).
    pub depth: u32,
}

/// The dependency structure the correlator works on. Built once per topology change with
/// [`TopologyBuilder`].
#[derive(Debug, Clone, Default)]
pub struct Topology {
    pub groups: Vec<Group>,
    /// Member entity ids (`subscriber:<login>`, or an ONU/SM with no subscriber).
    pub members: Vec<String>,
    /// Every group each member is under (transitively), CSR: `member_groups[offsets[m]..offsets[m+1]]`.
    offsets: Vec<u32>,
    member_groups: Vec<GroupIdx>,
    /// Every ancestor group of each group (transitively), CSR like the members'.
    ancestor_offsets: Vec<u32>,
    ancestors: Vec<GroupIdx>,
    /// The members under each group (transitively), CSR like the members'.
    member_offsets: Vec<u32>,
    group_members: Vec<MemberIdx>,
    group_index: HashMap<String, GroupIdx>,
    member_index: HashMap<String, MemberIdx>,
}

impl Topology {
    /// Every group the member is under.
    pub fn groups_of(&self, member: MemberIdx) -> &[GroupIdx] {
        let m = member as usize;
        &self.member_groups[self.offsets[m] as usize..self.offsets[m + 1] as usize]
    }

    /// Every group above `group` (not itself).
    pub fn ancestors_of(&self, group: GroupIdx) -> &[GroupIdx] {
        let g = group as usize;
        &self.ancestors[self.ancestor_offsets[g] as usize..self.ancestor_offsets[g + 1] as usize]
    }

    /// Every member under `group`, in index order.
    pub fn members_of(&self, group: GroupIdx) -> &[MemberIdx] {
        let g = group as usize;
        &self.group_members[self.member_offsets[g] as usize..self.member_offsets[g + 1] as usize]
    }

    pub fn group(&self, id: &str) -> Option<GroupIdx> {
        self.group_index.get(id).copied()
    }

    pub fn member(&self, id: &str) -> Option<MemberIdx> {
        self.member_index.get(id).copied()
    }

    /// `ancestor` is `group` or above it.
    pub fn is_at_or_above(&self, ancestor: GroupIdx, group: GroupIdx) -> bool {
        ancestor == group || self.ancestors_of(group).contains(&ancestor)
    }

    /// The member is under `group`.
    pub fn member_under(&self, member: MemberIdx, group: GroupIdx) -> bool {
        self.groups_of(member).contains(&group)
    }
}

/// Builds a [`Topology`]: add groups, their parent links, then members with their direct groups.
#[derive(Debug, Default)]
pub struct TopologyBuilder {
    groups: Vec<Group>,
    group_index: HashMap<String, GroupIdx>,
    members: Vec<String>,
    member_index: HashMap<String, MemberIdx>,
    direct: Vec<Vec<GroupIdx>>,
}

impl TopologyBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a group (or returns the one with that id).
    pub fn group(&mut self, id: &str, kind: &str, name: &str) -> GroupIdx {
        if let Some(&idx) = self.group_index.get(id) {
            return idx;
        }
        let idx = self.groups.len() as GroupIdx;
        self.groups.push(Group {
            id: id.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            parents: Vec::new(),
            children: Vec::new(),
            size: 0,
            depth: 0,
        });
        self.group_index.insert(id.to_owned(), idx);
        idx
    }

    /// `child` depends on `parent` (a cycle is ignored when the topology is built).
    pub fn parent(&mut self, child: GroupIdx, parent: GroupIdx) {
        if child == parent {
            return;
        }
        let group = &mut self.groups[child as usize];
        if !group.parents.contains(&parent) {
            group.parents.push(parent);
        }
    }

    /// Adds a member directly under `groups` (or adds those groups to the member with that id).
    pub fn member(&mut self, id: &str, groups: &[GroupIdx]) -> MemberIdx {
        let idx = match self.member_index.get(id) {
            Some(&idx) => idx,
            None => {
                let idx = self.members.len() as MemberIdx;
                self.members.push(id.to_owned());
                self.member_index.insert(id.to_owned(), idx);
                self.direct.push(Vec::new());
                idx
            }
        };
        let direct = &mut self.direct[idx as usize];
        for g in groups {
            if !direct.contains(g) {
                direct.push(*g);
            }
        }
        idx
    }

    pub fn build(mut self) -> Topology {
        let n = self.groups.len();
        // Ancestors of every group, by depth-first search with a visiting mark (cycles broken).
        let mut ancestors: Vec<Option<Vec<GroupIdx>>> = vec![None; n];
        let mut visiting = vec![false; n];
        for g in 0..n {
            closure(g, &self.groups, &mut ancestors, &mut visiting);
        }
        let ancestors: Vec<Vec<GroupIdx>> = ancestors
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        for g in 0..n {
            let parents = self.groups[g].parents.clone();
            for p in parents {
                // A parent link that closes a cycle is dropped.
                if ancestors[p as usize].contains(&(g as GroupIdx)) {
                    self.groups[g].parents.retain(|&x| x != p);
                    continue;
                }
                self.groups[p as usize].children.push(g as GroupIdx);
            }
        }
        let mut depths = vec![None; n];
        for g in 0..n {
            self.groups[g].depth = depth(g, &self.groups, &mut depths);
        }
        let mut ancestor_offsets = Vec::with_capacity(n + 1);
        let mut flat = Vec::new();
        ancestor_offsets.push(0);
        for list in &ancestors {
            flat.extend_from_slice(list);
            ancestor_offsets.push(flat.len() as u32);
        }
        let mut offsets = Vec::with_capacity(self.members.len() + 1);
        let mut member_groups = Vec::new();
        offsets.push(0);
        let mut seen = vec![u32::MAX; n];
        for (m, direct) in self.direct.iter().enumerate() {
            let start = member_groups.len();
            for &g in direct {
                for &a in std::iter::once(&g).chain(ancestors[g as usize].iter()) {
                    if seen[a as usize] != m as u32 {
                        seen[a as usize] = m as u32;
                        member_groups.push(a);
                    }
                }
            }
            member_groups[start..].sort_unstable();
            for &g in &member_groups[start..] {
                self.groups[g as usize].size += 1;
            }
            offsets.push(member_groups.len() as u32);
        }
        // The reverse index: members per group, by counting then filling.
        let mut member_offsets = Vec::with_capacity(n + 1);
        member_offsets.push(0u32);
        for g in &self.groups {
            let last = *member_offsets.last().unwrap_or(&0);
            member_offsets.push(last + g.size);
        }
        let mut fill: Vec<u32> = member_offsets[..n].to_vec();
        let mut group_members = vec![0 as MemberIdx; member_groups.len()];
        for m in 0..self.members.len() {
            for &g in &member_groups[offsets[m] as usize..offsets[m + 1] as usize] {
                group_members[fill[g as usize] as usize] = m as MemberIdx;
                fill[g as usize] += 1;
            }
        }
        Topology {
            member_offsets,
            group_members,
            groups: self.groups,
            members: self.members,
            offsets,
            member_groups,
            ancestor_offsets,
            ancestors: flat,
            group_index: self.group_index,
            member_index: self.member_index,
        }
    }
}

/// The ancestors of `g` (memoised). Cycles: a parent already being visited is skipped.
fn closure(g: usize, groups: &[Group], memo: &mut [Option<Vec<GroupIdx>>], visiting: &mut [bool]) {
    if memo[g].is_some() {
        return;
    }
    visiting[g] = true;
    let mut out: Vec<GroupIdx> = Vec::new();
    for &p in &groups[g].parents {
        let p = p as usize;
        if visiting[p] {
            continue;
        }
        closure(p, groups, memo, visiting);
        for &a in std::iter::once(&(p as GroupIdx)).chain(memo[p].iter().flatten()) {
            if a as usize != g && !out.contains(&a) {
                out.push(a);
            }
        }
    }
    visiting[g] = false;
    out.sort_unstable();
    memo[g] = Some(out);
}

fn depth(g: usize, groups: &[Group], memo: &mut [Option<u32>]) -> u32 {
    if let Some(d) = memo[g] {
        return d;
    }
    let d = groups[g]
        .parents
        .iter()
        .map(|&p| depth(p as usize, groups, memo) + 1)
        .max()
        .unwrap_or(0);
    memo[g] = Some(d);
    d
}

/// What a layer of a member says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayerState {
    Up,
    Down,
    /// Stale or never observed.
    Unknown,
    /// This member has no such layer (no ONU/radio known, or no session monitoring).
    #[default]
    Absent,
}

/// One layer of a member: the PPPoE session (logical) or the ONU/radio (physical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layer {
    pub state: LayerState,
    /// When the current state began.
    pub since_ms: u64,
    /// Last time an observation confirmed the current state.
    pub seen_ms: u64,
    /// Last time it was seen up (or degraded).
    pub last_up_ms: Option<u64>,
    /// Which source said so: index into [`Cycle::sources`], if known.
    pub source: Option<u32>,
}

/// What a member's access device says about why it is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CauseHint {
    /// Dying gasp, "Power fail".
    Power,
    /// LOS, LOSi/LOBi/LOFi.
    Fibre,
    /// Another reason (offline, radio loss...).
    Other,
    #[default]
    None,
}

/// One member's readings this cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reading {
    pub session: Layer,
    pub access: Layer,
    pub cause: CauseHint,
}

/// A group entity's own state (ping of an OLT, an AP's vendor status).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceReading {
    pub state: LayerState,
    pub since_ms: u64,
    pub reason: String,
    pub source: Option<u32>,
}

/// Vendor data about a group: a SmartOLT outage PON, a cnMaestro alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub group: GroupIdx,
    pub cause: CauseHint,
    /// In words, with its source (`"SmartOLT lists PON 1/1 as an outage PON (loss of signal)"`).
    pub text: String,
}

/// One observation source (an agent's plugin) and how it has been doing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceReading {
    /// `<agent>/<plugin>`.
    pub key: String,
    pub last_success_ms: Option<u64>,
    /// Observations in its last successful run, and its usual count (e.g. the median of recent
    /// runs); 0 when unknown.
    pub rows_last: u64,
    pub rows_usual: u64,
}

/// Everything one cycle reads besides the topology.
#[derive(Debug, Clone, Default)]
pub struct Cycle {
    pub now_ms: u64,
    /// One per member, in [`Topology::members`] order.
    pub readings: Vec<Reading>,
    /// One per group, in [`Topology::groups`] order.
    pub devices: Vec<DeviceReading>,
    pub evidence: Vec<Evidence>,
    pub sources: Vec<SourceReading>,
    pub maintenance: Vec<crate::MaintenanceWindow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_count_under_every_ancestor_once() {
        let mut b = TopologyBuilder::new();
        let pop = b.group("pop:centro", "pop", "centro");
        let olt = b.group("olt:A", "olt", "A");
        let pon = b.group("pon_port:A/1/1", "pon_port", "A/1/1");
        let conc = b.group("concentrator:bng", "concentrator", "bng");
        b.parent(olt, pop);
        b.parent(pon, olt);
        b.parent(conc, pop);
        let m = b.member("subscriber:x", &[pon, conc]);
        b.member("subscriber:x", &[pon]);
        let t = b.build();
        let mut groups = t.groups_of(m).to_vec();
        groups.sort_unstable();
        assert_eq!(groups, vec![pop, olt, pon, conc]);
        assert_eq!(
            t.groups[pop as usize].size, 1,
            "counted once through two paths"
        );
        assert_eq!(t.members_of(pop), &[m]);
        assert!(t.is_at_or_above(pop, pon) && !t.is_at_or_above(pon, pop));
        assert_eq!(t.groups[pon as usize].depth, 2);
        assert_eq!(t.groups[olt as usize].children, vec![pon]);
    }

    #[test]
    fn a_parent_cycle_is_broken_not_followed_forever() {
        let mut b = TopologyBuilder::new();
        let a = b.group("tower:a", "tower", "a");
        let c = b.group("tower:c", "tower", "c");
        b.parent(a, c);
        b.parent(c, a);
        let m = b.member("subscriber:x", &[a]);
        let t = b.build();
        assert!(t.groups_of(m).contains(&a));
        let cyclic = t.groups.iter().filter(|g| !g.parents.is_empty()).count();
        assert!(cyclic <= 1, "one link of the cycle is dropped");
    }
}
