//! The agent data path end to end (issue 3's checks (a)-(f)): the real agent and aggregator
//! binaries in separate network namespaces, the agent pinging targets in a third one. Every test
//! runs twice: with the aggregator on its embedded SQLite store and on PostgreSQL.
//! Run as root (`cargo xtask test` does); every test fails loudly without root.

use std::time::Duration;

use vigia_e2e::deployment::pki;
use vigia_e2e::{AGENT_ID, AgentSettings, Backend, Deployment, assert_delivered, wait_until};

const T: Duration = Duration::from_secs(60);

/// One `#[test]` per case and backend: `sqlite::<case>` and `postgres::<case>`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $case() {
                super::$case(vigia_e2e::Backend::Sqlite)
            })*
        }
        mod postgres {
            $(#[test]
            fn $case() {
                super::$case(vigia_e2e::Backend::postgres())
            })*
        }
    };
}

on_both_backends!(
    an_agent_killed_under_load_loses_nothing_it_spooled_and_duplicates_nothing,
    after_an_aggregator_outage_the_backlog_replays_behind_live_results,
    a_partition_delays_results_but_loses_none,
    a_full_spool_drops_the_oldest_and_keeps_running,
    a_corrupt_spool_is_quarantined_and_reported,
    wrong_ca_expired_and_unknown_agent_certificates_are_refused,
);

/// (a) `kill -9` of the agent under load, then a restart: every spooled result arrives, none
/// twice.
fn an_agent_killed_under_load_loses_nothing_it_spooled_and_duplicates_nothing(backend: Backend) {
    let d = Deployment::create(backend);
    let _aggregator = d.start_aggregator(&[AGENT_ID]);
    let load = AgentSettings {
        targets: "10.251.0.0/21".into(),
        ..AgentSettings::default()
    };
    let agent = d.start_agent(AGENT_ID, &load, None);
    d.wait_stored(AGENT_ID, 4, T);
    // Kill it while rounds run and batches are in flight.
    d.wait_metric("vigia_agent_probe_runs_total", T, |n| n >= 8.0);
    agent.kill9();
    let before = d.stored(AGENT_ID).len();

    // Restarted, it resends what was not acked and stops by itself after 3 rounds, draining.
    let mut again = d.start_agent(AGENT_ID, &load, Some(3));
    wait_until("the restarted agent to finish its rounds", T, || {
        (!again.is_running()).then_some(())
    });
    let spool = d.spool_state();
    assert_eq!(
        spool.left,
        Vec::<u64>::new(),
        "the restarted agent delivered everything before stopping"
    );
    let rows = d.stored(AGENT_ID);
    assert!(
        rows.len() > before,
        "the restarted agent delivered new batches"
    );
    assert!(
        rows.iter().all(|r| r.epoch == spool.epoch),
        "one epoch: the spool survived"
    );
    assert_delivered(&rows, &spool, 1);
}

/// (b) The aggregator down for a while: the backlog replays after it returns, paced, while live
/// results keep flowing ahead of it.
fn after_an_aggregator_outage_the_backlog_replays_behind_live_results(backend: Backend) {
    let d = Deployment::create(backend);
    let aggregator = d.start_aggregator(&[AGENT_ID]);
    let settings = AgentSettings {
        backlog_rate: 2,
        ..AgentSettings::default()
    };
    let agent = d.start_agent(AGENT_ID, &settings, None);
    d.wait_stored(AGENT_ID, 2, T);
    aggregator.kill9();
    // Results pile up while the aggregator is away.
    d.wait_metric("vigia_agent_spool_records", T, |n| n >= 16.0);
    let outage_ended_at = unix_ms();
    let _aggregator = d.start_aggregator(&[AGENT_ID]);
    d.wait_metric("vigia_agent_spool_records", Duration::from_secs(120), |n| {
        n == 0.0
    });
    let rows = d.stored(AGENT_ID);
    let backlog: Vec<_> = rows.iter().filter(|r| !r.live).collect();
    let live_after: Vec<_> = rows
        .iter()
        .filter(|r| r.live && r.received_at_ms >= outage_ended_at)
        .collect();
    assert!(
        backlog.len() >= 14,
        "the backlog was replayed: {}",
        backlog.len()
    );
    let last_backlog = backlog
        .iter()
        .map(|r| r.received_at_ms)
        .max()
        .expect("backlog");
    assert!(
        live_after.iter().any(|r| r.received_at_ms < last_backlog),
        "live results arrived while the backlog was still replaying"
    );
    // Paced: 2 batches/s, so the replay took at least a few seconds.
    let first_backlog = backlog
        .iter()
        .map(|r| r.received_at_ms)
        .min()
        .expect("backlog");
    assert!(
        last_backlog - first_backlog >= 4_000,
        "backlog replay was paced ({} ms for {} batches)",
        last_backlog - first_backlog,
        backlog.len()
    );
    agent.kill9();
    assert_delivered(&d.stored(AGENT_ID), &d.spool_state(), 1);
}

/// (c) A network partition (nftables drops everything between agent and aggregator): results
/// wait in the spool and are delivered once it heals.
fn a_partition_delays_results_but_loses_none(backend: Backend) {
    let d = Deployment::create(backend);
    let _aggregator = d.start_aggregator(&[AGENT_ID]);
    let agent = d.start_agent(AGENT_ID, &AgentSettings::default(), None);
    d.wait_stored(AGENT_ID, 2, T);
    d.lab.partition();
    d.wait_metric("vigia_agent_spool_records", T, |n| n >= 8.0);
    let during = d.stored(AGENT_ID).len();
    d.lab.heal();
    d.wait_metric("vigia_agent_spool_records", Duration::from_secs(180), |n| {
        n == 0.0
    });
    assert!(
        d.stored(AGENT_ID).len() >= during + 8,
        "the spooled results arrived"
    );
    agent.kill9();
    assert_delivered(&d.stored(AGENT_ID), &d.spool_state(), 1);
}

/// (d) A full spool drops its oldest results, counts them, and the agent keeps running.
fn a_full_spool_drops_the_oldest_and_keeps_running(backend: Backend) {
    let d = Deployment::create(backend);
    let settings = AgentSettings {
        spool_megabytes: 1,
        ..AgentSettings::default()
    };
    let mut agent = d.start_agent(AGENT_ID, &settings, None);
    let dropped = d.wait_metric("vigia_agent_spool_dropped_total", T, |n| n > 0.0);
    assert!(agent.is_running());
    let bytes = d.agent_metric("vigia_agent_spool_bytes").expect("metric");
    assert!(bytes <= 1024.0 * 1024.0, "spool within its bound: {bytes}");
    let _aggregator = d.start_aggregator(&[AGENT_ID]);
    d.wait_metric("vigia_agent_spool_records", T, |n| n == 0.0);
    assert!(agent.is_running());
    agent.kill9();
    let rows = d.stored(AGENT_ID);
    let spool = d.spool_state();
    // What was dropped never arrives; everything after it does: the stored sequences start
    // after the dropped ones and have no other gap.
    let first = rows.iter().map(|r| r.seq).min().expect("rows");
    assert!(
        first as f64 > dropped,
        "sequences 1..{first} were dropped ({dropped} counted)"
    );
    assert_delivered(&rows, &spool, first);
}

/// (e) A corrupt spool is moved aside at start; the agent runs and reports it to the aggregator.
fn a_corrupt_spool_is_quarantined_and_reported(backend: Backend) {
    let d = Deployment::create(backend);
    let agent = d.start_agent(AGENT_ID, &AgentSettings::default(), None);
    d.wait_metric("vigia_agent_spool_records", T, |n| n >= 2.0);
    agent.terminate(Duration::from_secs(30));
    for name in ["conf", "db"] {
        let path = d.spool_dir().join(name);
        let mut bytes = std::fs::read(&path).expect("sled file");
        for b in bytes.iter_mut().take(4096) {
            *b = 0xA5;
        }
        std::fs::write(&path, bytes).expect("corrupt it");
    }
    let mut agent = d.start_agent(AGENT_ID, &AgentSettings::default(), None);
    d.wait_metric("vigia_agent_spool_quarantined_at_start", T, |n| n == 1.0);
    assert!(agent.is_running());
    assert!(agent.log().contains("the spool was corrupt"));
    let moved = std::fs::read_dir(d.spool_dir().parent().expect("state dir"))
        .expect("state dir")
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("spool.quarantined-")
        });
    assert!(moved, "the corrupt spool was kept aside");
    let _aggregator = d.start_aggregator(&[AGENT_ID]);
    let rows = d.wait_stored(AGENT_ID, 1, T);
    let reported = rows.iter().flat_map(|r| &r.results).any(|r| {
        r.probe == "vigia-agent" && format!("{:?}", r.outcome).contains("agent.spool_quarantined")
    });
    assert!(
        reported,
        "the aggregator received the spool-quarantine alarm"
    );
}

/// (f) Certificates from another CA, expired ones and unknown agent ids are refused, while the
/// good agent keeps delivering.
fn wrong_ca_expired_and_unknown_agent_certificates_are_refused(backend: Backend) {
    let d = Deployment::create(backend);
    let _aggregator = d.start_aggregator(&[AGENT_ID, "expired-agent"]);
    let good = d.start_agent(AGENT_ID, &AgentSettings::default(), None);
    let other_ca = d.dir.path().join("other-ca");
    let other = other_ca.to_str().expect("utf-8");
    pki(&["init", "--dir", other]);
    pki(&["issue-agent", "--dir", other, "--id", "rogue-agent"]);
    let pki_dir = d.pki.to_str().expect("utf-8");
    pki(&[
        "issue-agent",
        "--dir",
        pki_dir,
        "--id",
        "expired-agent",
        "--days",
        "0",
    ]);
    pki(&["issue-agent", "--dir", pki_dir, "--id", "unknown-agent"]);
    let cases = [
        ("rogue-agent", other_ca.clone()),
        ("expired-agent", d.pki.clone()),
        ("unknown-agent", d.pki.clone()),
    ];
    for (port, (id, dir)) in (9471..).zip(cases) {
        let settings = AgentSettings {
            identity: Some((
                dir.join(format!("agent-{id}.pem")),
                dir.join(format!("agent-{id}.key")),
            )),
            metrics_port: port,
            ..AgentSettings::default()
        };
        let mut bad = d.start_agent(id, &settings, None);
        d.wait_metric_at(port, "vigia_agent_uplink_connect_attempts_total", T, |n| {
            n >= 2.0
        });
        assert_eq!(
            d.agent_metric_at(port, "vigia_agent_uplink_connects_total"),
            Some(0.0),
            "{id}"
        );
        assert!(
            bad.is_running(),
            "{id}: a refused agent keeps running and retrying"
        );
        assert!(d.stored(id).is_empty(), "{id}: nothing stored");
        bad.terminate(Duration::from_secs(30));
    }
    drop(good);
    assert!(!d.stored(AGENT_ID).is_empty(), "the good agent delivered");
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
