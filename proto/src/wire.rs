//! Bytes in and out: decoding with a typed error, and the descriptor set for gRPC reflection.

pub use prost::Message;

/// The `FileDescriptorSet` of `vigia/agent/v1/agent.proto` (with imports and source comments),
/// protobuf-encoded: what a gRPC reflection service serves.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/vigia_agent_v1_descriptor.bin"));

/// Bytes that are not a valid encoding of the expected message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {message} encoding ({len} bytes)")]
pub struct DecodeError {
    /// Name of the message type expected, e.g. `ResultBatch`.
    pub message: &'static str,
    /// Length of the input.
    pub len: usize,
    #[source]
    source: prost::DecodeError,
}

/// Decodes one message of type `M` (e.g. an `AgentMessage`, or a `ResultBatch` read back from
/// the spool). Never panics on any input.
pub fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, DecodeError> {
    M::decode(bytes).map_err(|source| DecodeError {
        message: short_type_name::<M>(),
        len: bytes.len(),
        source,
    })
}

fn short_type_name<M>() -> &'static str {
    let full = std::any::type_name::<M>();
    full.rsplit("::").next().unwrap_or(full)
}
