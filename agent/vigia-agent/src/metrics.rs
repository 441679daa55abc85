//! The local Prometheus endpoint: the text format and the HTTP server.

mod exposition;
mod server;

pub(crate) use exposition::Exposition;
pub(crate) use server::{Render, serve};
