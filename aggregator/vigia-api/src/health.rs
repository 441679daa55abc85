//! `/health`: the binary's checks ([`HealthCheck`]) summed up as `ok` or `degraded`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Serialize;
use utoipa::ToSchema;

/// Overall or per-check status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Degraded,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CheckResult {
    /// Whether this part works.
    pub status: HealthStatus,
    /// Why it is degraded, or a short note.
    pub message: Option<String>,
}

impl CheckResult {
    /// A passing check.
    pub fn ok() -> Self {
        Self {
            status: HealthStatus::Ok,
            message: None,
        }
    }

    /// A failing check, with the reason.
    pub fn degraded(message: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Degraded,
            message: Some(message.into()),
        }
    }
}

/// The `/health` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when every check is ok (HTTP 200), else `degraded` (HTTP 503).
    pub status: HealthStatus,
    /// Each check by name (e.g. `store`, `ingest`).
    pub checks: BTreeMap<String, CheckResult>,
}

impl Health {
    /// Sums up checks: degraded if any is.
    pub fn from_checks(checks: BTreeMap<String, CheckResult>) -> Self {
        let status = if checks.values().all(|c| c.status == HealthStatus::Ok) {
            HealthStatus::Ok
        } else {
            HealthStatus::Degraded
        };
        Self { status, checks }
    }
}

/// What the binary knows about its own health. Keep it quick: load balancers call it often.
#[async_trait]
pub trait HealthCheck: Send + Sync + 'static {
    /// Every check by name.
    async fn check(&self) -> BTreeMap<String, CheckResult>;
}

/// Health from a plain function (for binaries whose checks are synchronous reads).
#[async_trait]
impl<F> HealthCheck for F
where
    F: Fn() -> BTreeMap<String, CheckResult> + Send + Sync + 'static,
{
    async fn check(&self) -> BTreeMap<String, CheckResult> {
        self()
    }
}
