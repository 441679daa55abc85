//! Integration tests of the plugin host against the real plugin and test-guest components built
//! by `cargo xtask plugins` (into `target/plugins`). A missing component fails the test with the
//! command to run; nothing is skipped.

mod guests;
mod icmp;
mod icmp_rtt;
mod lab;
mod load;
mod netns;
mod ping;
mod snmp;
mod support;
