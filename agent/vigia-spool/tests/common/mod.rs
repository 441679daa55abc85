//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use vigia_spool::{ReadLimits, SledSpool, SpoolOptions};

pub fn options() -> SpoolOptions {
    SpoolOptions {
        max_delay: Duration::ZERO,
        cache_capacity_bytes: 4 * 1024 * 1024,
        ..SpoolOptions::default()
    }
}

pub fn open(dir: &Path, options: SpoolOptions) -> SledSpool {
    let (spool, report) = SledSpool::open(dir, options).expect("open spool");
    assert!(
        report.quarantined.is_none(),
        "unexpected quarantine: {report:?}"
    );
    spool
}

pub const ALL: ReadLimits = ReadLimits {
    max_records: usize::MAX,
    max_bytes: usize::MAX,
};
