//! How many observations each source's runs return: the latest count and the usual one (the
//! median of the last few runs) per (agent, plugin, probe), summed per (agent, plugin) into its
//! [`SourceView`](crate::SourceView). The correlator treats a source whose last run returned far
//! fewer rows than usual as stale (a vendor API answering with half a list is not half the
//! network going down).

use std::collections::VecDeque;

use super::LiveState;

/// Successful runs whose counts are kept per probe.
pub(crate) const KEPT_RUNS: usize = 9;

/// The observation counts of one probe's last [`KEPT_RUNS`] successful runs, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RowCounts {
    counts: VecDeque<u64>,
}

impl RowCounts {
    pub(crate) fn push(&mut self, rows: u64) {
        if self.counts.len() == KEPT_RUNS {
            self.counts.pop_front();
        }
        self.counts.push_back(rows);
    }

    /// The latest run's count (0 before any).
    pub(crate) fn last(&self) -> u64 {
        self.counts.back().copied().unwrap_or(0)
    }

    /// The median of the kept counts (the mean of the two middle ones when even; 0 before any).
    pub(crate) fn usual(&self) -> u64 {
        let mut sorted: Vec<u64> = self.counts.iter().copied().collect();
        sorted.sort_unstable();
        let n = sorted.len();
        match n {
            0 => 0,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => sorted[n / 2 - 1].midpoint(sorted[n / 2]),
        }
    }
}

impl LiveState {
    /// Records that `probe` of (`agent`, `plugin_id`) completed with `rows` observations, and
    /// updates the source's sums.
    pub(super) fn record_rows(&mut self, agent: &str, plugin_id: &str, probe: &str, rows: u64) {
        let key = (agent.to_owned(), plugin_id.to_owned());
        let probes = self.rows.entry(key).or_default();
        match probes.get_mut(probe) {
            Some(counts) => counts.push(rows),
            None => {
                let mut counts = RowCounts::default();
                counts.push(rows);
                probes.insert(probe.to_owned(), counts);
            }
        }
        let (last, usual) = probes.values().fold((0u64, 0u64), |(l, u), c| {
            (l.saturating_add(c.last()), u.saturating_add(c.usual()))
        });
        let source = self.source_entry(agent, plugin_id);
        source.rows_last = last;
        source.rows_usual = usual;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(values: &[u64]) -> RowCounts {
        let mut c = RowCounts::default();
        for v in values {
            c.push(*v);
        }
        c
    }

    #[test]
    fn usual_is_the_median_of_the_last_nine() {
        assert_eq!(counts(&[]).usual(), 0);
        assert_eq!(counts(&[]).last(), 0);
        assert_eq!(counts(&[7]).usual(), 7);
        assert_eq!(counts(&[10, 30]).usual(), 20);
        assert_eq!(
            counts(&[100, 100, 100, 100, 100, 100, 100, 100, 10]).usual(),
            100
        );
        // The oldest falls out: eleven runs keep the last nine (3..=11 → 7).
        let c = counts(&(1..=11).collect::<Vec<_>>());
        assert_eq!(c.counts.len(), KEPT_RUNS);
        assert_eq!(c.usual(), 7);
        assert_eq!(c.last(), 11);
    }
}
