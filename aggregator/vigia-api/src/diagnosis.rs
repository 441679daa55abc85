//! What the API sends for the support desk: the 360° diagnosis of one subscriber (the facts and
//! the triage verdict, from `vigia-triage`) and subscriber search results. The
//! [`DiagnosisModel`] implementation (the aggregator) fills them in.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigia_triage::{Facts, Verdict};

use crate::{ApiError, Timestamp};

/// One subscriber's diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Diagnosis {
    /// The PPPoE login.
    pub login: String,
    /// When it was made.
    pub generated_at: Timestamp,
    /// Live checks were asked for (`?live=true`); their outcomes are in `facts.live`.
    pub live: bool,
    /// What to do, and why.
    pub verdict: Verdict,
    /// Everything known about the subscriber (the 360° view), each reading with its source and
    /// time.
    pub facts: Facts,
}

/// Which field of a subscriber a search matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchField {
    Login,
    Name,
    Address,
    Document,
    OnuSerial,
    Mac,
    Ip,
    Other,
}

/// One subscriber found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    /// The PPPoE login: `GET /v1/diagnosis/{login}` diagnoses it.
    pub login: String,
    /// The customer's name, when known.
    pub name: Option<String>,
    pub address: Option<String>,
    /// The subscriber's current state (`up`, `down`, `degraded`, `unknown`).
    pub state: String,
    /// What matched, and its value as stored (not normalised).
    pub matched_field: SearchField,
    pub matched_value: String,
    /// Higher is better; results are ordered by it.
    pub score: u32,
}

/// One page of search results, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchPage {
    /// Matches in all.
    pub total: u64,
    pub items: Vec<SearchHit>,
    /// The `cursor` of the next page, absent on the last.
    pub next_cursor: Option<String>,
}

/// A search: the text and the page wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// What the user typed (the API checked it has 2 to 100 characters).
    pub text: String,
    /// Results to skip (the cursor).
    pub offset: u32,
    /// Page size, `1..=100`.
    pub limit: u32,
}

/// Most results in one search page.
pub const MAX_SEARCH_LIMIT: u32 = 100;
/// Results per search page when the client does not say.
pub const DEFAULT_SEARCH_LIMIT: u32 = 20;

/// The aggregator's diagnosis and search, as the API needs them.
///
/// Calls should be cheap (in-memory): the goal is a diagnosis p99 of 10 ms at 5,000 requests/s
/// and a search p99 of 20 ms. `live` diagnoses wait for agents, at most the configured deadline.
#[async_trait]
pub trait DiagnosisModel: Send + Sync + 'static {
    /// The diagnosis of subscriber `login`; `Ok(None)` when no such subscriber is known.
    async fn diagnosis(&self, login: &str, live: bool) -> Result<Option<Diagnosis>, ApiError>;

    /// Subscribers matching `query`, best first. A text with nothing searchable in it (no word
    /// of 2 letters or digits) matches nothing.
    async fn search(&self, query: &SearchQuery) -> Result<SearchPage, ApiError>;
}
