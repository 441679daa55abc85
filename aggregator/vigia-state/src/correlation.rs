//! The outage correlator's input, built from the live state: the [`Topology`] (groups and
//! members, rebuilt only when [`LiveState::topology_version`] moves) and, each cycle, the
//! [`Cycle`] of readings read through the entity handles kept in [`CorrelationInput`].
//!
//! Rules:
//! - **Groups** are entities whose kind is a level of the [`CorrelateConfig`]; a group's parents
//!   are its parents (visible edges) that are groups, plus the POP of its own site (a POP group
//!   is made even when no POP entity exists).
//! - **Members** are subscribers, and ONUs/subscriber modules without a subscriber under them.
//!   Access devices are passed through: a member's direct groups are its group parents and, for
//!   each access-device parent, that device's group parents (at most [`ACCESS_DEPTH`] devices
//!   deep).
//! - **Layers**: a subscriber's session is its own state and its access layer the state of its
//!   first access-device parent (by id); an ONU/SM member has only the access layer.

use vigia_correlate::{CorrelateConfig, GroupIdx, MemberIdx, Topology, TopologyBuilder};

use crate::id::EntityId;
use crate::live::{FastMap, LiveState};

mod cycle;
#[cfg(test)]
mod tests;

/// Id prefixes of access devices (an ONU, a radio subscriber module): not groups, passed through
/// between a member and its groups.
const ACCESS_PREFIXES: [&str; 2] = ["onu:", "subscriber_module:"];
/// How many access devices deep the walk from a member up to its groups goes.
pub(crate) const ACCESS_DEPTH: usize = 3;
/// Kinds whose entities can be members, in id order.
const MEMBER_KINDS: [&str; 3] = ["onu", "subscriber", "subscriber_module"];

/// An entity a cycle reads: its id, and its slot (the dense copy of its state).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Handle {
    id: EntityId,
    slot: u32,
}

/// What to read for one member each cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MemberHandles {
    /// The subscriber, for the session layer (`None` for an ONU/SM member).
    session: Option<Handle>,
    /// The access device: the member itself, or the subscriber's first ONU/SM.
    access: Option<Handle>,
}

/// The topology the correlator works on, with the entity handles a cycle reads: built by
/// [`LiveState::correlation_input`] when [`LiveState::topology_version`] moved, read by
/// [`LiveState::correlation_cycle`] every cycle.
#[derive(Debug, Clone)]
pub struct CorrelationInput {
    topology: Topology,
    version: u64,
    /// Per member, in [`Topology::members`] order.
    members: Vec<MemberHandles>,
    /// Per group, in [`Topology::groups`] order: its entity (`None` for a POP group made from a
    /// site no entity stands for).
    groups: Vec<Option<Handle>>,
}

impl CorrelationInput {
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The [`LiveState::topology_version`] this was built at.
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// Groups as they are made: the builder, each group's entity and an index by id.
struct Groups<'a> {
    builder: TopologyBuilder,
    handles: Vec<Option<Handle>>,
    index: FastMap<&'a EntityId, GroupIdx>,
    /// `<kind>:` of every group kind.
    prefixes: Vec<String>,
}

fn is_access(id: &EntityId) -> bool {
    ACCESS_PREFIXES.iter().any(|p| id.as_str().starts_with(p))
}

impl<'a> Groups<'a> {
    /// The group of `id` if it is one (made on first use).
    fn of(&mut self, live: &'a LiveState, id: &'a EntityId) -> Option<GroupIdx> {
        if let Some(&idx) = self.index.get(id) {
            return Some(idx);
        }
        // Group entities are all made first: this is an edge to a group that has no entity.
        let kind_of_group = self.prefixes.iter().any(|p| id.as_str().starts_with(p));
        kind_of_group.then(|| self.get(live, id))
    }

    /// The group of `id`, made on first use (named after its entity when there is one).
    fn get(&mut self, live: &'a LiveState, id: &'a EntityId) -> GroupIdx {
        if let Some(&idx) = self.index.get(id) {
            return idx;
        }
        let entity = live.entities.get(id);
        let name = entity.map_or(id.as_str(), |e| e.display_name());
        let idx = self.builder.group(id.as_str(), id.kind(), name);
        if idx as usize == self.handles.len() {
            self.handles.push(live.handle(id));
        }
        self.index.insert(id, idx);
        idx
    }
}

impl LiveState {
    /// Bumped whenever an entity or edge is added or removed, an entity's name or site changes,
    /// or the overrides are applied, so the caller rebuilds the topology only then.
    pub fn topology_version(&self) -> u64 {
        self.topology_version
    }

    /// Builds the correlator's topology from the current entities and edges (hidden edges are
    /// not edges), with the handles [`LiveState::correlation_cycle`] reads.
    pub fn correlation_input(&self, config: &CorrelateConfig) -> CorrelationInput {
        let mut groups = Groups {
            builder: TopologyBuilder::new(),
            handles: Vec::new(),
            index: FastMap::default(),
            prefixes: config.levels.keys().map(|k| format!("{k}:")).collect(),
        };
        // Every group entity first (by kind, then id), then their parent links.
        let mut group_entities = Vec::new();
        for kind in config.levels.keys() {
            for id in self.ids_of_kind(kind) {
                group_entities.push((groups.get(self, id), id));
            }
        }
        let site_groups = config.levels.contains_key("pop");
        let mut sites: FastMap<&str, EntityId> = FastMap::default();
        for &(child, id) in &group_entities {
            for parent in self.visible_parents(id) {
                if let Some(parent) = groups.of(self, parent) {
                    groups.builder.parent(child, parent);
                }
            }
            let Some(site) = self.entities.get(id).and_then(|e| e.own_site()) else {
                continue;
            };
            if !site_groups || id.kind() == "pop" {
                continue;
            }
            let Some(site_id) = site_id(site, &mut sites) else {
                continue;
            };
            let parent = match self.entities.get_key_value(site_id.as_str()) {
                Some((known, _)) => groups.get(self, known),
                None => {
                    let idx = groups
                        .builder
                        .group(site_id.as_str(), "pop", site_id.as_str());
                    if idx as usize == groups.handles.len() {
                        groups.handles.push(None);
                    }
                    idx
                }
            };
            groups.builder.parent(child, parent);
        }

        let mut members = Vec::new();
        let mut direct = Vec::new();
        for kind in MEMBER_KINDS {
            let subscriber = kind == "subscriber";
            for id in self.ids_of_kind(kind) {
                if !subscriber && self.has_subscriber(id) {
                    continue;
                }
                direct.clear();
                let device = self.walk_to_groups(id, 0, &mut groups, &mut direct);
                let idx: MemberIdx = groups.builder.member(id.as_str(), &direct);
                if idx as usize != members.len() {
                    continue;
                }
                members.push(if subscriber {
                    MemberHandles {
                        session: self.handle(id),
                        access: device.and_then(|device| self.handle(device)),
                    }
                } else {
                    MemberHandles {
                        session: None,
                        access: self.handle(id),
                    }
                });
            }
        }
        let Groups {
            builder, handles, ..
        } = groups;
        CorrelationInput {
            topology: builder.build(),
            version: self.topology_version,
            members,
            groups: handles,
        }
    }

    // === helpers ===

    fn handle(&self, id: &EntityId) -> Option<Handle> {
        self.entities.get(id).map(|e| Handle {
            id: id.clone(),
            slot: e.slot,
        })
    }

    /// Ids of one kind, in order.
    fn ids_of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a EntityId> + 'a {
        let prefix = format!("{kind}:");
        let start = EntityId::unchecked(prefix.clone());
        self.order
            .range(start..)
            .take_while(move |id| id.as_str().starts_with(prefix.as_str()))
    }

    /// The parents of `id` through edges the operator does not hide (each once, in id order).
    fn visible_parents<'a>(&'a self, id: &'a EntityId) -> impl Iterator<Item = &'a EntityId> + 'a {
        let mut last: Option<&EntityId> = None;
        self.parents
            .get(id)
            .into_iter()
            .flatten()
            .filter(move |(parent, source)| !self.is_hidden(parent, id, source))
            .map(|(parent, _)| parent)
            // Edges are ordered by (parent, source): several sources of one parent are adjacent.
            .filter(move |parent| {
                let new = last != Some(*parent);
                last = Some(*parent);
                new
            })
    }

    /// An ONU/SM with a subscriber under it (then the subscriber is the member).
    fn has_subscriber(&self, id: &EntityId) -> bool {
        self.children
            .get(id)
            .into_iter()
            .flatten()
            .any(|(child, source)| {
                child.as_str().starts_with("subscriber:") && !self.is_hidden(id, child, source)
            })
    }

    /// Collects the groups directly above `id`, passing through access devices; returns the
    /// first access device right above it (by id).
    fn walk_to_groups<'a>(
        &'a self,
        id: &'a EntityId,
        depth: usize,
        groups: &mut Groups<'a>,
        out: &mut Vec<GroupIdx>,
    ) -> Option<&'a EntityId> {
        let mut first_device = None;
        for parent in self.visible_parents(id) {
            if is_access(parent) {
                first_device.get_or_insert(parent);
                if depth < ACCESS_DEPTH {
                    self.walk_to_groups(parent, depth + 1, groups, out);
                }
            } else if let Some(g) = groups.of(self, parent)
                && !out.contains(&g)
            {
                out.push(g);
            }
        }
        first_device
    }
}

/// The `pop:` id of a site text (sites are stored as `pop:<name>` ids), parsed once per site.
fn site_id<'a>(site: &'a str, cache: &mut FastMap<&'a str, EntityId>) -> Option<EntityId> {
    if let Some(id) = cache.get(site) {
        return Some(id.clone());
    }
    let id = EntityId::parse(site).ok().filter(|id| id.kind() == "pop")?;
    cache.insert(site, id.clone());
    Some(id)
}
