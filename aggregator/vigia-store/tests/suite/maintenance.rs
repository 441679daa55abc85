//! Maintenance windows.

use vigia_store::{MaintenanceRow, StoreError};

use super::Backend;
use super::events::window;

pub async fn maintenance_windows_are_created_updated_listed_and_deleted(backend: &dyn Backend) {
    let store = backend.open().await;
    assert!(store.list_maintenance().await.expect("list").is_empty());
    let late = store
        .create_maintenance(window(r#"["olt:1"]"#, 500, 600))
        .await
        .expect("create");
    let early = store
        .create_maintenance(window(r#"["onu:a","onu:b"]"#, 100, 200))
        .await
        .expect("create");
    let same_start = store
        .create_maintenance(window("[]", 100, 150))
        .await
        .expect("create");
    assert!(late.id > 0 && early.id > late.id && same_start.id > early.id);
    assert_eq!(
        late,
        MaintenanceRow {
            id: late.id,
            ..window(r#"["olt:1"]"#, 500, 600)
        }
    );
    assert_eq!(
        store.maintenance(early.id).await.expect("get"),
        Some(early.clone())
    );
    let listed = store.list_maintenance().await.expect("list");
    assert_eq!(
        listed,
        [early.clone(), same_start.clone(), late.clone()],
        "by start, then id"
    );

    let mut moved = MaintenanceRow {
        starts_ms: 50,
        ends_ms: 700,
        reason: "moved".into(),
        created_by: "key:admin".into(),
        created_ms: 9,
        entities_json: r#"["olt:2"]"#.into(),
        ..late.clone()
    };
    assert!(
        store
            .update_maintenance(moved.clone())
            .await
            .expect("update")
    );
    assert_eq!(
        store.maintenance(late.id).await.expect("get"),
        Some(moved.clone())
    );
    assert_eq!(
        ids_of(&store.list_maintenance().await.expect("list")),
        [late.id, early.id, same_start.id]
    );

    // Empty or reversed windows are refused, on create and on update, and change nothing.
    for (starts_ms, ends_ms) in [(300, 300), (300, 200)] {
        let error = store
            .create_maintenance(window("[]", starts_ms, ends_ms))
            .await
            .expect_err("refused");
        assert!(
            matches!(error, StoreError::InvalidWindow { starts_ms: s, ends_ms: e } if s == starts_ms && e == ends_ms),
            "{error}"
        );
        let error = store
            .update_maintenance(MaintenanceRow {
                starts_ms,
                ends_ms,
                ..moved.clone()
            })
            .await
            .expect_err("refused");
        assert!(matches!(error, StoreError::InvalidWindow { .. }), "{error}");
    }
    assert_eq!(
        store.maintenance(late.id).await.expect("get"),
        Some(moved.clone())
    );
    let error = store
        .create_maintenance(window("[]", 1, u64::MAX))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            StoreError::OutOfRange {
                field: "ends_ms",
                ..
            }
        ),
        "{error}"
    );

    // Unknown ids: nothing to update, delete or get.
    moved.id = same_start.id + 1000;
    assert!(
        !store
            .update_maintenance(moved.clone())
            .await
            .expect("update")
    );
    moved.id = u64::MAX;
    assert!(!store.update_maintenance(moved).await.expect("update"));
    assert!(
        !store
            .delete_maintenance(same_start.id + 1000)
            .await
            .expect("delete")
    );
    assert!(!store.delete_maintenance(u64::MAX).await.expect("delete"));
    assert_eq!(store.maintenance(u64::MAX).await.expect("get"), None);

    assert!(store.delete_maintenance(early.id).await.expect("delete"));
    assert!(
        !store
            .delete_maintenance(early.id)
            .await
            .expect("delete twice")
    );
    assert_eq!(store.maintenance(early.id).await.expect("get"), None);
    assert_eq!(
        ids_of(&store.list_maintenance().await.expect("list")),
        [late.id, same_start.id]
    );
    // A deleted window's id is not given again.
    let next = store
        .create_maintenance(window("[]", 1, 2))
        .await
        .expect("create");
    assert!(next.id > same_start.id);
}

fn ids_of(windows: &[MaintenanceRow]) -> Vec<u64> {
    windows.iter().map(|w| w.id).collect()
}
