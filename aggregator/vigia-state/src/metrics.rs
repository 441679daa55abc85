//! The bounded metrics window: per (entity, metric name, labels) a ring of `(t, value)` samples,
//! bounded by a time window and a sample count, with a cap on the number of series (the least
//! recently updated series goes first, counted). Plus Prometheus text exposition helpers.
//!
//! Series are found by entity (hashed, by `&str`) and then by name and labels among that
//! entity's few series, so recording into an existing series allocates nothing. The update
//! order is a queue of `(touch, entity)`, one entry per update; entries whose series has been
//! updated since (or dropped) are skipped when the cap evicts, and compacted away.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use crate::config::MetricsConfig;

#[derive(Debug)]
struct Series {
    name: String,
    /// Sorted by key.
    labels: Vec<(String, String)>,
    samples: VecDeque<(u64, f64)>,
    /// Position in the update order (for dropping the least recently updated).
    touched: u64,
}

/// One entity's series.
#[derive(Debug)]
struct EntitySeries {
    entity: Arc<str>,
    list: Vec<Series>,
}

/// One series of an entity, for the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesView {
    pub name: String,
    pub labels: Vec<(String, String)>,
    /// `(unix ms, value)`, oldest first.
    pub samples: Vec<(u64, f64)>,
}

/// The newest value of a series and the median of its window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at_ms: u64,
    pub latest: f64,
    pub median: f64,
    pub samples: usize,
}

/// The bounded window of recent samples.
#[derive(Debug)]
pub struct MetricsWindow {
    config: MetricsConfig,
    series: HashMap<Arc<str>, EntitySeries, foldhash::fast::RandomState>,
    /// Number of series over all entities.
    count: usize,
    /// `(touched, entity)` of every update, oldest first: the update order, with stale entries.
    order: VecDeque<(u64, Arc<str>)>,
    next_touch: u64,
    dropped_series: u64,
    /// Dropped series kept to reuse their buffers.
    spare: Vec<Series>,
}

thread_local! {
    /// Scratch space for [`MetricsWindow::latest_and_median`].
    static MEDIAN_SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Most dropped series kept for reuse.
const SPARE_SERIES: usize = 64;

impl MetricsWindow {
    pub fn new(config: MetricsConfig) -> Self {
        Self {
            config,
            series: HashMap::default(),
            count: 0,
            order: VecDeque::new(),
            next_touch: 0,
            dropped_series: 0,
            spare: Vec::new(),
        }
    }

    /// Records a sample. A sample at a time already held replaces it (replays are idempotent);
    /// one older than the window (relative to the series' newest) is ignored.
    pub fn record(
        &mut self,
        entity: &str,
        name: &str,
        labels: &[(String, String)],
        at_ms: u64,
        value: f64,
    ) {
        self.record_shared(&entity.into(), name, labels, at_ms, value);
    }

    /// [`MetricsWindow::record`] for an entity whose id text is already shared.
    pub(crate) fn record_shared(
        &mut self,
        entity: &Arc<str>,
        name: &str,
        labels: &[(String, String)],
        at_ms: u64,
        value: f64,
    ) {
        if !value.is_finite() || self.config.max_series == 0 {
            return;
        }
        let touch = self.next_touch;
        self.next_touch += 1;
        let window = self.config.window_ms;
        let max_samples = self.config.max_samples_per_series.max(1);
        let entry = match self.series.get_mut(&**entity) {
            Some(entry) => entry,
            None => self
                .series
                .entry(entity.clone())
                .or_insert_with(|| EntitySeries {
                    entity: entity.clone(),
                    list: Vec::new(),
                }),
        };
        let at = match entry
            .list
            .iter()
            .position(|s| s.name == name && s.labels == labels)
        {
            Some(at) => at,
            None => {
                let series = match self.spare.pop() {
                    Some(mut series) => {
                        series.name.clear();
                        series.name.push_str(name);
                        series.labels.clear();
                        series.labels.extend_from_slice(labels);
                        series.samples.clear();
                        series
                    }
                    None => Series {
                        name: name.to_owned(),
                        labels: labels.to_vec(),
                        samples: VecDeque::new(),
                        touched: touch,
                    },
                };
                entry.list.push(series);
                self.count += 1;
                entry.list.len() - 1
            }
        };
        let series = &mut entry.list[at];
        series.touched = touch;
        self.order.push_back((touch, entry.entity.clone()));
        let newest = series
            .samples
            .back()
            .map_or(at_ms, |(t, _)| (*t).max(at_ms));
        if at_ms.saturating_add(window) >= newest {
            match series.samples.binary_search_by_key(&at_ms, |(t, _)| *t) {
                Ok(i) => series.samples[i].1 = value,
                Err(i) => series.samples.insert(i, (at_ms, value)),
            }
            let cutoff = newest.saturating_sub(window);
            while series.samples.front().is_some_and(|(t, _)| *t < cutoff)
                || series.samples.len() > max_samples
            {
                series.samples.pop_front();
            }
            self.enforce_cap();
        }
        if self.order.len() > 2 * self.count + 1024 {
            self.compact_order();
        }
    }

    /// Drops the least recently updated series while there are more than `max_series`.
    fn enforce_cap(&mut self) {
        while self.count > self.config.max_series {
            let Some((touch, entity)) = self.order.pop_front() else {
                break;
            };
            let Some(entry) = self.series.get_mut(&entity) else {
                continue;
            };
            let Some(at) = entry.list.iter().position(|s| s.touched == touch) else {
                continue;
            };
            // The entity's (now maybe empty) entry stays until `expire`: it is likely to be
            // recorded again, and the dropped series' buffers are reused for the next one.
            let series = entry.list.swap_remove(at);
            if self.spare.len() < SPARE_SERIES {
                self.spare.push(series);
            }
            self.count -= 1;
            self.dropped_series += 1;
        }
    }

    /// Leaves in the update order only the entries that are still some series' last update.
    fn compact_order(&mut self) {
        let series = &self.series;
        self.order.retain(|(touch, entity)| {
            series
                .get(entity)
                .is_some_and(|e| e.list.iter().any(|s| s.touched == *touch))
        });
    }

    /// Drops series whose newest sample is older than the window at `now_ms`.
    pub fn expire(&mut self, now_ms: u64) {
        let cutoff = now_ms.saturating_sub(self.config.window_ms);
        let mut count = 0;
        self.series.retain(|_, entry| {
            entry
                .list
                .retain(|series| series.samples.back().is_some_and(|(t, _)| *t >= cutoff));
            count += entry.list.len();
            !entry.list.is_empty()
        });
        self.count = count;
        self.compact_order();
    }

    /// Every series of an entity, by name and labels.
    pub fn entity_series(&self, entity: &str) -> Vec<SeriesView> {
        let Some(entry) = self.series.get(entity) else {
            return Vec::new();
        };
        let mut views: Vec<SeriesView> = entry
            .list
            .iter()
            .map(|series| SeriesView {
                name: series.name.clone(),
                labels: series.labels.clone(),
                samples: series.samples.iter().copied().collect(),
            })
            .collect();
        views.sort_by(|a, b| (&a.name, &a.labels).cmp(&(&b.name, &b.labels)));
        views
    }

    /// The newest sample of an entity's unlabelled series `name`, and the median of the window's
    /// samples (with how many there are); `None` without samples.
    pub fn latest_and_median(&self, entity: &str, name: &str) -> Option<Reading> {
        let series = self
            .series
            .get(entity)?
            .list
            .iter()
            .find(|s| s.name == name && s.labels.is_empty())?;
        let &(at_ms, latest) = series.samples.back()?;
        let samples = series.samples.len();
        // The median without allocating: a per-thread scratch buffer and a selection.
        let median = MEDIAN_SCRATCH.with(|scratch| {
            let mut values = scratch.borrow_mut();
            values.clear();
            values.extend(series.samples.iter().map(|(_, v)| *v));
            let mid = values.len() / 2;
            let (lower, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
            let upper = *upper;
            if samples % 2 == 1 {
                upper
            } else {
                let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (below + upper) / 2.0
            }
        });
        Some(Reading {
            at_ms,
            latest,
            median,
            samples,
        })
    }

    pub fn series_count(&self) -> usize {
        self.count
    }

    /// Series dropped because of the `max_series` cap.
    pub fn dropped_series(&self) -> u64 {
        self.dropped_series
    }

    /// Writes `vigia_entity_metric` lines: the latest value of every series whose entity kind
    /// `include` accepts, ordered by entity, name and labels.
    pub(crate) fn render(&self, out: &mut String, include: impl Fn(&str) -> bool) {
        out.push_str(
            "# HELP vigia_entity_metric Latest value of each entity metric in the window.\n",
        );
        out.push_str("# TYPE vigia_entity_metric gauge\n");
        let mut shown: Vec<(&str, &Series)> = self
            .series
            .values()
            .filter(|entry| include(entry.entity.split_once(':').map_or("", |(kind, _)| kind)))
            .flat_map(|entry| entry.list.iter().map(|s| (&*entry.entity, s)))
            .collect();
        shown.sort_unstable_by(|(ea, a), (eb, b)| {
            (ea, &a.name, &a.labels).cmp(&(eb, &b.name, &b.labels))
        });
        for (entity, series) in shown {
            let Some((at_ms, value)) = series.samples.back() else {
                continue;
            };
            let mut labels: Vec<(String, &str)> = vec![
                ("entity".to_owned(), entity),
                ("name".to_owned(), series.name.as_str()),
            ];
            for (name, value) in &series.labels {
                let mut name = label_name(name);
                if matches!(name.as_str(), "entity" | "name") || name.starts_with("__") {
                    name = format!("label_{}", name.trim_start_matches('_'));
                }
                if labels.iter().all(|(n, _)| *n != name) {
                    labels.push((name, value.as_str()));
                }
            }
            out.push_str("vigia_entity_metric");
            write_labels(out, labels.iter().map(|(n, v)| (n.as_str(), *v)));
            let _ = writeln!(out, " {} {at_ms}", format_value(*value));
        }
        out.push_str(
            "# HELP vigia_state_series_dropped_total Metric series dropped by the series cap.\n",
        );
        out.push_str("# TYPE vigia_state_series_dropped_total counter\n");
        let _ = writeln!(
            out,
            "vigia_state_series_dropped_total {}",
            self.dropped_series
        );
    }
}

/// `{a="x",b="y"}` with values escaped.
pub(crate) fn write_labels<'a>(
    out: &mut String,
    labels: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    out.push('{');
    for (i, (name, value)) in labels.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        escape_label_value(out, value);
        out.push('"');
    }
    out.push('}');
}

/// Escapes a label value: backslash, double quote and line feed.
pub(crate) fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`) made from any text.
pub(crate) fn label_name(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// A sample value as Prometheus writes it (`NaN`, `+Inf`, `-Inf`, else Rust's shortest form).
pub(crate) fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(window_ms: u64, max_samples: usize, max_series: usize) -> MetricsWindow {
        MetricsWindow::new(MetricsConfig {
            window_ms,
            max_samples_per_series: max_samples,
            max_series,
            export_subscriber_kinds: false,
        })
    }

    fn samples(w: &MetricsWindow, entity: &str) -> Vec<(u64, f64)> {
        w.entity_series(entity)
            .into_iter()
            .flat_map(|s| s.samples)
            .collect()
    }

    #[test]
    fn latest_and_median_of_odd_and_even_windows() {
        let mut w = window(60_000, 100, 10);
        for (i, v) in [-20.0, -22.0, -19.0].into_iter().enumerate() {
            w.record("onu:A", "rx_dbm", &[], 1000 + i as u64, v);
        }
        let r = w.latest_and_median("onu:A", "rx_dbm").expect("series");
        assert_eq!(
            (r.latest, r.median, r.samples, r.at_ms),
            (-19.0, -20.0, 3, 1002)
        );
        w.record("onu:A", "rx_dbm", &[], 1003, -25.0);
        let r = w.latest_and_median("onu:A", "rx_dbm").expect("series");
        assert_eq!((r.latest, r.median, r.samples), (-25.0, -21.0, 4));
        assert!(w.latest_and_median("onu:A", "tx_dbm").is_none());
        assert!(w.latest_and_median("onu:B", "rx_dbm").is_none());
    }

    #[test]
    fn window_is_bounded_by_time() {
        let mut w = window(1_000, 100, 10);
        for t in [0, 400, 800, 1_200, 1_600] {
            w.record("olt:a", "cpu", &[], t, t as f64);
        }
        assert_eq!(
            samples(&w, "olt:a"),
            vec![(800, 800.0), (1_200, 1_200.0), (1_600, 1_600.0)]
        );
        // Too old for the window: ignored.
        w.record("olt:a", "cpu", &[], 100, 1.0);
        assert_eq!(samples(&w, "olt:a").len(), 3);
    }

    #[test]
    fn window_is_bounded_by_count() {
        let mut w = window(1_000_000, 3, 10);
        for t in 0..10 {
            w.record("olt:a", "cpu", &[], t, 1.0);
        }
        let got: Vec<u64> = samples(&w, "olt:a").iter().map(|(t, _)| *t).collect();
        assert_eq!(got, [7, 8, 9]);
    }

    #[test]
    fn replayed_samples_replace_and_late_ones_are_ordered() {
        let mut w = window(10_000, 10, 10);
        w.record("olt:a", "cpu", &[], 300, 3.0);
        w.record("olt:a", "cpu", &[], 100, 1.0);
        w.record("olt:a", "cpu", &[], 300, 3.5);
        assert_eq!(samples(&w, "olt:a"), vec![(100, 1.0), (300, 3.5)]);
    }

    #[test]
    fn series_cap_drops_least_recently_updated() {
        let mut w = window(10_000, 10, 2);
        w.record("olt:a", "cpu", &[], 1, 1.0);
        w.record("olt:b", "cpu", &[], 1, 1.0);
        w.record("olt:a", "cpu", &[], 2, 1.0);
        w.record("olt:c", "cpu", &[], 1, 1.0);
        assert_eq!(w.series_count(), 2);
        assert_eq!(w.dropped_series(), 1);
        assert!(w.entity_series("olt:b").is_empty());
        assert_eq!(w.entity_series("olt:a").len(), 1);
        assert_eq!(w.entity_series("olt:c").len(), 1);
    }

    #[test]
    fn update_order_stays_bounded_and_exact() {
        let mut w = window(10_000_000, 4, 2);
        for t in 0..10_000 {
            w.record("olt:a", "cpu", &[], t, 1.0);
            w.record("olt:b", "cpu", &[], t, 1.0);
        }
        // One entry per update would be 20,000: stale ones are compacted away.
        assert!(
            w.order.len() <= 2 * w.series_count() + 1024,
            "{}",
            w.order.len()
        );
        w.record("olt:a", "cpu", &[], 10_000, 1.0);
        w.record("olt:c", "cpu", &[], 10_000, 1.0);
        assert!(w.entity_series("olt:b").is_empty());
        assert_eq!(w.entity_series("olt:a")[0].samples.len(), 4);
        // The dropped series' buffers are reused, its samples are not.
        assert_eq!(w.entity_series("olt:c")[0].samples, vec![(10_000, 1.0)]);
        assert_eq!((w.series_count(), w.dropped_series()), (2, 1));
    }

    #[test]
    fn expire_drops_quiet_series() {
        let mut w = window(1_000, 10, 10);
        w.record("olt:a", "cpu", &[], 1_000, 1.0);
        w.record("olt:b", "cpu", &[], 5_000, 1.0);
        w.expire(5_500);
        assert!(w.entity_series("olt:a").is_empty());
        assert_eq!(w.series_count(), 1);
        // The order index was cleaned too: the cap still works.
        w.record("olt:c", "cpu", &[], 5_600, 1.0);
        assert_eq!(w.series_count(), 2);
    }

    #[test]
    fn label_names_and_values_are_made_valid() {
        assert_eq!(label_name("if.name"), "if_name");
        assert_eq!(label_name("1st"), "_1st");
        assert_eq!(label_name(""), "_");
        let mut out = String::new();
        escape_label_value(&mut out, "a\\b\"c\nd");
        assert_eq!(out, "a\\\\b\\\"c\\nd");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(1.5), "1.5");
    }
}
