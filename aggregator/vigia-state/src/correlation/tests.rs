use std::collections::HashMap;
use std::path::Path;

use vigia_core::run::RunResult;
use vigia_core::{
    Alarm, EdgeKind, EntityKind, EntityRef, Observation, ObservationKind, Onu, OnuStatus,
    RadioStatus, Severity,
};
use vigia_correlate::{
    Cause, CauseHint, CorrelateConfig, Correlator, Cycle, EventKind, LayerState, Reading,
};
use vigia_store::EntityRow;

use super::cycle::down_cause;

mod end_to_end;
mod restart;
use crate::config::StateConfig;
use crate::live::LiveState;
use crate::overrides::Overrides;
use crate::testing::fixtures::{edge, labelled, obs, pppoe, radio, reach, run};

const T0: u64 = 1_700_000_000_000;
const SM_ALONE: &str = "00:04:56:aa:bb:01";
const SM_CARLA: &str = "00:04:56:aa:bb:02";
const AP: &str = "00:04:56:aa:00:01";

fn live() -> LiveState {
    LiveState::new(StateConfig::default())
}

/// An ONU on `olt` board 0 `port`, behind `splitter` when given.
fn onu(
    serial: &str,
    port: u32,
    splitter: Option<&str>,
    status: OnuStatus,
    login: Option<&str>,
    last_down_cause: Option<&str>,
) -> ObservationKind {
    ObservationKind::Onu(Onu {
        serial: serial.to_owned(),
        login: login.map(str::to_owned),
        olt: "olt-1".to_owned(),
        board: Some(0),
        port: Some(port),
        onu_id: None,
        splitter: splitter.map(str::to_owned),
        status,
        rx_dbm: None,
        tx_dbm: None,
        olt_rx_dbm: None,
        last_down_cause: last_down_cause.map(str::to_owned),
        last_down_ms: None,
        distance_m: None,
        model: None,
    })
}

/// An alarm raised at `T0`, observed a second later.
fn alarm(kind: EntityKind, id: &str, code: &str, text: &str, cleared: Option<u64>) -> Observation {
    obs(
        "acct",
        T0 + 1_000,
        ObservationKind::Alarm(Alarm {
            source: EntityRef {
                kind,
                id: id.to_owned(),
            },
            severity: Severity::Critical,
            code: code.to_owned(),
            text: text.to_owned(),
            raised_ms: Some(T0),
            cleared_ms: cleared,
        }),
    )
}

/// A small network of every shape: `ana` on an ONU behind a splitter of PON 0/1 of `olt-1` (at
/// POP `centro`), in an IXC `conexao` and on concentrator `bng-1`; `bob` with a session only;
/// `carla` on a radio SM under an AP of tower `Torre Norte`; an ONU and an SM without a
/// subscriber.
fn network(at: u64) -> Vec<RunResult> {
    vec![
        run(
            "smartolt",
            at,
            vec![
                labelled(
                    obs(
                        "acct",
                        at,
                        onu(
                            "hwtc01",
                            1,
                            Some("cto-1"),
                            OnuStatus::Online,
                            Some("ana"),
                            None,
                        ),
                    ),
                    crate::SITE_LABEL,
                    "centro",
                ),
                obs(
                    "acct",
                    at,
                    onu("hwtc02", 1, None, OnuStatus::Online, None, None),
                ),
            ],
        ),
        run(
            "mikrotik",
            at,
            vec![
                obs("bng", at, pppoe("ana", "bng-1", true)),
                obs("bng", at, pppoe("bob", "bng-1", true)),
                obs("bng", at, pppoe("carla", "bng-1", true)),
            ],
        ),
        run(
            "ixc",
            at,
            vec![obs(
                "crm",
                at,
                edge(
                    (EntityKind::CrmGroup, "CONEXAO-1"),
                    (EntityKind::Subscriber, "ana"),
                    EdgeKind::Logical,
                ),
            )],
        ),
        run(
            "cnmaestro",
            at,
            vec![
                obs(
                    "cn",
                    at,
                    radio(SM_ALONE, AP, "Torre Norte", RadioStatus::Connected, -60.0),
                ),
                obs(
                    "cn",
                    at,
                    radio(SM_CARLA, AP, "Torre Norte", RadioStatus::Connected, -60.0),
                ),
                obs(
                    "cn",
                    at,
                    edge(
                        (EntityKind::SubscriberModule, SM_CARLA),
                        (EntityKind::Subscriber, "carla"),
                        EdgeKind::Ethernet,
                    ),
                ),
            ],
        ),
    ]
}

fn built() -> LiveState {
    let mut live = live();
    live.apply("agent-a", &network(T0), T0);
    live
}

fn group_ids(input: &super::CorrelationInput, groups: &[u32]) -> Vec<String> {
    let mut ids: Vec<String> = groups
        .iter()
        .map(|&g| input.topology().groups[g as usize].id.clone())
        .collect();
    ids.sort();
    ids
}

fn groups_of(input: &super::CorrelationInput, member: &str) -> Vec<String> {
    let topology = input.topology();
    let m = topology
        .member(member)
        .unwrap_or_else(|| panic!("{member} is not a member: {:?}", topology.members));
    group_ids(input, topology.groups_of(m))
}

fn reading(input: &super::CorrelationInput, cycle: &Cycle, member: &str) -> Reading {
    let m = input.topology().member(member).expect("member");
    cycle.readings[m as usize]
}

fn source_key(cycle: &Cycle, index: Option<u32>) -> Option<&str> {
    index.map(|i| cycle.sources[i as usize].key.as_str())
}

// === topology ===

#[test]
fn groups_and_members_come_from_onu_session_radio_and_edge_observations() {
    let live = built();
    let input = live.correlation_input(&CorrelateConfig::default());
    let topology = input.topology();
    let mut groups: Vec<&str> = topology.groups.iter().map(|g| g.id.as_str()).collect();
    groups.sort_unstable();
    assert_eq!(
        groups,
        [
            "access_point:00:04:56:aa:00:01",
            "concentrator:bng-1",
            "crm_group:CONEXAO-1",
            "olt:olt-1",
            "pon_port:olt-1/0/1",
            "pop:centro",
            "splitter:cto-1",
            "tower:Torre Norte",
        ]
    );
    // ONUs and SMs with a subscriber under them are not members; their subscribers are.
    assert_eq!(
        topology.members,
        [
            "onu:HWTC02",
            "subscriber:ana",
            "subscriber:bob",
            "subscriber:carla",
            &format!("subscriber_module:{SM_ALONE}"),
        ]
    );
    assert_eq!(
        groups_of(&input, "subscriber:ana"),
        [
            "concentrator:bng-1",
            "crm_group:CONEXAO-1",
            "olt:olt-1",
            "pon_port:olt-1/0/1",
            "pop:centro",
            "splitter:cto-1",
        ]
    );
    assert_eq!(groups_of(&input, "subscriber:bob"), ["concentrator:bng-1"]);
    assert_eq!(
        groups_of(&input, "subscriber:carla"),
        [
            "access_point:00:04:56:aa:00:01",
            "concentrator:bng-1",
            "tower:Torre Norte",
        ]
    );
    assert_eq!(
        groups_of(&input, "onu:HWTC02"),
        ["olt:olt-1", "pon_port:olt-1/0/1", "pop:centro"]
    );
    assert_eq!(
        groups_of(&input, &format!("subscriber_module:{SM_ALONE}")),
        ["access_point:00:04:56:aa:00:01", "tower:Torre Norte"]
    );
    // Parent links: the POP from the OLT's own site; the tower above its AP.
    let parents = |id: &str| {
        let g = topology.group(id).expect("group");
        group_ids(&input, &topology.groups[g as usize].parents)
    };
    assert_eq!(parents("olt:olt-1"), ["pop:centro"]);
    assert_eq!(parents("pon_port:olt-1/0/1"), ["olt:olt-1"]);
    assert_eq!(parents("splitter:cto-1"), ["pon_port:olt-1/0/1"]);
    assert_eq!(
        parents("access_point:00:04:56:aa:00:01"),
        ["tower:Torre Norte"]
    );
    assert!(parents("pop:centro").is_empty());
    let tower = &topology.groups[topology.group("tower:Torre Norte").unwrap() as usize];
    assert_eq!(
        (tower.kind.as_str(), tower.name.as_str()),
        ("tower", "Torre Norte")
    );
    assert_eq!(tower.size, 2);
}

#[test]
fn a_site_makes_a_pop_group_even_without_a_pop_entity() {
    let mut full = live();
    let row = |id: &str, kind: &str, site: Option<&str>| EntityRow {
        id: id.to_owned(),
        kind: kind.to_owned(),
        name: id.to_owned(),
        site: site.map(str::to_owned),
        attributes_json: "{}".to_owned(),
        first_seen_ms: T0,
        last_seen_ms: T0,
    };
    full.restore(
        vec![
            row("tower:T1", "tower", Some("pop:norte")),
            row("pop:norte", "pop", Some("pop:norte")),
        ],
        Vec::new(),
        Vec::new(),
        &HashMap::new(),
    );
    let mut config = CorrelateConfig::default();
    // Restored without the POP row, the site still groups the tower.
    let mut bare = live();
    bare.restore(
        vec![row("tower:T1", "tower", Some("pop:norte"))],
        Vec::new(),
        Vec::new(),
        &HashMap::new(),
    );
    for state in [&full, &bare] {
        let input = state.correlation_input(&config);
        let topology = input.topology();
        let pop = topology.group("pop:norte").expect("pop group");
        let tower = topology.group("tower:T1").expect("tower group");
        assert_eq!(topology.groups[tower as usize].parents, [pop]);
        // The POP's own site is not a parent of itself.
        assert!(topology.groups[pop as usize].parents.is_empty());
        let cycle = state.correlation_cycle(&input, T0);
        assert_eq!(cycle.devices.len(), topology.groups.len());
        assert_eq!(cycle.devices[pop as usize].state, LayerState::Absent);
    }
    // Without a `pop` level, a site makes no group.
    config.levels.remove("pop");
    let input = bare.correlation_input(&config);
    assert!(input.topology().group("pop:norte").is_none());
    assert!(input.topology().group("tower:T1").is_some());
}

#[test]
fn hidden_edges_are_not_edges() {
    let mut live = built();
    let overrides = Overrides::parse(
        "[[remove_edge]]\nparent = \"concentrator:bng-1\"\nchild = \"subscriber:bob\"\n",
        Path::new("o.toml"),
    )
    .unwrap();
    live.apply_overrides(&overrides, T0 + 1);
    let input = live.correlation_input(&CorrelateConfig::default());
    assert!(groups_of(&input, "subscriber:bob").is_empty());
    assert_eq!(
        input.topology().groups[0].id,
        "access_point:00:04:56:aa:00:01"
    );
}

#[test]
fn topology_version_moves_with_entities_and_edges_not_with_states() {
    let mut live = built();
    let config = CorrelateConfig::default();
    let v0 = live.topology_version();
    assert_eq!(live.correlation_input(&config).version(), v0);
    // The same network again, with states changing: no new entity or edge.
    let mut again = network(T0 + 30_000);
    again[1] = run(
        "mikrotik",
        T0 + 30_000,
        vec![
            obs("bng", T0 + 30_000, pppoe("ana", "bng-1", false)),
            obs("bng", T0 + 30_000, pppoe("bob", "bng-1", true)),
            obs("bng", T0 + 30_000, pppoe("carla", "bng-1", true)),
        ],
    );
    let changes = live.apply("agent-a", &again, T0 + 30_000);
    assert_eq!(changes.states.len(), 1, "{:?}", changes.states);
    assert_eq!(live.topology_version(), v0);
    // A new edge between known entities.
    live.apply(
        "agent-a",
        &[run(
            "ixc",
            T0 + 31_000,
            vec![obs(
                "crm",
                T0 + 31_000,
                edge(
                    (EntityKind::CrmGroup, "CONEXAO-1"),
                    (EntityKind::Subscriber, "bob"),
                    EdgeKind::Logical,
                ),
            )],
        )],
        T0 + 31_000,
    );
    let v1 = live.topology_version();
    assert!(v1 > v0);
    // A new entity (a pinged host).
    live.apply(
        "agent-a",
        &[run(
            "ping",
            T0 + 32_000,
            vec![obs("h", T0 + 32_000, reach("10.0.0.9", true))],
        )],
        T0 + 32_000,
    );
    let v2 = live.topology_version();
    assert!(v2 > v1);
    // A sweep changes states only.
    let swept = live.sweep(T0 + 3_600_000);
    assert!(!swept.states.is_empty());
    assert_eq!(live.topology_version(), v2);
    // The overrides may change names, sites and hidden edges.
    live.apply_overrides(&Overrides::default(), T0 + 3_600_001);
    assert!(live.topology_version() > v2);
    let input = live.correlation_input(&config);
    assert_eq!(input.version(), live.topology_version());
    assert_eq!(
        groups_of(&input, "subscriber:bob"),
        ["concentrator:bng-1", "crm_group:CONEXAO-1"]
    );
}

// === readings ===

#[test]
fn layers_map_states_times_and_sources() {
    let mut live = built();
    let t1 = T0 + 30_000;
    live.apply(
        "agent-a",
        &[run(
            "smartolt",
            t1,
            vec![
                obs(
                    "acct",
                    t1,
                    onu(
                        "hwtc01",
                        1,
                        Some("cto-1"),
                        OnuStatus::Los,
                        Some("ana"),
                        None,
                    ),
                ),
                obs(
                    "acct",
                    t1,
                    onu("hwtc02", 1, None, OnuStatus::Online, None, None),
                ),
            ],
        )],
        t1,
    );
    let input = live.correlation_input(&CorrelateConfig::default());
    let cycle = live.correlation_cycle(&input, t1 + 1_000);
    assert_eq!(cycle.now_ms, t1 + 1_000);
    assert_eq!(cycle.readings.len(), input.topology().members.len());
    assert!(cycle.maintenance.is_empty());

    let ana = reading(&input, &cycle, "subscriber:ana");
    assert_eq!(ana.session.state, LayerState::Up);
    assert_eq!(
        (
            ana.session.since_ms,
            ana.session.seen_ms,
            ana.session.last_up_ms
        ),
        (T0, T0, Some(T0))
    );
    assert_eq!(
        source_key(&cycle, ana.session.source),
        Some("agent-a/mikrotik")
    );
    assert_eq!(ana.access.state, LayerState::Down);
    assert_eq!(
        (
            ana.access.since_ms,
            ana.access.seen_ms,
            ana.access.last_up_ms
        ),
        (t1, t1, Some(T0))
    );
    assert_eq!(
        source_key(&cycle, ana.access.source),
        Some("agent-a/smartolt")
    );
    assert_eq!(ana.cause, CauseHint::Fibre);

    // A session only: no access layer, no cause.
    let bob = reading(&input, &cycle, "subscriber:bob");
    assert_eq!(bob.session.state, LayerState::Up);
    assert_eq!(bob.access.state, LayerState::Absent);
    assert_eq!(bob.access.source, None);
    assert_eq!(bob.cause, CauseHint::None);

    // An ONU member: its own state is its access layer; no session layer.
    let onu2 = reading(&input, &cycle, "onu:HWTC02");
    assert_eq!(onu2.session.state, LayerState::Absent);
    assert_eq!(onu2.access.state, LayerState::Up);
    assert_eq!(onu2.access.seen_ms, t1);
    assert_eq!(onu2.cause, CauseHint::None);

    let carla = reading(&input, &cycle, "subscriber:carla");
    assert_eq!(carla.access.state, LayerState::Up);
    assert_eq!(
        source_key(&cycle, carla.access.source),
        Some("agent-a/cnmaestro")
    );

    // A sweep makes states unknown, with no source.
    let mut swept = live;
    swept.sweep(t1 + 3_600_000);
    let cycle = swept.correlation_cycle(&input, t1 + 3_600_000);
    let ana = reading(&input, &cycle, "subscriber:ana");
    assert_eq!(ana.session.state, LayerState::Unknown);
    assert_eq!(ana.session.source, None);
    assert_eq!(ana.session.last_up_ms, Some(T0));
    assert_eq!(
        ana.cause,
        CauseHint::None,
        "only a down device gives a cause"
    );
}

#[test]
fn a_subscriber_known_only_from_its_onu_has_no_session_layer() {
    let mut live = live();
    live.apply(
        "agent-a",
        &[run(
            "smartolt",
            T0,
            vec![obs(
                "acct",
                T0,
                onu("hwtc09", 2, None, OnuStatus::Online, Some("dora"), None),
            )],
        )],
        T0,
    );
    let input = live.correlation_input(&CorrelateConfig::default());
    assert_eq!(input.topology().members, ["subscriber:dora"]);
    let cycle = live.correlation_cycle(&input, T0);
    let dora = reading(&input, &cycle, "subscriber:dora");
    assert_eq!(dora.session.state, LayerState::Absent);
    assert_eq!(dora.access.state, LayerState::Up);
}

#[test]
fn cause_hints_come_from_the_down_access_device() {
    let mut live = live();
    let onus = [
        ("hwtc11", "los1", OnuStatus::Los, None),
        ("hwtc12", "pf1", OnuStatus::PowerFail, None),
        ("hwtc13", "dg1", OnuStatus::Offline, Some("Dying Gasp")),
        ("hwtc14", "lo1", OnuStatus::Offline, Some("LOSi")),
        ("hwtc15", "rb1", OnuStatus::Offline, Some("ONU reboot")),
        ("hwtc16", "nc1", OnuStatus::Offline, None),
        ("hwtc17", "up1", OnuStatus::Online, Some("Dying Gasp")),
    ];
    let observations = onus
        .iter()
        .map(|(serial, login, status, cause)| {
            obs(
                "acct",
                T0,
                onu(serial, 3, None, *status, Some(login), *cause),
            )
        })
        .collect();
    live.apply(
        "agent-a",
        &[
            run("smartolt", T0, observations),
            run(
                "cnmaestro",
                T0,
                vec![obs(
                    "cn",
                    T0,
                    radio(SM_ALONE, AP, "T", RadioStatus::Disconnected, -90.0),
                )],
            ),
        ],
        T0,
    );
    let input = live.correlation_input(&CorrelateConfig::default());
    let cycle = live.correlation_cycle(&input, T0);
    let cause = |member: &str| reading(&input, &cycle, member).cause;
    assert_eq!(cause("subscriber:los1"), CauseHint::Fibre);
    assert_eq!(cause("subscriber:pf1"), CauseHint::Power);
    assert_eq!(cause("subscriber:dg1"), CauseHint::Power);
    assert_eq!(cause("subscriber:lo1"), CauseHint::Fibre);
    assert_eq!(cause("subscriber:rb1"), CauseHint::Other);
    assert_eq!(cause("subscriber:nc1"), CauseHint::Other);
    assert_eq!(cause("subscriber:up1"), CauseHint::None, "online: no cause");
    assert_eq!(
        cause(&format!("subscriber_module:{SM_ALONE}")),
        CauseHint::Other
    );
}

#[test]
fn last_down_causes_are_classified_by_words() {
    for (text, want) in [
        ("Dying Gasp", CauseHint::Power),
        ("dying-gasp", CauseHint::Power),
        ("POWER FAIL", CauseHint::Power),
        ("LOS", CauseHint::Fibre),
        ("LOSi", CauseHint::Fibre),
        ("LOBi", CauseHint::Fibre),
        ("LOFi(ONU 3)", CauseHint::Fibre),
        ("fiber cut", CauseHint::Fibre),
        ("Fibre", CauseHint::Fibre),
        ("session closed", CauseHint::Other),
        ("", CauseHint::Other),
    ] {
        assert_eq!(down_cause(text), want, "{text:?}");
    }
}

#[test]
fn devices_and_open_alarms_of_groups() {
    let mut live = built();
    live.apply(
        "agent-a",
        &[
            run(
                "ping",
                T0 + 1_000,
                vec![labelled(
                    obs("olt", T0 + 1_000, reach("10.0.0.1", false)),
                    crate::ENTITY_LABEL,
                    "olt:olt-1",
                )],
            ),
            run(
                "smartolt",
                T0 + 1_000,
                vec![
                    alarm(
                        EntityKind::PonPort,
                        "olt-1/0/1",
                        "smartolt_outage_pon",
                        "PON 0/1 listed as an outage PON (LOS)",
                        None,
                    ),
                    alarm(
                        EntityKind::Olt,
                        "olt-1",
                        "smartolt_outage_pon",
                        "PON 0/2 outage: Dying Gasp",
                        None,
                    ),
                    alarm(EntityKind::Olt, "olt-1", "fan_fail", "fan 2 stopped", None),
                    alarm(
                        EntityKind::Splitter,
                        "cto-1",
                        "smartolt_outage_pon",
                        "over",
                        Some(T0 + 500),
                    ),
                ],
            ),
        ],
        T0 + 1_000,
    );
    let input = live.correlation_input(&CorrelateConfig::default());
    let cycle = live.correlation_cycle(&input, T0 + 2_000);
    let topology = input.topology();
    let group = |id: &str| topology.group(id).expect("group");
    let olt = &cycle.devices[group("olt:olt-1") as usize];
    assert_eq!(olt.state, LayerState::Down);
    assert_eq!(olt.since_ms, T0 + 1_000);
    assert_eq!(olt.reason, "3 of 3 echoes lost");
    assert_eq!(source_key(&cycle, olt.source), Some("agent-a/ping"));
    // Groups never observed in a state.
    assert_eq!(
        cycle.devices[group("pon_port:olt-1/0/1") as usize].state,
        LayerState::Absent
    );

    let mut evidence: Vec<(String, CauseHint, &str)> = cycle
        .evidence
        .iter()
        .map(|e| {
            (
                topology.groups[e.group as usize].id.clone(),
                e.cause,
                e.text.as_str(),
            )
        })
        .collect();
    evidence.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
    assert_eq!(
        evidence,
        [
            (
                "olt:olt-1".to_owned(),
                CauseHint::Power,
                "smartolt: PON 0/2 outage: Dying Gasp"
            ),
            (
                "olt:olt-1".to_owned(),
                CauseHint::Other,
                "smartolt: fan 2 stopped"
            ),
            (
                "pon_port:olt-1/0/1".to_owned(),
                CauseHint::Fibre,
                "smartolt: PON 0/1 listed as an outage PON (LOS)"
            ),
        ],
        "the cleared alarm on the splitter is not evidence"
    );
}

#[test]
fn source_rows_are_the_latest_and_the_median_per_probe_summed() {
    let mut live = live();
    let hosts = |at: u64, n: u32| {
        (0..n)
            .map(|i| obs("h", at, reach(&format!("10.0.1.{i}"), true)))
            .collect::<Vec<_>>()
    };
    for i in 0..8u64 {
        let at = T0 + i * 30_000;
        let mut other = run("ping", at, hosts(at, 5));
        other.probe = "ping-core".to_owned();
        live.apply("agent-a", &[run("ping", at, hosts(at, 100)), other], at);
    }
    let view = |live: &LiveState| {
        live.sources()
            .into_iter()
            .find(|s| s.plugin_id == "ping")
            .expect("ping source")
    };
    let steady = view(&live);
    assert_eq!((steady.rows_last, steady.rows_usual), (105, 105));
    // A short run of one probe shows in the last count; the usual stays (the median).
    let at = T0 + 8 * 30_000;
    live.apply("agent-a", &[run("ping", at, hosts(at, 10))], at);
    let short = view(&live);
    assert_eq!((short.rows_last, short.rows_usual), (15, 105));
    // A failed run counts nothing.
    live.apply(
        "agent-a",
        &[crate::testing::fixtures::outcome_run(
            "ping",
            at + 1,
            vigia_core::run::RunOutcome::Fault {
                kind: vigia_core::run::FaultKind::Timeout,
                message: "budget".into(),
            },
        )],
        at + 1,
    );
    assert_eq!((view(&live).rows_last, view(&live).rows_usual), (15, 105));
    let input = live.correlation_input(&CorrelateConfig::default());
    let cycle = live.correlation_cycle(&input, at + 2);
    assert_eq!(cycle.sources.len(), 1);
    let source = &cycle.sources[0];
    assert_eq!(source.key, "agent-a/ping");
    assert_eq!(source.last_success_ms, Some(at));
    assert_eq!((source.rows_last, source.rows_usual), (15, 105));
}

// === last up ===

#[test]
fn last_up_is_the_latest_up_or_degraded_observation() {
    let mut live = live();
    let ping = |at: u64, up: bool| run("ping", at, vec![obs("h", at, reach("10.0.0.1", up))]);
    let last_up = |live: &LiveState| live.entity("host:10.0.0.1").unwrap().last_up_ms;
    live.apply("a", &[ping(T0, false)], T0);
    assert_eq!(last_up(&live), None, "never up");
    live.apply("a", &[ping(T0 + 1_000, true)], T0 + 1_000);
    assert_eq!(last_up(&live), Some(T0 + 1_000));
    live.apply("a", &[ping(T0 + 2_000, true)], T0 + 2_000);
    assert_eq!(last_up(&live), Some(T0 + 2_000), "confirmed up again");
    live.apply("a", &[ping(T0 + 3_000, false)], T0 + 3_000);
    assert_eq!(last_up(&live), Some(T0 + 2_000));
    // A late up observation (older than the down) changes nothing.
    live.apply("a", &[ping(T0 + 2_500, true)], T0 + 4_000);
    assert_eq!(last_up(&live), Some(T0 + 2_000));
    // Degraded counts as up.
    let weak = |at: u64| {
        run(
            "smartolt",
            at,
            vec![obs(
                "acct",
                at,
                crate::testing::fixtures::onu(
                    "hwtc31",
                    "olt-9",
                    1,
                    OnuStatus::Online,
                    None,
                    Some(-29.5),
                ),
            )],
        )
    };
    live.apply("a", &[weak(T0 + 5_000)], T0 + 5_000);
    let onu = live.entity("onu:HWTC31").unwrap();
    assert_eq!(onu.state.state, crate::State::Degraded);
    assert_eq!(onu.last_up_ms, Some(T0 + 5_000));
}
