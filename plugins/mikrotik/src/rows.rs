//! [`Row`]: one record of a RouterOS table as name → value text, from either transport, and the
//! properties each table is asked for.

use std::collections::BTreeMap;

/// A record: property name → value, all text (as both the API and REST give them).
pub(crate) type Row = BTreeMap<String, String>;

/// `/ppp/active` properties read.
pub(crate) const SESSION_PROPERTIES: &[&str] = &[
    ".id",
    "name",
    "service",
    "caller-id",
    "address",
    "uptime",
    "session-id",
    "radius",
];

/// `/ppp/secret` properties read: never `password`.
pub(crate) const SECRET_PROPERTIES: &[&str] = &[
    ".id",
    "name",
    "service",
    "profile",
    "disabled",
    "last-logged-out",
    "last-caller-id",
    "last-disconnect-reason",
];

/// `/interface` properties read.
pub(crate) const INTERFACE_PROPERTIES: &[&str] = &[
    ".id", "name", "type", "running", "disabled", "rx-byte", "tx-byte", "rx-error", "tx-error",
    "rx-drop", "tx-drop", "comment",
];

/// Properties dropped from every row as it is parsed, whatever was asked for: they must never
/// reach an observation or a log line.
const NEVER_KEPT: &[&str] = &["password"];

/// A row from a reply's attributes, minus the properties never kept.
pub(crate) fn clean(mut row: Row) -> Row {
    for name in NEVER_KEPT {
        row.remove(*name);
    }
    row
}

/// `true`/`yes` and `false`/`no`, as RouterOS writes booleans.
pub(crate) fn flag(row: &Row, name: &str) -> Option<bool> {
    match row.get(name).map(String::as_str) {
        Some("true" | "yes") => Some(true),
        Some("false" | "no") => Some(false),
        _ => None,
    }
}

/// The value of `name` when present and not empty.
pub(crate) fn text(row: &Row, name: &str) -> Option<String> {
    row.get(name).filter(|value| !value.is_empty()).cloned()
}

/// The value of `name` as an unsigned integer, when it is one.
pub(crate) fn number(row: &Row, name: &str) -> Option<u64> {
    row.get(name).and_then(|value| value.parse().ok())
}
