//! Last-up times after a restart, and the slots kept in step with the entities.

use super::*;

fn change(entity: &str, at_ms: u64, state: &str) -> vigia_store::StateChange {
    vigia_store::StateChange {
        entity_id: entity.to_owned(),
        at_ms,
        state: state.to_owned(),
        reason: String::new(),
        source: "plugin:ping@agent-a".to_owned(),
    }
}

#[test]
fn the_change_after_the_newest_up_ends_the_up_period() {
    use crate::live::last_up_from_history;
    let h = |changes: &[(u64, &str)]| {
        changes
            .iter()
            .map(|(at, state)| change("host:x", *at, state))
            .collect::<Vec<_>>()
    };
    // Newest first: up at 10, down at 20, unknown at 30 → the up period ended at 20.
    assert_eq!(
        last_up_from_history(&h(&[(30, "unknown"), (20, "down"), (10, "up")])),
        Some(20)
    );
    assert_eq!(
        last_up_from_history(&h(&[
            (40, "down"),
            (25, "degraded"),
            (20, "down"),
            (10, "up")
        ])),
        Some(40)
    );
    assert_eq!(
        last_up_from_history(&h(&[(30, "down"), (20, "unknown")])),
        None
    );
    assert_eq!(last_up_from_history(&[]), None);
}

#[tokio::test]
async fn the_service_restores_last_up_times_from_the_history() {
    use std::sync::Arc;
    use vigia_store::StateStore;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64;
    let hour = 3_600_000;
    let store = Arc::new(crate::testing::MemoryStateStore::new());
    let ids = [
        "host:10.0.0.1",
        "host:10.0.0.2",
        "host:10.0.0.3",
        "host:10.0.0.4",
    ];
    let rows = ids
        .iter()
        .map(|id| EntityRow {
            id: (*id).to_owned(),
            kind: "host".to_owned(),
            name: (*id).to_owned(),
            site: None,
            attributes_json: "{}".to_owned(),
            first_seen_ms: now - 72 * hour,
            last_seen_ms: now - 3 * hour,
        })
        .collect();
    store.upsert_entities(rows).await.unwrap();
    store
        .append_changes(vec![
            // 1: up, then down two hours ago, then unknown (swept).
            change(ids[0], now - 5 * hour, "up"),
            change(ids[0], now - 2 * hour, "down"),
            change(ids[0], now - hour, "unknown"),
            // 2: up now (restored up: last up = its last confirmation).
            change(ids[1], now - 4 * hour, "up"),
            // 3: down all day long (a churned subscriber): never up in the history.
            change(ids[2], now - 20 * hour, "down"),
            // 4: down for more than a day: the history is not read.
            change(ids[3], now - 50 * hour, "up"),
            change(ids[3], now - 30 * hour, "down"),
        ])
        .await
        .unwrap();
    let (handle, task) = crate::StateService::start(store.clone(), StateConfig::default(), None)
        .await
        .unwrap();
    let last_up = |id: &str| handle.read().entity(id).expect(id).last_up_ms;
    assert_eq!(last_up(ids[0]), Some(now - 2 * hour));
    assert_eq!(last_up(ids[1]), Some(now - 3 * hour), "its last-seen time");
    assert_eq!(last_up(ids[2]), None);
    assert_eq!(last_up(ids[3]), None);
    handle.shutdown();
    tokio::time::timeout(std::time::Duration::from_secs(10), task)
        .await
        .expect("the service stops")
        .unwrap();
}

// === slots ===

/// Every entity's slot holds its current state fields.
fn assert_slots_follow_entities(live: &LiveState) {
    for entity in live.entities.values() {
        let slot = live.slot(entity.slot);
        let mut want = slot;
        want.sync(entity, None);
        assert_eq!(slot, want, "{}", entity.id);
        let alarms = entity
            .attributes
            .get("alarms")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|a| !a.is_empty());
        assert_eq!(slot.alarms, alarms, "{}", entity.id);
    }
}

#[test]
fn slots_follow_applies_sweeps_and_restores() {
    let mut live = built();
    live.apply(
        "agent-a",
        &[run(
            "smartolt",
            T0 + 1_000,
            vec![
                obs(
                    "acct",
                    T0 + 1_000,
                    onu(
                        "hwtc01",
                        1,
                        Some("cto-1"),
                        OnuStatus::Los,
                        Some("ana"),
                        None,
                    ),
                ),
                alarm(EntityKind::Olt, "olt-1", "fan_fail", "fan 2 stopped", None),
            ],
        )],
        T0 + 1_000,
    );
    assert_slots_follow_entities(&live);
    let mut all = crate::Changes::default();
    all.entities.extend(live.unpersisted_seen().entities);
    live.sweep(T0 + 3_600_000);
    assert_slots_follow_entities(&live);
    // Restored from rows (latest state per entity), slots are rebuilt.
    let mut restored = LiveState::new(StateConfig::default());
    let latest = vec![
        change("onu:HWTC01", T0 + 1_000, "down"),
        change("subscriber:ana", T0, "up"),
    ];
    restored.restore(all.entities, Vec::new(), latest, &HashMap::new());
    assert_slots_follow_entities(&restored);
    let ana = restored.entity("subscriber:ana").unwrap();
    assert_eq!(
        restored
            .slot(restored.entities["subscriber:ana"].slot)
            .last_up_ms,
        ana.last_up_ms
    );
}
