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
//! - `call/describe`: a trivial export call on a warm instance (no host call).
//! - `call/run`: `run` on a warm instance (two host calls).
//!
//! The summary printed last derives the host-call cost as (`call/run` - `call/describe`) / 2, an
//! upper bound: `run` also passes its config and targets in and an observation out.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::Criterion;
use serde_json::json;
use tokio::runtime::Runtime;
use vigia_plugin_host::bench::WarmInstance;
use vigia_plugin_host::{Grants, HostConfig, Limits, Plugin, PluginHost, RunOutcome, RunRequest, Target};

struct Fixture {
    rt: Runtime,
    host: PluginHost,
    plugin: Plugin,
    request: RunRequest,
}

fn fixture() -> Fixture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins/test-guests/bench.wasm");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read {} ({e}): run `cargo xtask plugins` first", path.display()));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let host = PluginHost::new(HostConfig::default()).expect("host");
    let plugin = rt.block_on(host.load(&bytes, "bench.wasm")).expect("bench guest loads");
    let request = RunRequest {
        config: json!({}),
        targets: vec![Target { id: "t1".into(), address: "10.0.0.1".into(), labels: vec![] }],
        grants: Grants::none(),
        limits: Limits::default(),
    };
    Fixture { rt, host, plugin, request }
}

fn warm(f: &Fixture) -> WarmInstance {
    let limits = Limits { deadline: Duration::from_secs(3600), ..Limits::default() };
    f.rt.block_on(WarmInstance::new(&f.host, &f.plugin, Grants::none(), limits)).expect("instantiates")
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
        let report = f.host.run(&f.plugin, f.request.clone()).await;
        assert!(matches!(report.outcome, RunOutcome::Completed(_)), "{:?}", report.outcome);
        black_box(report);
    }
}

fn benches(c: &mut Criterion, f: &Fixture) {
    let mut run = full_run(f);
    c.bench_function("run/full", |b| b.iter_custom(|iters| timed(&f.rt, iters, &mut run)));
    let mut instantiate = async || drop(black_box(warm_async(f).await));
    c.bench_function("instantiate", |b| b.iter_custom(|iters| timed(&f.rt, iters, &mut instantiate)));
    let mut instance = warm(f);
    let mut describe = async || instance.describe().await.expect("describe");
    c.bench_function("call/describe", |b| b.iter_custom(|iters| timed(&f.rt, iters, &mut describe)));
    let config = f.request.config.to_string();
    let mut instance = warm(f);
    let mut warm_run = async || {
        black_box(instance.run(&config, &f.request.targets).await.expect("run"));
    };
    c.bench_function("call/run", |b| b.iter_custom(|iters| timed(&f.rt, iters, &mut warm_run)));
}

async fn warm_async(f: &Fixture) -> WarmInstance {
    let limits = Limits { deadline: Duration::from_secs(3600), ..Limits::default() };
    WarmInstance::new(&f.host, &f.plugin, Grants::none(), limits).await.expect("instantiates")
}

/// Mean cost per call of `op` over `n` calls, after a warm-up.
fn mean<F: AsyncFnMut()>(rt: &Runtime, n: u64, mut op: F) -> Duration {
    timed(rt, n / 10, &mut op);
    timed(rt, n, &mut op) / u32::try_from(n).expect("small n")
}

fn summary(f: &Fixture) {
    let n = 20_000;
    let run = mean(&f.rt, n, full_run(f));
    let mut instance = warm(f);
    let describe = mean(&f.rt, n, async || instance.describe().await.expect("describe"));
    let config = f.request.config.to_string();
    let mut instance = warm(f);
    let warm_run = mean(&f.rt, n, async || {
        black_box(instance.run(&config, &f.request.targets).await.expect("run"));
    });
    let host_call = warm_run.saturating_sub(describe) / 2;
    println!("\nsummary over {n} calls each:");
    println!("  full run (new store + instantiate + run, 2 host calls): {run:?} (goal <= 50 µs)");
    println!("  warm describe call (0 host calls):                    {describe:?}");
    println!("  warm run call (2 host calls):                         {warm_run:?}");
    println!("  host call, upper bound ((run - describe) / 2):        {host_call:?} (goal <= 5 µs)");
}

fn main() {
    let fixture = fixture();
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion, &fixture);
    criterion.final_summary();
    summary(&fixture);
}
