//! The notifier against fake Telegram, WhatsApp and webhook servers over loopback HTTP.

mod support;

use std::time::Duration;

use support::{HOOK_SECRET, Running, TG_TOKEN, WA_PHONE_ID, WA_TOKEN, WAIT, load, notice, now_ms};
use vigia_correlate::NoticeKind;
use vigia_notify::testing::{FakeTelegram, FakeWebhook, FakeWhatsApp};
use vigia_notify::{MemoryState, signature};

fn telegram_channel(name: &str, url: &str, chat_id: &str) -> String {
    format!(
        "[[channels]]\nname = \"{name}\"\n\
         telegram = {{ bot_token_file = \"$DIR/tg\", chat_id = \"{chat_id}\", api_url = \"{url}\" }}\n"
    )
}

fn webhook_channel(name: &str, url: &str, secret_file: &str) -> String {
    format!(
        "[[channels]]\nname = \"{name}\"\n\
         webhook = {{ url = \"{url}\", secret_file = \"$DIR/{secret_file}\", headers = {{ \"X-Tenant\" = \"isp-1\" }} }}\n"
    )
}

fn whatsapp_channel(name: &str, url: &str) -> String {
    format!(
        "[[channels]]\nname = \"{name}\"\n\
         [channels.whatsapp]\n\
         access_token_file = \"$DIR/wa\"\n\
         phone_number_id = \"{WA_PHONE_ID}\"\n\
         to = \"+5511999990000\"\n\
         template = \"vigia_outage\"\n\
         language = \"pt_BR\"\n\
         api_url = \"{url}\"\n"
    )
}

#[tokio::test]
async fn delivers_to_each_kind_of_channel() {
    let telegram = FakeTelegram::start(TG_TOKEN).await.expect("fake telegram");
    let whatsapp = FakeWhatsApp::start(WA_TOKEN, WA_PHONE_ID)
        .await
        .expect("fake whatsapp");
    whatsapp.approve_template("vigia_outage", 5);
    let webhook = FakeWebhook::start(HOOK_SECRET).await.expect("fake webhook");
    let running = Running::start(&format!(
        "{}{}{}",
        telegram_channel("tg", telegram.url(), "-1001234567890"),
        whatsapp_channel("wa", whatsapp.url()),
        webhook_channel("hook", &webhook.url(), "hook"),
    ));

    // Pushed after start: the worker is idle (it polls every 30 s), so the wake delivers them.
    let tg_id = running.push("tg", notice(NoticeKind::Opened, 42));
    let wa_id = running.push("wa", notice(NoticeKind::Opened, 42));
    let hook_id = running.push("hook", notice(NoticeKind::Opened, 42));

    let tg = telegram
        .wait_for_requests(1, WAIT)
        .await
        .expect("telegram request");
    assert_eq!(tg[0].status, 200);
    assert_eq!(tg[0].chat_id, "-1001234567890");
    assert_eq!(tg[0].parse_mode.as_deref(), Some("HTML"));
    assert!(
        tg[0]
            .text
            .starts_with("🔴 <b>Outage #42 opened: PON OLT CENTRO/1/1</b>\n"),
        "{}",
        tg[0].text
    );
    assert!(
        tg[0].text.contains("Subscribers: ana, bruno, carla"),
        "{}",
        tg[0].text
    );
    assert!(
        tg[0].text.ends_with("https://vigia.example.net/events/42"),
        "{}",
        tg[0].text
    );

    let wa = whatsapp
        .wait_for_requests(1, WAIT)
        .await
        .expect("whatsapp request");
    assert_eq!(wa[0].status, 200, "{wa:?}");
    assert_eq!(wa[0].version, "v21.0");
    assert_eq!(wa[0].to, "5511999990000");
    assert_eq!(wa[0].template, "vigia_outage");
    assert_eq!(wa[0].language, "pt_BR");
    assert_eq!(wa[0].parameters.len(), 5);
    assert_eq!(wa[0].parameters[0], "Outage #42 opened: PON OLT CENTRO/1/1");
    assert_eq!(wa[0].parameters[1], "fibre (3 of 3 lost signal)");
    assert_eq!(wa[0].parameters[2], "3 of 64 subscribers down");
    assert!(wa[0].parameters[3].ends_with("(UTC-03:00)"), "{wa:?}");
    assert_eq!(wa[0].parameters[4], "https://vigia.example.net/events/42");

    let hook = webhook
        .wait_for_deliveries(1, WAIT)
        .await
        .expect("webhook delivery");
    assert!(hook[0].verified, "{:?}", hook[0]);
    assert_eq!(hook[0].status, 204);
    assert_eq!(hook[0].path, "/hook");
    assert_eq!(hook[0].notice.as_deref(), Some("opened"));
    assert_eq!(
        hook[0].delivery.as_deref(),
        Some(hook_id.to_string().as_str())
    );
    assert_eq!(hook[0].header("x-tenant"), Some("isp-1"));
    assert_eq!(hook[0].header("content-type"), Some("application/json"));
    let body = hook[0].json();
    assert_eq!(body["vigia_version"], 1);
    assert_eq!(body["kind"], "opened");
    assert_eq!(body["event"]["id"], 42);

    for id in [tg_id, wa_id, hook_id] {
        let entry = running.settled(id).await;
        assert!(matches!(entry.state, MemoryState::Sent { .. }), "{entry:?}");
        assert_eq!(entry.attempts, 1);
    }
    for channel in ["tg", "wa", "hook"] {
        let counts = running.metrics.channel(channel).expect("counters");
        assert_eq!(
            (counts.sent, counts.retried, counts.failed),
            (1, 0, 0),
            "{channel}"
        );
    }
    let mut text = String::new();
    running.metrics.render_prometheus(&mut text);
    assert!(
        text.contains("vigia_notify_sent_total{channel=\"wa\"} 1"),
        "{text}"
    );
    running.stop().await;
}

#[tokio::test]
async fn telegram_retry_after_is_honoured_and_the_message_delivered_once() {
    let telegram = FakeTelegram::start(TG_TOKEN).await.expect("fake telegram");
    telegram.rate_limit_next(1, 1);
    let running = Running::start(&telegram_channel("tg", telegram.url(), "-100"));

    let id = running.push("tg", notice(NoticeKind::Opened, 7));
    let entry = running.settled(id).await;
    assert!(matches!(entry.state, MemoryState::Sent { .. }), "{entry:?}");
    assert_eq!(entry.attempts, 2);

    let requests = telegram.requests();
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200], "delivered exactly once after one 429");
    let gap = requests[1].at.duration_since(requests[0].at);
    assert!(
        gap >= Duration::from_secs(1),
        "retried after {gap:?}, before retry_after"
    );
    assert_eq!(requests[0].text, requests[1].text);

    let counts = running.metrics.channel("tg").expect("counters");
    assert_eq!(
        (counts.sent, counts.retried, counts.rate_limited),
        (1, 1, 1)
    );
    running.stop().await;
}

#[tokio::test]
async fn a_server_error_is_retried_then_delivered_with_the_same_delivery_id() {
    let webhook = FakeWebhook::start(HOOK_SECRET).await.expect("fake webhook");
    webhook.fail_next(1);
    let running = Running::start(&webhook_channel("hook", &webhook.url(), "hook"));

    let id = running.push("hook", notice(NoticeKind::Updated, 9));
    let entry = running.settled(id).await;
    assert!(matches!(entry.state, MemoryState::Sent { .. }), "{entry:?}");
    assert_eq!(entry.attempts, 2);

    let deliveries = webhook.deliveries();
    let statuses: Vec<u16> = deliveries.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [500, 204]);
    assert!(deliveries.iter().all(|d| d.verified));
    assert!(
        deliveries
            .iter()
            .all(|d| d.delivery.as_deref() == Some(id.to_string().as_str()))
    );
    let gap = deliveries[1].at.duration_since(deliveries[0].at);
    assert!(
        gap >= Duration::from_millis(75),
        "backoff too short: {gap:?}"
    );
    let counts = running.metrics.channel("hook").expect("counters");
    assert_eq!((counts.sent, counts.retried, counts.failed), (1, 1, 0));
    running.stop().await;
}

#[tokio::test]
async fn chat_not_found_fails_at_once_without_retry() {
    let telegram = FakeTelegram::start(TG_TOKEN).await.expect("fake telegram");
    telegram.chat_not_found("-100999");
    let running = Running::start(&telegram_channel("tg", telegram.url(), "-100999"));

    let id = running.push("tg", notice(NoticeKind::Opened, 3));
    let entry = running.settled(id).await;
    let MemoryState::Failed { error } = &entry.state else {
        panic!("failed expected: {entry:?}");
    };
    assert!(error.contains("Bad Request: chat not found"), "{error}");
    assert!(error.contains("400"), "{error}");
    assert_eq!(entry.attempts, 1);
    assert_eq!(telegram.requests().len(), 1);
    let counts = running.metrics.channel("tg").expect("counters");
    assert_eq!((counts.sent, counts.retried, counts.failed), (0, 0, 1));
    running.stop().await;
}

#[tokio::test]
async fn order_holds_per_channel_when_the_first_notice_needs_a_retry() {
    let telegram = FakeTelegram::start(TG_TOKEN).await.expect("fake telegram");
    telegram.rate_limit_next(1, 1);
    let webhook = FakeWebhook::start(HOOK_SECRET).await.expect("fake webhook");
    let running = Running::start(&format!(
        "{}{}",
        telegram_channel("tg", telegram.url(), "-100"),
        webhook_channel("hook", &webhook.url(), "hook"),
    ));

    // Stored together, then one wake: the "resolved" is due as soon as the "opened" is.
    let opened = running.outbox.push("tg", notice(NoticeKind::Opened, 5));
    let resolved = running.outbox.push("tg", notice(NoticeKind::Resolved, 5));
    let other = running.outbox.push("hook", notice(NoticeKind::Opened, 6));
    running.wake.wake();

    let requests = telegram
        .wait_for_requests(3, WAIT)
        .await
        .expect("three requests");
    let seen: Vec<(u16, bool)> = requests
        .iter()
        .map(|r| (r.status, r.text.contains("#5 opened")))
        .collect();
    assert_eq!(
        seen,
        [(429, true), (200, true), (200, false)],
        "opened (429), opened again, then resolved: {requests:#?}"
    );
    assert!(
        requests[2].text.contains("#5 resolved after"),
        "{}",
        requests[2].text
    );

    // The other channel did not wait for Telegram's retry.
    let hook = webhook.wait_for_deliveries(1, WAIT).await.expect("webhook");
    assert!(
        hook[0].at < requests[1].at,
        "webhook waited behind telegram"
    );

    for id in [opened, resolved, other] {
        let entry = running.settled(id).await;
        assert!(matches!(entry.state, MemoryState::Sent { .. }), "{entry:?}");
    }
    running.stop().await;
}

#[tokio::test]
async fn the_webhook_signature_verifies_with_the_secret_only() {
    let webhook = FakeWebhook::start(HOOK_SECRET).await.expect("fake webhook");
    let running = Running::start(&format!(
        "{}{}",
        webhook_channel("right", &webhook.url(), "hook"),
        webhook_channel("wrong", &webhook.url(), "wrong-hook"),
    ));
    let right = running.push("right", notice(NoticeKind::Opened, 1));
    let wrong = running.push("wrong", notice(NoticeKind::Opened, 1));

    let right_entry = running.settled(right).await;
    let wrong_entry = running.settled(wrong).await;
    assert!(
        matches!(right_entry.state, MemoryState::Sent { .. }),
        "{right_entry:?}"
    );
    let MemoryState::Failed { error } = &wrong_entry.state else {
        panic!("a receiver refuses a bad signature: {wrong_entry:?}");
    };
    assert!(error.contains("401"), "{error}");

    let deliveries = webhook.deliveries();
    assert_eq!(deliveries.len(), 2);
    for delivery in &deliveries {
        let id: u64 = delivery
            .delivery
            .as_deref()
            .expect("id")
            .parse()
            .expect("number");
        let timestamp = delivery.timestamp.expect("timestamp");
        let sig = delivery.signature.as_deref().expect("signature");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
        assert!(timestamp.abs_diff(now_ms() / 1000) < 60, "timestamp is now");
        let verifies = signature::verify(HOOK_SECRET.as_bytes(), timestamp, &delivery.body, sig);
        assert_eq!(verifies, id == right, "delivery {id}");
        assert_eq!(delivery.verified, id == right, "delivery {id}");
        // Tampering breaks it.
        let mut body = delivery.body.clone();
        body.push(b' ');
        assert!(!signature::verify(
            HOOK_SECRET.as_bytes(),
            timestamp,
            &body,
            sig
        ));
    }
    running.stop().await;
}

#[tokio::test]
async fn a_notice_for_an_unknown_channel_fails_with_a_clear_error() {
    let webhook = FakeWebhook::start(HOOK_SECRET).await.expect("fake webhook");
    let running = Running::start(&webhook_channel("hook", &webhook.url(), "hook"));
    let id = running.push("renamed-channel", notice(NoticeKind::Opened, 1));
    let entry = running.settled(id).await;
    let MemoryState::Failed { error } = &entry.state else {
        panic!("failed expected: {entry:?}");
    };
    assert!(
        error.contains("channel \"renamed-channel\" is not configured"),
        "{error}"
    );
    assert_eq!(running.metrics.unknown_channel_failures(), 1);
    assert!(webhook.deliveries().is_empty());
    running.stop().await;
}

#[tokio::test]
async fn retries_stop_after_the_maximum_age() {
    let webhook = FakeWebhook::start(HOOK_SECRET).await.expect("fake webhook");
    webhook.fail_next(10);
    let (mut config, dir) = load(&webhook_channel("hook", &webhook.url(), "hook"));
    config.delivery.give_up_after = Duration::from_secs(60);
    let running = Running::start_with(config, dir);

    // Stored 61 s ago and still failing: given up after this attempt.
    let id = running
        .outbox
        .push_at("hook", notice(NoticeKind::Opened, 1), now_ms() - 61_000);
    running.wake.wake();
    let entry = running.settled(id).await;
    let MemoryState::Failed { error } = &entry.state else {
        panic!("failed expected: {entry:?}");
    };
    assert!(error.starts_with("gave up after 1 attempts"), "{error}");
    assert!(error.contains("500"), "{error}");
    assert_eq!(webhook.deliveries().len(), 1);
    running.stop().await;
}
