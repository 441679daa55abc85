//! Senders alone against the fakes: how each API's answers are classified.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{TG_TOKEN, WA_PHONE_ID, WA_TOKEN, load, notice};
use vigia_correlate::NoticeKind;
use vigia_notify::testing::{FakeTelegram, FakeWhatsApp};
use vigia_notify::{SendError, Sender, Target};

fn sender(channels: &str) -> (Sender, tempfile::TempDir) {
    let (config, dir) = load(channels);
    let http = vigia_notify::http_client(Duration::from_secs(5)).expect("client");
    let channel = config.channels.into_iter().next().expect("one channel");
    (
        Sender::new(channel.target, http, Arc::new(config.render)),
        dir,
    )
}

fn whatsapp(url: &str, template: &str) -> String {
    format!(
        "[[channels]]\nname = \"wa\"\n[channels.whatsapp]\naccess_token_file = \"$DIR/wa\"\n\
         phone_number_id = \"{WA_PHONE_ID}\"\nto = \"5511999990000\"\ntemplate = \"{template}\"\n\
         language = \"es_AR\"\nparameters = [\"title\", \"down\"]\napi_url = \"{url}\"\n"
    )
}

#[tokio::test]
async fn whatsapp_rate_limit_is_retry_after_and_a_rejected_template_is_permanent() {
    let fake = FakeWhatsApp::start(WA_TOKEN, WA_PHONE_ID)
        .await
        .expect("fake");
    fake.rate_limit_next(1);
    fake.reject_template("retired_template");
    let (ok, _dir) = sender(&whatsapp(fake.url(), "vigia_outage"));
    let n = notice(NoticeKind::Opened, 1);

    match ok.send(1, &n).await {
        Err(SendError::RetryAfter(delay)) => assert!(delay >= Duration::from_secs(1), "{delay:?}"),
        other => panic!("130429 should be RetryAfter: {other:?}"),
    }
    ok.send(1, &n)
        .await
        .expect("delivered after the rate limit");

    let (rejected, _dir2) = sender(&whatsapp(fake.url(), "retired_template"));
    match rejected.send(2, &n).await {
        Err(SendError::Permanent(text)) => {
            assert!(text.contains("132001"), "{text}");
            assert!(text.contains("Template name does not exist"), "{text}");
        }
        other => panic!("a rejected template is permanent: {other:?}"),
    }
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200, 404]);
    assert_eq!(fake.delivered()[0].parameters.len(), 2);
    assert_eq!(fake.delivered()[0].language, "es_AR");
}

#[tokio::test]
async fn whatsapp_bad_token_and_parameter_count_are_permanent() {
    let fake = FakeWhatsApp::start("another-token", WA_PHONE_ID)
        .await
        .expect("fake");
    let (bad_token, _dir) = sender(&whatsapp(fake.url(), "vigia_outage"));
    let n = notice(NoticeKind::Opened, 1);
    match bad_token.send(1, &n).await {
        Err(SendError::Permanent(text)) => {
            assert!(text.contains("Invalid OAuth access token"), "{text}");
            assert!(!text.contains(WA_TOKEN), "{text}");
        }
        other => panic!("a bad token is permanent: {other:?}"),
    }

    let fake = FakeWhatsApp::start(WA_TOKEN, WA_PHONE_ID)
        .await
        .expect("fake");
    fake.approve_template("vigia_outage", 5);
    let (sender, _dir) = sender(&whatsapp(fake.url(), "vigia_outage"));
    match sender.send(1, &n).await {
        Err(SendError::Permanent(text)) => assert!(text.contains("132000"), "{text}"),
        other => panic!("a parameter count mismatch is permanent: {other:?}"),
    }
}

#[tokio::test]
async fn telegram_errors_never_show_the_token() {
    // Nothing listens on this port once the listener is dropped.
    let closed = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let channel = format!(
        "[[channels]]\nname = \"tg\"\ntelegram = {{ bot_token_file = \"$DIR/tg\", chat_id = 1, api_url = \"{url}\" }}\n"
    );
    let (unreachable, _dir) = sender(&channel);
    let Target::Telegram(target) = unreachable.target() else {
        panic!("telegram target");
    };
    assert_eq!(target.bot_token.expose(), TG_TOKEN);
    match unreachable.send(1, &notice(NoticeKind::Opened, 1)).await {
        Err(SendError::Transient(text)) => {
            assert!(text.starts_with("telegram: "), "{text}");
            assert!(!text.contains("TEST-bot-token"), "token leaked: {text}");
        }
        other => panic!("a refused connection is transient: {other:?}"),
    }

    let fake = FakeTelegram::start("999:other-token").await.expect("fake");
    let channel = format!(
        "[[channels]]\nname = \"tg\"\ntelegram = {{ bot_token_file = \"$DIR/tg\", chat_id = 1, api_url = \"{}\" }}\n",
        fake.url()
    );
    let (wrong_token, _dir) = sender(&channel);
    match wrong_token.send(1, &notice(NoticeKind::Opened, 1)).await {
        Err(SendError::Permanent(text)) => {
            assert!(
                text.contains("401") && text.contains("Unauthorized"),
                "{text}"
            );
            assert!(!text.contains("TEST-bot-token"), "token leaked: {text}");
        }
        other => panic!("a bad token is permanent: {other:?}"),
    }
}

#[tokio::test]
async fn telegram_bad_gateway_is_transient() {
    let fake = FakeTelegram::start(TG_TOKEN).await.expect("fake");
    fake.fail_next(1);
    let channel = format!(
        "[[channels]]\nname = \"tg\"\ntelegram = {{ bot_token_file = \"$DIR/tg\", chat_id = \"@noc_alerts\", api_url = \"{}\" }}\n",
        fake.url()
    );
    let (sender, _dir) = sender(&channel);
    let n = notice(NoticeKind::Updated, 1);
    match sender.send(1, &n).await {
        Err(SendError::Transient(text)) => assert!(text.contains("502"), "{text}"),
        other => panic!("a 502 is transient: {other:?}"),
    }
    sender.send(1, &n).await.expect("delivered the second time");
    let delivered = fake.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].chat_id, "@noc_alerts");
}
