//! Test guest `future-wit`: a component exporting `vigia:plugin/probe@9.0.0` from its own tiny WIT
//! (`wit/probe.wit`), for the host's unsupported-version test. It does not use the SDK on purpose.
//! Not a plugin to deploy.

// wit-bindgen's generated glue is unsafe code by nature.
#![allow(unsafe_code)]

mod bindings {
    wit_bindgen::generate!({ world: "plugin", path: "wit" });
}

/// What `describe` answers if a host calls it anyway.
pub const DESCRIBE: &str = "future-wit: vigia:plugin/probe@9.0.0";

pub struct FutureWit;

impl bindings::exports::vigia::plugin::probe::Guest for FutureWit {
    fn describe() -> String {
        DESCRIBE.to_owned()
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(FutureWit with_types_in bindings);
