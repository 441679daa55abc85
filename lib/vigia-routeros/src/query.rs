//! [`Query`]: the `?` words of a `print`, and their evaluation against a row (server side).

use crate::QueryError;

/// One query word. The API evaluates them as a stack: each test pushes a boolean, [`Query::Ops`]
/// combine the top values, and a row matches when every value left on the stack is true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// `?name`: the row has the property.
    Has(String),
    /// `?-name`: the row lacks the property.
    Absent(String),
    /// `?name=value` (also read from `?=name=value`).
    Equals(String, String),
    /// `?<name=value`: the property is less than the value.
    Less(String, String),
    /// `?>name=value`: the property is greater than the value.
    Greater(String, String),
    /// `?#ops`: stack operations, `|` (or), `&` (and), `!` (not), `.` (duplicate the top).
    Ops(String),
}

impl Query {
    pub fn equals(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Equals(name.into(), value.into())
    }

    /// The word on the wire.
    pub fn word(&self) -> String {
        match self {
            Self::Has(name) => format!("?{name}"),
            Self::Absent(name) => format!("?-{name}"),
            Self::Equals(name, value) => format!("?{name}={value}"),
            Self::Less(name, value) => format!("?<{name}={value}"),
            Self::Greater(name, value) => format!("?>{name}={value}"),
            Self::Ops(ops) => format!("?#{ops}"),
        }
    }

    /// Reads a query word (with its leading `?`); `None` when it does not start with `?`.
    pub fn parse(word: &str) -> Option<Self> {
        let body = word.strip_prefix('?')?;
        let split = |rest: &str| match rest.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (rest.to_owned(), String::new()),
        };
        Some(if let Some(ops) = body.strip_prefix('#') {
            Self::Ops(ops.to_owned())
        } else if let Some(name) = body.strip_prefix('-') {
            Self::Absent(name.to_owned())
        } else if let Some(rest) = body.strip_prefix('<') {
            let (name, value) = split(rest);
            Self::Less(name, value)
        } else if let Some(rest) = body.strip_prefix('>') {
            let (name, value) = split(rest);
            Self::Greater(name, value)
        } else if let Some(rest) = body.strip_prefix('=') {
            let (name, value) = split(rest);
            Self::Equals(name, value)
        } else if body.contains('=') {
            let (name, value) = split(body);
            Self::Equals(name, value)
        } else {
            Self::Has(body.to_owned())
        })
    }

    /// Whether a row matches `queries`; `property` looks a property of the row up by name.
    /// `<`/`>` compare as integers when both sides are integers, as text otherwise. No queries
    /// match every row. Stack operations by position (`?#0`..`?#9`) are not supported.
    pub fn evaluate<'a>(
        queries: &[Query],
        property: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<bool, QueryError> {
        let mut stack: Vec<bool> = Vec::with_capacity(queries.len());
        for query in queries {
            let value = match query {
                Self::Has(name) => property(name).is_some(),
                Self::Absent(name) => property(name).is_none(),
                Self::Equals(name, value) => property(name) == Some(value.as_str()),
                Self::Less(name, value) => {
                    property(name).is_some_and(|p| compare(p, value).is_lt())
                }
                Self::Greater(name, value) => {
                    property(name).is_some_and(|p| compare(p, value).is_gt())
                }
                Self::Ops(ops) => {
                    for op in ops.chars() {
                        apply(&mut stack, op)?;
                    }
                    continue;
                }
            };
            stack.push(value);
        }
        Ok(stack.iter().all(|&value| value))
    }
}

fn compare(left: &str, right: &str) -> std::cmp::Ordering {
    match (left.parse::<i64>(), right.parse::<i64>()) {
        (Ok(left), Ok(right)) => left.cmp(&right),
        _ => left.cmp(right),
    }
}

fn apply(stack: &mut Vec<bool>, op: char) -> Result<(), QueryError> {
    let underflow = QueryError::StackUnderflow { op };
    match op {
        '!' => {
            let top = stack.pop().ok_or(underflow)?;
            stack.push(!top);
        }
        '.' => {
            let top = *stack.last().ok_or(underflow)?;
            stack.push(top);
        }
        '|' | '&' => {
            let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                return Err(underflow);
            };
            stack.push(if op == '|' { a || b } else { a && b });
        }
        other => return Err(QueryError::UnsupportedOp(other)),
    }
    Ok(())
}
