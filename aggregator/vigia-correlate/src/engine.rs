//! [`Correlator`]: one cycle reconciles the problems the current state shows with the active
//! events, level-based: open what is new, update what goes on, resolve what is over (after its
//! hysteresis), never guess on missing data.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::config::CorrelateConfig;
use crate::event::{Cause, Event, EventKind, EventStatus, Notice, NotifiedState, TimelineKind};
use crate::input::{Cycle, Topology};
use crate::tally::Tally;

mod devices;
mod mass;
mod notices;
mod sources;
mod suppress;

/// The correlator's memory besides the events themselves: what a restart must not forget.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub next_id: u64,
    /// Consecutive bad cycles per group id, device id and source key (hysteresis).
    #[serde(default)]
    pub groups: BTreeMap<String, u32>,
    #[serde(default)]
    pub devices: BTreeMap<String, u32>,
    #[serde(default)]
    pub sources: BTreeMap<String, u32>,
    /// Per active event: good cycles so far, and since when only a residue is down.
    #[serde(default)]
    pub events: BTreeMap<u64, Track>,
}

/// An active event's resolution hysteresis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    pub good_cycles: u32,
    #[serde(default)]
    pub residual_since_ms: Option<u64>,
    /// Too few affected members have a fresh state: the event holds (no growth, no resolution).
    #[serde(default)]
    pub holding: bool,
}

/// What one cycle produced: events to persist (changed or new) and notices to deliver.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// Every event that changed this cycle, as it is now (resolved ones included).
    pub events: Vec<Event>,
    pub notices: Vec<Notice>,
    /// The checkpoint changed (persist [`Correlator::checkpoint`] with the events).
    pub checkpoint_changed: bool,
}

/// The outage correlator. Pure: no I/O, no clock (time comes with each [`Cycle`]).
#[derive(Debug, Clone)]
pub struct Correlator {
    config: CorrelateConfig,
    next_id: u64,
    active: BTreeMap<u64, Event>,
    tracks: BTreeMap<u64, Track>,
    group_bad: HashMap<String, u32>,
    device_bad: HashMap<String, u32>,
    source_bad: HashMap<String, u32>,
    /// Events that left the active set during the current cycle (resolved or merged away).
    retired: Vec<Event>,
}

impl Correlator {
    pub fn new(config: CorrelateConfig) -> Self {
        Self::restore(config, Vec::new(), None, 0)
    }

    /// Comes back after a restart: the stored active events, the last checkpoint, and the highest
    /// event id ever stored (ids are never reused).
    pub fn restore(
        config: CorrelateConfig,
        active: Vec<Event>,
        checkpoint: Option<Checkpoint>,
        max_stored_id: u64,
    ) -> Self {
        let checkpoint = checkpoint.unwrap_or_default();
        let active: BTreeMap<u64, Event> = active
            .into_iter()
            .filter(Event::is_active)
            .map(|e| (e.id, e))
            .collect();
        let max_active = active.keys().next_back().copied().unwrap_or(0);
        let tracks = active
            .keys()
            .map(|id| (*id, checkpoint.events.get(id).copied().unwrap_or_default()))
            .collect();
        Self {
            next_id: checkpoint
                .next_id
                .max(max_stored_id + 1)
                .max(max_active + 1),
            config,
            active,
            tracks,
            group_bad: checkpoint.groups.into_iter().collect(),
            device_bad: checkpoint.devices.into_iter().collect(),
            source_bad: checkpoint.sources.into_iter().collect(),
            retired: Vec::new(),
        }
    }

    pub fn config(&self) -> &CorrelateConfig {
        &self.config
    }

    /// The active events, by id.
    pub fn active(&self) -> impl Iterator<Item = &Event> {
        self.active.values()
    }

    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            version: 1,
            next_id: self.next_id,
            groups: self
                .group_bad
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            devices: self
                .device_bad
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            sources: self
                .source_bad
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            events: self.tracks.clone(),
        }
    }

    /// One correlation cycle over the current state.
    pub fn cycle(&mut self, topology: &Topology, cycle: &Cycle) -> Output {
        let before_checkpoint = self.checkpoint();
        let before: BTreeMap<u64, Event> = self.active.clone();
        let now = cycle.now_ms;

        let bad_sources = sources::judge(self, cycle);
        let planned = self.planned(topology);
        let tally = Tally::compute(&self.config, topology, cycle, &bad_sources.bad, &planned);
        sources::reconcile(self, cycle, &bad_sources);
        mass::reconcile(self, topology, cycle, &tally);
        devices::reconcile(self, topology, cycle, &bad_sources.bad);
        self.settle(topology, cycle, &tally, &bad_sources.bad);
        let mut resolved = std::mem::take(&mut self.retired);
        suppress::apply(self, topology, cycle);

        let mut notices = Vec::new();
        for event in self.active.values_mut() {
            notices::decide(&self.config, event, now, &mut notices);
        }
        for event in &mut resolved {
            notices::decide(&self.config, event, now, &mut notices);
        }

        let mut events = Vec::new();
        for event in self.active.values_mut() {
            if before.get(&event.id) != Some(event) {
                event.updated_ms = now;
                events.push(event.clone());
            }
        }
        for mut event in resolved {
            event.updated_ms = now;
            self.tracks.remove(&event.id);
            events.push(event);
        }
        events.sort_by_key(|e| e.id);
        Output {
            events,
            notices,
            checkpoint_changed: self.checkpoint() != before_checkpoint,
        }
    }

    /// Opens a new event (the caller fills the rest).
    pub(crate) fn open(
        &mut self,
        kind: EventKind,
        root: String,
        root_kind: String,
        root_name: String,
        now: u64,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let event = Event {
            id,
            kind,
            status: EventStatus::Active,
            root,
            root_kind,
            root_name,
            cause: Cause::Unknown,
            cause_detail: String::new(),
            started_ms: now,
            updated_ms: now,
            resolved_ms: None,
            resolution: None,
            affected: Vec::new(),
            entities: Vec::new(),
            down_now: 0,
            peak_down: 0,
            group_size: 0,
            suppressed_by: None,
            maintenance: None,
            notified: NotifiedState::default(),
            timeline: Vec::new(),
        };
        self.active.insert(id, event);
        self.tracks.insert(id, Track::default());
        id
    }

    /// Members affected by events in a maintenance window.
    fn planned(&self, topology: &Topology) -> Vec<bool> {
        let mut planned = Vec::new();
        for event in self.active.values().filter(|e| e.maintenance.is_some()) {
            if planned.is_empty() {
                planned = vec![false; topology.members.len()];
            }
            for id in &event.affected {
                if let Some(m) = topology.member(id) {
                    planned[m as usize] = true;
                }
            }
        }
        planned
    }

    /// Opens an event rooted at a group, with its opening timeline entry.
    pub(crate) fn open_group(
        &mut self,
        kind: EventKind,
        group: &crate::input::Group,
        now: u64,
        text: String,
    ) -> u64 {
        let id = self.open(
            kind,
            group.id.clone(),
            group.kind.clone(),
            group.name.clone(),
            now,
        );
        if let Some(event) = self.active.get_mut(&id) {
            event.group_size = u64::from(group.size);
            event.record(now, TimelineKind::Opened, text);
        }
        id
    }

    /// Resolves every active event whose problem is over (after its hysteresis): it moves to
    /// `retired`.
    fn settle(&mut self, topology: &Topology, cycle: &Cycle, tally: &Tally, bad_sources: &[bool]) {
        let ids: Vec<u64> = self.active.keys().copied().collect();
        for id in ids {
            let verdict = match self.active[&id].kind {
                EventKind::MassOutage => mass::settle(self, topology, cycle, tally, id),
                EventKind::DeviceDown => devices::settle(self, topology, cycle, bad_sources, id),
                EventKind::CollectorStale => sources::settle(self, cycle, id),
            };
            if let Some(resolution) = verdict {
                self.retire(id, cycle.now_ms, TimelineKind::Resolved, resolution);
            }
        }
    }

    /// Takes an event out of the active set, resolved with `resolution`.
    pub(crate) fn retire(&mut self, id: u64, now: u64, kind: TimelineKind, resolution: String) {
        let Some(mut event) = self.active.remove(&id) else {
            return;
        };
        self.tracks.remove(&id);
        event.status = EventStatus::Resolved;
        event.resolved_ms = Some(now);
        event.record(now, kind, resolution.clone());
        event.resolution = Some(resolution);
        self.retired.push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Layer, LayerState, Reading, TopologyBuilder};

    fn pon_network() -> Topology {
        let mut b = TopologyBuilder::new();
        let olt = b.group("olt:A", "olt", "A");
        let pon = b.group("pon_port:A/1/1", "pon_port", "A/1/1");
        b.parent(pon, olt);
        for i in 0..16 {
            b.member(&format!("subscriber:s{i}"), &[pon]);
        }
        b.build()
    }

    fn cycle(topology: &Topology, now: u64, down: bool) -> Cycle {
        let layer = if down {
            Layer {
                state: LayerState::Down,
                since_ms: 1_000_000,
                seen_ms: now,
                last_up_ms: Some(999_000),
                source: None,
            }
        } else {
            Layer {
                state: LayerState::Up,
                since_ms: 0,
                seen_ms: now,
                last_up_ms: Some(now),
                source: None,
            }
        };
        Cycle {
            now_ms: now,
            readings: vec![
                Reading {
                    session: layer,
                    ..Reading::default()
                };
                topology.members.len()
            ],
            ..Cycle::default()
        }
    }

    #[test]
    fn ids_are_never_reused_after_a_restart() {
        let t = pon_network();
        let mut c = Correlator::new(CorrelateConfig::default());
        for now in [1_000_000, 1_002_000] {
            c.cycle(&t, &cycle(&t, now, true));
        }
        let active: Vec<Event> = c.active().cloned().collect();
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].id, 1);
        // Restarted with the event stored but an old checkpoint (next_id 1): ids continue after
        // the highest stored one.
        let mut old = c.checkpoint();
        old.next_id = 1;
        let mut c = Correlator::restore(CorrelateConfig::default(), active, Some(old), 7);
        for now in [1_004_000, 1_006_000, 1_008_000, 1_010_000] {
            c.cycle(&t, &cycle(&t, now, false));
        }
        assert_eq!(c.active().count(), 0);
        assert_eq!(c.checkpoint().next_id, 8);
    }

    #[test]
    fn the_same_input_gives_the_same_output() {
        let t = pon_network();
        let run = || {
            let mut c = Correlator::new(CorrelateConfig::default());
            let mut outs = Vec::new();
            for (i, now) in (1_000_000..1_020_000).step_by(2000).enumerate() {
                outs.push(c.cycle(&t, &cycle(&t, now, i < 6)));
            }
            outs
        };
        assert_eq!(run(), run());
    }
}
