//! The mikrotik plugin (wasm, in the real plugin host) against the simulated concentrators: the
//! sessions and secrets it reports match the world, on the current and the legacy login, and
//! disconnects and vendor outages come out as the plugin documents.

mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use vigia_core::{ErrorClass, Observation, ObservationKind, PppoeSession};
use vigia_plugin_host::{Grants, PluginHost};
use vigia_sim::world::{Vendor, VendorMode};
use vigia_sim::{Fault, Running, Sim};

const SECRET: &str = "routeros-api";

fn secrets(sim: &Sim) -> Vec<(&'static str, String)> {
    vec![(SECRET, sim.scenario().credentials.routeros_password.clone())]
}

fn host(sim: &Sim) -> PluginHost {
    let secrets = secrets(sim);
    let pairs: Vec<(&str, &str)> = secrets.iter().map(|(k, v)| (*k, v.as_str())).collect();
    support::host(&pairs)
}

fn config(sim: &Sim, extra: Value) -> Value {
    let mut config = json!({
        "user": sim.scenario().credentials.routeros_user,
        "password_secret": SECRET,
        "read": ["sessions", "secrets"],
        "timezone_offset_minutes": sim.scenario().timezone_offset_minutes,
        "timeout_ms": 3000,
        "run_budget_ms": 10000,
    });
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    config
}

fn address(running: &Running, concentrator: &str) -> String {
    running
        .addr(&format!("routeros:{concentrator}"))
        .expect("the concentrator's API is served")
        .to_string()
}

fn grants(address: &str) -> Grants {
    Grants {
        tcp: vec![address.to_owned()],
        secrets: vec![SECRET.to_owned()],
        kv: true,
        ..Grants::default()
    }
}

/// Runs the plugin once on one concentrator.
async fn run(
    host: &PluginHost,
    running: &Running,
    concentrator: &str,
    config: Value,
) -> Vec<Observation> {
    let plugin = support::load(host, "mikrotik").await;
    let address = address(running, concentrator);
    let report = support::run(
        host,
        &plugin,
        config,
        &[(concentrator, address.as_str())],
        grants(&address),
    )
    .await;
    support::completed(report)
}

/// The session observations by login (with their `source` label).
fn sessions(observations: &[Observation]) -> BTreeMap<String, (PppoeSession, String)> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::PppoeSession(session) => {
                let source = o
                    .labels
                    .iter()
                    .find(|(key, _)| key == "source")
                    .map(|(_, value)| value.clone())
                    .unwrap_or_default();
                Some((session.login.clone(), (session.clone(), source)))
            }
            _ => None,
        })
        .collect()
}

fn failures(observations: &[Observation]) -> Vec<(ErrorClass, String)> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Failure(error) => Some((error.class, error.message.clone())),
            _ => None,
        })
        .collect()
}

/// Checks one run against the world: every session online with its address and MAC, every
/// subscriber without a session offline with the router's last logout and reason.
fn assert_matches_world(sim: &Sim, concentrator: &str, observations: &[Observation]) {
    assert_eq!(failures(observations), [], "no failures");
    let seen = sessions(observations);
    let world = sim.world();
    let index = world
        .concentrators
        .iter()
        .position(|c| c.id == concentrator)
        .unwrap();
    let mut online = 0;
    for sub in world.subscribers.iter().filter(|s| s.concentrator == index) {
        let (session, source) = seen
            .get(&sub.login)
            .unwrap_or_else(|| panic!("{} is not reported", sub.login));
        assert_eq!(session.concentrator, concentrator);
        match &sub.live.session {
            Some(live) => {
                online += 1;
                assert!(session.online, "{}: online", sub.login);
                assert_eq!(source, "active");
                assert_eq!(session.address, Some(sub.cpe_ip.to_string()));
                assert_eq!(session.caller_id.as_deref(), Some(sub.cpe_mac.as_str()));
                let since = (live.since.unix_timestamp() * 1000) as u64;
                let got = session.since_ms.expect("a start from the uptime");
                assert!(
                    got.abs_diff(since) <= 2_000,
                    "{}: since {got} vs {since}",
                    sub.login
                );
            }
            None => {
                assert!(!session.online, "{}: offline", sub.login);
                assert_eq!(source, "secret");
                assert_eq!(
                    session.last_disconnect_reason.as_deref(),
                    sub.live.last_disconnect_reason
                );
                let logout = sub
                    .live
                    .last_logout
                    .map(|t| (t.unix_timestamp() * 1000) as u64);
                assert_eq!(session.since_ms, logout, "{}: last-logged-out", sub.login);
            }
        }
    }
    assert_eq!(
        seen.len(),
        world
            .subscribers
            .iter()
            .filter(|s| s.concentrator == index)
            .count()
    );
    let metric = observations.iter().find_map(|o| match &o.kind {
        ObservationKind::Metric(m) if m.name == "pppoe_sessions_online" => Some(m.value),
        _ => None,
    });
    assert_eq!(metric, Some(f64::from(online)));
    // The router sends secrets with their passwords; none reaches an observation.
    let text = serde_json::to_string(observations).unwrap();
    for sub in world.subscribers.iter().filter(|s| s.concentrator == index) {
        assert!(!text.contains(&format!("\"{}\"", sub.password)));
    }
}

#[tokio::test]
async fn sessions_and_secrets_match_the_world_on_both_login_forms() {
    let (sim, running) = support::serve_example().await;
    let host = host(&sim);
    // 7.16: the current login; ISO dates.
    let centro = run(&host, &running, "bng-centro", config(&sim, json!({}))).await;
    assert_matches_world(&sim, "bng-centro", &centro);
    // 6.42.12: the plugin falls back to the challenge; v6 dates.
    let norte = run(&host, &running, "bng-norte", config(&sim, json!({}))).await;
    assert_matches_world(&sim, "bng-norte", &norte);
}

#[tokio::test]
async fn a_cut_pon_turns_its_logins_offline_with_the_routers_reason() {
    let (sim, running) = support::serve_example().await;
    let host = host(&sim);
    let sessions_only =
        |listen_ms: u32| config(&sim, json!({"read": ["sessions"], "listen_ms": listen_ms}));

    // Run A: the snapshot of who is online.
    let a = run(&host, &running, "bng-centro", sessions_only(0)).await;
    assert_eq!(failures(&a), []);
    let fault_at = time::OffsetDateTime::now_utc();
    sim.inject(Fault::PonCut {
        pon: "olt-centro/1/1".into(),
    })
    .unwrap();
    let cut: Vec<String> = {
        let world = sim.world();
        let pon = world.pon_index("olt-centro/1/1").unwrap();
        world
            .subscribers
            .iter()
            .filter(|s| s.onu().is_some_and(|o| o.pon == pon) && !s.churned)
            .map(|s| s.login.clone())
            .collect()
    };
    assert!(cut.len() > 10);

    // Run B, listening: the print no longer has them; the snapshot says they were online.
    let b = run(&host, &running, "bng-centro", sessions_only(1500)).await;
    assert_eq!(failures(&b), [], "listen and cancel end cleanly");
    let seen = sessions(&b);
    for login in &cut {
        let (session, source) = &seen[login];
        assert!(!session.online, "{login} offline after the cut");
        assert_eq!(source, "snapshot");
    }
    assert_eq!(
        seen.values().filter(|(s, _)| !s.online).count(),
        cut.len(),
        "only the cut PON went offline"
    );

    // Run C, with secrets: the router's reason and logout time.
    let c = run(&host, &running, "bng-centro", config(&sim, json!({}))).await;
    let seen = sessions(&c);
    let after = (fault_at.unix_timestamp() * 1000) as u64;
    for login in &cut {
        let (session, source) = &seen[login];
        assert_eq!(source, "secret");
        assert_eq!(session.last_disconnect_reason.as_deref(), Some("hung-up"));
        let since = session.since_ms.expect("last-logged-out");
        assert!(since + 1_000 >= after, "{login}: logged out at the cut");
    }
    assert_matches_world(&sim, "bng-centro", &c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_during_the_listen_arrives_pushed_with_its_reason() {
    let (sim, running) = support::serve_example().await;
    let host = host(&sim);
    // Run A leaves the snapshot, so run B's print is the only other source.
    let a = run(
        &host,
        &running,
        "bng-centro",
        config(&sim, json!({"read": ["sessions"]})),
    )
    .await;
    assert_eq!(failures(&a), []);
    assert_eq!(sim.followers(), 0, "no listen open yet");

    let listening = config(&sim, json!({"read": ["sessions"], "listen_ms": 8000}));
    let run_b = tokio::spawn({
        let (host, running) = (host.clone(), running.addr("routeros:bng-centro"));
        async move {
            let plugin = support::load(&host, "mikrotik").await;
            let address = running.expect("served").to_string();
            let report = support::run(
                &host,
                &plugin,
                listening,
                &[("bng-centro", address.as_str())],
                grants(&address),
            )
            .await;
            support::completed(report)
        }
    });
    // The plugin's listen subscribes to the world's changes: wait for it (bounded).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while sim.followers() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the plugin never opened its listen"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    sim.inject(Fault::SubscriberLos {
        login: "joao.silva".into(),
    })
    .unwrap();
    let b = run_b.await.expect("run B");
    assert_eq!(failures(&b), [], "listen and cancel end cleanly");
    let (session, source) = &sessions(&b)["joao.silva"];
    assert!(
        !session.online,
        "joao's session end was pushed during the listen"
    );
    assert_eq!(source, "listen");
    let others_offline = sessions(&b).values().filter(|(s, _)| !s.online).count();
    assert_eq!(others_offline, 1, "only joao went offline");
}

#[tokio::test]
async fn outages_and_refused_logins_are_classified_failures() {
    let (sim, running) = support::serve_example().await;
    let host = host(&sim);

    let wrong = support::host(&[(SECRET, "not-the-password")]);
    let refused = run(&wrong, &running, "bng-centro", config(&sim, json!({}))).await;
    assert_eq!(
        failures(&refused).first().map(|f| f.0),
        Some(ErrorClass::Auth)
    );
    let refused = run(&wrong, &running, "bng-norte", config(&sim, json!({}))).await;
    assert_eq!(
        failures(&refused).first().map(|f| f.0),
        Some(ErrorClass::Auth),
        "legacy too"
    );

    let down = sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Routeros,
            mode: VendorMode::Down,
            delay_ms: 0,
        })
        .unwrap();
    let observations = run(&host, &running, "bng-centro", config(&sim, json!({}))).await;
    assert_eq!(
        failures(&observations)
            .iter()
            .map(|f| f.0)
            .collect::<Vec<_>>(),
        [ErrorClass::Unreachable],
        "{observations:?}"
    );
    assert!(sessions(&observations).is_empty());
    assert!(sim.repair(down));

    sim.inject(Fault::VendorOutage {
        vendor: Vendor::Routeros,
        mode: VendorMode::Hang,
        delay_ms: 0,
    })
    .unwrap();
    let observations = run(
        &host,
        &running,
        "bng-centro",
        config(&sim, json!({"timeout_ms": 500})),
    )
    .await;
    assert_eq!(
        failures(&observations)
            .iter()
            .map(|f| f.0)
            .collect::<Vec<_>>(),
        [ErrorClass::Timeout]
    );
}
