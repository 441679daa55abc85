//! The export glue behind [`crate::export_plugin!`]: turns a [`Plugin`] into the WIT `probe`
//! exports. Not for plugin authors; public only because the macro expands in their crate.

use std::panic::PanicHookInfo;
use std::sync::Once;

use crate::bindings::vigia::plugin::types as wit_types;
use crate::{
    Host, Observation, Plugin, PluginError, Target, WasmHost, config_schema, parse_config,
};

/// `describe` inside a component.
pub fn describe<P: Plugin>() -> wit_types::PluginInfo {
    install_wasm_panic_hook();
    plugin_info::<P>()
}

/// What `describe` returns: the plugin's [`crate::Info`] plus the JSON Schema of its config.
pub fn plugin_info<P: Plugin>() -> wit_types::PluginInfo {
    let info = P::info();
    wit_types::PluginInfo {
        id: info.id,
        version: info.version,
        description: info.description,
        capabilities: info.capabilities,
        config_schema: config_schema::<P::Config>(),
    }
}

/// `run` inside a component: the real host.
pub fn run<P: Plugin>(
    config: String,
    targets: Vec<Target>,
) -> Result<Vec<Observation>, wit_types::PluginError> {
    install_wasm_panic_hook();
    run_with::<P>(&config, &targets, &WasmHost::new()).map_err(Into::into)
}

/// Natively the `log` import does not exist (and the test harness reports panics itself).
fn install_wasm_panic_hook() {
    #[cfg(target_arch = "wasm32")]
    install_panic_hook(log_panic_line);
}

/// What `run` does, on any host: parse the config (a bad one is a `config` error), then run.
pub fn run_with<P: Plugin>(
    config: &str,
    targets: &[Target],
    host: &impl Host,
) -> Result<Vec<Observation>, PluginError> {
    let config: P::Config = parse_config(config)?;
    P::run(&config, targets, host)
}

/// Installs (once per instance) a panic hook that hands `panic: <message> at <file:line:col>` to
/// `sink`. On wasm32 the sink is the `log` import at error level: without it the message is lost.
pub fn install_panic_hook(sink: fn(&str)) {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        std::panic::set_hook(Box::new(move |info| sink(&panic_line(info))));
    });
}

fn panic_line(info: &PanicHookInfo<'_>) -> String {
    let message = info
        .payload_as_str()
        .unwrap_or("(panic payload is not a string)");
    let prefix = crate::wit::PANIC_LOG_PREFIX;
    match info.location() {
        Some(at) => format!(
            "{prefix}{message} at {}:{}:{}",
            at.file(),
            at.line(),
            at.column()
        ),
        None => format!("{prefix}{message}"),
    }
}

#[cfg(target_arch = "wasm32")]
fn log_panic_line(line: &str) {
    use crate::Level;
    WasmHost::new().log(Level::Error, line);
}

/// Exports a [`Plugin`] as the component's `vigia:plugin/probe@0.1.0` interface.
///
/// Use it once, at the root of the plugin crate: `export_plugin!(Ping);`. Natively it only
/// type-checks the glue (the component exports exist on wasm32 only), so the crate still builds
/// and tests natively.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[allow(unsafe_code)]
        const _: () = {
            #[allow(dead_code)]
            struct VigiaPluginExports;

            impl $crate::bindings::exports::vigia::plugin::probe::Guest for VigiaPluginExports {
                fn describe() -> $crate::bindings::vigia::plugin::types::PluginInfo {
                    $crate::export::describe::<$plugin>()
                }

                fn run(
                    config: ::std::string::String,
                    targets: ::std::vec::Vec<$crate::Target>,
                ) -> ::core::result::Result<
                    ::std::vec::Vec<$crate::Observation>,
                    $crate::bindings::vigia::plugin::types::PluginError,
                > {
                    $crate::export::run::<$plugin>(config, targets)
                }
            }

            #[cfg(target_arch = "wasm32")]
    $crate::bindings::__export_probe!(VigiaPluginExports with_types_in $crate::bindings);
        };
    };
}
