//! Data-driven correlation scenarios: every `tests/scenarios/*.toml` is run through one `check`.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use support::scenario::{EventSpec, Expectation, Happening, Scenario, expand, kind_of};
use vigia_correlate::{
    CauseHint, Checkpoint, CorrelateConfig, Correlator, Cycle, DeviceReading, Event, Evidence,
    LayerState, MaintenanceWindow, Reading, SourceReading, Topology, TopologyBuilder,
};

const BASE_MS: u64 = 1_790_000_000_000;

#[test]
fn scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "the scenarios are missing: {files:?}");
    let mut failures = String::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read scenario");
        let scenario: Scenario =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if let Err(why) = check(&scenario) {
            let _ = writeln!(
                failures,
                "\n{}: {}\n{why}",
                file.display(),
                scenario.description
            );
        }
    }
    assert!(failures.is_empty(), "scenarios failed:{failures}");
}

/// The network as the scenario has it now.
struct World {
    topology: Topology,
    readings: Vec<Reading>,
    devices: Vec<DeviceReading>,
    evidence: BTreeMap<String, Evidence>,
    sources: Vec<SourceReading>,
    source_ok: Vec<bool>,
    /// Seconds between each source's runs (0: every cycle).
    source_every: Vec<u64>,
}

fn access_state(text: &str) -> (LayerState, CauseHint) {
    match text {
        "up" => (LayerState::Up, CauseHint::None),
        "los" => (LayerState::Down, CauseHint::Fibre),
        "power" => (LayerState::Down, CauseHint::Power),
        "offline" => (LayerState::Down, CauseHint::Other),
        "unknown" => (LayerState::Unknown, CauseHint::None),
        other => panic!("unknown access state {other:?}"),
    }
}

fn layer_state(text: &str) -> LayerState {
    match text {
        "up" => LayerState::Up,
        "down" => LayerState::Down,
        "unknown" => LayerState::Unknown,
        other => panic!("unknown state {other:?}"),
    }
}

fn set_layer(layer: &mut vigia_correlate::Layer, state: LayerState, now: u64) {
    if layer.state == LayerState::Absent {
        return;
    }
    if layer.state != state {
        layer.state = state;
        layer.since_ms = now;
    }
    if state != LayerState::Unknown {
        layer.seen_ms = now;
    }
    if state == LayerState::Up {
        layer.last_up_ms = Some(now);
    }
}

impl World {
    fn build(s: &Scenario) -> Self {
        let mut b = TopologyBuilder::new();
        let declared: std::collections::HashSet<String> =
            s.groups.iter().flat_map(|g| expand(&g.id)).collect();
        for g in &s.groups {
            for id in expand(&g.id) {
                let name = id.split_once(':').map_or(id.as_str(), |(_, n)| n);
                b.group(&id, kind_of(&id), name);
            }
        }
        for g in &s.groups {
            for id in expand(&g.id) {
                let child = b.group(&id, kind_of(&id), "");
                for p in &g.parents {
                    assert!(
                        declared.contains(p.as_str()),
                        "parent {p} is not declared in groups"
                    );
                    let parent = b.group(p, kind_of(p), "");
                    b.parent(child, parent);
                }
            }
        }
        let source_index = |name: &Option<String>| {
            name.as_ref().map(|n| {
                s.sources
                    .iter()
                    .position(|x| &x.key == n)
                    .unwrap_or_else(|| panic!("unknown source {n}")) as u32
            })
        };
        let start = BASE_MS;
        let mut readings = Vec::new();
        for spec in &s.members {
            let groups: Vec<u32> = spec
                .groups
                .iter()
                .map(|g| {
                    assert!(
                        declared.contains(g.as_str()),
                        "member group {g} is not declared in groups"
                    );
                    b.group(g, kind_of(g), "")
                })
                .collect();
            for id in expand(&spec.ids) {
                let m = b.member(&id, &groups) as usize;
                let layers = spec.layers.as_deref().unwrap_or("both");
                let mut reading = Reading::default();
                let up = vigia_correlate::Layer {
                    state: LayerState::Up,
                    since_ms: start - 3_600_000,
                    seen_ms: start,
                    last_up_ms: Some(start),
                    source: None,
                };
                let churned = vigia_correlate::Layer {
                    state: LayerState::Down,
                    since_ms: start,
                    seen_ms: start,
                    last_up_ms: None,
                    source: None,
                };
                let layer = if spec.churned { churned } else { up };
                if layers != "access" {
                    let layer = if spec.no_session { churned } else { layer };
                    reading.session = vigia_correlate::Layer {
                        source: source_index(&spec.session_source),
                        ..layer
                    };
                }
                if layers != "session" {
                    reading.access = vigia_correlate::Layer {
                        source: source_index(&spec.access_source),
                        ..layer
                    };
                    if spec.churned {
                        reading.cause = CauseHint::Fibre;
                    }
                }
                if readings.len() <= m {
                    readings.resize(m + 1, Reading::default());
                }
                readings[m] = reading;
            }
        }
        let topology = b.build();
        let devices = vec![DeviceReading::default(); topology.groups.len()];
        let sources = s
            .sources
            .iter()
            .map(|k| SourceReading {
                key: k.key.clone(),
                last_success_ms: Some(start),
                rows_last: 100,
                rows_usual: 100,
            })
            .collect();
        World {
            topology,
            readings,
            devices,
            evidence: BTreeMap::new(),
            sources,
            source_ok: vec![true; s.sources.len()],
            source_every: s.sources.iter().map(|x| x.every_s.unwrap_or(0)).collect(),
        }
    }

    fn member(&self, id: &str) -> usize {
        self.topology
            .member(id)
            .unwrap_or_else(|| panic!("unknown member {id}")) as usize
    }

    fn happen(&mut self, h: &Happening, now: u64, alternate: bool) {
        if let Some(members) = &h.members {
            let session = if alternate {
                h.alternate_session.as_ref()
            } else {
                h.session.as_ref()
            };
            let access = if alternate {
                h.alternate_access.as_ref()
            } else {
                h.access.as_ref()
            };
            for id in expand(members) {
                let m = self.member(&id);
                let r = &mut self.readings[m];
                if let Some(s) = session {
                    set_layer(&mut r.session, layer_state(s), now);
                }
                if let Some(a) = access {
                    let (state, cause) = access_state(a);
                    set_layer(&mut r.access, state, now);
                    if r.access.state != LayerState::Absent {
                        r.cause = cause;
                    }
                }
            }
        }
        if let Some(devices) = &h.device {
            for device in expand(devices) {
                let g = self
                    .topology
                    .group(&device)
                    .unwrap_or_else(|| panic!("unknown group {device}"))
                    as usize;
                let state = layer_state(h.state.as_deref().unwrap_or("down"));
                let d = &mut self.devices[g];
                if d.state != state {
                    d.since_ms = now;
                }
                d.state = state;
                d.reason = h.reason.clone().unwrap_or_default();
            }
        }
        if let Some(group) = &h.evidence {
            let g = self
                .topology
                .group(group)
                .unwrap_or_else(|| panic!("unknown group {group}"));
            let cause = match h.cause.as_deref().unwrap_or("none") {
                "fibre" => CauseHint::Fibre,
                "power" => CauseHint::Power,
                "other" => CauseHint::Other,
                _ => {
                    self.evidence.remove(group);
                    return;
                }
            };
            self.evidence.insert(
                group.clone(),
                Evidence {
                    group: g,
                    cause,
                    text: h.text.clone().unwrap_or_default(),
                },
            );
        }
        if let Some(source) = &h.source {
            let i = self
                .sources
                .iter()
                .position(|s| &s.key == source)
                .unwrap_or_else(|| panic!("unknown source {source}"));
            match h.health.as_deref().unwrap_or("stale") {
                "stale" => self.source_ok[i] = false,
                "ok" => {
                    self.source_ok[i] = true;
                    self.sources[i].rows_last = self.sources[i].rows_usual;
                }
                "short" => self.sources[i].rows_last = self.sources[i].rows_usual / 10,
                other => panic!("unknown health {other}"),
            }
        }
    }

    /// Sources that run at `t` confirm their members' states (members without a source: every
    /// cycle).
    fn tick(&mut self, t: u64, now: u64) {
        let runs: Vec<bool> = (0..self.sources.len())
            .map(|i| {
                self.source_ok[i]
                    && (self.source_every[i] == 0 || t.is_multiple_of(self.source_every[i]))
            })
            .collect();
        for (i, s) in self.sources.iter_mut().enumerate() {
            if runs[i] {
                s.last_success_ms = Some(now);
            }
        }
        let ok = |source: Option<u32>| source.is_none_or(|s| runs[s as usize]);
        for r in &mut self.readings {
            for layer in [&mut r.session, &mut r.access] {
                if matches!(layer.state, LayerState::Up | LayerState::Down) && ok(layer.source) {
                    layer.seen_ms = now;
                    if layer.state == LayerState::Up {
                        layer.last_up_ms = Some(now);
                    }
                }
            }
        }
    }

    fn cycle(&self, now: u64, maintenance: &[MaintenanceWindow]) -> Cycle {
        Cycle {
            now_ms: now,
            readings: self.readings.clone(),
            devices: self.devices.clone(),
            evidence: self.evidence.values().cloned().collect(),
            sources: self.sources.clone(),
            maintenance: maintenance.to_vec(),
        }
    }
}

fn config_of(s: &Scenario) -> CorrelateConfig {
    let config: CorrelateConfig = match &s.config {
        Some(table) => table.clone().try_into().expect("scenario config"),
        None => CorrelateConfig::default(),
    };
    config.validate().expect("valid config");
    config
}

/// Runs a scenario; `Err` says which expectation failed and how.
fn check(s: &Scenario) -> Result<(), String> {
    let config = config_of(s);
    let mut world = World::build(s);
    let maintenance: Vec<MaintenanceWindow> = s
        .maintenance
        .iter()
        .map(|m| MaintenanceWindow {
            id: m.id,
            entities: m.entities.clone(),
            starts_ms: BASE_MS + m.from_s * 1000,
            ends_ms: BASE_MS + m.to_s * 1000,
            reason: m.reason.clone(),
            created_by: "scenario".into(),
        })
        .collect();
    let mut correlator = Correlator::new(config.clone());
    let mut all: BTreeMap<u64, Event> = BTreeMap::new();
    let mut notices: Vec<String> = Vec::new();
    let end = s.expect.iter().map(|e| e.at_s).max().unwrap_or(0);
    let mut t = 0;
    while t <= end {
        let now = BASE_MS + t * 1000;
        for h in &s.happens {
            let repeats = h.every_s.is_some_and(|every| {
                t >= h.at_s && t <= h.until_s.unwrap_or(h.at_s) && (t - h.at_s) % every == 0
            });
            if h.at_s == t || repeats {
                if h.restart {
                    correlator = restart(&correlator, &config, &all);
                    continue;
                }
                let n = h.every_s.map_or(0, |every| (t - h.at_s) / every);
                world.happen(h, now, n % 2 == 1);
            }
        }
        world.tick(t, now);
        let out = correlator.cycle(&world.topology, &world.cycle(now, &maintenance));
        for event in out.events {
            all.insert(event.id, event);
        }
        for n in out.notices {
            notices.push(format!("{} {}", n.kind.as_str(), n.event.root));
        }
        for (i, e) in s.expect.iter().enumerate().filter(|(_, e)| e.at_s == t) {
            expect(e, &correlator, &all, &notices)
                .map_err(|why| format!("expectation #{} (at {} s): {why}", i + 1, e.at_s))?;
            notices.clear();
        }
        t += s.cycle_s;
    }
    Ok(())
}

/// What a restart keeps: the stored events and checkpoint, through their JSON form.
fn restart(
    correlator: &Correlator,
    config: &CorrelateConfig,
    all: &BTreeMap<u64, Event>,
) -> Correlator {
    let stored: Vec<Event> = all
        .values()
        .filter(|e| e.is_active())
        .map(|e| serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap())
        .collect();
    let checkpoint: Checkpoint =
        serde_json::from_str(&serde_json::to_string(&correlator.checkpoint()).unwrap()).unwrap();
    let max_id = all.keys().next_back().copied().unwrap_or(0);
    Correlator::restore(config.clone(), stored, Some(checkpoint), max_id)
}

fn expect(
    e: &Expectation,
    correlator: &Correlator,
    all: &BTreeMap<u64, Event>,
    notices: &[String],
) -> Result<(), String> {
    if let Some(want) = &e.active {
        let got: Vec<&Event> = correlator.active().collect();
        compare("active", want, &got, all)?;
    }
    if let Some(want) = &e.resolved {
        let got: Vec<&Event> = all.values().filter(|e| !e.is_active()).collect();
        compare("resolved", want, &got, all)?;
    }
    if let Some(n) = e.opened_total
        && all.len() as u64 != n
    {
        return Err(format!(
            "{} events opened, expected {n}: {}",
            all.len(),
            summary(&all.values().collect::<Vec<_>>())
        ));
    }
    if let Some(want) = &e.notices
        && want.as_slice() != notices
    {
        return Err(format!("notices {notices:?}, expected {want:?}"));
    }
    Ok(())
}

fn summary(events: &[&Event]) -> String {
    events
        .iter()
        .map(|e| format!("#{} {} {} {} cause={} affected={} down={} suppressed_by={:?} maintenance={:?} entities={:?}", e.id, e.status.as_str(), e.kind.as_str(), e.root, e.cause.as_str(), e.affected.len(), e.down_now, e.suppressed_by, e.maintenance, e.entities))
        .collect::<Vec<_>>()
        .join("\n  ")
}

fn compare(
    what: &str,
    want: &[EventSpec],
    got: &[&Event],
    all: &BTreeMap<u64, Event>,
) -> Result<(), String> {
    let fail = |why: String| Err(format!("{what}: {why}\n  got:\n  {}", summary(got)));
    if want.len() != got.len() {
        return fail(format!("{} events, expected {}", got.len(), want.len()));
    }
    for (w, g) in want.iter().zip(got) {
        if w.root != g.root {
            return fail(format!("root {}, expected {}", g.root, w.root));
        }
        if let Some(kind) = &w.kind
            && kind != g.kind.as_str()
        {
            return fail(format!(
                "{}: kind {}, expected {kind}",
                g.root,
                g.kind.as_str()
            ));
        }
        if let Some(cause) = &w.cause
            && cause != g.cause.as_str()
        {
            return fail(format!(
                "{}: cause {} ({}), expected {cause}",
                g.root,
                g.cause.as_str(),
                g.cause_detail
            ));
        }
        if let Some(n) = w.affected
            && g.affected.len() as u64 != n
        {
            return fail(format!(
                "{}: {} affected, expected {n}",
                g.root,
                g.affected.len()
            ));
        }
        if let Some(n) = w.down
            && g.down_now != n
        {
            return fail(format!("{}: {} down, expected {n}", g.root, g.down_now));
        }
        if let Some(by) = &w.suppressed_by {
            let got_by = g
                .suppressed_by
                .and_then(|id| all.get(&id))
                .map_or("", |e| e.root.as_str());
            if by != got_by {
                return fail(format!(
                    "{}: suppressed by {got_by:?}, expected {by:?}",
                    g.root
                ));
            }
        }
        if w.maintenance != g.maintenance && w.maintenance.is_some() {
            return fail(format!(
                "{}: maintenance {:?}, expected {:?}",
                g.root, g.maintenance, w.maintenance
            ));
        }
        for entity in &w.entities_include {
            if !g.entities.contains(entity) {
                return fail(format!("{}: entities lack {entity}", g.root));
            }
        }
        if let Some(text) = &w.resolution_contains
            && !g
                .resolution
                .as_deref()
                .unwrap_or("")
                .contains(text.as_str())
        {
            return fail(format!(
                "{}: resolution {:?} lacks {text:?}",
                g.root, g.resolution
            ));
        }
        if let Some(text) = &w.cause_detail_contains
            && !g.cause_detail.contains(text.as_str())
        {
            return fail(format!(
                "{}: cause detail {:?} lacks {text:?}",
                g.root, g.cause_detail
            ));
        }
    }
    Ok(())
}
