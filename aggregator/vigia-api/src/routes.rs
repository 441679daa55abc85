//! The handlers, by area. Each carries its OpenAPI description (`#[utoipa::path]`).

pub(crate) mod agents;
pub(crate) mod entities;
pub(crate) mod system;

use std::sync::Arc;

use crate::ReadModel;

/// What the data handlers share.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) model: Arc<dyn ReadModel>,
}
