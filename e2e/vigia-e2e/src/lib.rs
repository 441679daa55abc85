//! `vigia-e2e`: end-to-end tests of the agent data path with the real `vigia-agent` and
//! `vigia-aggregator` binaries, each in its own network namespace, probing targets that live in a
//! third namespace.
//!
//! What it provides: [`Lab`] (namespaces, veth links, target ranges, nftables partitions; all
//! deleted on drop), [`Proc`] (a binary started inside a namespace, its output captured to a file,
//! killed on drop), [`wait_until`] (poll a real condition with a deadline, never a fixed sleep) and
//! [`bins`] (where the workspace's binaries are).
//!
//! What it does not do: build the binaries (`cargo test --workspace` builds them, `cargo xtask
//! test` builds them first) or run without root: every test needs `ip netns` and fails loudly
//! without it.

pub mod backend;
pub mod bins;
pub mod deployment;
pub mod isp;
pub mod lab;
pub mod proc;
pub mod wait;

pub use backend::Backend;
pub use deployment::{
    AGENT_ID, API_PORT, AgentSettings, Deployment, Row, SpoolState, assert_delivered,
};
pub use isp::{IspLab, IspTiming};
pub use lab::Lab;
pub use proc::Proc;
pub use wait::wait_until;
