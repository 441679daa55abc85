//! Durable append and replay throughput of `SledSpool`, printed next to the goals, with the
//! baselines that show what durability costs and what group commit gains.
//!
//! Run: `cargo bench -p vigia-spool --bench spool` (a plain `main`, not criterion: the figures
//! are throughputs of many concurrent appenders, which criterion's per-iteration model does
//! not express). `VIGIA_SPOOL_BENCH_RECORDS` changes the record count per scenario and
//! `VIGIA_SPOOL_BENCH_PAYLOADS` the payload sizes (comma-separated bytes, default `128,1024`:
//! an encoded result of one small probe run, and a large one).

use std::time::{Duration, Instant};

use vigia_spool::{Durability, ReadLimits, SledSpool, Spool, SpoolOptions};

const DEFAULT_PAYLOADS: &str = "128,1024";
const GOAL_APPEND: f64 = 200_000.0;
const GOAL_REPLAY: f64 = 100_000.0;

struct Scenario {
    name: &'static str,
    appenders: usize,
    payloads_per_append: usize,
    options: SpoolOptions,
}

fn main() {
    let records: usize = std::env::var("VIGIA_SPOOL_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let payloads =
        std::env::var("VIGIA_SPOOL_BENCH_PAYLOADS").unwrap_or_else(|_| DEFAULT_PAYLOADS.to_owned());
    for payload_len in payloads.split(',').filter_map(|p| p.trim().parse().ok()) {
        run_all(records, payload_len);
    }
}

fn run_all(records: usize, payload_len: usize) {
    let group = |durability| SpoolOptions {
        durability,
        max_delay: Duration::from_millis(5),
        ..SpoolOptions::default()
    };
    let no_wait = SpoolOptions {
        max_delay: Duration::ZERO,
        ..SpoolOptions::default()
    };
    let scenarios = [
        Scenario {
            name: "group commit, fsync, 64 appenders x 1 payload/append",
            appenders: 64,
            payloads_per_append: 1,
            options: group(Durability::FlushAndFsync),
        },
        Scenario {
            name: "group commit, fsync, max_delay 0, 64 x 1",
            appenders: 64,
            payloads_per_append: 1,
            options: no_wait.clone(),
        },
        Scenario {
            name: "group commit, fsync, max_delay 0, 64 x 64",
            appenders: 64,
            payloads_per_append: 64,
            options: no_wait,
        },
        Scenario {
            name: "group commit, fsync, 64 appenders x 64 payloads/append",
            appenders: 64,
            payloads_per_append: 64,
            options: group(Durability::FlushAndFsync),
        },
        Scenario {
            name: "BASELINE group commit, flush only (NOT power-safe), 64 x 64",
            appenders: 64,
            payloads_per_append: 64,
            options: group(Durability::FlushOnly),
        },
        Scenario {
            name: "BASELINE 1 appender, commit per record, fsync",
            appenders: 1,
            payloads_per_append: 1,
            options: SpoolOptions {
                max_batch_records: 1,
                max_delay: Duration::ZERO,
                ..SpoolOptions::default()
            },
        },
    ];
    println!(
        "payload {payload_len} bytes; durable records/s (goal {GOAL_APPEND:.0} with group commit)"
    );
    let mut replay_dir = None;
    for scenario in &scenarios {
        // Commit-per-record is slow; a smaller count gives the same rate.
        let count = match (scenario.appenders, scenario.payloads_per_append) {
            (1, _) => records / 50,
            (_, 1) => records / 10,
            _ => records,
        };
        let (dir, done, rate, commits) = append_run(scenario, count, payload_len);
        println!(
            "  {:<62} {:>10.0} rec/s  ({} records, {} commits){}",
            scenario.name,
            rate,
            done,
            commits,
            if scenario.name.starts_with("group commit") {
                verdict(rate, GOAL_APPEND)
            } else {
                ""
            }
        );
        if count == records && replay_dir.is_none() {
            replay_dir = Some((dir, done));
        }
    }
    let (dir, count) = replay_dir.expect("ran at least one scenario");
    let rate = replay_run(&dir, count);
    println!(
        "backlog replay (read_from, 1000 records/read) {rate:>10.0} rec/s  ({count} records, goal {GOAL_REPLAY:.0}){}",
        verdict(rate, GOAL_REPLAY)
    );
}

fn verdict(rate: f64, goal: f64) -> &'static str {
    if rate >= goal {
        "  meets goal"
    } else {
        "  BELOW goal"
    }
}

/// Returns the directory (kept for replay), records appended, durable records/s and commits.
fn append_run(
    scenario: &Scenario,
    count: usize,
    payload_len: usize,
) -> (tempfile::TempDir, usize, f64, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (spool, _) = SledSpool::open(dir.path(), scenario.options.clone()).expect("open");
    let appends_per_thread = count / scenario.appenders / scenario.payloads_per_append;
    let payload = vec![0x5Au8; payload_len];
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..scenario.appenders {
            let (spool, payload) = (&spool, &payload);
            scope.spawn(move || {
                for _ in 0..appends_per_thread {
                    let batch = vec![payload.clone(); scenario.payloads_per_append];
                    spool.append(batch).wait().expect("append");
                }
            });
        }
    });
    let elapsed = start.elapsed();
    let done = appends_per_thread * scenario.appenders * scenario.payloads_per_append;
    assert_eq!(spool.depth().records, done as u64);
    let commits = spool.counters().commits;
    (dir, done, done as f64 / elapsed.as_secs_f64(), commits)
}

/// Reopens the directory (cold process-like start) and reads the whole backlog.
fn replay_run(dir: &tempfile::TempDir, count: usize) -> f64 {
    let (spool, _) = SledSpool::open(dir.path(), SpoolOptions::default()).expect("reopen");
    let limits = ReadLimits {
        max_records: 1000,
        max_bytes: 4 * 1024 * 1024,
    };
    let start = Instant::now();
    let (mut from, mut read) = (0, 0usize);
    loop {
        let batch = spool.read_from(from, limits).expect("read");
        let Some(last) = batch.last() else { break };
        from = last.seq + 1;
        read += batch.len();
    }
    let elapsed = start.elapsed();
    assert_eq!(read, count);
    read as f64 / elapsed.as_secs_f64()
}
