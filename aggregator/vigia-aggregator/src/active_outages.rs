//! The active outage events by the entities they cover, for the diagnosis: a subscriber is inside
//! an outage when it is one of an event's affected members, or when one of its upstream elements
//! is the event's root or among the groups it covers. Republished by the correlation loop after
//! every cycle that changed an event.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use vigia_correlate::{Event, EventKind};
use vigia_triage::Outage;

/// The published index (readers clone the `Arc`, never wait for a rebuild).
#[derive(Debug, Default)]
pub(crate) struct ActiveOutages {
    current: RwLock<Arc<HashMap<String, Vec<Arc<Outage>>>>>,
}

impl ActiveOutages {
    /// Replaces the index with the active events `events` (collector-stale events are about a
    /// source, not the network: left out).
    pub(crate) fn publish<'a>(&self, events: impl Iterator<Item = &'a Event>) {
        let mut index: HashMap<String, Vec<Arc<Outage>>> = HashMap::new();
        for event in events {
            if !event.is_active() || event.kind == EventKind::CollectorStale {
                continue;
            }
            let outage = Arc::new(Outage {
                event_id: event.id,
                root: event.root.clone(),
                kind: event.root_kind.clone(),
                cause: event.cause.as_str().to_owned(),
                opened_ms: event.started_ms,
                affected: event.affected.len() as u32,
            });
            let covered = std::iter::once(&event.root)
                .chain(&event.entities)
                .chain(&event.affected);
            for id in covered {
                let list = index.entry(id.clone()).or_default();
                if !list.iter().any(|o| o.event_id == event.id) {
                    list.push(Arc::clone(&outage));
                }
            }
        }
        *self.current.write() = Arc::new(index);
    }

    /// The events covering any of `ids`, each once, oldest first.
    pub(crate) fn covering<'a>(&self, ids: impl Iterator<Item = &'a str>) -> Vec<Outage> {
        let index = Arc::clone(&self.current.read());
        let mut found: Vec<Outage> = Vec::new();
        for id in ids {
            for outage in index.get(id).into_iter().flatten() {
                if !found.iter().any(|o| o.event_id == outage.event_id) {
                    found.push(Outage::clone(outage));
                }
            }
        }
        found.sort_by_key(|o| (o.opened_ms, o.event_id));
        found
    }
}
