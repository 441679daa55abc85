//! Compiles `vigia/agent/v1/agent.proto` with `protox` (a protobuf compiler in Rust, so no system
//! `protoc` is needed) and generates the messages, client and server with `tonic-prost-build`.
//!
//! The generated client and server modules are always emitted but compiled only with the crate's
//! `client` / `server` features. The encoded descriptor set is written next to the generated code
//! for gRPC reflection.

use std::path::PathBuf;

const PROTO: &str = "vigia/agent/v1/agent.proto";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO}");

    let descriptors = protox::compile([PROTO], ["."])?;
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    std::fs::write(
        out_dir.join("vigia_agent_v1_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;

    tonic_prost_build::configure()
        // The rpc is named `Connect`, which would clash with the generated `connect(endpoint)`
        // constructor; callers build their own `Channel` (with TLS) and use `AgentLinkClient::new`.
        .build_transport(false)
        .client_mod_attribute(".", r#"#[cfg(feature = "client")]"#)
        .server_mod_attribute(".", r#"#[cfg(feature = "server")]"#)
        .compile_fds(descriptors)?;
    Ok(())
}
