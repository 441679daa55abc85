//! The logins online at the end of the previous run, kept in `kv` per target, so a login that
//! disappeared between two runs (and is in no secret) is still reported offline once.
//! Format: logins separated by newlines, sorted.

use std::collections::BTreeSet;

use vigia_plugin_sdk::Target;

pub(crate) fn key(target: &Target) -> String {
    format!("online/{}", target.id)
}

pub(crate) fn decode(bytes: &[u8]) -> BTreeSet<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|login| !login.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Logins containing a newline cannot be stored and are left out.
pub(crate) fn encode(logins: &BTreeSet<String>) -> Vec<u8> {
    let kept: Vec<&str> = logins
        .iter()
        .map(String::as_str)
        .filter(|login| !login.contains(['\n', '\r']))
        .collect();
    kept.join("\n").into_bytes()
}
