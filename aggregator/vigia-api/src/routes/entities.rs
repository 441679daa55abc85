//! `GET /v1/entities`, `/v1/entities/{id}`, `/v1/entities/{id}/observations` and
//! `/v1/entities/{id}/history`.
//!
//! Entity ids contain `:` and `/` (`pon_port:olt-1/0/3`): in the path, `/` must be sent
//! percent-encoded as `%2F` (`/v1/entities/pon_port:olt-1%2F0%2F3`); the id is decoded before use.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::{self, ApiPath, ApiQuery};
use crate::model::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::openapi::{NotFound, ProtectedErrors};
use crate::routes::AppState;
use crate::{ApiError, Entity, EntityPage, EntityQuery, Observation, StateChange, StateValue};

/// Most observations one request returns.
const MAX_OBSERVATIONS: u32 = 1000;
/// Observations returned when the client does not say.
const DEFAULT_OBSERVATIONS: u32 = 50;

/// Filters and paging of the entity list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// Only entities of this kind (`olt`, `pon_port`, `onu`, `ap`, `subscriber`, ...).
    kind: Option<String>,
    /// Only entities of this site.
    site: Option<String>,
    /// Only entities in this state.
    state: Option<StateValue>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page (opaque).
    cursor: Option<String>,
}

/// List entities
///
/// Entities matching every given filter, one page at a time, in a stable order. Follow
/// `next_cursor` for the next page.
#[utoipa::path(
    get,
    path = "/v1/entities",
    tag = "entities",
    operation_id = "list_entities",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of entities", body = EntityPage),
        ProtectedErrors,
    )
)]
pub(crate) async fn list(
    State(app): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<EntityPage>, ApiError> {
    let query = EntityQuery {
        kind: params.kind,
        site: params.site,
        state: params.state,
        limit: extract::limit(params.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
        cursor: params.cursor,
    };
    Ok(Json(app.model.entities(&query).await?))
}

/// Get one entity
///
/// The entity with its state, attributes, parents and children.
#[utoipa::path(
    get,
    path = "/v1/entities/{id}",
    tag = "entities",
    operation_id = "get_entity",
    params(("id" = String, Path, description = "The entity id; percent-encode `/` as `%2F` (`pon_port:olt-1%2F0%2F3`)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The entity", body = Entity),
        NotFound,
        ProtectedErrors,
    )
)]
pub(crate) async fn get(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Entity>, ApiError> {
    match app.model.entity(&id).await {
        Some(entity) => Ok(Json(entity)),
        None => Err(no_entity(&id)),
    }
}

/// Paging of observations.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ObservationParams {
    /// Most observations to return.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u32>,
}

/// Latest observations of an entity
///
/// The latest observation of the entity by each source, newest first.
#[utoipa::path(
    get,
    path = "/v1/entities/{id}/observations",
    tag = "entities",
    operation_id = "get_entity_observations",
    params(
        ("id" = String, Path, description = "The entity id; percent-encode `/` as `%2F`"),
        ObservationParams,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The observations, newest first", body = Vec<Observation>),
        NotFound,
        ProtectedErrors,
    )
)]
pub(crate) async fn observations(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<ObservationParams>,
) -> Result<Json<Vec<Observation>>, ApiError> {
    let limit = extract::limit(params.limit, DEFAULT_OBSERVATIONS, MAX_OBSERVATIONS)?;
    match app.model.observations(&id, limit).await {
        Some(observations) => Ok(Json(observations)),
        None => Err(no_entity(&id)),
    }
}

/// Range and paging of state history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HistoryParams {
    /// Only changes at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// Most changes to return.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<u32>,
}

/// State history of an entity
///
/// The entity's state changes, newest first.
#[utoipa::path(
    get,
    path = "/v1/entities/{id}/history",
    tag = "entities",
    operation_id = "get_entity_history",
    params(
        ("id" = String, Path, description = "The entity id; percent-encode `/` as `%2F`"),
        HistoryParams,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The state changes, newest first", body = Vec<StateChange>),
        NotFound,
        ProtectedErrors,
    )
)]
pub(crate) async fn history(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> Result<Json<Vec<StateChange>>, ApiError> {
    let limit = extract::limit(params.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let since_ms = extract::since(params.since.as_deref())?;
    match app.model.history(&id, since_ms, limit).await? {
        Some(changes) => Ok(Json(changes)),
        None => Err(no_entity(&id)),
    }
}

fn no_entity(id: &str) -> ApiError {
    ApiError::not_found(format!("no entity {id:?}"))
}
