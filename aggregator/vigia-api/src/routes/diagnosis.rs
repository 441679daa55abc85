//! `GET /v1/diagnosis/{login}` and `GET /v1/search`: what the support desk uses on every call.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::diagnosis::{DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT};
use crate::extract::{self, ApiPath, ApiQuery};
use crate::openapi::{NotFound, ProtectedErrors};
use crate::routes::AppState;
use crate::{ApiError, Diagnosis, SearchPage, SearchQuery};

/// Most characters of a search text.
const MAX_QUERY_CHARS: usize = 100;

/// Options of a diagnosis.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DiagnosisParams {
    /// Ask the subscriber's agents to check now (PPPoE session, ONU full status, CPE ping),
    /// within the configured deadline; agents that are offline or slow are reported as such.
    #[param(default = false)]
    live: Option<bool>,
}

/// Diagnose a subscriber
///
/// The subscriber's whole state (customer and billing, PPPoE session, ONU or radio, CPE ping,
/// every upstream element, active outages) and a verdict saying what to do, with the reasons:
/// each names its evidence, its source and how fresh it is. Where sources disagree the network
/// (router, OLT) wins over the CRM, and `verdict.conflicts` says so; what could not be checked is
/// in `verdict.missing`.
#[utoipa::path(
    get,
    path = "/v1/diagnosis/{login}",
    tag = "diagnosis",
    operation_id = "diagnose",
    params(
        ("login" = String, Path, description = "The subscriber's PPPoE login", pattern = "\\S"),
        DiagnosisParams,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The diagnosis", body = Diagnosis),
        NotFound,
        ProtectedErrors,
    )
)]
pub(crate) async fn diagnose(
    State(app): State<AppState>,
    ApiPath(login): ApiPath<String>,
    ApiQuery(params): ApiQuery<DiagnosisParams>,
) -> Result<Json<Diagnosis>, ApiError> {
    let login = login.trim();
    if login.is_empty() {
        return Err(ApiError::bad_request("the login is empty"));
    }
    match app
        .diagnosis
        .diagnosis(login, params.live.unwrap_or(false))
        .await?
    {
        Some(diagnosis) => Ok(Json(diagnosis)),
        None => Err(ApiError::not_found(format!(
            "no subscriber with login {login:?}: search with GET /v1/search?q=..."
        ))),
    }
}

/// What to search for, and the page wanted.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Name, login, address, document number, ONU serial, MAC or IP (or part of one); at least
    /// 2 characters. Case and accents do not matter ("joao" finds "João"); several words must
    /// all match. Text with no word of 2 letters or digits (`"!!"`) finds nothing.
    #[param(min_length = 2, max_length = 100)]
    q: String,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,9}$")]
    cursor: Option<String>,
}

/// Search subscribers
///
/// Subscribers whose name, login, address, document number, ONU serial, MAC or IP matches, best
/// first (exact matches, then word prefixes, then anywhere), one page at a time.
#[utoipa::path(
    get,
    path = "/v1/search",
    tag = "diagnosis",
    operation_id = "search",
    params(SearchParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of matches, best first", body = SearchPage),
        ProtectedErrors,
    )
)]
pub(crate) async fn search(
    State(app): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchPage>, ApiError> {
    let text = params.q;
    let chars = text.chars().count();
    if chars < 2 {
        return Err(ApiError::bad_request(
            "`q` needs at least 2 characters (a name, login, address, document, serial, MAC or IP)",
        ));
    }
    if chars > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(format!(
            "`q` has {chars} characters; at most {MAX_QUERY_CHARS}"
        )));
    }
    let offset = match params.cursor.as_deref() {
        None => 0,
        Some(cursor) => cursor
            .parse::<u32>()
            .ok()
            .filter(|_| cursor.len() <= 9 && cursor.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| ApiError::bad_request(format!("invalid cursor {cursor:?}")))?,
    };
    let query = SearchQuery {
        text,
        offset,
        limit: extract::limit(params.limit, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT)?,
    };
    Ok(Json(app.diagnosis.search(&query).await?))
}
