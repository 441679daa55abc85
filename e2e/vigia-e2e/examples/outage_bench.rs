//! `cargo xtask bench outage` (run in release): outage detection and resolution latency end to
//! end (simulated ISP → agent with the RouterOS `listen` push → aggregator → Telegram), side by
//! side with the ISPs' existing mass-disconnection monitor run in the same process against the
//! same ISP (whose IXC online flag trails the network by 120 s, as `IspLab` sets it): every
//! `--baseline-cycle-secs` (300, as deployed) it lists IXC's logins, diffs the
//! offline ones with the previous cycle, groups the new ones by `conexao` and opens an event for
//! a group of 4 or more; an event resolves when all its logins are online again.
//!
//! Faults: a fibre cut on PON 1/1 of OLT CENTRO, and a power outage over both zones of OLT
//! NORTE; `--rounds` of each.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigia_e2e::{IspLab, IspTiming, wait_until};

const IXC_AUTH: &str = "7:4dac0b5e9c7f4e1a8d2b6c3f0e9a7b5d";

struct Args {
    rounds: usize,
    baseline_cycle: Duration,
}

fn args() -> Args {
    let mut args = Args {
        rounds: 1,
        baseline_cycle: Duration::from_secs(300),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--rounds" => args.rounds = value.parse().expect("--rounds N"),
            "--baseline-cycle-secs" => {
                args.baseline_cycle =
                    Duration::from_secs(value.parse().expect("--baseline-cycle-secs N"));
            }
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

/// IXC's `radusuarios`: login → (online, conexao), every page.
fn ixc_logins(base: &str) -> Option<BTreeMap<String, (bool, String)>> {
    let mut out = BTreeMap::new();
    for page in 1.. {
        let body = json!({"page": page.to_string(), "rp": "1000", "sortname": "radusuarios.id", "sortorder": "asc"});
        let output = std::process::Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "10",
                "-u",
                IXC_AUTH,
                "-H",
                "ixcsoft: listar",
                "-H",
                "Content-Type: application/json",
            ])
            .args([
                "-d",
                &body.to_string(),
                &format!("{base}/webservice/v1/radusuarios"),
            ])
            .output()
            .ok()?;
        let page_json: Value = serde_json::from_slice(&output.stdout).ok()?;
        let rows = page_json["registros"].as_array()?;
        for row in rows {
            if let (Some(login), Some(online)) = (row["login"].as_str(), row["online"].as_str()) {
                let conexao = row["conexao"].as_str().unwrap_or("").to_owned();
                out.insert(login.to_owned(), (online == "S", conexao));
            }
        }
        let total: usize = page_json["total"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if rows.is_empty() || out.len() >= total {
            break;
        }
    }
    Some(out)
}

/// What the baseline saw: (when, event opened or resolved, conexao).
type Log = Arc<Mutex<Vec<(Instant, &'static str, String)>>>;

/// The existing monitor, as the ISPs run it (one cycle every `cycle`).
fn baseline(base: String, cycle: Duration, log: Log, stop: Arc<Mutex<bool>>) {
    let mut previous_offline: Option<BTreeSet<String>> = None;
    let mut events: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    loop {
        let started = Instant::now();
        log.lock()
            .expect("log")
            .push((started, "cycle", String::new()));
        if let Some(logins) = ixc_logins(&base) {
            let offline: BTreeSet<String> = logins
                .iter()
                .filter(|(_, (on, _))| !on)
                .map(|(l, _)| l.clone())
                .collect();
            if let Some(previous) = &previous_offline {
                let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                for login in offline.difference(previous) {
                    groups
                        .entry(logins[login].1.clone())
                        .or_default()
                        .insert(login.clone());
                }
                for (conexao, new) in groups {
                    if let Some(event) = events.get_mut(&conexao) {
                        event.extend(new);
                    } else if new.len() >= 4 {
                        log.lock()
                            .expect("log")
                            .push((Instant::now(), "opened", conexao.clone()));
                        events.insert(conexao, new);
                    }
                }
            }
            events.retain(|conexao, members| {
                let back = members
                    .iter()
                    .all(|l| logins.get(l).is_some_and(|(on, _)| *on));
                if back {
                    log.lock()
                        .expect("log")
                        .push((Instant::now(), "resolved", conexao.clone()));
                }
                !back
            });
            previous_offline = Some(offline);
        }
        while started.elapsed() < cycle {
            if *stop.lock().expect("stop") {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

struct Measure {
    fault: &'static str,
    detect: Duration,
    notify: Duration,
    resolve: Duration,
    resolve_notify: Duration,
    baseline_detect: Option<Duration>,
    baseline_resolve: Option<Duration>,
}

fn main() {
    let args = args();
    let lab = IspLab::start(IspTiming::default());
    lab.wait_ready(Duration::from_secs(180));
    let ixc = format!("http://{}", lab.sim_addrs["ixc"]);
    let log: Log = Arc::default();
    let stop = Arc::new(Mutex::new(false));
    let baseline_thread = {
        let (log, stop, cycle) = (log.clone(), stop.clone(), args.baseline_cycle);
        std::thread::spawn(move || baseline(ixc, cycle, log, stop))
    };
    let faults: [(&str, Vec<Value>, &str); 2] = [
        (
            "fibre cut, PON 1/1 of OLT CENTRO (64 ONUs)",
            vec![json!({"kind": "pon_cut", "pon": "olt-centro/1/1"})],
            "pon_port:OLT CENTRO/1/1",
        ),
        (
            "power outage, OLT NORTE (104 ONUs)",
            vec![
                json!({"kind": "power_outage", "zone": "Vila Nova"}),
                json!({"kind": "power_outage", "zone": "Santa Luzia"}),
            ],
            "olt:OLT NORTE",
        ),
    ];
    let limit = args.baseline_cycle * 2 + Duration::from_secs(120);
    let mut results = Vec::new();
    let total = args.rounds * faults.len();
    for round in 0..args.rounds {
        for (k, (name, fault, root)) in faults.iter().enumerate() {
            // Faults fall at evenly spread points of the baseline's cycle (1/4 and 3/4 of it
            // for two), not always just after one of its polls: its detection then averages
            // what a real fault meets, half a cycle.
            let phase = args
                .baseline_cycle
                .mul_f64(((round * faults.len() + k) as f64 + 0.5) / total as f64);
            wait_until(
                "the fault's point in the baseline's cycle",
                args.baseline_cycle * 2,
                || {
                    let entries = log.lock().expect("log");
                    let last = entries
                        .iter()
                        .rev()
                        .find(|(_, what, _)| *what == "cycle")
                        .map(|(at, _, _)| *at)?;
                    let into = last.elapsed();
                    (into >= phase && into < phase + Duration::from_secs(2)).then_some(())
                },
            );
            let seen = log.lock().expect("log").len();
            let t0 = Instant::now();
            let ids: Vec<u64> = fault.iter().map(|f| lab.inject(f.clone())).collect();
            let event = wait_until(
                &format!("event at {root}"),
                Duration::from_secs(120),
                || {
                    lab.events("active")
                        .into_iter()
                        .find(|e| e["root"] == *root)
                },
            );
            let detect = t0.elapsed();
            let id = event["id"].as_u64().expect("id");
            let tag = format!("#{id} ");
            let opened = wait_until(
                "the Telegram opened message",
                Duration::from_secs(60),
                || {
                    lab.telegram
                        .delivered()
                        .into_iter()
                        .find(|r| r.text.contains(&tag) && r.text.contains("opened"))
                },
            );
            let notify = opened.at.into_std().saturating_duration_since(t0);
            let baseline_detect =
                wait_until("the baseline's detection (or its limit)", limit, || {
                    let entries = log.lock().expect("log");
                    let hit = entries[seen..]
                        .iter()
                        .find(|(_, what, _)| *what == "opened")
                        .map(|(at, _, _)| at.saturating_duration_since(t0));
                    if hit.is_some() || t0.elapsed() >= limit - Duration::from_secs(1) {
                        Some(hit)
                    } else {
                        None
                    }
                });
            let seen = log.lock().expect("log").len();
            let t1 = Instant::now();
            for f in ids {
                lab.repair(f);
            }
            wait_until(&format!("#{id} resolved"), Duration::from_secs(180), || {
                let (_, e) = lab.api(&format!("/v1/events/{id}"));
                (e["status"] == "resolved").then_some(())
            });
            let resolve = t1.elapsed();
            let resolved = wait_until(
                "the Telegram resolved message",
                Duration::from_secs(60),
                || {
                    lab.telegram
                        .delivered()
                        .into_iter()
                        .find(|r| r.text.contains(&tag) && r.text.contains("resolved"))
                },
            );
            let resolve_notify = resolved.at.into_std().saturating_duration_since(t1);
            let baseline_resolve = if baseline_detect.is_some() {
                wait_until("the baseline's resolution (or its limit)", limit, || {
                    let entries = log.lock().expect("log");
                    let hit = entries[seen..]
                        .iter()
                        .find(|(_, what, _)| *what == "resolved")
                        .map(|(at, _, _)| at.saturating_duration_since(t1));
                    if hit.is_some() || t1.elapsed() >= limit - Duration::from_secs(1) {
                        Some(hit)
                    } else {
                        None
                    }
                })
            } else {
                None
            };
            println!(
                "{name}: Vigia detected {} (Telegram {}), resolved {} after repair (Telegram {}); baseline detected {}, resolved {}",
                secs(detect),
                secs(notify),
                secs(resolve),
                secs(resolve_notify),
                baseline_detect.map_or("never".into(), secs),
                baseline_resolve.map_or("never".into(), secs),
            );
            results.push(Measure {
                fault: name,
                detect,
                notify,
                resolve,
                resolve_notify,
                baseline_detect,
                baseline_resolve,
            });
        }
    }
    *stop.lock().expect("stop") = true;
    let _ = baseline_thread.join();

    let cycle = args.baseline_cycle.as_secs();
    println!(
        "\n{:<44} {:>10} {:>10} {:>12} {:>12} | {:>16} {:>16}",
        "outage",
        "detect",
        "Telegram",
        "resolve",
        "Telegram",
        format!("baseline detect"),
        "baseline resolve"
    );
    for m in &results {
        println!(
            "{:<44} {:>10} {:>10} {:>12} {:>12} | {:>16} {:>16}",
            m.fault,
            secs(m.detect),
            secs(m.notify),
            secs(m.resolve),
            secs(m.resolve_notify),
            m.baseline_detect.map_or("never".into(), secs),
            m.baseline_resolve.map_or("never".into(), secs),
        );
    }
    println!(
        "goals: detection <= 15 s and resolution <= 15 s after repair (RouterOS listen push, 5 s probe interval, 1 s correlation cycle); \
         baseline: the existing monitor with its {cycle} s cycle, polling IXC's online flag (which trails RADIUS: 120 s in the simulated ISP); \
         faults fall at evenly spread points of its cycle"
    );
    let worst = |f: fn(&Measure) -> Duration| results.iter().map(f).max().unwrap_or_default();
    println!(
        "worst: detection {}, Telegram opened {}, resolution {}, Telegram resolved {}",
        secs(worst(|m| m.detect)),
        secs(worst(|m| m.notify)),
        secs(worst(|m| m.resolve)),
        secs(worst(|m| m.resolve_notify)),
    );
}
