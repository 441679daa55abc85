//! Outage correlation end to end: the simulated ISP, an agent reading its RouterOS concentrators
//! (with `listen`), SmartOLT and cnMaestro, and the aggregator correlating and notifying fake
//! Telegram and webhook endpoints. A fibre cut on a PON and a power outage on an OLT each give
//! exactly one event with the right root and cause, one opened and one resolved message on each
//! channel; restoring resolves them. Loopback only (no root needed).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigia_e2e::{IspLab, IspTiming, wait_until};

const READY: Duration = Duration::from_secs(120);
const DETECT: Duration = Duration::from_secs(60);

/// The one active event rooted at `root`, once there is one.
fn wait_event(lab: &IspLab, root: &str) -> Value {
    wait_until(&format!("an active event rooted at {root}"), DETECT, || {
        lab.events("active").into_iter().find(|e| e["root"] == root)
    })
}

fn wait_resolved(lab: &IspLab, id: u64) -> Value {
    wait_until(&format!("event #{id} to resolve"), DETECT, || {
        let (status, body) = lab.api(&format!("/v1/events/{id}"));
        (status == 200 && body["status"] == "resolved").then_some(body)
    })
}

/// Telegram messages and webhook notices about event `id`, by notice kind.
fn messages(lab: &IspLab, id: u64) -> (Vec<String>, Vec<String>) {
    let tag = format!("#{id} ");
    let telegram: Vec<String> = lab
        .telegram_texts()
        .into_iter()
        .filter(|t| t.contains(&tag))
        .collect();
    let webhook: Vec<String> = lab
        .webhook
        .deliveries()
        .into_iter()
        .filter(|d| d.verified && d.json()["event"]["id"] == id)
        .filter_map(|d| d.notice.clone())
        .collect();
    (telegram, webhook)
}

fn count(items: &[String], needle: &str) -> usize {
    items.iter().filter(|t| t.contains(needle)).count()
}

#[test]
fn a_fibre_cut_and_a_power_outage_each_make_one_event_and_two_messages() {
    let lab = IspLab::start(IspTiming::default());
    lab.wait_ready(READY);
    assert!(
        lab.events("active").is_empty(),
        "no event before any fault: {:?}",
        lab.events("active")
    );

    // A fibre cut on PON 1/1 of OLT CENTRO.
    let cut_at = Instant::now();
    let cut = lab.inject(json!({"kind": "pon_cut", "pon": "olt-centro/1/1"}));
    let event = wait_event(&lab, "pon_port:OLT CENTRO/1/1");
    let detected = cut_at.elapsed();
    let id = event["id"].as_u64().expect("id");
    assert_eq!(event["kind"], "mass_outage", "{event}");
    // SmartOLT's next poll shows the ONUs in LOS: the cause follows.
    let event = wait_until("the cut's cause", DETECT, || {
        let (_, e) = lab.api(&format!("/v1/events/{id}"));
        (e["cause"] == "fibre").then_some(e)
    });
    assert!(
        event["affected_count"].as_u64().unwrap_or(0) >= 4,
        "{event}"
    );
    lab.repair(cut);
    let restored_at = Instant::now();
    let resolved = wait_resolved(&lab, id);
    let recovered = restored_at.elapsed();
    assert!(
        resolved["resolution"]
            .as_str()
            .unwrap_or("")
            .contains("recovered"),
        "{resolved}"
    );

    // A power outage over every PON of OLT NORTE (its two zones).
    let power_at = Instant::now();
    let power = lab.inject(json!({"kind": "power_outage", "zone": "Vila Nova"}));
    let power2 = lab.inject(json!({"kind": "power_outage", "zone": "Santa Luzia"}));
    let event = wait_event(&lab, "olt:OLT NORTE");
    let power_detected = power_at.elapsed();
    let power_id = event["id"].as_u64().expect("id");
    wait_until("the outage's cause", DETECT, || {
        let (_, e) = lab.api(&format!("/v1/events/{power_id}"));
        (e["cause"] == "power").then_some(e)
    });
    lab.repair(power);
    lab.repair(power2);
    wait_resolved(&lab, power_id);

    // Exactly one event per outage: nothing else was ever opened.
    let (_, all) = lab.api("/v1/events?limit=100");
    let roots: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["root"].as_str())
        .collect();
    assert_eq!(roots.len(), 2, "one event per outage, got {roots:?}");

    // Each channel: one opened and one resolved message per outage (updates are allowed between).
    for event in [id, power_id] {
        wait_until(&format!("the messages of #{event}"), DETECT, || {
            let (telegram, webhook) = messages(&lab, event);
            (count(&telegram, "resolved") == 1
                && webhook.iter().filter(|k| *k == "resolved").count() == 1)
                .then_some(())
        });
        let (telegram, webhook) = messages(&lab, event);
        assert_eq!(count(&telegram, "opened"), 1, "{telegram:#?}");
        assert_eq!(count(&telegram, "resolved"), 1, "{telegram:#?}");
        assert_eq!(
            webhook.iter().filter(|k| *k == "opened").count(),
            1,
            "{webhook:?}"
        );
        assert_eq!(
            webhook.iter().filter(|k| *k == "resolved").count(),
            1,
            "{webhook:?}"
        );
    }
    println!(
        "fibre cut: detected in {:.1} s, resolved {:.1} s after repair; power outage: detected in {:.1} s",
        detected.as_secs_f64(),
        recovered.as_secs_f64(),
        power_detected.as_secs_f64()
    );
}

/// An aggregator restart in the middle of an outage, with the Telegram API failing meanwhile
/// (and rate-limiting once it answers): the same event goes on (no second one, no second
/// opened message), the opened message queued before the restart is delivered after it, once.
/// A maintenance window over a PON keeps a cut there recorded but silent.
#[test]
fn a_restart_mid_outage_loses_no_message_and_maintenance_silences() {
    let mut lab = IspLab::start(IspTiming::default());
    lab.wait_ready(READY);

    // Telegram is down (500s) when the outage starts: the opened message waits in the outbox.
    lab.telegram.fail_next(1_000_000);
    let cut = lab.inject(json!({"kind": "pon_cut", "pon": "olt-centro/1/2"}));
    let event = wait_event(&lab, "pon_port:OLT CENTRO/1/2");
    let id = event["id"].as_u64().expect("id");
    wait_until("the webhook's opened message", DETECT, || {
        let (_, webhook) = messages(&lab, id);
        webhook.iter().any(|k| k == "opened").then_some(())
    });
    assert!(lab.telegram.delivered().is_empty(), "telegram is failing");

    lab.stop_aggregator();
    // Telegram answers again, first with a 429 (retry after 1 s).
    lab.telegram.fail_next(0);
    lab.telegram.rate_limit_next(1, 1);
    lab.start_aggregator();
    wait_until("the opened message after the restart", DETECT, || {
        let (telegram, _) = messages(&lab, id);
        (count(&telegram, "opened") == 1).then_some(())
    });
    let active = lab.events("active");
    assert_eq!(active.len(), 1, "the same event goes on: {active:?}");
    assert_eq!(active[0]["id"].as_u64(), Some(id));

    lab.repair(cut);
    wait_resolved(&lab, id);
    wait_until("the resolved messages", DETECT, || {
        let (telegram, webhook) = messages(&lab, id);
        (count(&telegram, "resolved") == 1 && webhook.iter().any(|k| k == "resolved")).then_some(())
    });
    let (telegram, webhook) = messages(&lab, id);
    assert_eq!(count(&telegram, "opened"), 1, "{telegram:#?}");
    assert_eq!(
        webhook.iter().filter(|k| *k == "opened").count(),
        1,
        "{webhook:?}"
    );
    let (_, detail) = lab.api(&format!("/v1/events/{id}"));
    let failed: Vec<&Value> = detail["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["state"] != "sent")
        .collect();
    assert!(failed.is_empty(), "every notice delivered: {failed:?}");

    // Planned work on PON 2/1: a window over it, then the cut. Recorded, not notified.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let stamp = |s: u64| {
        let out = std::process::Command::new("date")
            .args(["-u", "-d", &format!("@{s}"), "+%Y-%m-%dT%H:%M:%SZ"])
            .output()
            .expect("date");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    };
    let window = json!({
        "entities": ["pon_port:OLT CENTRO/2/1"],
        "starts_at": stamp(now - 60),
        "ends_at": stamp(now + 3600),
        "reason": "PON 2/1 splicing",
    });
    let (status, created) = lab.api_post("/v1/maintenance", &window);
    assert_eq!(status, 201, "{created}");
    let before = lab.telegram.delivered().len();
    let planned = lab.inject(json!({"kind": "pon_cut", "pon": "olt-centro/2/1"}));
    let event = wait_event(&lab, "pon_port:OLT CENTRO/2/1");
    assert_eq!(event["maintenance"], created["id"], "{event}");
    lab.repair(planned);
    let planned_id = event["id"].as_u64().expect("id");
    wait_resolved(&lab, planned_id);
    let (_, detail) = lab.api(&format!("/v1/events/{planned_id}"));
    assert_eq!(
        detail["notifications"].as_array().map(Vec::len),
        Some(0),
        "{detail}"
    );
    assert_eq!(
        lab.telegram.delivered().len(),
        before,
        "nothing sent about planned work"
    );
}
