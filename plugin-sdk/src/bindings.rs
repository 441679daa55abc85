//! Raw bindings generated from `wit/` by wit-bindgen. Plugin authors do not use these directly:
//! the SDK re-exports the types and wraps the imports in [`crate::Host`].
#![allow(unsafe_code, missing_docs, clippy::all)]

wit_bindgen::generate!({
    world: "plugin",
    path: "wit",
    pub_export_macro: true,
    export_macro_name: "__export_probe",
    default_bindings_module: "vigia_plugin_sdk::bindings",
    additional_derives: [PartialEq],
});
