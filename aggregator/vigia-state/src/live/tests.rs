use std::path::Path;

use vigia_core::run::{FaultKind, RunOutcome};
use vigia_core::{
    Alarm, EntityKind, EntityRef, ErrorClass, ObservationKind, OnuStatus, PluginError, Severity,
};

use super::*;
use crate::overrides::Overrides;
use crate::testing::fixtures::{labelled, obs, onu, outcome_run, pppoe, reach, run};
use crate::view::EntityFilter;

const T0: u64 = 1_700_000_000_000;

fn state() -> LiveState {
    LiveState::new(StateConfig::default())
}

fn state_of(live: &LiveState, id: &str) -> (State, String) {
    let view = live.entity(id).unwrap_or_else(|| panic!("{id} missing"));
    (view.state.state, view.state.reason)
}

#[test]
fn same_input_twice_changes_nothing() {
    let mut live = state();
    let batch = vec![run(
        "smartolt",
        T0,
        vec![obs(
            "acct",
            T0,
            onu(
                "hwtc01",
                "olt-1",
                3,
                OnuStatus::Online,
                Some("ana"),
                Some(-20.0),
            ),
        )],
    )];
    let first = live.apply("agent-a", &batch, T0 + 10);
    assert_eq!(first.states.len(), 1);
    assert_eq!(
        first.entities.len(),
        4,
        "onu, olt, pon, subscriber: {:?}",
        first.entities
    );
    assert_eq!(first.edges.len(), 3);
    let again = live.apply("agent-a", &batch, T0 + 20);
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn state_changes_only_when_the_state_differs() {
    let mut live = state();
    let ping = |at, up| run("ping", at, vec![obs("olt", at, reach("10.0.0.1", up))]);
    assert_eq!(live.apply("a", &[ping(T0, true)], T0).states.len(), 1);
    assert!(
        live.apply("a", &[ping(T0 + 1_000, true)], T0 + 1_000)
            .states
            .is_empty()
    );
    let down = live.apply("a", &[ping(T0 + 2_000, false)], T0 + 2_000);
    assert_eq!(down.states.len(), 1);
    assert_eq!(down.states[0].state, "down");
    assert_eq!(down.states[0].at_ms, T0 + 2_000);
    assert_eq!(down.states[0].reason, "3 of 3 echoes lost");
    assert_eq!(down.states[0].source, "plugin:ping@a");
    let view = live.entity("host:10.0.0.1").unwrap();
    assert_eq!(view.state.since_ms, T0 + 2_000);
}

#[test]
fn late_observations_do_not_flip_the_state_back() {
    let mut live = state();
    let ping = |at, up| run("ping", at, vec![obs("olt", at, reach("10.0.0.1", up))]);
    live.apply("a", &[ping(T0 + 5_000, false)], T0 + 5_000);
    // Backlog replayed late: older than the current state.
    let late = live.apply("a", &[ping(T0 + 1_000, true)], T0 + 6_000);
    assert!(late.states.is_empty());
    assert_eq!(state_of(&live, "host:10.0.0.1").0, State::Down);
    let newer = live.apply("a", &[ping(T0 + 7_000, true)], T0 + 7_000);
    assert_eq!(newer.states.len(), 1);
    assert_eq!(state_of(&live, "host:10.0.0.1").0, State::Up);
}

#[test]
fn future_times_are_clamped_to_now() {
    let mut live = state();
    let far = T0 + 86_400_000;
    let changes = live.apply(
        "a",
        &[run(
            "ping",
            far,
            vec![obs("x", far, reach("10.0.0.9", true))],
        )],
        T0,
    );
    assert_eq!(changes.states[0].at_ms, T0);
    assert_eq!(live.entity("host:10.0.0.9").unwrap().last_seen_ms, T0);
}

#[test]
fn failed_runs_and_failures_change_no_state() {
    let mut live = state();
    live.apply(
        "a",
        &[run(
            "smartolt",
            T0,
            vec![obs(
                "acct",
                T0,
                onu("hwtc01", "olt-1", 1, OnuStatus::Online, None, None),
            )],
        )],
        T0,
    );
    let failure = PluginError {
        class: ErrorClass::Timeout,
        message: "api timed out".into(),
    };
    let changes = live.apply(
        "a",
        &[
            outcome_run("smartolt", T0 + 1_000, RunOutcome::Failed(failure.clone())),
            outcome_run(
                "smartolt",
                T0 + 2_000,
                RunOutcome::Fault {
                    kind: FaultKind::Timeout,
                    message: "deadline".into(),
                },
            ),
            run(
                "smartolt",
                T0 + 3_000,
                vec![obs("acct", T0 + 3_000, ObservationKind::Failure(failure))],
            ),
        ],
        T0 + 3_000,
    );
    assert!(
        changes.states.is_empty() && changes.entities.is_empty(),
        "{changes:?}"
    );
    assert_eq!(state_of(&live, "onu:HWTC01").0, State::Up);
    let sources = live.sources();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].agent, "a");
    assert_eq!(sources[0].plugin_id, "smartolt");
    assert_eq!(
        sources[0].consecutive_failures, 1,
        "the good third run reset the count; its per-target failure counts"
    );
    assert_eq!(
        sources[0].last_error.as_deref(),
        Some("acct: timeout: api timed out")
    );
    assert_eq!(sources[0].last_success_ms, Some(T0 + 3_000));
    assert_eq!(live.stats().failed_runs, 2);
}

#[test]
fn entity_rows_are_rewritten_only_when_material_or_after_granularity() {
    let mut live = state();
    let reading = |at, rx| {
        run(
            "smartolt",
            at,
            vec![obs(
                "acct",
                at,
                onu("hwtc01", "olt-1", 1, OnuStatus::Online, None, Some(rx)),
            )],
        )
    };
    assert!(
        !live
            .apply("a", &[reading(T0, -20.0)], T0)
            .entities
            .is_empty()
    );
    // A new reading 10 s later: volatile, within the granularity: no row.
    let quiet = live.apply("a", &[reading(T0 + 10_000, -20.4)], T0 + 10_000);
    assert!(quiet.entities.is_empty(), "{:?}", quiet.entities);
    assert_eq!(
        live.entity("onu:HWTC01").unwrap().attributes["rx_dbm"],
        -20.4
    );
    // Past the granularity: rows again (last_seen moved).
    let later = live.apply("a", &[reading(T0 + 61_000, -20.4)], T0 + 61_000);
    let ids: Vec<&str> = later.entities.iter().map(|e| e.id.as_str()).collect();
    assert!(ids.contains(&"onu:HWTC01"), "{ids:?}");
    assert_eq!(
        later.edges.len(),
        2,
        "edges confirmed after the granularity"
    );
    // A material change (model) is written at once.
    let mut with_model = reading(T0 + 62_000, -20.4);
    if let RunOutcome::Observations(list) = &mut with_model.outcome
        && let ObservationKind::Onu(o) = &mut list[0].kind
    {
        o.model = Some("HG8010H".into());
    }
    let material = live.apply("a", &[with_model], T0 + 62_000);
    assert_eq!(material.entities.len(), 1);
    assert!(material.entities[0].attributes_json.contains("HG8010H"));
}

#[test]
fn onu_moved_to_another_pon_loses_the_old_edge() {
    let mut live = state();
    let at = |t, port| {
        run(
            "smartolt",
            t,
            vec![obs(
                "acct",
                t,
                onu("hwtc01", "olt-1", port, OnuStatus::Online, None, None),
            )],
        )
    };
    live.apply("a", &[at(T0, 1)], T0);
    let moved = live.apply("a", &[at(T0 + 1_000, 2)], T0 + 1_000);
    assert_eq!(
        moved.removed_edges,
        vec![(
            "pon_port:olt-1/0/1".to_owned(),
            "onu:HWTC01".to_owned(),
            "plugin:smartolt".to_owned()
        )]
    );
    let parents: Vec<String> = live
        .entity("onu:HWTC01")
        .unwrap()
        .parents
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(parents, ["pon_port:olt-1/0/2"]);
}

#[test]
fn sweep_turns_quiet_states_unknown() {
    let mut live = state();
    let ping = |at| run("ping", at, vec![obs("x", at, reach("10.0.0.1", true))]);
    live.apply("a", &[ping(T0)], T0);
    live.apply(
        "a",
        &[run("ping", T0, vec![obs("y", T0, reach("10.0.0.2", true))])],
        T0,
    );
    // 10.0.0.1 keeps being confirmed; 10.0.0.2 goes quiet.
    live.apply("a", &[ping(T0 + 10 * 60_000)], T0 + 10 * 60_000);
    assert!(live.sweep(T0 + 14 * 60_000).states.is_empty());
    let swept = live.sweep(T0 + 16 * 60_000);
    assert_eq!(swept.states.len(), 1);
    assert_eq!(swept.states[0].entity_id, "host:10.0.0.2");
    assert_eq!(swept.states[0].state, "unknown");
    assert_eq!(swept.states[0].reason, "no observation for 960 s");
    assert_eq!(swept.states[0].source, SWEEP_SOURCE);
    assert!(
        live.sweep(T0 + 17 * 60_000).states.is_empty(),
        "already unknown"
    );
    // A fresh observation brings it back.
    let back = live.apply(
        "a",
        &[run(
            "ping",
            T0 + 18 * 60_000,
            vec![obs("y", T0 + 18 * 60_000, reach("10.0.0.2", true))],
        )],
        T0 + 18 * 60_000,
    );
    assert_eq!(back.states[0].state, "up");
}

#[test]
fn site_comes_from_label_override_or_ancestors() {
    let mut live = state();
    let o = labelled(
        obs(
            "acct",
            T0,
            onu("hwtc01", "olt-1", 1, OnuStatus::Online, Some("ana"), None),
        ),
        SITE_LABEL_KEY,
        "centro",
    );
    live.apply("a", &[run("smartolt", T0, vec![o])], T0);
    let olt = live.entity("olt:olt-1").unwrap();
    assert_eq!(
        (olt.site.as_deref(), olt.site_inherited),
        (Some("pop:centro"), false)
    );
    let sub = live.entity("subscriber:ana").unwrap();
    assert_eq!(
        (sub.site.as_deref(), sub.site_inherited),
        (Some("pop:centro"), true)
    );
    assert!(live.entity("pop:centro").is_some(), "the site is an entity");
    let overrides = Overrides::parse(
        "[[entity]]\nid = \"pon_port:olt-1/0/1\"\nsite = \"norte\"\n",
        Path::new("o.toml"),
    )
    .unwrap();
    live.apply_overrides(&overrides, T0);
    assert_eq!(
        live.entity("subscriber:ana").unwrap().site.as_deref(),
        Some("pop:norte")
    );
    assert_eq!(
        live.entity("olt:olt-1").unwrap().site.as_deref(),
        Some("pop:centro")
    );
}

const SITE_LABEL_KEY: &str = crate::apply::SITE_LABEL;

#[test]
fn list_pages_by_id_with_filters() {
    let mut live = state();
    let mut observations = Vec::new();
    for i in 0..25u32 {
        let status = if i % 5 == 0 {
            OnuStatus::Los
        } else {
            OnuStatus::Online
        };
        observations.push(obs(
            "acct",
            T0,
            onu(&format!("hwtc{i:02}"), "olt-1", i % 2, status, None, None),
        ));
    }
    observations.push(obs("r", T0, pppoe("ana", "bnas-1", true)));
    live.apply("a", &[run("smartolt", T0, observations)], T0);

    let mut filter = EntityFilter {
        kind: Some("onu".into()),
        limit: 10,
        ..EntityFilter::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = live.list(&filter);
        assert!(page.items.len() <= 10);
        seen.extend(page.items.iter().map(|s| s.id.clone()));
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ordered by id");
    assert!(seen.iter().all(|id| id.starts_with("onu:")));

    let down = live.list(&EntityFilter {
        state: Some(State::Down),
        ..EntityFilter::default()
    });
    assert_eq!(down.items.len(), 5);
    assert!(down.next.is_none());
    let all = live.list(&EntityFilter {
        limit: 5000,
        ..EntityFilter::default()
    });
    assert_eq!(all.items.len(), live.len().min(MAX_PAGE));
    let subs = live.list(&EntityFilter {
        kind: Some("subscriber".into()),
        ..EntityFilter::default()
    });
    assert_eq!(subs.items.len(), 1);
    assert_eq!(subs.items[0].id, "subscriber:ana");
    // An entity no observation gave a state (the OLT) is unknown since it was first seen.
    let olts = live.list(&EntityFilter {
        kind: Some("olt".into()),
        ..EntityFilter::default()
    });
    assert_eq!(olts.items[0].state, State::Unknown);
    assert_eq!(olts.items[0].since_ms, T0);
}

use crate::view::MAX_PAGE;

#[test]
fn latest_observations_are_bounded_newest_first_and_not_duplicated() {
    let mut live = LiveState::new(StateConfig {
        observations_per_entity: 3,
        ..StateConfig::default()
    });
    for i in 0..5u64 {
        let at = T0 + i * 1_000;
        let batch = [run(
            "ping",
            at,
            vec![obs("x", at, reach("10.0.0.1", i % 2 == 0))],
        )];
        live.apply("a", &batch, at);
        live.apply("a", &batch, at);
    }
    let list = live.observations("host:10.0.0.1", 10).unwrap();
    let times: Vec<u64> = list.iter().map(|o| o.observed_at_ms).collect();
    assert_eq!(times, [T0 + 4_000, T0 + 3_000, T0 + 2_000]);
    assert_eq!(list[0].plugin_id, "ping");
    assert_eq!(list[0].agent, "a");
    assert_eq!(live.observations("host:10.0.0.1", 1).unwrap().len(), 1);
    assert!(live.observations("host:10.9.9.9", 1).is_none());
}

#[test]
fn alarms_replace_by_code_and_are_bounded() {
    let mut live = LiveState::new(StateConfig {
        alarms_per_entity: 2,
        ..StateConfig::default()
    });
    let alarm = |code: &str, cleared: Option<u64>| {
        obs(
            "acct",
            T0,
            ObservationKind::Alarm(Alarm {
                source: EntityRef {
                    kind: EntityKind::Olt,
                    id: "olt-1".into(),
                },
                severity: Severity::Major,
                code: code.into(),
                text: format!("{code} raised"),
                raised_ms: Some(T0),
                cleared_ms: cleared,
            }),
        )
    };
    live.apply(
        "a",
        &[run(
            "smartolt",
            T0,
            vec![alarm("A", None), alarm("B", None)],
        )],
        T0,
    );
    live.apply(
        "a",
        &[run("smartolt", T0, vec![alarm("A", Some(T0 + 5))])],
        T0,
    );
    let alarms = live.entity("olt:olt-1").unwrap().attributes["alarms"].clone();
    assert_eq!(alarms.as_array().unwrap().len(), 2);
    assert_eq!(alarms[0]["code"], "A");
    assert_eq!(alarms[0]["cleared_ms"], T0 + 5);
    live.apply("a", &[run("smartolt", T0, vec![alarm("C", None)])], T0);
    let alarms = live.entity("olt:olt-1").unwrap().attributes["alarms"].clone();
    let codes: Vec<&str> = alarms
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["B", "C"]);
}

#[test]
fn overrides_win_and_are_reconciled() {
    let mut live = state();
    live.apply(
        "a",
        &[run(
            "smartolt",
            T0,
            vec![obs(
                "acct",
                T0,
                onu("hwtc01", "olt-1", 1, OnuStatus::Online, None, None),
            )],
        )],
        T0,
    );
    let first = Overrides::parse(
        r#"
[[entity]]
id = "olt:olt-1"
name = "OLT Centro"
[[edge]]
parent = "pop:centro"
child = "olt:olt-1"
relation = "fibre"
[[edge]]
parent = "olt:olt-9"
child = "pon_port:olt-1/0/1"
[[remove_edge]]
parent = "olt:olt-1"
child = "pon_port:olt-1/0/1"
"#,
        Path::new("o.toml"),
    )
    .unwrap();
    let changes = live.apply_overrides(&first, T0 + 1);
    assert_eq!(changes.edges.len(), 2);
    assert!(changes.edges.iter().all(|e| e.source == OVERRIDE_SOURCE));
    let olt = live.entity("olt:olt-1").unwrap();
    assert_eq!(olt.name, "OLT Centro");
    assert_eq!(olt.parents[0].id, "pop:centro");
    assert_eq!(
        olt.children_total, 0,
        "the observed olt -> pon edge is hidden"
    );
    let pon = live.entity("pon_port:olt-1/0/1").unwrap();
    let parents: Vec<&str> = pon.parents.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(parents, ["olt:olt-9"]);
    // Observations do not rename an overridden entity.
    live.apply(
        "a",
        &[run(
            "smartolt",
            T0 + 2,
            vec![obs(
                "acct",
                T0 + 2,
                onu("hwtc01", "olt-1", 1, OnuStatus::Online, None, None),
            )],
        )],
        T0 + 2,
    );
    assert_eq!(live.entity("olt:olt-1").unwrap().name, "OLT Centro");

    // The file changes: the second edge and the removal go, the name goes.
    let second = Overrides::parse(
        "[[edge]]\nparent = \"pop:centro\"\nchild = \"olt:olt-1\"\nrelation = \"fibre\"\n",
        Path::new("o.toml"),
    )
    .unwrap();
    let changes = live.apply_overrides(&second, T0 + 3);
    assert_eq!(
        changes.removed_edges,
        vec![(
            "olt:olt-9".to_owned(),
            "pon_port:olt-1/0/1".to_owned(),
            OVERRIDE_SOURCE.to_owned()
        )]
    );
    let olt = live.entity("olt:olt-1").unwrap();
    assert_eq!(olt.name, "olt-1");
    assert_eq!(olt.children_total, 1);
    assert!(
        changes
            .entities
            .iter()
            .any(|e| e.id == "olt:olt-1" && e.name == "olt-1")
    );
}

#[test]
fn restore_gives_the_same_views() {
    let mut live = state();
    let mut all = Changes::default();
    let mut record = |c: Changes| {
        all.entities.extend(c.entities);
        all.edges.extend(c.edges);
        all.removed_edges.extend(c.removed_edges);
        all.states.extend(c.states);
    };
    record(live.apply(
        "a",
        &[run(
            "smartolt",
            T0,
            vec![
                obs(
                    "acct",
                    T0,
                    onu("hwtc01", "olt-1", 1, OnuStatus::Los, Some("ana"), None),
                ),
                labelled(
                    obs("r", T0, pppoe("ana", "bnas-1", false)),
                    SITE_LABEL_KEY,
                    "centro",
                ),
            ],
        )],
        T0,
    ));
    let overrides = Overrides::parse(
        "[[entity]]\nid = \"onu:hwtc01\"\nname = \"Ana's ONU\"\n",
        Path::new("o"),
    )
    .unwrap();
    record(live.apply_overrides(&overrides, T0 + 5));

    // Persist like a store would: latest row per id, latest change per entity.
    let mut entities = std::collections::BTreeMap::new();
    for row in all.entities {
        entities.insert(row.id.clone(), row);
    }
    let mut latest = std::collections::BTreeMap::new();
    for change in all.states {
        latest.insert(change.entity_id.clone(), change);
    }
    let mut restored = state();
    let report = restored.restore(
        entities.into_values().collect(),
        all.edges,
        latest.into_values().collect(),
        &std::collections::HashMap::new(),
    );
    assert_eq!(report.skipped, 0);
    restored.apply_overrides(&overrides, T0 + 10);
    for id in [
        "onu:HWTC01",
        "subscriber:ana",
        "olt:olt-1",
        "pon_port:olt-1/0/1",
        "concentrator:bnas-1",
        "pop:centro",
    ] {
        assert_eq!(restored.entity(id), live.entity(id), "{id}");
    }
    assert_eq!(restored.counts(), live.counts());
}

#[test]
fn counts_by_kind_and_state() {
    let mut live = state();
    live.apply(
        "a",
        &[run(
            "smartolt",
            T0,
            vec![
                obs(
                    "acct",
                    T0,
                    onu("a1", "olt-1", 1, OnuStatus::Online, None, None),
                ),
                obs(
                    "acct",
                    T0,
                    onu("a2", "olt-1", 1, OnuStatus::Los, None, None),
                ),
                obs(
                    "acct",
                    T0,
                    onu("a3", "olt-1", 1, OnuStatus::Los, None, None),
                ),
            ],
        )],
        T0,
    );
    let counts = live.counts();
    assert_eq!(counts.total, 5);
    assert_eq!(counts.by_kind["onu"][&State::Up], 1);
    assert_eq!(counts.by_kind["onu"][&State::Down], 2);
    assert_eq!(counts.by_kind["olt"][&State::Unknown], 1);
}

#[test]
fn late_observations_do_not_overwrite_attributes() {
    let mut live = state();
    let poll = |at, status| {
        run(
            "smartolt",
            at,
            vec![obs(
                "acct",
                at,
                onu("hwtc01", "olt-1", 1, status, None, None),
            )],
        )
    };
    live.apply("a", &[poll(T0 + 5_000, OnuStatus::Los)], T0 + 5_000);
    let late = live.apply("a", &[poll(T0, OnuStatus::Online)], T0 + 6_000);
    assert!(late.is_empty(), "{late:?}");
    let view = live.entity("onu:HWTC01").unwrap();
    assert_eq!(view.attributes["status"], "los");
    assert_eq!(view.state.state, State::Down);
}

#[test]
fn unpersisted_seen_times_are_written_on_request() {
    let mut live = state();
    let ping = |at| run("ping", at, vec![obs("x", at, reach("10.0.0.1", true))]);
    live.apply("a", &[ping(T0)], T0);
    assert!(live.apply("a", &[ping(T0 + 1_000)], T0 + 1_000).is_empty());
    let seen = live.unpersisted_seen();
    assert_eq!(seen.entities.len(), 1);
    assert_eq!(seen.entities[0].last_seen_ms, T0 + 1_000);
    assert!(live.unpersisted_seen().is_empty());
}

#[test]
fn apply_owned_gives_the_same_changes_and_views_as_apply() {
    let batches: Vec<Vec<RunResult>> = (0..6u64)
        .map(|i| {
            let at = T0 + i * 40_000;
            let status = if i == 3 {
                OnuStatus::Los
            } else {
                OnuStatus::Online
            };
            vec![
                run(
                    "smartolt",
                    at,
                    vec![
                        obs(
                            "acct",
                            at,
                            onu(
                                "hwtc01",
                                "olt-1",
                                1 + (i % 2) as u32,
                                status,
                                Some("ana"),
                                Some(-20.0 - i as f64),
                            ),
                        ),
                        obs(
                            "acct",
                            at,
                            onu("hwtc02", "olt-1", 1, OnuStatus::Online, Some("bia"), None),
                        ),
                    ],
                ),
                run(
                    "bnas",
                    at,
                    vec![obs("bnas", at, pppoe("ana", "bnas-1", i != 3))],
                ),
                run(
                    "ping",
                    at,
                    vec![obs("olt", at, reach("10.0.0.1", i % 2 == 0))],
                ),
            ]
        })
        .collect();
    let (mut by_ref, mut owned) = (state(), state());
    for (i, batch) in batches.into_iter().enumerate() {
        let now = T0 + i as u64 * 40_000 + 5;
        let expected = by_ref.apply("a", &batch, now);
        assert_eq!(owned.apply_owned("a", batch, now), expected, "batch {i}");
    }
    for id in [
        "onu:HWTC01",
        "onu:HWTC02",
        "subscriber:ana",
        "host:10.0.0.1",
        "olt:olt-1",
    ] {
        assert_eq!(owned.entity(id), by_ref.entity(id), "{id}");
        assert_eq!(
            owned.observations(id, 16),
            by_ref.observations(id, 16),
            "{id}"
        );
        assert_eq!(owned.series(id), by_ref.series(id), "{id}");
    }
    assert_eq!(owned.stats(), by_ref.stats());
    assert_eq!(owned.counts(), by_ref.counts());
}

#[test]
fn a_crm_flag_never_contradicts_a_fresh_network_state() {
    let mut live = state();
    let id = "subscriber:ana";
    let router = |at, online| {
        run(
            "mikrotik",
            at,
            vec![obs("bng-1", at, pppoe("ana", "bng-1", online))],
        )
    };
    let crm = |at, online| {
        let o = labelled(
            obs("ixc", at, pppoe("ana", "bng-1", online)),
            crate::AUTHORITY_LABEL,
            "crm",
        );
        run("ixc", at, vec![o])
    };
    live.apply("pop-1", &[router(1_000, true)], 1_000);
    live.apply("pop-1", &[router(2_000, false)], 2_000);
    // IXC's online flag trails RADIUS: it still says online after the router saw the drop.
    live.apply("pop-1", &[crm(3_000, true)], 3_000);
    assert_eq!(
        state_of(&live, id).0,
        State::Down,
        "the router's fresh word wins"
    );
    // Agreeing confirms; the router's own changes go through as always.
    live.apply("pop-1", &[crm(4_000, false)], 4_000);
    live.apply("pop-1", &[router(5_000, true)], 5_000);
    assert_eq!(state_of(&live, id).0, State::Up);
    // When the network has said nothing for stale_after_ms, the CRM is all there is.
    let stale = live.config().stale_after_ms;
    live.apply("pop-1", &[crm(5_000 + stale + 1, false)], 5_000 + stale + 1);
    assert_eq!(state_of(&live, id).0, State::Down);
    // And a state the CRM set gives way to the network at once.
    live.apply(
        "pop-1",
        &[router(5_000 + stale + 2, true)],
        5_000 + stale + 2,
    );
    assert_eq!(state_of(&live, id).0, State::Up);
}
