//! `/v1/maintenance` and `/v1/maintenance/{id}`: maintenance windows. Reading needs a `read`
//! key; creating, replacing and deleting an `operate` key.

use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use crate::extract::{ApiJson, ApiPath};
use crate::openapi::{BodyErrors, NotFound, ProtectedErrors};
use crate::routes::AppState;
use crate::{ApiError, Caller, MaintenanceWindow, NewMaintenance};

/// List maintenance windows
///
/// Every maintenance window, past, current and future, ordered by id.
#[utoipa::path(
    get,
    path = "/v1/maintenance",
    tag = "maintenance",
    operation_id = "list_maintenance",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The windows, by id", body = Vec<MaintenanceWindow>),
        ProtectedErrors,
    )
)]
pub(crate) async fn list(
    State(app): State<AppState>,
) -> Result<Json<Vec<MaintenanceWindow>>, ApiError> {
    Ok(Json(app.outages.maintenance_windows().await?))
}

/// Get one maintenance window
#[utoipa::path(
    get,
    path = "/v1/maintenance/{id}",
    tag = "maintenance",
    operation_id = "get_maintenance",
    params(("id" = u64, Path, description = "The window id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The window", body = MaintenanceWindow),
        NotFound,
        ProtectedErrors,
    )
)]
pub(crate) async fn get(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<MaintenanceWindow>, ApiError> {
    match app.outages.maintenance_window(id).await? {
        Some(window) => Ok(Json(window)),
        None => Err(no_window(id)),
    }
}

/// Create a maintenance window
///
/// Events under its entities, during its time range, are still detected and recorded but not
/// notified. Needs an `operate` key; the window records the key's id as its creator.
#[utoipa::path(
    post,
    path = "/v1/maintenance",
    tag = "maintenance",
    operation_id = "create_maintenance",
    request_body = NewMaintenance,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The window, created", body = MaintenanceWindow,
            headers(("Location" = String, description = "The window's URL: `/v1/maintenance/{id}`"))),
        BodyErrors,
        ProtectedErrors,
    )
)]
pub(crate) async fn create(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewMaintenance>,
) -> Result<Response, ApiError> {
    new.validate()?;
    let window = app.outages.create_maintenance(new, caller.key_id).await?;
    let location = HeaderValue::try_from(format!("/v1/maintenance/{}", window.id))
        .map_err(ApiError::internal)?;
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(window)).into_response())
}

/// Replace a maintenance window
///
/// Replaces the window's entities, times and reason; its id, creator and creation time stay.
/// Needs an `operate` key.
#[utoipa::path(
    put,
    path = "/v1/maintenance/{id}",
    tag = "maintenance",
    operation_id = "update_maintenance",
    params(("id" = u64, Path, description = "The window id")),
    request_body = NewMaintenance,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The window, replaced", body = MaintenanceWindow),
        NotFound,
        BodyErrors,
        ProtectedErrors,
    )
)]
pub(crate) async fn update(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(new): ApiJson<NewMaintenance>,
) -> Result<Json<MaintenanceWindow>, ApiError> {
    new.validate()?;
    match app.outages.update_maintenance(id, new).await? {
        Some(window) => Ok(Json(window)),
        None => Err(no_window(id)),
    }
}

/// Delete a maintenance window
///
/// Needs an `operate` key.
#[utoipa::path(
    delete,
    path = "/v1/maintenance/{id}",
    tag = "maintenance",
    operation_id = "delete_maintenance",
    params(("id" = u64, Path, description = "The window id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The window is deleted"),
        NotFound,
        ProtectedErrors,
    )
)]
pub(crate) async fn delete(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<StatusCode, ApiError> {
    if app.outages.delete_maintenance(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_window(id))
    }
}

fn no_window(id: u64) -> ApiError {
    ApiError::not_found(format!("no maintenance window {id}"))
}
