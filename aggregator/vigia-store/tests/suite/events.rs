//! Outage events, the correlator checkpoint, update coalescing and event retention (the helpers
//! here are shared with `outbox.rs` and `maintenance.rs`).

use vigia_store::{EventFilter, EventRow, MaintenanceRow, NoticeRow, StoreError};

use super::Backend;

pub(super) fn event(id: u64, status: &str, started_ms: u64, resolved_ms: Option<u64>) -> EventRow {
    EventRow {
        id,
        kind: "device_down".into(),
        status: status.into(),
        root: format!("onu:{id}"),
        started_ms,
        updated_ms: resolved_ms.unwrap_or(started_ms),
        resolved_ms,
        body_json: format!(r#"{{"id":{id},"status":"{status}"}}"#),
    }
}

pub(super) fn active(id: u64, started_ms: u64) -> EventRow {
    event(id, EventRow::ACTIVE, started_ms, None)
}

pub(super) fn resolved(id: u64, started_ms: u64, resolved_ms: u64) -> EventRow {
    event(id, EventRow::RESOLVED, started_ms, Some(resolved_ms))
}

/// A new pending notice created at `created_ms`, due at `due_ms`.
pub(super) fn notice(
    event_id: u64,
    channel: &str,
    kind: &str,
    created_ms: u64,
    due_ms: u64,
) -> NoticeRow {
    NoticeRow {
        id: 0,
        event_id,
        channel: channel.into(),
        kind: kind.into(),
        created_ms,
        next_attempt_ms: due_ms,
        attempts: 0,
        state: NoticeRow::PENDING.into(),
        last_error: None,
        sent_ms: None,
        payload_json: format!(r#"{{"event":{event_id},"kind":"{kind}","at":{created_ms}}}"#),
    }
}

pub(super) fn window(entities: &str, starts_ms: u64, ends_ms: u64) -> MaintenanceRow {
    MaintenanceRow {
        id: 0,
        entities_json: entities.into(),
        starts_ms,
        ends_ms,
        reason: "fibre splice".into(),
        created_by: "key:ops".into(),
        created_ms: 1,
    }
}

pub(super) fn ids(events: &[EventRow]) -> Vec<u64> {
    events.iter().map(|e| e.id).collect()
}

/// (event, channel, kind) of each notice, in the order given.
pub(super) fn described(notices: &[NoticeRow]) -> Vec<(u64, &str, &str)> {
    notices
        .iter()
        .map(|n| (n.event_id, n.channel.as_str(), n.kind.as_str()))
        .collect()
}

pub async fn events_are_upserted_by_id_replacing_every_column(backend: &dyn Backend) {
    let store = backend.open().await;
    assert_eq!(store.event(1).await.expect("event"), None);
    store
        .save_events(vec![active(1, 100), active(2, 110)], Vec::new(), None)
        .await
        .expect("save");
    let mut changed = resolved(1, 90, 500);
    changed.kind = "mass_outage".into();
    changed.root = "olt:7".into();
    changed.body_json = r#"{"changed":true}"#.into();
    // The same id twice in one call: the later wins.
    let mut earlier = changed.clone();
    earlier.body_json = r#"{"changed":false}"#.into();
    store
        .save_events(vec![earlier, changed.clone()], Vec::new(), None)
        .await
        .expect("save again");
    assert_eq!(store.event(1).await.expect("event"), Some(changed));
    assert_eq!(store.event(2).await.expect("event"), Some(active(2, 110)));
    // A resolved event may come back to active: every column is replaced, resolved_ms too.
    store
        .save_events(vec![active(1, 90)], Vec::new(), None)
        .await
        .expect("reopen event");
    assert_eq!(store.event(1).await.expect("event"), Some(active(1, 90)));
    assert_eq!(store.event(u64::MAX).await.expect("event"), None);
}

pub async fn a_save_stores_events_notices_and_checkpoint_together(backend: &dyn Backend) {
    let store = backend.open().await;
    assert_eq!(
        store.correlator_checkpoint().await.expect("checkpoint"),
        None
    );
    store
        .save_events(
            vec![active(7, 100)],
            vec![
                notice(7, "noc-telegram", NoticeRow::OPENED, 100, 100),
                notice(7, "noc-email", NoticeRow::OPENED, 100, 100),
            ],
            Some("checkpoint-1".into()),
        )
        .await
        .expect("save");
    assert_eq!(store.event(7).await.expect("event"), Some(active(7, 100)));
    let notices = store.notices_for_event(7).await.expect("notices");
    assert_eq!(
        described(&notices),
        [(7, "noc-telegram", "opened"), (7, "noc-email", "opened")]
    );
    assert!(
        notices[0].id > 0 && notices[1].id > notices[0].id,
        "ids assigned in order"
    );
    assert_eq!(
        store.correlator_checkpoint().await.expect("checkpoint"),
        Some("checkpoint-1".into())
    );

    // One bad row refuses the whole save: no event, no notice, the checkpoint unchanged.
    let mut late = notice(8, "noc-telegram", NoticeRow::OPENED, 200, 200);
    late.next_attempt_ms = u64::MAX;
    let error = store
        .save_events(
            vec![active(8, 200)],
            vec![late],
            Some("checkpoint-2".into()),
        )
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            StoreError::OutOfRange {
                field: "next_attempt_ms",
                value: u64::MAX
            }
        ),
        "{error}"
    );
    let error = store
        .save_events(vec![active(i64::MAX as u64 + 1, 1)], Vec::new(), None)
        .await
        .expect_err("refused");
    assert!(matches!(error, StoreError::OutOfRange { .. }), "{error}");
    assert_eq!(store.event(8).await.expect("event"), None);
    assert!(
        store
            .notices_for_event(8)
            .await
            .expect("notices")
            .is_empty()
    );
    assert_eq!(store.pending_notices().await.expect("pending"), 2);
    assert_eq!(
        store.correlator_checkpoint().await.expect("checkpoint"),
        Some("checkpoint-1".into())
    );

    // No checkpoint keeps the stored one; a new one replaces it.
    store
        .save_events(vec![active(8, 200)], Vec::new(), None)
        .await
        .expect("save without checkpoint");
    assert_eq!(
        store.correlator_checkpoint().await.expect("checkpoint"),
        Some("checkpoint-1".into())
    );
    store
        .save_events(Vec::new(), Vec::new(), Some("checkpoint-3".into()))
        .await
        .expect("save checkpoint only");
    assert_eq!(
        store.correlator_checkpoint().await.expect("checkpoint"),
        Some("checkpoint-3".into())
    );
    store
        .save_events(Vec::new(), Vec::new(), None)
        .await
        .expect("empty save");
}

pub async fn pending_updates_coalesce_but_opens_resolves_and_sent_ones_do_not(
    backend: &dyn Backend,
) {
    let store = backend.open().await;
    let ch = "noc-telegram";
    // Throttled updates (due later than they are created) coalesce into one row, which keeps its
    // id and takes the latest payload, creation and due time.
    store
        .save_events(
            vec![active(1, 100)],
            vec![
                notice(1, ch, NoticeRow::OPENED, 100, 100),
                notice(1, ch, NoticeRow::OPENED, 100, 100),
                notice(1, ch, NoticeRow::UPDATED, 110, 160),
            ],
            None,
        )
        .await
        .expect("save");
    let first_update = store.notices_for_event(1).await.expect("notices")[2].clone();
    store
        .save_events(
            Vec::new(),
            vec![notice(1, ch, NoticeRow::UPDATED, 120, 170)],
            None,
        )
        .await
        .expect("save");
    // In one call too; and another channel or event is another row.
    store
        .save_events(
            Vec::new(),
            vec![
                notice(1, ch, NoticeRow::UPDATED, 130, 180),
                notice(1, "noc-email", NoticeRow::UPDATED, 130, 180),
                notice(2, ch, NoticeRow::UPDATED, 130, 180),
                notice(1, ch, NoticeRow::UPDATED, 140, 190),
            ],
            None,
        )
        .await
        .expect("save");
    let notices = store.notices_for_event(1).await.expect("notices");
    assert_eq!(
        described(&notices),
        [
            (1, ch, "opened"),
            (1, ch, "opened"),
            (1, ch, "updated"),
            (1, "noc-email", "updated"),
        ],
        "opens never coalesce; updates coalesce per event and channel"
    );
    let update = &notices[2];
    assert_eq!(update.id, first_update.id);
    assert_eq!(
        (update.created_ms, update.next_attempt_ms),
        (140, 190),
        "the latest update's times"
    );
    assert_eq!(
        update.payload_json,
        notice(1, ch, "updated", 140, 190).payload_json
    );
    assert_eq!(store.notices_for_event(2).await.expect("notices").len(), 1);

    // A sent update is not coalesced into: the next update is a new row.
    assert!(store.notice_sent(update.id, 200).await.expect("sent"));
    store
        .save_events(
            Vec::new(),
            vec![notice(1, ch, NoticeRow::UPDATED, 210, 260)],
            None,
        )
        .await
        .expect("save");
    // Nor is one that is due (it may be in delivery right now).
    store
        .save_events(
            Vec::new(),
            vec![notice(1, ch, NoticeRow::UPDATED, 260, 300)],
            None,
        )
        .await
        .expect("save");
    // Resolves never coalesce.
    store
        .save_events(
            vec![resolved(1, 100, 400)],
            vec![
                notice(1, ch, NoticeRow::RESOLVED, 400, 400),
                notice(1, ch, NoticeRow::RESOLVED, 400, 400),
            ],
            None,
        )
        .await
        .expect("save");
    let all = store.notices_for_event(1).await.expect("notices");
    let kinds: Vec<(&str, &str, Option<u64>)> = all
        .iter()
        .filter(|n| n.channel == ch)
        .map(|n| (n.kind.as_str(), n.state.as_str(), n.sent_ms))
        .collect();
    assert_eq!(
        kinds,
        [
            ("opened", "pending", None),
            ("opened", "pending", None),
            ("updated", "sent", Some(200)),
            ("updated", "pending", None),
            ("updated", "pending", None),
            ("resolved", "pending", None),
            ("resolved", "pending", None),
        ]
    );
    // Two pending updates both waiting: one due at 200 that was not coalesced into at 250 (it
    // may have been in delivery), failed and waits for a retry at 1000, and a newer one due at
    // 300. The next update goes into the newer one, so the channel's last word is the latest.
    let first = notice(3, ch, NoticeRow::UPDATED, 100, 200);
    store
        .save_events(vec![active(3, 100)], vec![first.clone()], None)
        .await
        .expect("save");
    store
        .save_events(
            Vec::new(),
            vec![notice(3, ch, NoticeRow::UPDATED, 250, 300)],
            None,
        )
        .await
        .expect("save");
    let waiting = store.notices_for_event(3).await.expect("notices");
    assert_eq!(waiting.len(), 2, "a due update is not coalesced into");
    assert!(
        store
            .notice_retry(waiting[0].id, 1, 1000, "timeout".into())
            .await
            .expect("retry")
    );
    let latest = notice(3, ch, NoticeRow::UPDATED, 260, 310);
    store
        .save_events(Vec::new(), vec![latest.clone()], None)
        .await
        .expect("save");
    let after = store.notices_for_event(3).await.expect("notices");
    let payloads: Vec<(u64, &str, u64)> = after
        .iter()
        .map(|n| (n.id, n.payload_json.as_str(), n.next_attempt_ms))
        .collect();
    assert_eq!(
        payloads,
        [
            (waiting[0].id, first.payload_json.as_str(), 1000),
            (waiting[1].id, latest.payload_json.as_str(), 310),
        ]
    );
}

pub async fn active_events_are_listed_by_id(backend: &dyn Backend) {
    let store = backend.open().await;
    assert!(store.active_events().await.expect("active").is_empty());
    store
        .save_events(
            vec![
                active(5, 10),
                resolved(2, 10, 20),
                active(3, 30),
                active(9, 5),
            ],
            Vec::new(),
            None,
        )
        .await
        .expect("save");
    assert_eq!(
        ids(&store.active_events().await.expect("active")),
        [3, 5, 9]
    );
    store
        .save_events(vec![resolved(5, 10, 50)], Vec::new(), None)
        .await
        .expect("resolve");
    let still = store.active_events().await.expect("active");
    assert_eq!(ids(&still), [3, 9]);
    assert_eq!(still[0], active(3, 30));
}

pub async fn events_are_listed_newest_first_filtered_and_paged(backend: &dyn Backend) {
    let store = backend.open().await;
    let all: Vec<EventRow> = (1..=25)
        .map(|id| {
            if id % 3 == 0 {
                active(id, id * 10)
            } else {
                resolved(id, id * 10, id * 10 + 5)
            }
        })
        .collect();
    store
        .save_events(all, Vec::new(), None)
        .await
        .expect("save");
    let list = |filter: EventFilter| {
        let store = store.clone();
        async move { ids(&store.list_events(filter).await.expect("list")) }
    };
    let newest: Vec<u64> = (1..=25).rev().collect();
    assert_eq!(list(EventFilter::default()).await, newest);
    // Paging: each page continues below the last id of the previous one.
    let mut paged = Vec::new();
    let mut before_id = None;
    loop {
        let page = list(EventFilter {
            before_id,
            limit: 10,
            ..EventFilter::default()
        })
        .await;
        assert!(page.len() <= 10);
        let Some(&last) = page.last() else { break };
        paged.extend_from_slice(&page);
        before_id = Some(last);
    }
    assert_eq!(paged, newest);
    assert_eq!(
        list(EventFilter {
            status: Some(EventRow::ACTIVE.into()),
            before_id: Some(15),
            limit: 3,
            ..EventFilter::default()
        })
        .await,
        [12, 9, 6]
    );
    assert_eq!(
        list(EventFilter {
            status: Some("no such status".into()),
            ..EventFilter::default()
        })
        .await,
        Vec::<u64>::new()
    );
    assert_eq!(
        list(EventFilter {
            before_id: Some(u64::MAX),
            limit: 1,
            ..EventFilter::default()
        })
        .await,
        [25]
    );
    assert_eq!(
        list(EventFilter {
            before_id: Some(1),
            ..EventFilter::default()
        })
        .await,
        Vec::<u64>::new()
    );
}

pub async fn since_keeps_events_started_or_resolved_since_and_active_ones(backend: &dyn Backend) {
    let store = backend.open().await;
    store
        .save_events(
            vec![
                resolved(1, 100, 200), // over before 300
                resolved(2, 100, 300), // resolved at 300
                resolved(3, 350, 360), // started after 300
                active(4, 50),         // still going on, started long ago
                active(5, 400),
                resolved(6, 100, 299), // over just before 300
            ],
            Vec::new(),
            None,
        )
        .await
        .expect("save");
    let since = |since_ms: u64, status: Option<&str>| {
        let store = store.clone();
        let status = status.map(str::to_owned);
        async move {
            ids(&store
                .list_events(EventFilter {
                    since_ms: Some(since_ms),
                    status,
                    ..EventFilter::default()
                })
                .await
                .expect("list"))
        }
    };
    assert_eq!(since(300, None).await, [5, 4, 3, 2]);
    assert_eq!(since(300, Some(EventRow::RESOLVED)).await, [3, 2]);
    assert_eq!(since(0, None).await, [6, 5, 4, 3, 2, 1]);
    assert_eq!(
        since(u64::MAX, None).await,
        [5, 4],
        "only what is still active"
    );
}

pub async fn max_event_id_is_zero_then_the_highest(backend: &dyn Backend) {
    let store = backend.open().await;
    assert_eq!(store.max_event_id().await.expect("max"), 0);
    store
        .save_events(vec![active(41, 1), resolved(7, 1, 2)], Vec::new(), None)
        .await
        .expect("save");
    assert_eq!(store.max_event_id().await.expect("max"), 41);
    let high = i64::MAX as u64;
    store
        .save_events(vec![active(high, 1)], Vec::new(), None)
        .await
        .expect("save");
    assert_eq!(store.max_event_id().await.expect("max"), high);
}

pub async fn prune_events_drops_old_resolved_events_and_their_settled_notices(
    backend: &dyn Backend,
) {
    let store = backend.open().await;
    store
        .save_events(
            vec![resolved(1, 10, 100), resolved(2, 10, 300), active(3, 10)],
            vec![
                notice(1, "a", NoticeRow::OPENED, 10, 10),
                notice(1, "a", NoticeRow::RESOLVED, 100, 100),
                notice(2, "a", NoticeRow::RESOLVED, 300, 300),
                notice(3, "a", NoticeRow::OPENED, 10, 10),
            ],
            None,
        )
        .await
        .expect("save");
    let one = store.notices_for_event(1).await.expect("notices");
    assert!(store.notice_sent(one[0].id, 20).await.expect("sent"));

    assert_eq!(store.prune_events(100).await.expect("prune nothing"), 0);
    assert_eq!(store.prune_events(200).await.expect("prune"), 1);
    assert_eq!(store.event(1).await.expect("event"), None);
    // The sent notice went with its event; the pending one is still delivered.
    let left = store.notices_for_event(1).await.expect("notices");
    assert_eq!(described(&left), [(1, "a", "resolved")]);
    assert_eq!(left[0].id, one[1].id);
    assert_eq!(
        ids(&store
            .list_events(EventFilter::default())
            .await
            .expect("list")),
        [3, 2]
    );

    // Active events stay however old; everything resolved goes with a late cut-off.
    assert_eq!(store.prune_events(u64::MAX).await.expect("prune"), 1);
    assert_eq!(
        ids(&store
            .list_events(EventFilter::default())
            .await
            .expect("list")),
        [3]
    );
    assert_eq!(store.notices_for_event(3).await.expect("notices").len(), 1);
    assert_eq!(store.pending_notices().await.expect("pending"), 3);
}

pub async fn events_notices_windows_and_checkpoint_survive_reopening(backend: &dyn Backend) {
    let window_id;
    {
        let store = backend.open().await;
        store
            .save_events(
                vec![active(1, 100), resolved(2, 50, 90)],
                vec![notice(1, "a", NoticeRow::OPENED, 100, 100)],
                Some("checkpoint".into()),
            )
            .await
            .expect("save");
        window_id = store
            .create_maintenance(window("[]", 1, 2))
            .await
            .expect("create")
            .id;
    }
    let store = backend.open().await;
    assert_eq!(ids(&store.active_events().await.expect("active")), [1]);
    assert_eq!(
        store.event(2).await.expect("event"),
        Some(resolved(2, 50, 90))
    );
    assert_eq!(
        store.correlator_checkpoint().await.expect("checkpoint"),
        Some("checkpoint".into())
    );
    let due = store.due_notices(100, 10).await.expect("due");
    assert_eq!(described(&due), [(1, "a", "opened")]);
    assert_eq!(
        store.maintenance(window_id).await.expect("get"),
        Some(MaintenanceRow {
            id: window_id,
            ..window("[]", 1, 2)
        })
    );
    // New ids continue after the stored ones.
    store
        .save_events(
            Vec::new(),
            vec![notice(1, "a", NoticeRow::RESOLVED, 200, 200)],
            None,
        )
        .await
        .expect("save");
    let notices = store.notices_for_event(1).await.expect("notices");
    assert!(notices[1].id > notices[0].id);
}
