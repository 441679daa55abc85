//! The simulated ISP (scaffold).
//!
//! It will serve one consistent simulated network (vendor REST APIs, the RouterOS API, CPE
//! addresses in network namespaces, SNMP devices) from a scenario file, with a control API that
//! injects faults. Nothing is implemented yet: the plugins and the simulator come together in a
//! later issue, so that each simulator is written next to the plugin that talks to it.
