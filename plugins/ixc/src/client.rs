//! The IXC webservice through the host's `http` capability: `POST /webservice/v1/{table}` with
//! `ixcsoft: listar` and Basic auth, paged until IXC's `total` is reached or a page comes back
//! empty, and every failure classified.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use vigia_plugin_sdk::http::{Method, Request, Response};
use vigia_plugin_sdk::{ErrorClass, Host, HostError, PluginError};

use crate::budget::RunBudget;
use crate::rows::{self, Row};

/// One `grid_param` condition: `{"TB": "<table>.<column>", "OP": op, "P": value}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub column: &'static str,
    pub op: &'static str,
    pub value: &'static str,
}

/// What one listing of a table needs.
pub(crate) struct Client<'a, H: Host> {
    pub host: &'a H,
    /// `<scheme>://<host>[:port][/prefix]/webservice/v1`.
    pub base: String,
    pub authorization: String,
    pub page_size: u32,
    pub max_pages: u32,
    pub timeout_ms: u32,
    pub verify_tls: bool,
    pub budget: RunBudget,
}

/// One page as IXC answered it.
#[derive(Debug)]
pub(crate) struct Page {
    pub total: usize,
    pub rows: Vec<Row>,
}

impl<H: Host> Client<'_, H> {
    /// Every row of `table` matching `conditions`, sorted by id, deduplicated by id (offset
    /// paging repeats a row that moved while we read).
    pub(crate) fn list_all(
        &self,
        table: &str,
        conditions: &[Condition],
    ) -> Result<Vec<Row>, PluginError> {
        let mut by_id: BTreeMap<String, Row> = BTreeMap::new();
        let mut without_id = Vec::new();
        let mut read = 0usize;
        let mut page = 1u32;
        loop {
            if page > self.max_pages {
                return Err(PluginError::budget(format!(
                    "{table}: more than {} pages of {} rows (raise `max_pages`)",
                    self.max_pages, self.page_size
                )));
            }
            let answer = self.page(table, conditions, page)?;
            let got = answer.rows.len();
            read += got;
            for row in answer.rows {
                match row.get("id").cloned() {
                    Some(id) => {
                        by_id.insert(id, row);
                    }
                    None => without_id.push(row),
                }
            }
            if got == 0 || read >= answer.total {
                break;
            }
            page += 1;
        }
        let mut rows: Vec<Row> = by_id.into_values().collect();
        rows.extend(without_id);
        Ok(rows)
    }

    /// One page of `table`.
    pub(crate) fn page(
        &self,
        table: &str,
        conditions: &[Condition],
        page: u32,
    ) -> Result<Page, PluginError> {
        let what = format!("POST {table} page {page}");
        let mut body = json!({
            "page": page.to_string(),
            "rp": self.page_size.to_string(),
            "sortname": format!("{table}.id"),
            "sortorder": "asc",
        });
        if !conditions.is_empty() {
            let grid: Vec<Value> = conditions
                .iter()
                .map(|c| json!({"TB": format!("{table}.{}", c.column), "OP": c.op, "P": c.value}))
                .collect();
            body["grid_param"] = Value::String(Value::Array(grid).to_string());
        }
        let request = Request {
            method: Method::Post,
            url: format!("{}/{table}", self.base),
            headers: vec![
                ("accept".to_owned(), "application/json".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned()),
                ("ixcsoft".to_owned(), "listar".to_owned()),
                ("authorization".to_owned(), self.authorization.clone()),
            ],
            body: Some(body.to_string().into_bytes()),
            timeout_ms: self.budget.op_timeout(self.host, self.timeout_ms, &what)?,
        };
        let response = self
            .host
            .http_send(&request)
            .map_err(|error| self.host_error(error).context(&what))?;
        parse_page(&response).map_err(|error| error.context(&what))
    }

    fn host_error(&self, error: HostError) -> PluginError {
        let tls = matches!(&error, HostError::Protocol(text) if text.to_ascii_lowercase().contains("certificate"));
        let error = PluginError::from(error);
        match (tls, self.verify_tls) {
            (true, true) => error.context(
                "tls certificate refused (self-signed? set `verify_tls` false and grant `tls_skip_verify`)",
            ),
            (true, false) => {
                error.context("tls certificate refused (grant `tls_skip_verify` to this probe)")
            }
            _ => error,
        }
    }
}

/// Stops reading the remaining tables of an install: the next request would fail the same way.
pub(crate) fn is_final(error: &PluginError) -> bool {
    matches!(
        error.class,
        ErrorClass::Auth
            | ErrorClass::Unreachable
            | ErrorClass::Timeout
            | ErrorClass::Denied
            | ErrorClass::Budget
    )
}

/// Classifies an answer and reads the page out of it.
pub(crate) fn parse_page(response: &Response) -> Result<Page, PluginError> {
    match response.status {
        200..=299 => {}
        401 | 403 => {
            return Err(PluginError::auth(format!(
                "status {} (check the token `user_id:token` and the user's webservice permission)",
                response.status
            )));
        }
        429 => return Err(PluginError::budget("status 429 (rate limited)")),
        // The proxy in front of IXC says IXC is not there: the next request would fail too.
        502..=504 => {
            return Err(PluginError::unreachable(format!(
                "status {}{}",
                response.status,
                describe_body(response)
            )));
        }
        status => {
            return Err(PluginError::invalid_response(format!(
                "status {status}{}",
                describe_body(response)
            )));
        }
    }
    let body: Value = serde_json::from_slice(&response.body).map_err(|error| {
        PluginError::invalid_response(format!(
            "the body is not json{}: {error}",
            describe_body(response)
        ))
    })?;
    let Value::Object(mut object) = body else {
        return Err(PluginError::invalid_response(
            "expected a json object with `total` and `registros`",
        ));
    };
    if let Some(error) = logical_error(&object) {
        return Err(error);
    }
    let total = match object.get("total") {
        Some(Value::String(text)) => text.trim().parse::<usize>().ok(),
        Some(Value::Number(number)) => number.as_u64().and_then(|n| usize::try_from(n).ok()),
        _ => None,
    }
    .ok_or_else(|| PluginError::invalid_response("`total` is missing or not a count"))?;
    let rows = match object.remove("registros") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(row) => Ok(rows::from_json(row)),
                _ => Err(PluginError::invalid_response(
                    "`registros` holds something that is not an object",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(PluginError::invalid_response("`registros` is not an array"));
        }
    };
    Ok(Page { total, rows })
}

/// IXC's HTTP-200 error object: `{"type":"error","message":…}` (some forms `tipo`/`mensagem`).
fn logical_error(object: &serde_json::Map<String, Value>) -> Option<PluginError> {
    let kind = object
        .get("type")
        .or_else(|| object.get("tipo"))
        .and_then(Value::as_str)?;
    if !matches!(kind.to_ascii_lowercase().as_str(), "error" | "erro") {
        return None;
    }
    let message = object
        .get("message")
        .or_else(|| object.get("mensagem"))
        .and_then(Value::as_str)
        .unwrap_or("no message");
    let message: String = message.chars().take(200).collect();
    let lower = message.to_lowercase();
    let class = if ["token", "permiss", "autentic"]
        .iter()
        .any(|w| lower.contains(w))
    {
        ErrorClass::Auth
    } else if [
        "não encontrad",
        "nao encontrad",
        "não existe",
        "nao existe",
        "inválid",
        "invalid",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        ErrorClass::Config
    } else {
        ErrorClass::InvalidResponse
    };
    Some(PluginError::new(class, format!("ixc error: {message}")))
}

/// ` (an html page)` and the like: what the body was, never its content.
fn describe_body(response: &Response) -> String {
    let content_type = response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.to_ascii_lowercase())
        .unwrap_or_default();
    let start: String = String::from_utf8_lossy(&response.body[..response.body.len().min(64)])
        .trim_start()
        .to_ascii_lowercase();
    if content_type.contains("html") || start.starts_with('<') {
        " (an html page)".to_owned()
    } else if response.body.is_empty() {
        " (empty body)".to_owned()
    } else {
        format!(" ({} bytes)", response.body.len())
    }
}
