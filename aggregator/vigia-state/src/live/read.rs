//! Reads of the live state: views, pages, counts, Prometheus exposition.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::fmt::Write as _;
use std::ops::Bound;

use super::{EdgeSource, LiveState, OVERRIDE_SOURCE};
use crate::id::EntityId;
use crate::metrics::{SeriesView, write_labels};
use crate::model::{Entity, State, StateInfo};
use crate::view::{
    Counts, EdgeView, EntityFilter, EntitySummary, EntityView, MAX_PAGE, ObservationView, Page,
    SourceView,
};

/// Kinds that name one subscriber's equipment or account (not exported to Prometheus by default).
const SUBSCRIBER_KINDS: [&str; 4] = ["subscriber", "onu", "subscriber_module", "customer"];

/// How far up the parent chain a site is looked for.
const SITE_DEPTH: usize = 16;

impl LiveState {
    /// Number of entities.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// One entity, by id (normalised first: `onu:hwtc...` finds `onu:HWTC...`).
    pub fn entity(&self, id: &str) -> Option<EntityView> {
        let id = EntityId::parse(id).ok()?;
        let entity = self.entities.get(&id)?;
        let (site, site_inherited) = self.site_of(entity);
        let parents = self
            .edge_views(self.parents.get(&id), &id, true, usize::MAX)
            .0;
        let (children, children_total) = self.edge_views(
            self.children.get(&id),
            &id,
            false,
            self.config.children_in_view,
        );
        Some(EntityView {
            id: id.to_string(),
            kind: id.kind().to_owned(),
            name: entity.display_name().to_owned(),
            site,
            site_inherited,
            state: entity
                .state
                .clone()
                .unwrap_or_else(StateInfo::never_observed),
            last_up_ms: entity.last_up_ms,
            attributes: entity.attributes.clone(),
            parents,
            children,
            children_total,
            first_seen_ms: entity.first_seen_ms,
            last_seen_ms: entity.last_seen_ms,
            sources: entity.sources.iter().cloned().collect(),
        })
    }

    /// A page of entities matching `filter`, ordered by id.
    pub fn list(&self, filter: &EntityFilter) -> Page<EntitySummary> {
        let limit = match filter.limit {
            0 => 100,
            n => n.min(MAX_PAGE),
        };
        let prefix = filter.kind.as_deref().map(|k| format!("{k}:"));
        // Any text is a position in id order (ids compare as text), so a cursor never needs to
        // be a valid id: paging goes on after it.
        let after = filter
            .after
            .as_deref()
            .map(|a| EntityId::unchecked(a.to_owned()));
        let start = match (&after, &prefix) {
            (Some(after), Some(prefix)) if after.as_str() < prefix.as_str() => {
                Bound::Included(key_for(prefix))
            }
            (Some(after), _) => Bound::Excluded(after.clone()),
            (None, Some(prefix)) => Bound::Included(key_for(prefix)),
            (None, None) => Bound::Unbounded,
        };
        let mut items = Vec::new();
        let mut next = None;
        for id in self.order.range((start, Bound::Unbounded)) {
            let Some(entity) = self.entities.get(id) else {
                continue;
            };
            if let Some(prefix) = &prefix
                && !id.as_str().starts_with(prefix.as_str())
            {
                break;
            }
            if filter.state.is_some_and(|s| s != entity.current_state()) {
                continue;
            }
            let site = self.site_of(entity).0;
            if filter.site.is_some() && filter.site != site {
                continue;
            }
            if items.len() == limit {
                next = items.last().map(|s: &EntitySummary| s.id.clone());
                break;
            }
            items.push(EntitySummary {
                id: id.to_string(),
                kind: id.kind().to_owned(),
                name: entity.display_name().to_owned(),
                site,
                state: entity.current_state(),
                // Never observed in a state: unknown since it was first seen.
                since_ms: entity
                    .state
                    .as_ref()
                    .map_or(entity.first_seen_ms, |s| s.since_ms),
                last_seen_ms: entity.last_seen_ms,
            });
        }
        Page { items, next }
    }

    /// The latest observations of an entity, newest first, at most `limit`.
    pub fn observations(&self, id: &str, limit: usize) -> Option<Vec<ObservationView>> {
        let id = EntityId::parse(id).ok()?;
        let entity = self.entities.get(&id)?;
        Some(
            entity
                .observations
                .iter()
                .rev()
                .take(limit)
                .cloned()
                .collect(),
        )
    }

    /// The metric series of an entity in the window.
    pub fn series(&self, id: &str) -> Option<Vec<SeriesView>> {
        let id = EntityId::parse(id).ok()?;
        self.entities.get(&id)?;
        Some(self.metrics.entity_series(id.as_str()))
    }

    /// Entity counts by kind and state.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for (id, entity) in &self.entities {
            counts.total += 1;
            *counts
                .by_kind
                .entry(id.kind().to_owned())
                .or_default()
                .entry(entity.current_state())
                .or_default() += 1;
        }
        counts
    }

    /// The health of every (agent, plugin) that sent runs.
    pub fn sources(&self) -> Vec<SourceView> {
        self.sources.values().cloned().collect()
    }

    /// Prometheus text exposition: `vigia_entities{kind,state}`, the latest value of each metric
    /// series (infrastructure kinds only unless configured), and apply counters.
    pub fn render_prometheus(&self, out: &mut String) {
        out.push_str("# HELP vigia_entities Entities by kind and state.\n");
        out.push_str("# TYPE vigia_entities gauge\n");
        for (kind, states) in self.counts().by_kind {
            for state in State::ALL {
                let count = states.get(&state).copied().unwrap_or(0);
                out.push_str("vigia_entities");
                write_labels(out, [("kind", kind.as_str()), ("state", state.as_str())]);
                let _ = writeln!(out, " {count}");
            }
        }
        let all = self.config.metrics.export_subscriber_kinds;
        self.metrics
            .render(out, |kind| all || !SUBSCRIBER_KINDS.contains(&kind));
        let stats = self.stats;
        for (name, help, value) in [
            (
                "vigia_state_runs_total",
                "Runs applied to the live state.",
                stats.runs,
            ),
            (
                "vigia_state_failed_runs_total",
                "Runs that failed or faulted (no state change).",
                stats.failed_runs,
            ),
            (
                "vigia_state_observations_total",
                "Observations applied to the live state.",
                stats.observations,
            ),
            (
                "vigia_state_invalid_observations_total",
                "Observations skipped for an invalid entity id.",
                stats.invalid_observations,
            ),
            (
                "vigia_state_changes_total",
                "Entity state changes decided.",
                stats.state_changes,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
    }

    // === helpers ===

    /// The entity's site and whether it was inherited from an ancestor.
    pub(crate) fn site_of(&self, entity: &Entity) -> (Option<String>, bool) {
        if let Some(site) = entity.own_site() {
            return (Some(site.to_owned()), false);
        }
        let mut seen = HashSet::new();
        let mut queue: VecDeque<(&EntityId, usize)> = VecDeque::from([(&entity.id, 0)]);
        while let Some((id, depth)) = queue.pop_front() {
            if depth >= SITE_DEPTH || !seen.insert(id) {
                continue;
            }
            for (parent, source) in self.parents.get(id).into_iter().flatten() {
                if self.is_hidden(parent, id, source) {
                    continue;
                }
                if let Some(site) = self.entities.get(parent).and_then(|e| e.own_site()) {
                    return (Some(site.to_owned()), true);
                }
                queue.push_back((parent, depth + 1));
            }
        }
        (None, false)
    }

    pub(crate) fn is_hidden(&self, parent: &EntityId, child: &EntityId, source: &str) -> bool {
        !self.hidden.is_empty()
            && source != OVERRIDE_SOURCE
            && self.hidden.contains(&(parent.clone(), child.clone()))
    }

    /// The other ends of `edges` (grouped over sources, hidden ones left out), the first
    /// `limit` by id, and how many there are.
    fn edge_views(
        &self,
        edges: Option<&BTreeSet<(EntityId, EdgeSource)>>,
        me: &EntityId,
        up: bool,
        limit: usize,
    ) -> (Vec<EdgeView>, usize) {
        let mut grouped: BTreeMap<&EntityId, (String, Vec<String>)> = BTreeMap::new();
        for (other, source) in edges.into_iter().flatten() {
            let (parent, child) = if up { (other, me) } else { (me, other) };
            if self.is_hidden(parent, child, source) {
                continue;
            }
            let key = (parent.clone(), child.clone(), source.clone());
            let relation = self
                .edges
                .get(&key)
                .map(|e| e.relation.clone())
                .unwrap_or_default();
            let entry = grouped
                .entry(other)
                .or_insert_with(|| (relation, Vec::new()));
            // The operator's relation wins over a plugin's.
            if &**source == OVERRIDE_SOURCE
                && let Some(info) = self.edges.get(&key)
            {
                entry.0 = info.relation.clone();
            }
            entry.1.push(source.to_string());
        }
        let total = grouped.len();
        let views = grouped
            .into_iter()
            .take(limit)
            .map(|(other, (relation, sources))| EdgeView {
                id: other.to_string(),
                relation,
                sources,
                state: self
                    .entities
                    .get(other)
                    .map_or(State::Unknown, |e| e.current_state()),
            })
            .collect();
        (views, total)
    }
}

/// A key that sorts at `prefix` (ids are `<kind>:<id>`; this is the smallest id of that kind).
fn key_for(prefix: &str) -> EntityId {
    EntityId::unchecked(prefix.to_owned())
}
