//! Test guest `panic`: `run` panics with [`PANIC_MESSAGE`], for the host's panic classification
//! test (the SDK's hook logs `panic: <message> at <file:line:col>` before the trap).
//! Not a plugin to deploy.

use vigia_plugin_sdk::prelude::*;

/// What `run` panics with; the host test looks for it in the `panic: ` log line.
pub const PANIC_MESSAGE: &str = "vigia test guest: deliberate panic in run (marker 7f3a9c)";

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {}

pub struct PanicGuest;

impl Plugin for PanicGuest {
    type Config = Config;

    fn info() -> Info {
        Info::new("panic", env!("CARGO_PKG_VERSION"), "test guest: run panics")
    }

    fn run(_: &Config, _: &[Target], _: &impl Host) -> Result<Vec<Observation>, PluginError> {
        panic!("{PANIC_MESSAGE}")
    }
}

export_plugin!(PanicGuest);

#[cfg(test)]
mod tests {
    use vigia_plugin_sdk::testing::{self, FakeHost};

    use super::*;

    #[test]
    fn run_panics_with_the_marker() {
        let outcome =
            std::panic::catch_unwind(|| testing::run::<PanicGuest>("{}", &[], &FakeHost::new()));
        let payload = outcome.expect_err("run must panic");
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some(PANIC_MESSAGE)
        );
    }
}
