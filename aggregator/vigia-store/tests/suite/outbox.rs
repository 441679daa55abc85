//! The notice outbox: per-channel delivery order and the delivery transitions.

use vigia_store::{NoticeRow, StoreError};

use super::Backend;
use super::events::{active, described, notice};

pub async fn a_channel_delivers_in_order_and_a_waiting_head_holds_back_only_its_channel(
    backend: &dyn Backend,
) {
    let store = backend.open().await;
    assert!(
        store
            .due_notices(u64::MAX, 10)
            .await
            .expect("due")
            .is_empty()
    );
    store
        .save_events(
            vec![active(1, 100), active(2, 100)],
            vec![
                notice(1, "telegram", NoticeRow::OPENED, 100, 100),
                notice(1, "email", NoticeRow::OPENED, 100, 100),
                notice(2, "telegram", NoticeRow::OPENED, 100, 100),
                notice(1, "email", NoticeRow::RESOLVED, 150, 150),
            ],
            None,
        )
        .await
        .expect("save");
    let due = store.due_notices(100, 10).await.expect("due");
    assert_eq!(
        described(&due),
        [
            (1, "telegram", "opened"),
            (1, "email", "opened"),
            (2, "telegram", "opened")
        ],
        "in id order; the resolve is not due yet"
    );
    assert!(due.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(
        described(&store.due_notices(100, 2).await.expect("due")).len(),
        2
    );
    assert_eq!(
        store.due_notices(100, 0).await.expect("due").len(),
        1,
        "0 counts as 1"
    );

    // The email open fails and waits for a retry at 500: the email resolve, due at 150, must not
    // overtake it, but telegram goes on.
    let email_open = due[1].id;
    assert!(
        store
            .notice_retry(email_open, 1, 500, "smtp timeout".into())
            .await
            .expect("retry")
    );
    let due = store.due_notices(200, 10).await.expect("due");
    assert_eq!(
        described(&due),
        [(1, "telegram", "opened"), (2, "telegram", "opened")]
    );
    // Telegram delivered: only the email head is left, waiting for 500. The email resolve's
    // own time (150) does not count: it waits behind its head.
    for notice in &due {
        assert!(store.notice_sent(notice.id, 200).await.expect("sent"));
    }
    assert_eq!(
        store.next_notice_due_ms().await.expect("next"),
        Some(500),
        "the next time anything is due is the blocked channel's head"
    );
    let due = store.due_notices(499, 10).await.expect("due");
    assert!(due.is_empty(), "{:?}", described(&due));
    let due = store.due_notices(500, 10).await.expect("due");
    assert_eq!(
        described(&due),
        [(1, "email", "opened"), (1, "email", "resolved")]
    );
    // Once the open is delivered, the resolve goes on its own.
    assert!(store.notice_sent(email_open, 510).await.expect("sent"));
    let due = store.due_notices(200, 10).await.expect("due");
    assert_eq!(described(&due), [(1, "email", "resolved")]);
}

pub async fn delivery_moves_notices_to_sent_retry_or_failed(backend: &dyn Backend) {
    let store = backend.open().await;
    assert_eq!(store.next_notice_due_ms().await.expect("next"), None);
    assert_eq!(store.pending_notices().await.expect("pending"), 0);
    store
        .save_events(
            vec![active(1, 100)],
            vec![
                notice(1, "a", NoticeRow::OPENED, 100, 300),
                notice(1, "b", NoticeRow::OPENED, 100, 200),
                notice(1, "c", NoticeRow::OPENED, 100, 400),
            ],
            None,
        )
        .await
        .expect("save");
    let [a, b, c] = <[NoticeRow; 3]>::try_from(store.notices_for_event(1).await.expect("notices"))
        .expect("three notices");
    assert_eq!(store.pending_notices().await.expect("pending"), 3);
    assert_eq!(store.next_notice_due_ms().await.expect("next"), Some(200));

    assert!(store.notice_sent(b.id, 210).await.expect("sent"));
    assert_eq!(store.next_notice_due_ms().await.expect("next"), Some(300));
    assert!(
        store
            .notice_retry(a.id, 1, 1000, "http 502".into())
            .await
            .expect("retry")
    );
    assert_eq!(store.next_notice_due_ms().await.expect("next"), Some(400));
    assert!(
        store
            .notice_failed(c.id, 5, "chat not found".into())
            .await
            .expect("failed")
    );
    assert_eq!(store.next_notice_due_ms().await.expect("next"), Some(1000));
    assert_eq!(store.pending_notices().await.expect("pending"), 1);

    let after = store.notices_for_event(1).await.expect("notices");
    assert_eq!(
        after[0],
        NoticeRow {
            attempts: 1,
            next_attempt_ms: 1000,
            last_error: Some("http 502".into()),
            ..a.clone()
        }
    );
    assert_eq!(
        after[1],
        NoticeRow {
            state: NoticeRow::SENT.into(),
            sent_ms: Some(210),
            ..b.clone()
        }
    );
    assert_eq!(
        after[2],
        NoticeRow {
            state: NoticeRow::FAILED.into(),
            attempts: 5,
            last_error: Some("chat not found".into()),
            ..c.clone()
        }
    );

    // Only pending notices move: a sent or failed one stays as it is.
    assert!(!store.notice_sent(b.id, 999).await.expect("sent twice"));
    assert!(
        !store
            .notice_retry(c.id, 6, 2000, "again".into())
            .await
            .expect("retry")
    );
    assert!(
        !store
            .notice_failed(b.id, 1, "late".into())
            .await
            .expect("failed")
    );
    assert!(!store.notice_sent(c.id + 1000, 1).await.expect("unknown"));
    assert!(!store.notice_sent(u64::MAX, 1).await.expect("unknown"));
    assert_eq!(store.notices_for_event(1).await.expect("notices"), after);

    assert!(store.notice_sent(a.id, 1001).await.expect("sent"));
    assert_eq!(store.next_notice_due_ms().await.expect("next"), None);
    assert_eq!(store.pending_notices().await.expect("pending"), 0);
    assert!(
        store
            .due_notices(u64::MAX, 10)
            .await
            .expect("due")
            .is_empty()
    );
    let error = store
        .notice_sent(a.id, u64::MAX)
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            StoreError::OutOfRange {
                field: "sent_ms",
                ..
            }
        ),
        "{error}"
    );
}
