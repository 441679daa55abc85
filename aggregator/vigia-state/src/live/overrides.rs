//! Folding the operator's overrides into the live state.

use std::collections::BTreeSet;

use super::{Changes, EdgeKey, EdgeSource, LiveState, OVERRIDE_SOURCE};
use crate::id::EntityId;
use crate::model::Entity;
use crate::overrides::Overrides;

impl LiveState {
    /// Makes `overrides` the operator's current word: names and sites (which win over
    /// observations), override edges (source `override`; ones no longer in the file are removed)
    /// and hidden observed edges. Entities the file names are created if unknown.
    pub fn apply_overrides(&mut self, overrides: &Overrides, now_ms: u64) -> Changes {
        let mut touched = self.begin();
        // Names, sites, edges and hidden edges may all change: the topology is rebuilt.
        self.topology_version += 1;

        let listed: BTreeSet<&EntityId> = overrides.entities.iter().map(|e| &e.id).collect();
        for (id, entity) in &mut self.entities {
            if listed.contains(id) {
                continue;
            }
            if entity.name_override.is_some() || entity.site_override.is_some() {
                entity.name_override = None;
                entity.site_override = None;
                entity.dirty = true;
                touched.entity(entity);
            }
        }
        let override_source: EdgeSource = OVERRIDE_SOURCE.into();
        for ov in &overrides.entities {
            let entity = self.ensure(&ov.id, now_ms);
            let site = ov.site.as_ref().map(EntityId::to_string);
            if entity.name_override != ov.name || entity.site_override != site {
                entity.name_override.clone_from(&ov.name);
                entity.site_override = site;
                entity.dirty = true;
            }
            touched.entity(entity);
            if let Some(site) = &ov.site {
                touched.entity(self.ensure(site, now_ms));
            }
        }

        let wanted: BTreeSet<EdgeKey> = overrides
            .edges
            .iter()
            .map(|e| (e.parent.clone(), e.child.clone(), override_source.clone()))
            .collect();
        let stale: Vec<EdgeKey> = self
            .edges
            .keys()
            .filter(|key| &*key.2 == OVERRIDE_SOURCE && !wanted.contains(*key))
            .cloned()
            .collect();
        for key in &stale {
            self.remove_edge(key, &mut touched);
        }
        for edge in &overrides.edges {
            for id in [&edge.parent, &edge.child] {
                touched.entity(self.ensure(id, now_ms));
            }
            let key = (
                edge.parent.clone(),
                edge.child.clone(),
                override_source.clone(),
            );
            self.upsert_edge(key, edge.relation.clone(), now_ms, &mut touched);
        }

        self.hidden = overrides.remove_edges.iter().cloned().collect();
        self.collect(touched)
    }

    /// The entity `id`, created (first seen now) when unknown.
    fn ensure(&mut self, id: &EntityId, now_ms: u64) -> &mut Entity {
        self.entities.entry(id.clone()).or_insert_with(|| {
            self.topology_version += 1;
            self.order.insert(id.clone());
            let slot = Self::new_slot(&mut self.slots);
            Box::new(Entity::new(id.clone(), now_ms, slot))
        })
    }
}
