//! REST API keys: unique id and hash, lookup by hash, listing, revocation.

use vigia_store::{ApiKeyRow, StoreError};

use super::Backend;

fn key(id: &str, hash_byte: u8, created_at_ms: u64) -> ApiKeyRow {
    ApiKeyRow {
        id: id.into(),
        name: format!("key {id}"),
        hash: [hash_byte; 32],
        scopes: vec!["read".into(), "operate".into()],
        created_at_ms,
        expires_at_ms: Some(created_at_ms + 1000),
        revoked_at_ms: None,
    }
}

pub async fn an_api_key_is_created_once_and_found_by_hash(backend: &dyn Backend) {
    let store = backend.open().await;
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = i as u8 * 7;
    }
    let original = ApiKeyRow {
        hash,
        scopes: vec!["admin".into()],
        expires_at_ms: None,
        ..key("vk_1", 0, 10)
    };
    store
        .create_api_key(original.clone())
        .await
        .expect("create");
    assert_eq!(
        store.api_key_by_hash(hash).await.expect("lookup"),
        Some(original.clone())
    );
    assert_eq!(store.api_key_by_hash([1; 32]).await.expect("lookup"), None);

    // Same id, other hash: refused as a conflict on the id.
    let error = store
        .create_api_key(key("vk_1", 9, 20))
        .await
        .expect_err("duplicate id");
    assert!(
        matches!(&error, StoreError::Conflict { what } if what.contains("vk_1")),
        "{error}"
    );
    // Other id, same hash: refused as a conflict on the hash.
    let error = store
        .create_api_key(ApiKeyRow {
            hash,
            ..key("vk_2", 0, 20)
        })
        .await
        .expect_err("duplicate hash");
    assert!(
        matches!(&error, StoreError::Conflict { what } if what.contains("hash")),
        "{error}"
    );
    // Nothing of the refused keys was stored.
    assert_eq!(store.list_api_keys().await.expect("list"), vec![original]);
    assert_eq!(store.api_key_by_hash([9; 32]).await.expect("lookup"), None);
}

pub async fn api_keys_are_listed_by_creation_and_revoked_once(backend: &dyn Backend) {
    let store = backend.open().await;
    assert!(store.list_api_keys().await.expect("list").is_empty());
    for (id, byte, created) in [("c", 3, 300), ("a", 1, 100), ("b", 2, 200)] {
        store
            .create_api_key(key(id, byte, created))
            .await
            .expect("create");
    }
    let ids = |keys: Vec<ApiKeyRow>| keys.into_iter().map(|k| k.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_api_keys().await.expect("list")),
        ["a", "b", "c"]
    );

    assert!(store.revoke_api_key("b", 5000).await.expect("revoke"));
    assert!(store.revoke_api_key("b", 9000).await.expect("revoke again"));
    assert!(
        !store
            .revoke_api_key("nope", 5000)
            .await
            .expect("revoke unknown")
    );
    let b = store
        .api_key_by_hash([2; 32])
        .await
        .expect("lookup")
        .expect("still there when revoked");
    assert_eq!(
        b.revoked_at_ms,
        Some(5000),
        "revoking twice keeps the first time"
    );
    assert_eq!(b.scopes, ["read", "operate"]);
    assert_eq!(b.expires_at_ms, Some(1200));
    let listed = store.list_api_keys().await.expect("list");
    let revoked: Vec<Option<u64>> = listed.iter().map(|k| k.revoked_at_ms).collect();
    assert_eq!(revoked, [None, Some(5000), None]);
}
