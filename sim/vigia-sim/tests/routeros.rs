//! The simulated RouterOS API: an independent client (librouteros, Python) against it, then the
//! protocol case by case over raw sentences.

#[path = "routeros/client.rs"]
mod client;
mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use client::{Client, REPLY_WAIT, kinds};
use serde_json::Value;
use vigia_routeros::{Query, Reply, ReplyKind, Request, login};
use vigia_sim::world::{Vendor, VendorMode};
use vigia_sim::{Fault, Running, Sim};

/// What the world says `/ppp/active` of a concentrator holds: login → (.id, address, caller-id).
fn world_sessions(sim: &Sim, concentrator: &str) -> BTreeMap<String, (String, String, String)> {
    let world = sim.world();
    let index = world
        .concentrators
        .iter()
        .position(|c| c.id == concentrator)
        .expect("a concentrator of the example");
    world
        .subscribers
        .iter()
        .filter(|s| s.concentrator == index)
        .filter_map(|s| {
            let session = s.live.session.as_ref()?;
            Some((
                s.login.clone(),
                (
                    format!("*{:X}", session.id),
                    s.cpe_ip.to_string(),
                    s.cpe_mac.clone(),
                ),
            ))
        })
        .collect()
}

fn credentials(sim: &Sim) -> (String, String) {
    let c = &sim.scenario().credentials;
    (c.routeros_user.clone(), c.routeros_password.clone())
}

fn router(running: &Running, id: &str) -> SocketAddr {
    running
        .addr(&format!("routeros:{id}"))
        .expect("the concentrator's API is served")
}

async fn logged_in(sim: &Sim, addr: SocketAddr) -> Client {
    let (user, password) = credentials(sim);
    let mut client = Client::connect(addr).await;
    client.login(&user, &password).await;
    client
}

fn rows(replies: &[Reply]) -> Vec<&Reply> {
    replies.iter().filter(|r| r.kind == ReplyKind::Re).collect()
}

// === librouteros ===

const LIBROUTEROS_SCRIPT: &str = r#"
import json, sys
import librouteros
from librouteros.exceptions import TrapError
from librouteros.login import plain, token
from librouteros.query import Key

host, port, user, password, method, login = sys.argv[1:7]
api = librouteros.connect(host, user, password, port=int(port), timeout=5,
                          login_method=plain if method == "plain" else token)
out = {}
try:
    out["active"] = list(api.path("ppp", "active"))
    name = Key("name")
    out["one"] = list(api.path("ppp", "active").select(Key(".id"), name).where(name == login))
    out["identity"] = list(api.path("system", "identity"))
except TrapError as error:
    out["trap"] = error.message
api.close()
print(json.dumps(out))
"#;

/// Runs the librouteros script against `addr`; its JSON output.
async fn librouteros(addr: SocketAddr, sim: &Sim, method: &str, login: &str) -> Value {
    let python = support::root().join("target/pyenv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: `cargo xtask test` creates it (python3 -m venv target/pyenv, then pip \
         install the packages pinned in xtask/src/pyenv.rs)",
        python.display()
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let script = dir.path().join("ros.py");
    std::fs::write(&script, LIBROUTEROS_SCRIPT).expect("the script is written");
    let (user, password) = credentials(sim);
    let run = tokio::process::Command::new(python)
        .arg(&script)
        .args([
            addr.ip().to_string(),
            addr.port().to_string(),
            user,
            password,
            method.to_owned(),
            login.to_owned(),
        ])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("librouteros finishes in time")
        .expect("python runs");
    assert!(
        output.status.success(),
        "librouteros failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

/// The active sessions librouteros lists, as login → (.id, address, caller-id).
fn listed(out: &Value) -> BTreeMap<String, (String, String, String)> {
    let text = |row: &Value, name: &str| row[name].as_str().map(str::to_owned);
    out["active"]
        .as_array()
        .expect("a list of sessions")
        .iter()
        .map(|row| {
            assert_eq!(row["service"], "pppoe");
            assert_eq!(
                row["radius"], false,
                "librouteros reads `false` as a boolean"
            );
            (
                text(row, "name").expect("a name"),
                (
                    text(row, ".id").expect("an id"),
                    text(row, "address").expect("an address"),
                    text(row, "caller-id").expect("a caller id"),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn librouteros_lists_the_sessions_of_the_world() {
    let (sim, running) = support::serve_example().await;
    let out = librouteros(router(&running, "bng-centro"), &sim, "plain", "joao.silva").await;
    let expected = world_sessions(&sim, "bng-centro");
    assert!(
        expected.len() > 100,
        "the example's centro has its sessions"
    );
    assert_eq!(listed(&out), expected);
    let joao = &expected["joao.silva"];
    assert_eq!(
        out["one"],
        serde_json::json!([{".id": joao.0, "name": "joao.silva"}]),
        "`?=name=` query and `.proplist`"
    );
    assert_eq!(out["identity"][0]["name"], "bng-centro");
}

#[tokio::test]
async fn librouteros_token_login_works_on_the_legacy_router_and_plain_does_not() {
    let (sim, running) = support::serve_example().await;
    let norte = router(&running, "bng-norte");
    let out = librouteros(norte, &sim, "token", "ana.pereira").await;
    assert_eq!(listed(&out), world_sessions(&sim, "bng-norte"));
    assert_eq!(out["one"][0]["name"], "ana.pereira");
    // A pre-6.43 router answers the current login with a challenge, which librouteros's plain
    // login takes for success: the session is not logged in.
    let out = librouteros(norte, &sim, "plain", "ana.pereira").await;
    assert_eq!(out["trap"], "not logged in");
}

// === raw protocol ===

#[tokio::test]
async fn wrong_credentials_and_commands_before_login_are_trapped() {
    let (sim, running) = support::serve_example().await;
    let (user, password) = credentials(&sim);
    let mut client = Client::connect(router(&running, "bng-centro")).await;

    let replies = client
        .call(Request::new("/ppp/active/print").tag("1"))
        .await;
    assert_eq!(kinds(&replies), [ReplyKind::Trap, ReplyKind::Done]);
    assert_eq!(replies[0].message(), Some("not logged in"));
    assert!(replies.iter().all(|r| r.tag.as_deref() == Some("1")));

    let replies = client.call(login::request(&user, "wrong")).await;
    assert_eq!(kinds(&replies), [ReplyKind::Trap, ReplyKind::Done]);
    assert_eq!(
        replies[0].message(),
        Some("invalid user name or password (6)")
    );
    let replies = client.call(login::request("admin", &password)).await;
    assert_eq!(kinds(&replies), [ReplyKind::Trap, ReplyKind::Done]);

    client.login(&user, &password).await;
    let replies = client.call(Request::new("/system/identity/print")).await;
    assert_eq!(rows(&replies)[0].get("name"), Some("bng-centro"));
}

#[tokio::test]
async fn the_legacy_router_challenges_and_checks_the_response() {
    let (sim, running) = support::serve_example().await;
    let (user, password) = credentials(&sim);
    let norte = router(&running, "bng-norte");

    let mut client = Client::connect(norte).await;
    let replies = client.call(login::request(&user, &password)).await;
    let challenge = replies[0].get("ret").expect("a challenge").to_owned();
    assert_eq!(challenge.len(), 32, "16 bytes of hex");
    let wrong = login::legacy_request(&user, "wrong", &challenge).unwrap();
    let replies = client.call(wrong).await;
    assert_eq!(kinds(&replies), [ReplyKind::Trap, ReplyKind::Done]);
    // The challenge is used up: answering it again, even rightly, is refused.
    let replay = login::legacy_request(&user, &password, &challenge).unwrap();
    assert_eq!(kinds(&client.call(replay).await)[0], ReplyKind::Trap);

    let replies = client.call(Request::new("/login")).await;
    let challenge = replies[0].get("ret").expect("a new challenge").to_owned();
    let answer = login::legacy_request(&user, &password, &challenge).unwrap();
    assert_eq!(kinds(&client.call(answer).await), [ReplyKind::Done]);
    let replies = client.call(Request::new("/system/resource/print")).await;
    assert_eq!(rows(&replies)[0].get("version"), Some("6.42.12 (stable)"));

    // v6 prints dates as `mon/dd/yyyy`; the current router as ISO.
    let secrets = client
        .call(Request::new("/ppp/secret/print").query(Query::equals("name", "ana.pereira")))
        .await;
    let out = rows(&secrets)[0].get("last-logged-out").unwrap().to_owned();
    assert!(
        out.as_bytes()[3] == b'/' && out.len() == 20,
        "v6 date: {out}"
    );
    let mut centro = logged_in(&sim, router(&running, "bng-centro")).await;
    let secrets = centro
        .call(Request::new("/ppp/secret/print").query(Query::equals("name", "joao.silva")))
        .await;
    let out = rows(&secrets)[0].get("last-logged-out").unwrap().to_owned();
    assert!(
        out.as_bytes()[4] == b'-' && out.len() == 19,
        "v7 date: {out}"
    );
}

#[tokio::test]
async fn replies_are_tagged_and_honour_proplist_and_queries() {
    let (sim, running) = support::serve_example().await;
    let mut client = logged_in(&sim, router(&running, "bng-centro")).await;
    let expected = world_sessions(&sim, "bng-centro");

    // Two commands in flight on one connection, answered in order, each with its tag.
    client
        .send(&Request::new("/system/identity/print").tag("a"))
        .await;
    client
        .send(
            &Request::new("/ppp/active/print")
                .proplist(["name"])
                .tag("b"),
        )
        .await;
    let mut replies = Vec::new();
    while replies
        .last()
        .is_none_or(|r: &Reply| !(r.kind == ReplyKind::Done && r.tag.as_deref() == Some("b")))
    {
        replies.push(client.next().await);
    }
    assert_eq!(replies[0].tag.as_deref(), Some("a"));
    assert_eq!(replies[1].kind, ReplyKind::Done);
    let names: Vec<&str> = replies[2..replies.len() - 1]
        .iter()
        .map(|r| {
            assert_eq!(r.tag.as_deref(), Some("b"));
            assert_eq!(r.attributes.len(), 1, ".proplist=name: {r:?}");
            r.get("name").unwrap()
        })
        .collect();
    assert_eq!(names.len(), expected.len());

    // `?name=x`, `?=name=x`, OR of two, NOT, absent property.
    let one = |q: Vec<Query>| {
        let mut request = Request::new("/ppp/active/print").proplist([".id", "name"]);
        for query in q {
            request = request.query(query);
        }
        request
    };
    let replies = client
        .call(one(vec![Query::equals("name", "joao.silva")]))
        .await;
    assert_eq!(rows(&replies).len(), 1);
    assert_eq!(
        rows(&replies)[0].get(".id"),
        Some(expected["joao.silva"].0.as_str())
    );
    let replies = client
        .call(one(vec![
            Query::equals("name", "joao.silva"),
            Query::equals("name", "maria.souza"),
            Query::Ops("|".into()),
        ]))
        .await;
    let mut names: Vec<&str> = rows(&replies)
        .iter()
        .map(|r| r.get("name").unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["joao.silva", "maria.souza"]);
    let replies = client
        .call(one(vec![
            Query::equals("name", "joao.silva"),
            Query::Ops("!".into()),
        ]))
        .await;
    assert_eq!(rows(&replies).len(), expected.len() - 1);
    let replies = client.call(one(vec![Query::Absent("name".into())])).await;
    assert_eq!(kinds(&replies), [ReplyKind::Done], "no !empty before 7.18");

    // Interfaces: the ports and one dynamic `<pppoe-…>` per session, counters growing.
    let interfaces = client
        .call(Request::new("/interface/print").query(Query::equals("dynamic", "true")))
        .await;
    let pppoe = rows(&interfaces);
    assert_eq!(pppoe.len(), expected.len());
    assert!(pppoe.iter().all(|r| r.get("type") == Some("pppoe-in")
        && r.get("running") == Some("true")
        && r.get("name").unwrap().starts_with("<pppoe-")));
    let uplink =
        |replies: &[Reply]| -> u64 { rows(replies)[0].get("rx-byte").unwrap().parse().unwrap() };
    let query = || Request::new("/interface/print").query(Query::equals("name", "ether1"));
    let first = uplink(&client.call(query()).await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if uplink(&client.call(query()).await) > first {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "counters stand still"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Secrets: every subscriber of the concentrator, password included (the plugin drops it).
    let secrets = client.call(Request::new("/ppp/secret/print")).await;
    let secrets = rows(&secrets);
    let world = sim.world();
    let count = world
        .subscribers
        .iter()
        .filter(|s| s.concentrator == 0)
        .count();
    assert_eq!(secrets.len(), count);
    let joao = secrets
        .iter()
        .find(|r| r.get("name") == Some("joao.silva"))
        .unwrap();
    assert_eq!(
        joao.get("password"),
        Some(world.subscriber("joao.silva").unwrap().password.as_str())
    );
}

#[tokio::test]
async fn empty_replies_from_7_18_and_unknown_commands_and_quit() {
    let mut scenario = support::example();
    scenario.concentrators[0].routeros_version = "7.19.1".into();
    let sim = Sim::new(scenario);
    let running = vigia_sim::start(sim.clone(), true).await.unwrap();
    let mut client = logged_in(&sim, router(&running, "bng-centro")).await;

    let nobody = Request::new("/ppp/active/print")
        .query(Query::equals("name", "nobody"))
        .tag("7");
    let replies = client.call(nobody).await;
    assert_eq!(kinds(&replies), [ReplyKind::Empty, ReplyKind::Done]);
    assert!(replies.iter().all(|r| r.tag.as_deref() == Some("7")));

    let replies = client.call(Request::new("/ip/nothing/print")).await;
    assert_eq!(kinds(&replies), [ReplyKind::Trap, ReplyKind::Done]);
    assert_eq!(replies[0].message(), Some("no such command prefix"));
    assert_eq!(replies[0].get("category"), Some("0"));

    client.send(&Request::new("/quit")).await;
    let mut seen = Vec::new();
    assert!(client.closes(&mut seen).await);
    assert_eq!(kinds(&seen), [ReplyKind::Fatal]);
}

#[tokio::test]
async fn listen_reports_ended_and_new_sessions_until_cancelled() {
    let (sim, running) = support::serve_example().await;
    let mut client = logged_in(&sim, router(&running, "bng-centro")).await;
    let before = world_sessions(&sim, "bng-centro");

    client
        .send(&Request::new("/ppp/active/listen").tag("L"))
        .await;
    // Requests are handled in order: once this print is done, the listen is following.
    let replies = client
        .call(Request::new("/system/identity/print").tag("P"))
        .await;
    assert_eq!(kinds(&replies), [ReplyKind::Re, ReplyKind::Done]);

    let fault = sim
        .inject(Fault::PonCut {
            pon: "olt-centro/1/1".into(),
        })
        .unwrap();
    let after = world_sessions(&sim, "bng-centro");
    let ended: Vec<&String> = before
        .iter()
        .filter(|(login, _)| !after.contains_key(*login))
        .map(|(_, (id, _, _))| id)
        .collect();
    assert!(ended.len() > 10, "the cut PON had sessions");
    let mut dead = Vec::new();
    while dead.len() < ended.len() {
        let reply = client.next().await;
        assert_eq!(reply.tag.as_deref(), Some("L"));
        assert_eq!(reply.get(".dead"), Some("yes"), "{reply:?}");
        dead.push(reply.get(".id").unwrap().to_owned());
    }
    let mut expected: Vec<String> = ended.into_iter().cloned().collect();
    expected.sort();
    dead.sort();
    assert_eq!(dead, expected);

    assert!(sim.repair(fault));
    let back = client.next().await;
    assert_eq!(back.kind, ReplyKind::Re);
    let login = back.get("name").expect("a new session's row").to_owned();
    assert!(before.contains_key(&login));
    assert_eq!(
        back.get(".id"),
        Some(world_sessions(&sim, "bng-centro")[&login].0.as_str())
    );
    assert_ne!(
        back.get(".id"),
        Some(before[&login].0.as_str()),
        "a new session"
    );

    client
        .send(&Request::new("/cancel").attribute("tag", "L").tag("C"))
        .await;
    // The rest of the new sessions, then RouterOS's ending: trap(L), done(C), done(L).
    let mut ending = Vec::new();
    loop {
        let reply = client.next().await;
        if reply.kind == ReplyKind::Re {
            assert_eq!(reply.tag.as_deref(), Some("L"));
            continue;
        }
        ending.push(reply);
        if ending.len() == 3 {
            break;
        }
    }
    let shape: Vec<(ReplyKind, Option<&str>)> =
        ending.iter().map(|r| (r.kind, r.tag.as_deref())).collect();
    assert_eq!(
        shape,
        [
            (ReplyKind::Trap, Some("L")),
            (ReplyKind::Done, Some("C")),
            (ReplyKind::Done, Some("L"))
        ]
    );
    assert_eq!(ending[0].message(), Some("interrupted"));
    assert_eq!(ending[0].get("category"), Some("2"));

    // Nothing follows a cancelled listen.
    sim.inject(Fault::PonCut {
        pon: "olt-centro/1/2".into(),
    })
    .unwrap();
    let replies = client.call(Request::new("/system/identity/print")).await;
    assert_eq!(kinds(&replies), [ReplyKind::Re, ReplyKind::Done]);
}

#[tokio::test]
async fn malformed_bytes_get_fatal_and_the_server_keeps_serving() {
    let (sim, running) = support::serve_example().await;
    let addr = router(&running, "bng-centro");

    let mut client = logged_in(&sim, addr).await;
    client.send_raw(&[0xF8, 1, 2, 3]).await;
    let mut seen = Vec::new();
    assert!(client.closes(&mut seen).await, "the connection is closed");
    assert_eq!(kinds(&seen), [ReplyKind::Fatal]);
    assert!(seen[0].message().unwrap().contains("control byte"));

    // A word over the server's limit is refused from its length alone.
    let mut client = Client::connect(addr).await;
    let mut oversized = Vec::new();
    vigia_routeros::length::encode(1 << 20, &mut oversized);
    client.send_raw(&oversized).await;
    let mut seen = Vec::new();
    assert!(client.closes(&mut seen).await);
    assert_eq!(kinds(&seen), [ReplyKind::Fatal]);

    // Not a command: trapped, the connection goes on.
    let mut client = logged_in(&sim, addr).await;
    let replies = client.call(Request::new("ppp/active/print").tag("x")).await;
    assert_eq!(kinds(&replies), [ReplyKind::Trap, ReplyKind::Done]);

    // The server still serves.
    let mut client = logged_in(&sim, addr).await;
    let replies = client.call(Request::new("/system/identity/print")).await;
    assert_eq!(kinds(&replies), [ReplyKind::Re, ReplyKind::Done]);
}

#[tokio::test]
async fn vendor_outages_close_delay_or_hang_the_api() {
    let (sim, running) = support::serve_example().await;
    let addr = router(&running, "bng-centro");
    let (user, password) = credentials(&sim);

    let down = sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Routeros,
            mode: VendorMode::Down,
            delay_ms: 0,
        })
        .unwrap();
    let mut client = Client::connect(addr).await;
    client.send(&login::request(&user, &password)).await;
    let mut seen = Vec::new();
    assert!(client.closes(&mut seen).await, "down: closed");
    assert!(seen.is_empty(), "down: no answer: {seen:?}");
    assert!(sim.repair(down));

    let mut client = logged_in(&sim, addr).await;
    let slow = sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Routeros,
            mode: VendorMode::Slow,
            delay_ms: 300,
        })
        .unwrap();
    let started = std::time::Instant::now();
    let replies = client.call(Request::new("/system/identity/print")).await;
    assert_eq!(kinds(&replies), [ReplyKind::Re, ReplyKind::Done]);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "slow: delayed"
    );
    assert!(sim.repair(slow));

    sim.inject(Fault::VendorOutage {
        vendor: Vendor::Routeros,
        mode: VendorMode::Hang,
        delay_ms: 0,
    })
    .unwrap();
    client.send(&Request::new("/system/identity/print")).await;
    let wait = Duration::from_millis(500).min(REPLY_WAIT);
    assert_eq!(
        client.next_within(wait).await,
        Err("no reply in time"),
        "hang: no answer, connection open"
    );
}
