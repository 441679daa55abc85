//! Host-side bindings generated from the plugin contract in `plugin-sdk/wit` (`vigia:plugin@0.1.0`).

wasmtime::component::bindgen!({
    path: "../../plugin-sdk/wit",
    world: "vigia:plugin/plugin",
    imports: {
        "vigia:plugin/log": trappable,
        "vigia:plugin/clock": trappable,
        default: async | trappable,
    },
    exports: { default: async },
    additional_derives: [PartialEq],
    with: { "vigia:plugin/tcp.connection": crate::capability::tcp::Connection },
});
