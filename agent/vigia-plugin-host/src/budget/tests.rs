//! Call budgets: the bucket on its own (time passed in), then the `http` and `tcp` host functions
//! against real local servers that count what reaches them, then a whole guest run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;
use vigia_core::ErrorClass;
use wasmtime::Store;

use super::*;
use crate::bindings::vigia::plugin::http::{Host as _, Method, Request};
use crate::bindings::vigia::plugin::tcp::Host as _;
use crate::bindings::vigia::plugin::types::HostError;
use crate::{Grants, HostConfig, Limits, PluginHost, RunOutcome, RunRequest, Target};

const HOUR: Duration = Duration::from_secs(3600);

fn budget(calls: u32, per: Duration) -> Budget {
    Budget { calls, per }
}

#[test]
fn a_bucket_refuses_the_call_past_its_size_and_says_when_the_next_one_is_allowed() {
    let mut bucket = Bucket::new(budget(3, HOUR));
    let t0 = Instant::now();
    for i in 0..3 {
        bucket
            .take(t0 + Duration::from_secs(i * 10))
            .expect("within the budget");
    }
    let now = t0 + Duration::from_secs(100);
    assert_eq!(
        bucket.take(now),
        Err(Refusal::Exhausted {
            budget: budget(3, HOUR),
            wait: HOUR - Duration::from_secs(100),
        })
    );
    assert_eq!(bucket.available(now), 0);
}

#[test]
fn each_token_comes_back_one_period_after_it_was_spent() {
    let per = Duration::from_secs(60);
    let mut bucket = Bucket::new(budget(2, per));
    let t0 = Instant::now();
    bucket.take(t0).unwrap();
    bucket.take(t0 + Duration::from_secs(30)).unwrap();
    assert!(bucket.take(t0 + Duration::from_secs(59)).is_err());
    // The first token is back at t0 + 60 s, the second only at t0 + 90 s.
    assert_eq!(bucket.available(t0 + per), 1);
    bucket.take(t0 + per).unwrap();
    assert!(bucket.take(t0 + Duration::from_secs(89)).is_err());
    assert_eq!(bucket.available(t0 + Duration::from_secs(90)), 1);
    assert_eq!(bucket.available(t0 + Duration::from_secs(200)), 2);
}

#[test]
fn no_window_of_one_period_ever_holds_more_calls_than_the_budget() {
    // Try a call every second for three periods; count the calls granted in every window.
    let per = Duration::from_secs(10);
    let mut bucket = Bucket::new(budget(4, per));
    let t0 = Instant::now();
    let granted: Vec<u64> = (0..30)
        .filter(|&s| bucket.take(t0 + Duration::from_secs(s)).is_ok())
        .collect();
    for start in 0..30 {
        let in_window = granted
            .iter()
            .filter(|&&s| s >= start && s < start + 10)
            .count();
        assert!(in_window <= 4, "window at {start} s: {granted:?}");
    }
    // And the budget is used: 4 calls in each of the three periods.
    assert_eq!(granted.len(), 12, "{granted:?}");
}

#[test]
fn the_refusal_text_names_the_budget_its_size_and_the_wait_in_whole_seconds() {
    assert_eq!(
        exhausted_text(
            "smartolt",
            budget(1000, HOUR),
            Duration::from_millis(11_200)
        ),
        "smartolt: 1000 calls per 3600 s used; next call allowed in 12 s"
    );
    assert_eq!(
        exhausted_text(
            "lab",
            budget(2, Duration::from_millis(1500)),
            Duration::ZERO
        ),
        "lab: 2 calls per 1500 ms used; next call allowed in 1 s"
    );
}

#[test]
fn budgets_are_checked_when_the_host_is_built() {
    for bad in [
        budget(0, HOUR),
        budget(1, Duration::ZERO),
        budget(100_001, HOUR),
    ] {
        let config = HostConfig {
            budgets: BTreeMap::from([("acct".to_owned(), bad)]),
            ..HostConfig::default()
        };
        let error = PluginHost::new(config).err().expect("refused");
        assert!(error.to_string().contains("call budget 'acct'"), "{error}");
    }
}

// === through the host functions ===

/// An HTTP/1.1 server that answers every request `200 OK` and closes the connection (so every
/// request is a new connection); counts the connections it accepted.
async fn counting_http_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    (port, accepted)
}

fn host_with_budget(name: &str, calls: u32, per: Duration) -> PluginHost {
    PluginHost::new(HostConfig {
        max_instances: 4,
        budgets: BTreeMap::from([(name.to_owned(), budget(calls, per))]),
        ..HostConfig::default()
    })
    .expect("host builds")
}

fn store(host: &PluginHost, grants: Grants) -> Store<HostState> {
    let limits = Limits {
        deadline: Duration::from_secs(30),
        ..Limits::default()
    };
    host.new_store("tester".into(), grants, limits, 1)
}

fn get(port: u16) -> Request {
    Request {
        method: Method::Get,
        url: format!("http://127.0.0.1:{port}/api/onus"),
        headers: vec![],
        body: None,
        timeout_ms: 5000,
    }
}

fn http_grants(port: u16, budget: &str) -> Grants {
    Grants {
        http_hosts: vec![format!("127.0.0.1:{port}")],
        budget: Some(budget.to_owned()),
        ..Grants::none()
    }
}

/// Moves tokio's clock forward by `by` without waiting. The runtime is current-thread (the
/// default of `#[tokio::test]`), which `pause` needs; real I/O runs with the clock resumed.
async fn advance_clock(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

#[tokio::test]
async fn http_call_past_the_budget_is_refused_without_reaching_the_server_and_allowed_after_refill()
{
    let (port, accepted) = counting_http_server().await;
    let host = host_with_budget("smartolt", 3, HOUR);
    let mut store = store(&host, http_grants(port, "smartolt"));
    for _ in 0..3 {
        let resp = store.data_mut().send(get(port)).await.unwrap().unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (200, b"ok".as_slice()));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    assert_eq!(host.budget_available("smartolt"), Some(0));

    match store.data_mut().send(get(port)).await.unwrap() {
        Err(HostError::BudgetExhausted(text)) => assert!(
            text.starts_with("smartolt: 3 calls per 3600 s used; next call allowed in 36"),
            "{text}"
        ),
        other => panic!("expected budget-exhausted, got {other:?}"),
    }
    assert_eq!(store.data().budget_exhausted, 1);

    // An hour later the tokens are back; the refused call never connected, so the server has
    // seen exactly one more connection once this call is answered.
    advance_clock(HOUR).await;
    assert_eq!(host.budget_available("smartolt"), Some(3));
    let mut later = self::store(&host, http_grants(port, "smartolt"));
    let resp = later.data_mut().send(get(port)).await.unwrap().unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(accepted.load(Ordering::SeqCst), 4);
    assert_eq!(later.data().budget_exhausted, 0);
}

#[tokio::test]
async fn runs_and_probes_naming_one_budget_share_it_and_tcp_connects_draw_from_it_too() {
    let (port, accepted) = counting_http_server().await;
    let host = host_with_budget("acct", 2, HOUR);
    // Probe A spends one token on HTTP, probe B one on a TCP connect: the account is used up
    // for both, and a third run of either is refused.
    let mut a = store(&host, http_grants(port, "acct"));
    a.data_mut().send(get(port)).await.unwrap().unwrap();
    let tcp_grants = Grants {
        tcp: vec![format!("127.0.0.1:{port}")],
        budget: Some("acct".into()),
        ..Grants::none()
    };
    let mut b = store(&host, tcp_grants.clone());
    b.data_mut()
        .connect("127.0.0.1".into(), port, None, 2000)
        .await
        .unwrap()
        .expect("connects within the budget");
    let mut c = store(&host, tcp_grants);
    let refused = c
        .data_mut()
        .connect("127.0.0.1".into(), port, None, 2000)
        .await
        .unwrap();
    let Err(HostError::BudgetExhausted(text)) = refused else {
        panic!("expected budget-exhausted");
    };
    assert!(text.starts_with("acct: 2 calls per 3600 s used"), "{text}");
    let mut d = store(&host, http_grants(port, "acct"));
    assert!(matches!(
        d.data_mut().send(get(port)).await.unwrap(),
        Err(HostError::BudgetExhausted(_))
    ));
    assert_eq!(
        (c.data().budget_exhausted, d.data().budget_exhausted),
        (1, 1)
    );
    // One HTTP connection and one TCP connection reached the server. (The accept loop is
    // sequential, so wait until it has seen both; a third would be the refused connect.)
    let deadline = Instant::now() + Duration::from_secs(5);
    while accepted.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn calls_refused_for_other_reasons_take_no_token_and_unknown_budgets_are_denied() {
    let (port, _) = counting_http_server().await;
    let host = host_with_budget("acct", 1, HOUR);
    let mut s = store(&host, http_grants(port, "acct"));
    let mut ungranted = get(port);
    ungranted.url = "http://127.0.0.1:1/".into();
    assert!(matches!(
        s.data_mut().send(ungranted).await.unwrap(),
        Err(HostError::Denied(_))
    ));
    assert_eq!(host.budget_available("acct"), Some(1));

    let mut unknown = store(&host, http_grants(port, "nosuch"));
    match unknown.data_mut().send(get(port)).await.unwrap() {
        Err(HostError::Denied(text)) => assert_eq!(
            text,
            "call budget 'nosuch' (grants.budget of plugin 'tester') is not configured: add [budget.nosuch] in the agent config"
        ),
        other => panic!("expected denied, got {other:?}"),
    }
    // Probes without a budget grant are not metered.
    let mut free = store(
        &host,
        Grants {
            budget: None,
            ..http_grants(port, "acct")
        },
    );
    for _ in 0..3 {
        free.data_mut().send(get(port)).await.unwrap().unwrap();
    }
    assert_eq!(host.budget_available("acct"), Some(1));
}

/// A real guest run: the `forbidden` test guest's HTTP call (granted here) is refused by the
/// empty budget before any DNS lookup or connect, and the run's stats count it.
#[tokio::test]
async fn a_guest_run_reports_budget_exhaustion_in_its_stats() {
    let host = host_with_budget("acct", 1, HOUR);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/plugins/test-guests/forbidden.wasm");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `cargo xtask plugins` first",
            path.display()
        )
    });
    let guest = host.load(&bytes, "forbidden.wasm").await.expect("loads");
    host.inner
        .services
        .budgets
        .take("acct", Instant::now())
        .expect("the one token");
    let request = RunRequest {
        config: serde_json::json!({}),
        targets: vec![Target {
            id: "t".into(),
            address: "127.0.0.1".into(),
            labels: vec![],
        }],
        grants: Grants {
            http_hosts: vec!["forbidden.example.invalid".into()],
            budget: Some("acct".into()),
            ..Grants::none()
        },
        limits: Limits::default(),
    };
    let report = host.run(&guest, request).await;
    assert_eq!(report.stats.budget_exhausted, 1);
    let RunOutcome::Failed(error) = &report.outcome else {
        panic!("expected the guest's failure, got {:?}", report.outcome);
    };
    // The guest reports what each call returned; its http call got the budget text.
    assert_eq!(error.class, ErrorClass::Internal, "{error}");
    assert!(
        error.message.contains(
            "http.send(GET https://forbidden.example.invalid/): budget: acct: 1 calls per 3600 s used; next call allowed in"
        ),
        "{error}"
    );
}
