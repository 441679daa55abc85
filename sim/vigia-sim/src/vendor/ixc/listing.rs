//! The listing body of IXC's webservice (`qtype`/`query`/`oper`, `grid_param`, `page`/`rp`,
//! `sortname`/`sortorder`) and applying it to a table's rows: filter, sort, page.

use std::cmp::Ordering;

use serde::Deserialize;
use serde_json::Value;

use super::tables::Row;

/// The largest page IXC hands out, whatever `rp` asks for.
pub const MAX_RP: u64 = 1000;
/// `rp` when the body has none.
const DEFAULT_RP: u64 = 20;

/// Why a body cannot be listed.
#[derive(Debug, PartialEq)]
pub(super) enum ListingError {
    /// IXC's `{"type":"error"}` with this message.
    Logical(String),
    /// `IN` with one value: the SQL error page.
    SingleIn,
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq,
    Like,
    Gt,
    Lt,
    Ge,
    Le,
    Ne,
    In(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
struct Filter {
    field: String,
    op: Op,
    value: String,
}

/// A parsed listing request.
#[derive(Debug, PartialEq)]
pub(super) struct Listing {
    filters: Vec<Filter>,
    pub page: u64,
    rp: u64,
    sort: String,
    descending: bool,
}

/// The body as clients send it: strings, though PHP also takes numbers.
#[derive(Deserialize, Default)]
struct Body {
    qtype: Option<Value>,
    query: Option<Value>,
    oper: Option<Value>,
    grid_param: Option<Value>,
    page: Option<Value>,
    rp: Option<Value>,
    sortname: Option<Value>,
    sortorder: Option<Value>,
}

#[derive(Deserialize)]
struct GridParam {
    #[serde(rename = "TB")]
    tb: String,
    #[serde(rename = "OP")]
    op: String,
    #[serde(rename = "P")]
    p: Value,
}

fn text(value: &Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn logical(message: impl Into<String>) -> ListingError {
    ListingError::Logical(message.into())
}

impl Listing {
    /// Parses a body for `table`, whose columns are `fields`. An empty body lists everything.
    pub(super) fn parse(table: &str, body: &[u8], fields: &[&str]) -> Result<Self, ListingError> {
        let body: Body = if body.iter().all(u8::is_ascii_whitespace) {
            Body::default()
        } else {
            serde_json::from_slice(body)
                .map_err(|e| logical(format!("Parâmetros inválidos (JSON): {e}")))?
        };
        let field = |name: &str| -> Result<String, ListingError> {
            let bare = match name.split_once('.') {
                Some((prefix, bare)) if prefix == table => bare,
                Some(_) => return Err(logical(format!("Campo '{name}' inválido para {table}"))),
                None => name,
            };
            if fields.contains(&bare) {
                Ok(bare.to_owned())
            } else {
                Err(logical(format!("Campo '{name}' não existe em {table}")))
            }
        };
        let mut filters = Vec::new();
        if let Some(qtype) = text(&body.qtype).filter(|q| !q.trim().is_empty()) {
            let oper = text(&body.oper).unwrap_or_else(|| "=".to_owned());
            let value = text(&body.query).unwrap_or_default();
            filters.push(Filter {
                field: field(qtype.trim())?,
                op: op(&oper, &value)?,
                value,
            });
        }
        if let Some(grid) = text(&body.grid_param).filter(|g| !g.trim().is_empty()) {
            let params: Vec<GridParam> = serde_json::from_str(&grid)
                .map_err(|e| logical(format!("grid_param inválido: {e}")))?;
            for param in params {
                let value = text(&Some(param.p)).unwrap_or_default();
                filters.push(Filter {
                    field: field(param.tb.trim())?,
                    op: op(&param.op, &value)?,
                    value,
                });
            }
        }
        let number = |value: &Option<Value>, name: &str, default: u64| match text(value) {
            None => Ok(default),
            Some(t) if t.trim().is_empty() => Ok(default),
            Some(t) => t
                .trim()
                .parse::<u64>()
                .map_err(|_| logical(format!("Parâmetro '{name}' inválido: {t}"))),
        };
        let page = number(&body.page, "page", 1)?.max(1);
        let rp = match number(&body.rp, "rp", DEFAULT_RP)? {
            0 => DEFAULT_RP,
            rp => rp.min(MAX_RP),
        };
        let sort = match text(&body.sortname).filter(|s| !s.trim().is_empty()) {
            Some(name) => field(name.trim())?,
            None => "id".to_owned(),
        };
        let descending =
            text(&body.sortorder).is_some_and(|o| o.trim().eq_ignore_ascii_case("desc"));
        Ok(Self {
            filters,
            page,
            rp,
            sort,
            descending,
        })
    }

    /// Filters, sorts and cuts the page: `(total matching, rows of the page)`.
    pub(super) fn apply(&self, rows: Vec<Row>) -> (usize, Vec<Row>) {
        let mut rows: Vec<Row> = rows
            .into_iter()
            .filter(|row| self.filters.iter().all(|f| f.matches(row)))
            .collect();
        rows.sort_by(|a, b| {
            let order = compare(a.get(&self.sort), b.get(&self.sort));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        let total = rows.len();
        let skip = usize::try_from((self.page - 1).saturating_mul(self.rp)).unwrap_or(usize::MAX);
        let take = usize::try_from(self.rp).unwrap_or(usize::MAX);
        (total, rows.into_iter().skip(skip).take(take).collect())
    }
}

fn op(oper: &str, value: &str) -> Result<Op, ListingError> {
    Ok(match oper.trim().to_ascii_uppercase().as_str() {
        "=" => Op::Eq,
        "L" => Op::Like,
        ">" => Op::Gt,
        "<" => Op::Lt,
        ">=" => Op::Ge,
        "<=" => Op::Le,
        "!=" | "<>" => Op::Ne,
        "IN" => {
            let values: Vec<String> = value
                .split(',')
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect();
            if values.len() < 2 {
                return Err(ListingError::SingleIn);
            }
            Op::In(values)
        }
        other => return Err(logical(format!("Operador '{other}' inválido"))),
    })
}

/// MySQL-like comparison: numbers as numbers, text case-insensitively.
fn compare(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

impl Filter {
    fn matches(&self, row: &Row) -> bool {
        let cell = row.get(&self.field);
        match &self.op {
            Op::Eq => compare(cell, &self.value) == Ordering::Equal,
            Op::Ne => compare(cell, &self.value) != Ordering::Equal,
            Op::Like => cell.to_lowercase().contains(&self.value.to_lowercase()),
            Op::Gt => compare(cell, &self.value) == Ordering::Greater,
            Op::Lt => compare(cell, &self.value) == Ordering::Less,
            Op::Ge => compare(cell, &self.value) != Ordering::Less,
            Op::Le => compare(cell, &self.value) != Ordering::Greater,
            Op::In(values) => values.iter().any(|v| compare(cell, v) == Ordering::Equal),
        }
    }
}
