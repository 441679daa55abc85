//! Test guest `spin`: `run` never returns (a busy loop), for the host's deadline test.
//! Not a plugin to deploy. `describe` is normal, so the host can load it first.

use std::hint::black_box;

use vigia_plugin_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {}

pub struct Spin;

impl Plugin for Spin {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "spin",
            env!("CARGO_PKG_VERSION"),
            "test guest: run loops forever",
        )
    }

    fn run(_: &Config, _: &[Target], host: &impl Host) -> Result<Vec<Observation>, PluginError> {
        host.info("spin: entering an endless loop");
        spin_forever()
    }
}

/// A busy loop the optimiser cannot remove.
fn spin_forever() -> ! {
    let mut turns: u64 = 0;
    loop {
        turns = black_box(turns.wrapping_add(1));
    }
}

export_plugin!(Spin);
