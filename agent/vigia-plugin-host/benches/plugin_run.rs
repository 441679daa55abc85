//! Cost of a plugin run and of a host call, with the `bench` test guest (its `run` makes exactly
//! two host calls: `clock.now-ms` and `log`, and returns one metric).
//!
//! Goals on a 2-core machine: a full run <= 50 µs, a host call <= 5 µs.
//!
//!     cargo xtask plugins && cargo bench -p vigia-plugin-host --bench plugin_run
//!
//! - `run/full`: `PluginHost::run` end to end: config check, new store, instantiate from the
//!   pooled `InstancePre`, `run` with its two host calls, output conversion.
//! - `instantiate`: new store + instantiate only.
//! - `call/describe`: a describe export call on a warm instance (no host call; the SDK builds the
//!   config schema JSON in it, so it is not free).
//! - `call/run`: `run` on a warm instance (two host calls, one metric out).
//!
//! - `call/run+1000`: the same with `extra_clock_calls = 1000`, so one host call costs
//!   (`call/run+1000` - `call/run`) / 1000: the slope, free of the export call's fixed cost.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::Criterion;
use serde_json::json;
use tokio::runtime::Runtime;
use vigia_plugin_host::bench::WarmInstance;
use vigia_plugin_host::{
    Grants, HostConfig, Limits, Plugin, PluginHost, RunOutcome, RunRequest, Target,
};

struct Fixture {
    rt: Runtime,
    host: PluginHost,
    bench: Plugin,
    request: RunRequest,
}

fn guest(rt: &Runtime, host: &PluginHost, name: &str) -> Plugin {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../target/plugins/test-guests/{name}.wasm"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `cargo xtask plugins` first",
            path.display()
        )
    });
    rt.block_on(host.load(&bytes, name))
        .unwrap_or_else(|e| panic!("{name} does not load: {e}"))
}

fn fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let host = PluginHost::new(HostConfig::default()).expect("host");
    let bench = guest(&rt, &host, "bench");
    let request = RunRequest {
        config: json!({}),
        targets: vec![Target {
            id: "t1".into(),
            address: "10.0.0.1".into(),
            labels: vec![],
        }],
        grants: Grants::none(),
        limits: Limits::default(),
    };
    Fixture {
        rt,
        host,
        bench,
        request,
    }
}

async fn instantiate(f: &Fixture, plugin: &Plugin) -> WarmInstance {
    let limits = Limits {
        deadline: Duration::from_secs(3600),
        ..Limits::default()
    };
    WarmInstance::new(&f.host, plugin, Grants::none(), limits)
        .await
        .expect("instantiates")
}

/// Times `iters` sequential calls of `op` inside one `block_on`.
fn timed<F: AsyncFnMut()>(rt: &Runtime, iters: u64, op: &mut F) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            op().await;
        }
        start.elapsed()
    })
}

fn full_run(f: &Fixture) -> impl AsyncFnMut() {
    async || {
        let report = f.host.run(&f.bench, f.request.clone()).await;
        assert!(
            matches!(report.outcome, RunOutcome::Completed(_)),
            "{:?}",
            report.outcome
        );
        black_box(report);
    }
}

/// Extra host calls per run when measuring the cost of one host call.
const EXTRA_CALLS: u32 = 1000;

/// `run` on one warm instance of the bench guest, making `extra` host calls beyond its two.
fn warm_run(f: &Fixture, extra: u32) -> impl AsyncFnMut() {
    let mut instance = f.rt.block_on(instantiate(f, &f.bench));
    let config = json!({ "extra_clock_calls": extra }).to_string();
    async move || {
        let observations = instance
            .run(&config, &f.request.targets)
            .await
            .expect("run");
        assert_eq!(observations, 1);
    }
}

fn warm_describe(f: &Fixture) -> impl AsyncFnMut() {
    let mut instance = f.rt.block_on(instantiate(f, &f.bench));
    async move || instance.describe().await.expect("describe")
}

fn benches(c: &mut Criterion, f: &Fixture) {
    let mut op = full_run(f);
    c.bench_function("run/full", |b| b.iter_custom(|n| timed(&f.rt, n, &mut op)));
    let mut op = async || drop(black_box(instantiate(f, &f.bench).await));
    c.bench_function("instantiate", |b| {
        b.iter_custom(|n| timed(&f.rt, n, &mut op))
    });
    let mut op = warm_describe(f);
    c.bench_function("call/describe", |b| {
        b.iter_custom(|n| timed(&f.rt, n, &mut op))
    });
    let mut op = warm_run(f, 0);
    c.bench_function("call/run", |b| b.iter_custom(|n| timed(&f.rt, n, &mut op)));
    let mut op = warm_run(f, EXTRA_CALLS);
    c.bench_function("call/run+1000", |b| {
        b.iter_custom(|n| timed(&f.rt, n, &mut op))
    });
}

/// Mean time of one call of `op` over `n` calls, after a warm-up.
fn mean<F: AsyncFnMut()>(rt: &Runtime, n: u32, mut op: F) -> Duration {
    timed(rt, u64::from(n / 10), &mut op);
    timed(rt, u64::from(n), &mut op) / n
}

fn summary(f: &Fixture) {
    let n = 20_000;
    let run = mean(&f.rt, n, full_run(f));
    let describe = mean(&f.rt, n, warm_describe(f));
    let warm = mean(&f.rt, n, warm_run(f, 0));
    let heavy = mean(&f.rt, n / 50, warm_run(f, EXTRA_CALLS));
    let per_call = heavy.saturating_sub(warm) / EXTRA_CALLS;
    println!("\nsummary, mean of {n} calls each:");
    println!("  full run (new store + instantiate + run, 2 host calls): {run:?} (goal <= 50 µs)");
    println!("  warm describe call:                                   {describe:?}");
    println!("  warm run call with 2 host calls:                      {warm:?}");
    println!(
        "  warm run call with {} host calls:                   {heavy:?}",
        EXTRA_CALLS + 2
    );
    println!(
        "  one host call (slope over {EXTRA_CALLS} extra calls):          {per_call:?} (goal <= 5 µs)"
    );
}

fn main() {
    let fixture = fixture();
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion, &fixture);
    criterion.final_summary();
    summary(&fixture);
}
