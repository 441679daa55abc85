//! `GET /v1/agents` and `GET /v1/agents/{id}`.

use axum::Json;
use axum::extract::State;

use crate::extract::ApiPath;
use crate::openapi::{NotFound, ProtectedErrors};
use crate::routes::AppState;
use crate::{Agent, ApiError};

/// List agents
///
/// Every agent the aggregator knows, connected or not, ordered by id, with its last health
/// report.
#[utoipa::path(
    get,
    path = "/v1/agents",
    tag = "agents",
    operation_id = "list_agents",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The agents", body = Vec<Agent>),
        ProtectedErrors,
    )
)]
pub(crate) async fn list(State(app): State<AppState>) -> Json<Vec<Agent>> {
    Json(app.model.agents().await)
}

/// Get one agent
///
/// One agent with its connection state and last health report.
#[utoipa::path(
    get,
    path = "/v1/agents/{id}",
    tag = "agents",
    operation_id = "get_agent",
    params(("id" = String, Path, description = "The agent id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The agent", body = Agent),
        NotFound,
        ProtectedErrors,
    )
)]
pub(crate) async fn get(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Agent>, ApiError> {
    match app.model.agent(&id).await {
        Some(agent) => Ok(Json(agent)),
        None => Err(ApiError::not_found(format!("no agent {id:?}"))),
    }
}
