//! WASI p2 for third-party `wasm32-wasip2` components, locked down: such a component links and
//! runs, but it gets no files (no preopens), no environment, no arguments, no stdin, and no
//! network (TCP, UDP and name lookup disabled, and every socket address refused). Its stdout and
//! stderr are discarded. Clocks and random numbers work. All real I/O goes through the `vigia`
//! capabilities, which check grants.

use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

pub(crate) fn locked_down_ctx() -> WasiCtx {
    WasiCtxBuilder::new()
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_addr, _use| Box::pin(async { false }))
        .build()
}
