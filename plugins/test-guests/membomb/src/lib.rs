//! Test guest `membomb`: `run` allocates and touches memory in steps (1 GiB by default), for the
//! host's memory-limit test. Not a plugin to deploy.
//!
//! With a host limit the run should end as a trap at `memory.grow`; if the allocator instead
//! reports failure, `run` returns a `budget` error saying how far it got. Without a limit it
//! returns the metric `allocated_bytes`.

use std::hint::black_box;

use vigia_plugin_sdk::prelude::*;

const MIB: usize = 1 << 20;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// How much to allocate in total, MiB.
    pub total_mib: u32,
    /// Allocation step, MiB.
    #[schemars(range(min = 1))]
    pub step_mib: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            total_mib: 1024,
            step_mib: 16,
        }
    }
}

pub struct Membomb;

impl Plugin for Membomb {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "membomb",
            env!("CARGO_PKG_VERSION"),
            "test guest: run allocates about 1 GiB",
        )
    }

    fn run(
        config: &Config,
        targets: &[Target],
        host: &impl Host,
    ) -> Result<Vec<Observation>, PluginError> {
        if config.step_mib == 0 {
            return Err(PluginError::config("`step_mib` must be at least 1"));
        }
        let total = config.total_mib as usize * MIB;
        let step = config.step_mib as usize * MIB;
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        let mut allocated = 0;
        while allocated < total {
            let size = step.min(total - allocated);
            let mut block = Vec::new();
            if block.try_reserve_exact(size).is_err() {
                let message = format!(
                    "allocation failed after {} MiB of {} MiB",
                    allocated / MIB,
                    config.total_mib
                );
                return Err(PluginError::budget(message));
            }
            // Write every byte so the pages are really used.
            block.resize(size, 0xa5);
            allocated += size;
            blocks.push(black_box(block));
            if allocated % (128 * MIB) == 0 {
                host.debug(&format!("membomb: {} MiB allocated", allocated / MIB));
            }
        }
        let touched: usize = blocks
            .iter()
            .map(|block| usize::from(block[block.len() - 1] == 0xa5))
            .sum();
        let target = targets
            .first()
            .cloned()
            .unwrap_or_else(|| Target::new("membomb", ""));
        let metric = Metric::gauge("allocated_bytes", allocated as f64, "By")
            .with_label("blocks", touched.to_string());
        Ok(vec![Observation::metric(&target, metric)])
    }
}

export_plugin!(Membomb);

#[cfg(test)]
mod tests {
    use vigia_plugin_sdk::testing::{self, FakeHost};

    use super::*;

    #[test]
    fn allocates_the_configured_total_in_steps() {
        let host = FakeHost::new();
        let observations =
            testing::run::<Membomb>(r#"{"total_mib": 130, "step_mib": 64}"#, &[], &host).unwrap();
        let ObservationKind::Metric(metric) = &observations[0].kind else {
            panic!("expected a metric")
        };
        assert_eq!(metric.value, (130 * MIB) as f64);
        // 64 + 64 + 2 MiB: the last step is what is left.
        assert_eq!(metric.labels, vec![("blocks".to_owned(), "3".to_owned())]);
        assert_eq!(
            host.logs(),
            vec![(Level::Debug, "membomb: 128 MiB allocated".to_owned())]
        );
    }

    #[test]
    fn defaults_are_one_gib_in_16_mib_steps() {
        let config: Config = vigia_plugin_sdk::parse_config("{}").unwrap();
        assert_eq!((config.total_mib, config.step_mib), (1024, 16));
    }
}
