//! The handlers, by area. Each carries its OpenAPI description (`#[utoipa::path]`).

pub(crate) mod agents;
pub(crate) mod diagnosis;
pub(crate) mod entities;
pub(crate) mod events;
pub(crate) mod maintenance;
pub(crate) mod system;

use std::sync::Arc;

use crate::{DiagnosisModel, OutageModel, ReadModel};

/// What the data handlers share.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) model: Arc<dyn ReadModel>,
    pub(crate) outages: Arc<dyn OutageModel>,
    pub(crate) diagnosis: Arc<dyn DiagnosisModel>,
}
