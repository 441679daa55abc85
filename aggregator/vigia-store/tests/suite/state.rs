//! Entities, topology edges, state-change history and retention.

use vigia_store::{EdgeRow, EntityRow, Pruned, StateChange, StoreError};

use super::{Backend, agent, batches, clock_past};

fn entity(id: &str, name: &str, site: Option<&str>, first: u64, last: u64) -> EntityRow {
    EntityRow {
        id: id.into(),
        kind: id.split(':').next().unwrap_or("unknown").into(),
        name: name.into(),
        site: site.map(Into::into),
        attributes_json: format!(r#"{{"name":"{name}"}}"#),
        first_seen_ms: first,
        last_seen_ms: last,
    }
}

fn edge(parent: &str, child: &str, relation: &str, source: &str, seen: u64) -> EdgeRow {
    EdgeRow {
        parent: parent.into(),
        child: child.into(),
        relation: relation.into(),
        source: source.into(),
        seen_ms: seen,
    }
}

fn change(entity_id: &str, at_ms: u64, state: &str) -> StateChange {
    StateChange {
        entity_id: entity_id.into(),
        at_ms,
        state: state.into(),
        reason: format!("{state} at {at_ms}"),
        source: "plugin:ping@tower-1".into(),
    }
}

fn states(changes: &[StateChange]) -> Vec<(&str, u64, &str)> {
    changes
        .iter()
        .map(|c| (c.entity_id.as_str(), c.at_ms, c.state.as_str()))
        .collect()
}

pub async fn entities_are_upserted_by_id_keeping_first_and_last_seen(backend: &dyn Backend) {
    let store = backend.open().await;
    store
        .upsert_entities(vec![
            entity("onu:a", "first name", Some("pop-a"), 100, 200),
            entity("onu:B", "upper", None, 50, 60),
        ])
        .await
        .expect("insert");
    // An update: new fields; times only widen. The same id twice in one call folds in order.
    store
        .upsert_entities(vec![
            entity("onu:a", "second name", None, 150, 180),
            entity("olt:1", "olt", Some("pop-a"), 1, 1),
            entity("onu:a", "third name", Some("pop-b"), 90, 250),
        ])
        .await
        .expect("update");
    let loaded = store.load_entities().await.expect("load");
    // Ordered by id, bytewise ("B" sorts before "a") on every backend.
    let ids: Vec<&str> = loaded.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["olt:1", "onu:B", "onu:a"]);
    assert_eq!(
        loaded[2],
        entity("onu:a", "third name", Some("pop-b"), 90, 250)
    );
    assert_eq!(loaded[1], entity("onu:B", "upper", None, 50, 60));

    store
        .upsert_entities(vec![entity("onu:a", "fourth", None, 120, 130)])
        .await
        .expect("update");
    let a = store.load_entities().await.expect("load").remove(2);
    assert_eq!(a, entity("onu:a", "fourth", None, 90, 250));
}

pub async fn edges_are_upserted_and_deleted_by_parent_child_and_source(backend: &dyn Backend) {
    let store = backend.open().await;
    store
        .upsert_edges(vec![
            edge("pon:1", "onu:a", "fibre", "plugin:smartolt", 10),
            edge("pon:1", "onu:a", "fibre", "override", 5),
            edge("ap:1", "sm:1", "radio", "plugin:cnmaestro", 7),
        ])
        .await
        .expect("insert");
    store
        .upsert_edges(vec![
            edge("pon:1", "onu:a", "logical", "plugin:smartolt", 8),
            edge("pon:1", "onu:a", "fibre", "plugin:smartolt", 9),
            edge("ap:1", "sm:1", "radio", "plugin:cnmaestro", 30),
        ])
        .await
        .expect("update");
    let loaded = store.load_edges().await.expect("load");
    assert_eq!(
        loaded,
        vec![
            edge("ap:1", "sm:1", "radio", "plugin:cnmaestro", 30),
            edge("pon:1", "onu:a", "fibre", "override", 5),
            // The later relation, the largest seen_ms.
            edge("pon:1", "onu:a", "fibre", "plugin:smartolt", 10),
        ]
    );

    let key = |p: &str, c: &str, s: &str| (p.to_owned(), c.to_owned(), s.to_owned());
    let deleted = store
        .delete_edges(vec![
            key("pon:1", "onu:a", "override"),
            key("pon:1", "onu:a", "override"),
            key("pon:1", "onu:zzz", "override"),
        ])
        .await
        .expect("delete");
    assert_eq!(deleted, 1);
    let left: Vec<String> = store
        .load_edges()
        .await
        .expect("load")
        .into_iter()
        .map(|e| e.source)
        .collect();
    assert_eq!(left, ["plugin:cnmaestro", "plugin:smartolt"]);
}

pub async fn history_is_idempotent_newest_first_and_bounded(backend: &dyn Backend) {
    let store = backend.open().await;
    let appended = vec![
        change("onu:a", 100, "up"),
        change("onu:a", 300, "down"),
        change("onu:b", 150, "down"),
        change("onu:a", 200, "degraded"),
    ];
    store
        .append_changes(appended.clone())
        .await
        .expect("append");
    // The same changes again, one of them twice in the call, plus a new one.
    let mut again = appended.clone();
    again.push(change("onu:a", 300, "down"));
    again.push(change("onu:a", 400, "up"));
    store.append_changes(again).await.expect("append again");

    let history = store.history("onu:a", 0, 100).await.expect("history");
    assert_eq!(
        states(&history),
        [
            ("onu:a", 400, "up"),
            ("onu:a", 300, "down"),
            ("onu:a", 200, "degraded"),
            ("onu:a", 100, "up"),
        ]
    );
    assert_eq!(history[1], change("onu:a", 300, "down"));
    let since = store.history("onu:a", 200, 100).await.expect("history");
    assert_eq!(states(&since).len(), 3, "at_ms >= since_ms");
    let limited = store.history("onu:a", 0, 2).await.expect("history");
    assert_eq!(
        states(&limited),
        [("onu:a", 400, "up"), ("onu:a", 300, "down")]
    );
    assert!(
        store
            .history("onu:zzz", 0, 10)
            .await
            .expect("history")
            .is_empty()
    );
    assert!(
        store
            .history("onu:a", u64::MAX, 10)
            .await
            .expect("history")
            .is_empty()
    );
}

pub async fn latest_changes_give_each_entitys_current_state(backend: &dyn Backend) {
    let store = backend.open().await;
    assert!(store.latest_changes().await.expect("latest").is_empty());
    store
        .append_changes(vec![
            change("onu:b", 500, "down"),
            change("onu:a", 100, "up"),
            // Appended out of order: the latest is by time, not by append.
            change("onu:b", 900, "up"),
            change("onu:b", 700, "degraded"),
            // Two changes of one entity in the same millisecond: the later appended wins.
            change("olt:1", 50, "down"),
            change("olt:1", 50, "up"),
        ])
        .await
        .expect("append");
    let latest = store.latest_changes().await.expect("latest");
    assert_eq!(
        states(&latest),
        [
            ("olt:1", 50, "up"),
            ("onu:a", 100, "up"),
            ("onu:b", 900, "up")
        ]
    );
    assert_eq!(latest[2], change("onu:b", 900, "up"));
    // History lists same-millisecond changes newest appended first too.
    let olt = store.history("olt:1", 0, 10).await.expect("history");
    assert_eq!(states(&olt), [("olt:1", 50, "up"), ("olt:1", 50, "down")]);
}

pub async fn prune_keeps_each_entitys_latest_change_and_drops_old_batches(backend: &dyn Backend) {
    let store = backend.open().await;
    store
        .append_changes(vec![
            change("onu:a", 100, "up"),
            change("onu:a", 200, "down"),
            change("onu:a", 300, "up"),
            // Only old changes: the latest stays, whatever its age.
            change("onu:b", 50, "down"),
            change("onu:b", 60, "up"),
            change("onu:c", 1000, "up"),
        ])
        .await
        .expect("append");
    let tower = agent("tower-1");
    store
        .commit(&tower, 1, batches([1, 2]))
        .await
        .expect("commit old");
    let old_max = store
        .batches(&tower, 1)
        .await
        .expect("read")
        .iter()
        .map(|b| b.received_at_ms)
        .max()
        .expect("two batches");
    clock_past(old_max).await;
    store
        .commit(&tower, 1, batches([3]))
        .await
        .expect("commit new");

    assert_eq!(
        store.prune(0, 0).await.expect("prune nothing"),
        Pruned::default()
    );
    let pruned = store.prune(250, old_max + 1).await.expect("prune");
    assert_eq!(
        pruned,
        Pruned {
            state_changes: 3,
            batches: 2
        }
    );
    let a = store.history("onu:a", 0, 10).await.expect("history");
    assert_eq!(states(&a), [("onu:a", 300, "up")]);
    let b = store.history("onu:b", 0, 10).await.expect("history");
    assert_eq!(states(&b), [("onu:b", 60, "up")]);
    let latest = store.latest_changes().await.expect("latest");
    assert_eq!(latest.len(), 3);
    let left: Vec<u64> = store
        .batches(&tower, 1)
        .await
        .expect("read")
        .iter()
        .map(|b| b.seq)
        .collect();
    assert_eq!(left, [3]);
    // The watermark stays: pruned batches are still acknowledged, not asked for again.
    assert_eq!(store.acked(&tower, 1).await.expect("acked").up_to, 3);
    let next = store
        .commit(&tower, 1, batches([4]))
        .await
        .expect("commit after prune");
    assert_eq!(next.up_to, 4);
    // Pruning again with everything in the past deletes only what is not an entity's latest.
    let all = store.prune(u64::MAX, u64::MAX).await.expect("prune all");
    assert_eq!(all.state_changes, 0);
    assert_eq!(all.batches, 2);
}

pub async fn times_above_i64_are_refused_and_nothing_is_written(backend: &dyn Backend) {
    let store = backend.open().await;
    let error = store
        .upsert_entities(vec![
            entity("onu:a", "fine", None, 1, 2),
            entity("onu:b", "too late", None, 1, u64::MAX),
        ])
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            StoreError::OutOfRange {
                field: "last_seen_ms",
                value: u64::MAX
            }
        ),
        "{error}"
    );
    assert!(store.load_entities().await.expect("load").is_empty());
    let error = store
        .append_changes(vec![change("onu:a", i64::MAX as u64 + 1, "up")])
        .await
        .expect_err("refused");
    assert!(
        matches!(error, StoreError::OutOfRange { field: "at_ms", .. }),
        "{error}"
    );
    let error = store
        .upsert_edges(vec![edge("a", "b", "fibre", "override", u64::MAX)])
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            StoreError::OutOfRange {
                field: "seen_ms",
                ..
            }
        ),
        "{error}"
    );
    assert!(store.latest_changes().await.expect("latest").is_empty());
    assert!(store.load_edges().await.expect("edges").is_empty());
}

pub async fn empty_writes_are_accepted(backend: &dyn Backend) {
    let store = backend.open().await;
    store.upsert_entities(Vec::new()).await.expect("entities");
    store.upsert_edges(Vec::new()).await.expect("edges");
    store.append_changes(Vec::new()).await.expect("changes");
    assert_eq!(store.delete_edges(Vec::new()).await.expect("delete"), 0);
    let committed = store
        .commit(&agent("tower-1"), 1, Vec::new())
        .await
        .expect("commit");
    assert_eq!((committed.up_to, committed.inserted.len()), (0, 0));
}
