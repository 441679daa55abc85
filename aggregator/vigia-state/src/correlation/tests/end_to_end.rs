//! A correlator fed from the live state, cycle after cycle.

use super::*;

/// 4 PONs of 8 ONUs (with logins) on one OLT, all sessions on one concentrator.
fn pon_network(at: u64, pon1_onus: OnuStatus, pon1_sessions: bool) -> Vec<RunResult> {
    let mut onus = Vec::new();
    let mut sessions = Vec::new();
    for i in 0..32u32 {
        let port = i / 8 + 1;
        let login = format!("cli{i:02}");
        let status = if port == 1 {
            pon1_onus
        } else {
            OnuStatus::Online
        };
        onus.push(obs(
            "acct",
            at,
            onu(
                &format!("hwtc{i:04}"),
                port,
                None,
                status,
                Some(&login),
                None,
            ),
        ));
        let online = port != 1 || pon1_sessions;
        sessions.push(obs("bng", at, pppoe(&login, "bng-1", online)));
    }
    vec![run("smartolt", at, onus), run("mikrotik", at, sessions)]
}

/// A correlator fed from a live state every cycle, rebuilding the topology only when it moved.
struct Harness {
    config: CorrelateConfig,
    correlator: Correlator,
    input: crate::CorrelationInput,
    opened: Vec<String>,
}

impl Harness {
    fn new(live: &LiveState) -> Self {
        let config = CorrelateConfig::default();
        Self {
            correlator: Correlator::new(config.clone()),
            input: live.correlation_input(&config),
            config,
            opened: Vec::new(),
        }
    }

    /// One cycle at `now`; the active events after it.
    fn step(&mut self, live: &LiveState, now: u64) -> Vec<vigia_correlate::Event> {
        if self.input.version() != live.topology_version() {
            self.input = live.correlation_input(&self.config);
        }
        let cycle = live.correlation_cycle(&self.input, now);
        let output = self.correlator.cycle(self.input.topology(), &cycle);
        self.opened.extend(
            output
                .notices
                .iter()
                .filter(|n| n.kind == vigia_correlate::NoticeKind::Opened)
                .map(|n| n.event.root.clone()),
        );
        self.correlator.active().cloned().collect()
    }
}

#[test]
fn a_correlator_fed_from_the_live_state_opens_a_pon_outage_when_sessions_drop() {
    let mut live = live();
    let mut harness = Harness::new(&live);
    live.apply("agent-a", &pon_network(T0, OnuStatus::Online, true), T0);
    live.apply(
        "agent-a",
        &pon_network(T0 + 30_000, OnuStatus::Online, true),
        T0 + 30_000,
    );
    for now in (T0..T0 + 44_000).step_by(2_000) {
        assert!(harness.step(&live, now).is_empty(), "all up at {now}");
    }
    assert_eq!(harness.input.topology().members.len(), 32);
    // PON 1's sessions drop (the whole session list comes, so the source is not short).
    let drop = T0 + 45_000;
    live.apply(
        "agent-a",
        &[pon_network(drop, OnuStatus::Online, false).remove(1)],
        drop,
    );
    assert!(harness.step(&live, drop + 1_000).is_empty(), "hysteresis");
    let active = harness.step(&live, drop + 3_000);
    assert_eq!(active.len(), 1, "{active:#?}");
    let event = &active[0];
    assert_eq!(event.kind, EventKind::MassOutage);
    assert_eq!(event.root, "pon_port:olt-1/0/1");
    assert_eq!(event.affected.len(), 8);
    assert_eq!(harness.opened, ["pon_port:olt-1/0/1"]);
    // SmartOLT's next poll shows the ONUs in LOS: the cause is a fibre cut.
    let poll = T0 + 60_000;
    live.apply(
        "agent-a",
        &[pon_network(poll, OnuStatus::Los, false).remove(0)],
        poll,
    );
    let active = harness.step(&live, poll + 1_000);
    assert_eq!(active.len(), 1, "{active:#?}");
    assert_eq!(active[0].root, "pon_port:olt-1/0/1");
    assert_eq!(active[0].cause, Cause::Fibre);
    assert_eq!(harness.opened.len(), 1, "one event, no duplicate");
}
