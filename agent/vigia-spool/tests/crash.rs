//! A real process crash: a child process appends from several threads and calls `abort()` while
//! appends are still in flight; every append it saw acknowledged must be there on reopen.
//! (This proves nothing relies on a graceful close; power loss is covered by the fsync design,
//! which a test cannot cut power to.)

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use vigia_spool::Spool;

const DIR_ENV: &str = "VIGIA_SPOOL_CRASH_DIR";

#[test]
fn every_acknowledged_append_survives_a_process_abort() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool");
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_ENV, &path)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "child must die by abort: {output:?}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut epoch = None;
    let mut acked = BTreeMap::new();
    for line in stdout.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("epoch") => epoch = Some(words.next().unwrap().parse::<u64>().unwrap()),
            Some("acked") => {
                let seq: u64 = words.next().unwrap().parse().unwrap();
                acked.insert(seq, words.next().unwrap().to_owned());
            }
            _ => {}
        }
    }
    assert!(
        acked.len() >= 200,
        "child acknowledged only {} appends",
        acked.len()
    );

    let spool = common::open(&path, common::options());
    assert_eq!(Some(spool.epoch()), epoch);
    let stored: BTreeMap<u64, String> = spool
        .read_from(0, common::ALL)
        .unwrap()
        .into_iter()
        .map(|r| (r.seq, String::from_utf8(r.payload).unwrap()))
        .collect();
    for (seq, payload) in &acked {
        assert_eq!(
            stored.get(seq),
            Some(payload),
            "acknowledged seq {seq} lost"
        );
    }
}

#[test]
#[ignore = "child process of every_acknowledged_append_survives_a_process_abort"]
fn crash_child() {
    let path = std::env::var_os(DIR_ENV).expect("run only by the crash test");
    let (spool, _) = vigia_spool::SledSpool::open(&path, common::options()).unwrap();
    // libtest leaves "test crash_child ... " unterminated on stdout.
    println!("\nepoch {}", spool.epoch());
    let acked = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (spool, acked) = (&spool, &acked);
            scope.spawn(move || {
                for i in 0.. {
                    let payload = format!("t{t}-{i}");
                    let seq = spool
                        .append(vec![payload.clone().into_bytes()])
                        .wait()
                        .unwrap()[0];
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "acked {seq} {payload}").unwrap();
                    out.flush().unwrap();
                    if acked.fetch_add(1, Ordering::SeqCst) + 1 == 300 {
                        // Other threads are mid-append: no close, no drop, no flush.
                        std::process::abort();
                    }
                }
            });
        }
    });
}
