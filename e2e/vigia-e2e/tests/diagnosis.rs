//! The support desk's diagnosis end to end: the simulated ISP, an agent reading its RouterOS
//! concentrators, SmartOLT, cnMaestro and IXC, and the aggregator. After each fault injected in
//! the simulator, `GET /v1/diagnosis/{login}` of an affected subscriber gives the verdict the
//! domain rules call for, with its evidence; `?live=true` asks the agent to check now; search
//! finds subscribers by name without accents, by login, serial and address. Loopback only.

use std::time::Duration;

use serde_json::{Value, json};
use vigia_e2e::{IspLab, IspTiming, wait_until};

const READY: Duration = Duration::from_secs(120);
/// A fault reaches the verdict within a SmartOLT or IXC poll (20 s) and a correlation cycle.
const VERDICT: Duration = Duration::from_secs(90);

/// One fibre subscriber on PON olt-centro/1/1, and its neighbour.
const JOAO: &str = "joao.silva";
const MARIA: &str = "maria.souza";

fn diagnosis(lab: &IspLab, login: &str) -> Value {
    let (status, body) = lab.api(&format!("/v1/diagnosis/{login}"));
    assert_eq!(status, 200, "{body}");
    body
}

/// The diagnosis of `login` once its verdict is `verdict`.
fn wait_verdict(lab: &IspLab, login: &str, verdict: &str) -> Value {
    let mut last = Value::Null;
    wait_until(
        &format!("{login}'s verdict to be {verdict}"),
        VERDICT,
        || {
            last = diagnosis(lab, login);
            (last["verdict"]["verdict"] == verdict).then(|| last.clone())
        },
    )
}

fn rules(diagnosis: &Value) -> Vec<String> {
    diagnosis["verdict"]["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["rule"].as_str().map(str::to_owned))
        .collect()
}

/// Every reason names its source and how fresh it is.
fn assert_reasons_have_evidence(diagnosis: &Value) {
    let reasons = diagnosis["verdict"]["reasons"].as_array().expect("reasons");
    assert!(!reasons.is_empty(), "{diagnosis}");
    for reason in reasons {
        assert!(
            reason["source"].as_str().is_some_and(|s| !s.is_empty())
                && reason["evidence"].as_str().is_some_and(|s| !s.is_empty())
                && reason["age_ms"].is_u64(),
            "{reason}"
        );
    }
}

fn search_logins(lab: &IspLab, q: &str) -> Vec<String> {
    let (status, body) = lab.api(&format!("/v1/search?q={q}&limit=100"));
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["login"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn faults_in_the_network_give_the_desk_the_right_verdict() {
    let lab = IspLab::start(IspTiming::default());
    lab.wait_ready(READY);

    // Everything fine: the session is up, the optics good.
    let fine = wait_verdict(&lab, JOAO, "ok");
    assert_reasons_have_evidence(&fine);
    assert_eq!(fine["facts"]["onu"]["status"], "online", "{fine}");
    assert!(
        fine["facts"]["customer"]["name"] == "João da Silva",
        "{fine}"
    );
    let (status, body) = lab.api("/v1/diagnosis/nobody.at.all");
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("nobody.at.all")
    );

    // Search: accents and case do not matter, and logins, serials and addresses are found.
    let found = wait_until("search to find João", VERDICT, || {
        let logins = search_logins(&lab, "joao");
        logins.contains(&JOAO.to_owned()).then_some(logins)
    });
    assert!(found.len() > 1, "several Joãos: {found:?}");
    // The full name ranks him first (once IXC's customers are in the index).
    wait_until("search by full name", VERDICT, || {
        (search_logins(&lab, "joao%20da%20silva")
            .first()
            .map(String::as_str)
            == Some(JOAO))
        .then_some(())
    });
    assert!(search_logins(&lab, "CONCEICAO").contains(&MARIA.to_owned()));
    let serial = fine["facts"]["onu"]["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    assert_eq!(
        search_logins(&lab, &serial[serial.len() - 6..]),
        vec![JOAO.to_owned()]
    );

    // A fibre cut on the PON: inside the outage, no dispatch.
    let cut = lab.inject(json!({"kind": "pon_cut", "pon": "olt-centro/1/1"}));
    let outage = wait_verdict(&lab, JOAO, "outage");
    let events = outage["verdict"]["events"]
        .as_array()
        .expect("events")
        .clone();
    assert_eq!(events.len(), 1, "{outage}");
    let (_, event) = lab.api(&format!("/v1/events/{}", events[0]));
    assert_eq!(event["root"], "pon_port:OLT CENTRO/1/1", "{event}");
    assert!(rules(&outage).contains(&"in_outage".to_owned()), "{outage}");
    lab.repair(cut);
    wait_verdict(&lab, JOAO, "ok");

    // The ONU alone loses power: dying gasp, call the customer.
    let power = lab.inject(json!({"kind": "subscriber_power", "login": JOAO}));
    let gasp = wait_verdict(&lab, JOAO, "customer_power");
    assert_reasons_have_evidence(&gasp);
    assert_eq!(gasp["facts"]["onu"]["status"], "power_fail", "{gasp}");
    lab.repair(power);
    wait_verdict(&lab, JOAO, "ok");

    // The light on the PON degrades: an optical dispatch (for the whole PON, as the neighbours
    // dropped too).
    let dim =
        lab.inject(json!({"kind": "optical_degradation", "pon": "olt-centro/1/1", "db": 8.0}));
    let optical = wait_verdict(&lab, JOAO, "dispatch_optical");
    let why = rules(&optical);
    assert!(
        why.iter()
            .any(|r| r == "rx_out_of_range" || r == "rx_drop" || r == "pon_rx_drop"),
        "{optical}"
    );
    lab.repair(dim);
    wait_verdict(&lab, JOAO, "ok");

    // Blocked for debt in IXC: billing, not technical.
    let block = lab.inject(json!({"kind": "billing_block", "login": JOAO}));
    let billing = wait_verdict(&lab, JOAO, "billing");
    assert_eq!(
        billing["facts"]["customer"]["billing"], "blocked",
        "{billing}"
    );
    assert!(
        rules(&billing).contains(&"billing_blocked".to_owned()),
        "{billing}"
    );
    lab.repair(block);
    wait_verdict(&lab, JOAO, "ok");

    // The CPE stops: no session while the ONU is online with good light: fix remotely. IXC's
    // online flag trails the router by minutes: the network wins, and the answer says so.
    let cpe = lab.inject(json!({"kind": "cpe_down", "login": MARIA}));
    let remote = wait_verdict(&lab, MARIA, "remote");
    assert_eq!(remote["facts"]["session"]["online"], false, "{remote}");
    assert_eq!(remote["facts"]["onu"]["status"], "online", "{remote}");
    let conflicts = remote["verdict"]["conflicts"]
        .as_array()
        .expect("conflicts");
    assert!(
        conflicts.iter().any(|c| c["about"] == "session"),
        "the CRM still says online: {remote}"
    );

    // Live: the agent prints the session and reads the ONU's full status now.
    let (status, live) = lab.api(&format!("/v1/diagnosis/{MARIA}?live=true"));
    assert_eq!(status, 200, "{live}");
    assert_eq!(live["live"], true);
    assert_eq!(live["verdict"]["verdict"], "remote", "{live}");
    let checks = live["facts"]["live"].as_array().expect("live checks");
    let outcome = |check: &str| {
        checks
            .iter()
            .find(|c| c["check"] == check)
            .unwrap_or_else(|| panic!("no {check} check: {live}"))["outcome"]
            .clone()
    };
    assert_eq!(outcome("session"), "ok", "{live}");
    assert_eq!(outcome("onu"), "ok", "{live}");
    assert!(
        live["facts"]["session"]["source"]["name"]
            .as_str()
            .is_some_and(|s| s.starts_with("live:")),
        "{live}"
    );
    lab.repair(cpe);
    wait_verdict(&lab, MARIA, "ok");
}
