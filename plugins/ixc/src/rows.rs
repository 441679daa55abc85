//! One IXC row as the plugin keeps it: text values by column, with every secret column dropped
//! while parsing, before anything else sees the row.

use std::collections::BTreeMap;

use serde_json::Value;

/// A row: column → text. Never holds a secret column (see [`is_secret`]).
pub(crate) type Row = BTreeMap<String, String>;

/// Columns that carry credentials: `senha`, `senha_rede_sem_fio`, `senha_router1`, ... and any
/// column whose name says password, token or secret. They are dropped at parse time.
pub(crate) fn is_secret(column: &str) -> bool {
    let name = column.to_ascii_lowercase();
    ["senha", "password", "passwd", "token", "secret"]
        .iter()
        .any(|word| name.contains(word))
}

/// Builds a row from a JSON object, dropping secret columns. Values are strings in IXC; numbers
/// and booleans are taken as their text, `null` as empty, anything nested is dropped.
pub(crate) fn from_json(object: serde_json::Map<String, Value>) -> Row {
    object
        .into_iter()
        .filter(|(column, _)| !is_secret(column))
        .filter_map(|(column, value)| {
            let text = match value {
                Value::String(text) => text,
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                Value::Null => String::new(),
                Value::Array(_) | Value::Object(_) => return None,
            };
            Some((column, text))
        })
        .collect()
}

/// The trimmed value of a column, `None` when absent or empty.
pub(crate) fn text<'r>(row: &'r Row, column: &str) -> Option<&'r str> {
    row.get(column).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// `S`/`N` flags (IXC also writes `1`/`0` in some forms).
pub(crate) fn flag(row: &Row, column: &str) -> Option<bool> {
    match text(row, column)? {
        "S" | "s" | "1" => Some(true),
        "N" | "n" | "0" => Some(false),
        _ => None,
    }
}
