//! Reading batches back in the order they were received, page by page from a cursor.

use std::sync::Arc;

use vigia_store::{AgentId, Batch, IngestStore, ReceivedBatch, ReceivedCursor, Store};

use super::{agent, clock_past};

/// A payload naming its batch, `extra` bytes longer than the name.
fn named(who: &AgentId, epoch: u64, seq: u64, extra: usize) -> Batch {
    let mut payload = format!("{who}/{epoch}/{seq}/").into_bytes();
    payload.resize(payload.len() + extra, b'.');
    Batch {
        seq,
        payload,
        live: seq.is_multiple_of(3),
    }
}

/// Every stored batch of these streams, in (received_at_ms, agent, stored epoch, seq) order: the
/// order the store promises, written out independently of it.
async fn expected_order(store: &dyn Store, streams: &[(AgentId, u64)]) -> Vec<ReceivedBatch> {
    let mut all = Vec::new();
    for (who, epoch) in streams {
        for batch in store.batches(who, *epoch).await.expect("batches") {
            let cursor = ReceivedCursor {
                received_at_ms: batch.received_at_ms,
                agent: who.to_string(),
                epoch: batch.epoch,
                seq: batch.seq,
            };
            all.push(ReceivedBatch {
                agent: who.clone(),
                batch,
                cursor,
            });
        }
    }
    all.sort_by_key(|r| {
        (
            r.batch.received_at_ms,
            r.agent.to_string(),
            r.batch.epoch as i64,
            r.batch.seq,
        )
    });
    all
}

/// Reads every page from `cursor` on, checking that each page holds 1..=`limit` batches.
async fn read_all(
    store: &dyn IngestStore,
    mut cursor: ReceivedCursor,
    limit: usize,
    max_bytes: usize,
) -> Vec<Vec<ReceivedBatch>> {
    let mut pages = Vec::new();
    loop {
        let page = store
            .received_after(&cursor, limit, max_bytes)
            .await
            .expect("received_after");
        assert!(
            page.len() <= limit.max(1),
            "page of {} > {limit}",
            page.len()
        );
        let Some(last) = page.last() else {
            return pages;
        };
        cursor = last.cursor.clone();
        pages.push(page);
        assert!(pages.len() < 10_000, "paging does not end");
    }
}

/// Several agents commit a few hundred batches at once (so groups mix agents, epochs and
/// milliseconds); paging with small limits returns each exactly once, in order, as stored.
pub async fn paging_in_received_order_returns_each_batch_once_in_order(
    backend: &dyn super::Backend,
) {
    let store = backend.open().await;
    // An epoch above i64::MAX is stored negative and sorts before the small epochs.
    let streams: Vec<(AgentId, u64)> = vec![
        (agent("tower-a"), 1),
        (agent("tower-a"), u64::MAX - 1),
        (agent("tower-b"), 7),
        (agent("olt-3"), 2),
        (agent("olt-3"), 3),
        (agent("z-9"), 1),
    ];
    let started = super::now_ms();
    let mut tasks = Vec::new();
    for (n, (who, epoch)) in streams.iter().cloned().enumerate() {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut seq = 1;
            for call in 0..20 {
                // 1 to 4 batches a call, some sent out of order.
                let size = 1 + (call + n) % 4;
                let mut call_batches: Vec<Batch> = (seq..seq + size as u64)
                    .map(|s| named(&who, epoch, s, 0))
                    .collect();
                call_batches.reverse();
                seq += size as u64;
                store
                    .commit(&who, epoch, call_batches)
                    .await
                    .expect("commit");
            }
        }));
    }
    for task in tasks {
        task.await.expect("committer");
    }
    let expected = expected_order(&*store, &streams).await;
    assert!(expected.len() >= 250, "{} batches", expected.len());
    assert!(expected[0].batch.received_at_ms >= started);

    for limit in [1, 7, 64] {
        let pages = read_all(&*store, ReceivedCursor::start(0), limit, usize::MAX).await;
        // Only the last page may be short when bytes are not the bound.
        let (last, full) = pages.split_last().expect("pages");
        assert!(full.iter().all(|page| page.len() == limit), "limit {limit}");
        assert!(!last.is_empty());
        let read: Vec<ReceivedBatch> = pages.into_iter().flatten().collect();
        assert_eq!(read.len(), expected.len(), "limit {limit}");
        for (got, want) in read.iter().zip(&expected) {
            assert_eq!(got, want, "limit {limit}");
        }
    }
    // A limit of 0 still makes progress.
    let first = store
        .received_after(&ReceivedCursor::start(0), 0, usize::MAX)
        .await
        .expect("received_after");
    assert_eq!(first, expected[..1]);
    // Resuming from any batch's cursor reads exactly what follows it.
    let middle = &expected[expected.len() / 2];
    let rest = store
        .received_after(&middle.cursor, 5, usize::MAX)
        .await
        .expect("received_after");
    assert_eq!(rest, expected[expected.len() / 2 + 1..][..5]);
}

/// `ReceivedCursor::start(ms)` starts at the first batch received at or after `ms`, and batches
/// committed after a reader reached the end are found from its cursor.
pub async fn a_start_cursor_skips_batches_received_before_it(backend: &dyn super::Backend) {
    let store = backend.open().await;
    let (a, b) = (agent("tower-a"), agent("tower-b"));
    for seq in 1..=5 {
        store
            .commit(&a, 1, vec![named(&a, 1, seq, 0)])
            .await
            .expect("commit");
    }
    let old = store.batches(&a, 1).await.expect("batches");
    let old_at = old.iter().map(|b| b.received_at_ms).max().expect("old");
    let at_old_at = old.iter().filter(|b| b.received_at_ms == old_at).count();
    let end = read_all(&*store, ReceivedCursor::start(0), 3, usize::MAX)
        .await
        .into_iter()
        .flatten()
        .last()
        .expect("old batches")
        .cursor;

    clock_past(old_at).await;
    for seq in 1..=4 {
        store
            .commit(&b, 2, vec![named(&b, 2, seq, 0)])
            .await
            .expect("commit");
    }
    let new = store.batches(&b, 2).await.expect("batches");
    let new_at = new.iter().map(|b| b.received_at_ms).min().expect("new");
    assert!(new_at > old_at);

    let seqs_of = |pages: Vec<Vec<ReceivedBatch>>| -> Vec<(String, u64)> {
        pages
            .into_iter()
            .flatten()
            .map(|r| (r.agent.to_string(), r.batch.seq))
            .collect()
    };
    let b_only: Vec<(String, u64)> = (1..=4).map(|seq| ("tower-b".to_owned(), seq)).collect();
    let from_new = read_all(&*store, ReceivedCursor::start(new_at), 2, usize::MAX).await;
    assert_eq!(seqs_of(from_new), b_only);
    let after_old = read_all(&*store, ReceivedCursor::start(old_at + 1), 2, usize::MAX).await;
    assert_eq!(seqs_of(after_old), b_only);
    // At `old_at` itself: the old batches received in that millisecond, then the new ones.
    let from_old = seqs_of(read_all(&*store, ReceivedCursor::start(old_at), 2, usize::MAX).await);
    assert_eq!(from_old.len(), at_old_at + 4);
    assert_eq!(from_old[at_old_at..], b_only[..]);
    // The reader that had reached the end finds exactly the new batches from its cursor.
    assert_eq!(seqs_of(read_all(&*store, end, 2, usize::MAX).await), b_only);
    // Nothing is received after the end of time.
    let never = store
        .received_after(&ReceivedCursor::start(u64::MAX), 10, usize::MAX)
        .await
        .expect("received_after");
    assert!(never.is_empty());
}

/// A page holds at most `max_bytes` of payload, except that its first batch is always taken,
/// and it stops only where the next batch would not fit.
pub async fn max_bytes_bounds_a_page_but_never_leaves_it_empty(backend: &dyn super::Backend) {
    let store = backend.open().await;
    let who = agent("tower-a");
    // Payloads from about 15 to 900 bytes, some larger than the budget on their own.
    let all: Vec<Batch> = (1..=60)
        .map(|seq| named(&who, 1, seq, (seq as usize * 373) % 900))
        .collect();
    for chunk in all.chunks(6) {
        store.commit(&who, 1, chunk.to_vec()).await.expect("commit");
    }
    let expected = expected_order(&*store, &[(who.clone(), 1)]).await;
    assert_eq!(expected.len(), 60);

    const BUDGET: usize = 1000;
    let pages = read_all(&*store, ReceivedCursor::start(0), 50, BUDGET).await;
    let mut taken = 0;
    for page in &pages {
        let bytes: usize = page.iter().map(|r| r.batch.payload.len()).sum();
        assert!(
            page.len() == 1 || bytes <= BUDGET,
            "{bytes} bytes in {}",
            page.len()
        );
        taken += page.len();
        if let Some(next) = expected.get(taken) {
            assert!(
                bytes + next.batch.payload.len() > BUDGET,
                "page stopped early"
            );
        }
    }
    assert!(
        pages.iter().any(|page| page.len() == 1),
        "a lone large batch"
    );
    assert!(
        pages.iter().any(|page| page.len() > 1),
        "small batches share"
    );
    let read: Vec<ReceivedBatch> = pages.into_iter().flatten().collect();
    assert_eq!(read, expected);

    // No budget at all: one batch a page, still every one.
    let pages = read_all(&*store, ReceivedCursor::start(0), 50, 0).await;
    assert!(pages.iter().all(|page| page.len() == 1));
    assert_eq!(pages.into_iter().flatten().collect::<Vec<_>>(), expected);
}

pub async fn an_empty_store_has_nothing_received(backend: &dyn super::Backend) {
    let store = backend.open().await;
    for cursor in [
        ReceivedCursor::start(0),
        ReceivedCursor {
            received_at_ms: super::now_ms(),
            agent: "tower-a".into(),
            epoch: u64::MAX,
            seq: u64::MAX,
        },
    ] {
        let page = store
            .received_after(&cursor, 10, usize::MAX)
            .await
            .expect("received_after");
        assert!(page.is_empty(), "{cursor:?}");
    }
}
