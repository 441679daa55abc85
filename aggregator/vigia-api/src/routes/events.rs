//! `GET /v1/events` and `GET /v1/events/{id}`: outage events, one per outage, with root cause,
//! size and timeline.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::{self, ApiPath, ApiQuery};
use crate::model::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::openapi::{NotFound, ProtectedErrors};
use crate::routes::AppState;
use crate::{ApiError, EventDetail, EventKind, EventPage, EventQuery, EventStatus};

/// Filters and paging of the event list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// Only events with this status.
    status: Option<EventStatus>,
    /// Only events active now, or that started or resolved at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// Only events of this kind.
    kind: Option<EventKind>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,19}$")]
    cursor: Option<String>,
}

/// List events
///
/// Outage events matching every given filter, newest first, one page at a time. Follow
/// `next_cursor` for the next page.
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "events",
    operation_id = "list_events",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of events, newest first", body = EventPage),
        ProtectedErrors,
    )
)]
pub(crate) async fn list(
    State(app): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<EventPage>, ApiError> {
    let query = EventQuery {
        status: params.status,
        since_ms: extract::since(params.since.as_deref())?,
        kind: params.kind.map(|kind| kind.as_str().to_owned()),
        limit: extract::limit(params.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
        cursor: params.cursor,
    };
    Ok(Json(app.outages.events(&query).await?))
}

/// Get one event
///
/// The event with the subscribers and entities it covers, its timeline and the delivery of its
/// notifications.
#[utoipa::path(
    get,
    path = "/v1/events/{id}",
    tag = "events",
    operation_id = "get_event",
    params(("id" = u64, Path, description = "The event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The event", body = EventDetail),
        NotFound,
        ProtectedErrors,
    )
)]
pub(crate) async fn get(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<EventDetail>, ApiError> {
    match app.outages.event(id).await? {
        Some(event) => Ok(Json(event)),
        None => Err(ApiError::not_found(format!("no event #{id}"))),
    }
}
