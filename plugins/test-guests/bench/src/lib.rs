//! Test guest `bench`: `run` makes two cheap host calls (`clock.now-ms`, then `log`) and returns
//! one metric, for the plugin-run benchmark; config `extra_clock_calls` adds that many further
//! `clock.monotonic-ns` calls, so the benchmark can measure one host call as a slope. Not a plugin
//! to deploy.

use vigia_plugin_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Further `clock.monotonic-ns` calls to make (default 0).
    #[serde(default)]
    pub extra_clock_calls: u32,
}

pub struct Bench;

impl Plugin for Bench {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "bench",
            env!("CARGO_PKG_VERSION"),
            "test guest: two host calls per run",
        )
    }

    fn run(
        config: &Config,
        targets: &[Target],
        host: &impl Host,
    ) -> Result<Vec<Observation>, PluginError> {
        let now_ms = host.now_ms();
        let mut sum = 0u64;
        for _ in 0..config.extra_clock_calls {
            sum = sum.wrapping_add(host.monotonic_ns());
        }
        std::hint::black_box(sum);
        host.log(Level::Debug, "bench");
        let target = targets
            .first()
            .cloned()
            .unwrap_or_else(|| Target::new("bench", ""));
        Ok(vec![Observation::metric(
            &target,
            Metric::gauge("bench_now_ms", now_ms as f64, "ms"),
        )])
    }
}

export_plugin!(Bench);

#[cfg(test)]
mod tests {
    use vigia_plugin_sdk::testing::{self, Call, FakeHost};

    use super::*;

    #[test]
    fn run_makes_exactly_two_host_calls_and_returns_one_metric() {
        let host = FakeHost::new().clock(1_700_000_000_123);
        let observations =
            testing::run::<Bench>("{}", &[Target::new("t1", "10.0.0.1")], &host).unwrap();
        assert_eq!(
            host.calls(),
            vec![
                Call::NowMs,
                Call::Log {
                    level: Level::Debug,
                    message: "bench".into()
                }
            ]
        );
        assert_eq!(
            observations,
            vec![Observation::metric(
                &Target::new("t1", "10.0.0.1"),
                Metric::gauge("bench_now_ms", 1_700_000_000_123.0, "ms")
            )]
        );
    }

    #[test]
    fn extra_clock_calls_add_monotonic_calls() {
        let host = FakeHost::new().clock(1);
        testing::run::<Bench>(
            r#"{"extra_clock_calls": 3}"#,
            &[Target::new("t1", "10.0.0.1")],
            &host,
        )
        .unwrap();
        let calls = host.calls();
        assert_eq!(calls.len(), 5);
        assert_eq!(calls.iter().filter(|c| **c == Call::MonotonicNs).count(), 3);
    }
}
