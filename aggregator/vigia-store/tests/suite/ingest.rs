//! Result batches: idempotent commits, the watermark, durability across reopening.

use std::collections::BTreeSet;
use std::sync::Arc;

use vigia_store::{ACKED_ABOVE_LIMIT, ApiKeyRow, Batch, EntityRow, StoreError};

use super::{Backend, agent, batch, batches};

pub async fn a_resent_batch_is_a_duplicate_and_stored_once(backend: &dyn Backend) {
    let store = backend.open().await;
    let tower = agent("tower-1");

    let first = store
        .commit(&tower, 7, batches([1, 2]))
        .await
        .expect("commit");
    assert_eq!((first.inserted, first.duplicates), (vec![1, 2], vec![]));
    assert_eq!(first.up_to, 2);

    // 2 again (resent after a lost ack), 3 new, and 3 twice in the same call.
    let mut resend = batches([2, 3]);
    resend.push(Batch {
        payload: b"a different payload for 3".to_vec(),
        ..batch(3)
    });
    let second = store.commit(&tower, 7, resend).await.expect("commit");
    assert_eq!(second.inserted, vec![3]);
    assert_eq!(second.duplicates, vec![2, 3]);
    assert_eq!(second.up_to, 3);

    assert_eq!(store.batch_count(&tower).await.expect("count"), 3);
    let stored = store.batches(&tower, 7).await.expect("read back");
    let seqs: Vec<u64> = stored.iter().map(|b| b.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    // The first copy wins; a duplicate never overwrites.
    assert_eq!(stored[2].payload, batch(3).payload);
    assert_eq!(stored[1].live, batch(2).live);
    assert_eq!(stored[0].live, batch(1).live);
    assert!(stored.iter().all(|b| b.epoch == 7 && b.received_at_ms > 0));
}

pub async fn the_same_sequence_in_another_epoch_or_agent_is_another_batch(backend: &dyn Backend) {
    let store = backend.open().await;
    let (a, b) = (agent("tower-a"), agent("tower-b"));
    for (who, epoch) in [(&a, 1), (&a, 2), (&b, 1)] {
        let committed = store
            .commit(who, epoch, batches([1]))
            .await
            .expect("commit");
        assert_eq!(committed.inserted, vec![1], "{who} epoch {epoch}");
    }
    assert_eq!(store.batch_count(&a).await.expect("count"), 2);
    assert_eq!(store.batch_count(&b).await.expect("count"), 1);
    // An epoch above i64::MAX is stored bit for bit and found again, apart from its neighbours.
    let huge = u64::MAX - 3;
    store
        .commit(&b, huge, batches([1, 2]))
        .await
        .expect("commit");
    assert_eq!(store.acked(&b, huge).await.expect("acked").up_to, 2);
    assert_eq!(store.acked(&b, huge + 1).await.expect("acked").up_to, 0);
    let stored = store.batches(&b, huge).await.expect("read");
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|s| s.epoch == huge));
}

pub async fn the_watermark_stops_at_the_first_gap_and_lists_what_is_above(backend: &dyn Backend) {
    let store = backend.open().await;
    let tower = agent("tower-1");

    let empty = store.acked(&tower, 1).await.expect("acked");
    assert_eq!((empty.up_to, empty.above.len()), (0, 0));

    // Live batches first (high sequences), then the backlog fills the gaps.
    let live = store
        .commit(&tower, 1, batches([9, 10]))
        .await
        .expect("commit");
    assert_eq!((live.up_to, live.above_watermark()), (0, vec![9, 10]));
    let some = store
        .commit(&tower, 1, batches([1, 2, 5]))
        .await
        .expect("commit");
    assert_eq!((some.up_to, some.above_watermark()), (2, vec![5]));
    let acked = store.acked(&tower, 1).await.expect("acked");
    assert_eq!((acked.up_to, acked.above), (2, vec![5, 9, 10]));

    let fill = store
        .commit(&tower, 1, batches([4, 3, 6, 7, 8]))
        .await
        .expect("commit");
    assert_eq!((fill.up_to, fill.above_watermark()), (10, vec![]));
    let acked = store.acked(&tower, 1).await.expect("acked");
    assert_eq!((acked.up_to, acked.above), (10, vec![]));

    // The largest storable sequence ends a run without overflowing.
    let top = i64::MAX as u64;
    let near_top = store
        .commit(&tower, 2, batches([top - 1, top]))
        .await
        .expect("commit");
    assert_eq!(
        (near_top.up_to, near_top.above_watermark()),
        (0, vec![top - 1, top])
    );
}

pub async fn the_watermark_matches_a_set_model_over_random_commits(backend: &dyn Backend) {
    let store = backend.open().await;
    let tower = agent("tower-1");
    let mut model = BTreeSet::new();
    let mut x: u64 = 0x5eed;
    for _ in 0..120 {
        let mut call = Vec::new();
        for _ in 0..(1 + x % 5) {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            call.push(1 + (x >> 33) % 160);
        }
        let committed = store
            .commit(&tower, 1, batches(call.iter().copied()))
            .await
            .expect("commit");
        // In the order given: the first copy of a sequence not stored yet is inserted, any
        // other copy is a duplicate.
        let mut new_in_call = BTreeSet::new();
        let (inserted, duplicates): (Vec<u64>, Vec<u64>) = call
            .iter()
            .partition(|seq| !model.contains(*seq) && new_in_call.insert(**seq));
        assert_eq!(committed.inserted, inserted, "call {call:?}");
        assert_eq!(committed.duplicates, duplicates, "call {call:?}");
        model.extend(call);
        let contiguous = (1..).take_while(|s| model.contains(s)).count() as u64;
        assert_eq!(committed.up_to, contiguous);
        let acked = store.acked(&tower, 1).await.expect("acked");
        let above: Vec<u64> = model.range(contiguous + 1..).copied().collect();
        assert_eq!((acked.up_to, acked.above), (contiguous, above));
    }
    assert_eq!(
        store.batch_count(&tower).await.expect("count"),
        model.len() as u64
    );
}

pub async fn acked_lists_at_most_the_limit_above_the_watermark(backend: &dyn Backend) {
    let store = backend.open().await;
    let tower = agent("tower-1");
    let above = ACKED_ABOVE_LIMIT as u64 + 10;
    store
        .commit(&tower, 1, batches(2..=above + 1))
        .await
        .expect("commit");
    let acked = store.acked(&tower, 1).await.expect("acked");
    assert_eq!(acked.up_to, 0);
    assert_eq!(acked.above.len(), ACKED_ABOVE_LIMIT);
    assert_eq!(acked.above.first(), Some(&2));
    assert_eq!(acked.above.last(), Some(&(ACKED_ABOVE_LIMIT as u64 + 1)));
}

pub async fn sequences_outside_the_stored_range_are_refused(backend: &dyn Backend) {
    let store = backend.open().await;
    let tower = agent("tower-1");
    for bad in [0, i64::MAX as u64 + 1] {
        let error = store
            .commit(&tower, 1, vec![batch(1), batch(bad)])
            .await
            .expect_err("refused");
        assert!(
            matches!(error, StoreError::InvalidSequence { seq, .. } if seq == bad),
            "{error}"
        );
    }
    assert_eq!(store.batch_count(&tower).await.expect("count"), 0);
}

/// Eight agents commit at once (so the writers group calls), two callers interleave on one
/// stream, and every batch lands with the watermark where the data says.
pub async fn concurrent_commits_all_land_with_the_right_watermarks(backend: &dyn Backend) {
    const AGENTS: u64 = 8;
    const CALLS: u64 = 25;
    let store = backend.open().await;
    let mut tasks = Vec::new();
    for n in 0..AGENTS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let who = agent(&format!("tower-{n}"));
            for call in 0..CALLS {
                let committed = store
                    .commit(&who, 1, batches([2 * call + 1, 2 * call + 2]))
                    .await
                    .expect("commit");
                assert_eq!(committed.up_to, 2 * call + 2);
                assert_eq!(committed.inserted.len(), 2);
            }
        }));
    }
    // Odd and even sequences of one stream from two callers at once.
    for parity in [1, 2] {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let shared = agent("shared");
            for call in 0..CALLS {
                let seq = 2 * call + parity;
                let committed = store
                    .commit(&shared, 9, batches([seq]))
                    .await
                    .expect("commit");
                assert_eq!(committed.inserted, vec![seq]);
            }
        }));
    }
    for task in tasks {
        task.await.expect("committer");
    }
    for n in 0..AGENTS {
        let who = agent(&format!("tower-{n}"));
        assert_eq!(store.batch_count(&who).await.expect("count"), 2 * CALLS);
    }
    let shared = store.acked(&agent("shared"), 9).await.expect("acked");
    assert_eq!((shared.up_to, shared.above), (2 * CALLS, vec![]));
}

pub async fn everything_committed_survives_reopening(backend: &dyn Backend) {
    let tower = agent("tower-1");
    {
        let store = backend.open().await;
        store
            .commit(&tower, 3, batches([1, 2, 4]))
            .await
            .expect("commit");
        store
            .upsert_entities(vec![EntityRow {
                id: "olt:1".into(),
                kind: "olt".into(),
                name: "OLT 1".into(),
                site: Some("pop-a".into()),
                attributes_json: r#"{"vendor":"x"}"#.into(),
                first_seen_ms: 10,
                last_seen_ms: 20,
            }])
            .await
            .expect("entities");
        store
            .create_api_key(ApiKeyRow {
                id: "k1".into(),
                name: "ops".into(),
                hash: [7; 32],
                scopes: vec!["read".into()],
                created_at_ms: 5,
                expires_at_ms: None,
                revoked_at_ms: None,
            })
            .await
            .expect("api key");
    }
    let store = backend.open().await;
    let acked = store.acked(&tower, 3).await.expect("acked");
    assert_eq!((acked.up_to, acked.above), (2, vec![4]));
    let committed = store
        .commit(&tower, 3, batches([3, 4]))
        .await
        .expect("commit");
    assert_eq!(
        (committed.inserted, committed.duplicates),
        (vec![3], vec![4])
    );
    assert_eq!(committed.up_to, 4);
    let entities = store.load_entities().await.expect("entities");
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0].attributes_json, r#"{"vendor":"x"}"#);
    let key = store.api_key_by_hash([7; 32]).await.expect("lookup");
    assert_eq!(key.map(|k| k.id), Some("k1".to_owned()));
}
