//! The API's [`DiagnosisModel`]: one subscriber's facts from the live state, the active outages
//! that cover it, live checks through its agents when asked, and the triage verdict; search over
//! the background-built index.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::json;
use vigia_api::{
    ApiError, Diagnosis, DiagnosisModel, SearchField, SearchHit, SearchPage, SearchQuery, Timestamp,
};
use vigia_core::run::{RunOutcome, RunResult};
use vigia_ingest::{AgentId, ProbeCall, ProbeError, ProbeTarget, Probes};
use vigia_search::{Field, QueryError};
use vigia_state::{FactsOptions, Origins, StateHandle, merge_observations};
use vigia_triage::{Facts, LiveCheck, TriageConfig, triage};

use crate::active_outages::ActiveOutages;
use crate::config::DiagnosisSection;
use crate::outages::now_ms;
use crate::search_index::SearchIndex;

pub(crate) struct Desk {
    pub(crate) state: StateHandle,
    pub(crate) outages: Arc<ActiveOutages>,
    pub(crate) search: Arc<SearchIndex>,
    /// `None`: live checks are not possible (no ingest, in tests).
    pub(crate) probes: Option<Probes>,
    pub(crate) config: DiagnosisSection,
}

impl Desk {
    fn facts_options(triage: &TriageConfig) -> FactsOptions {
        FactsOptions {
            pon_drop_db: triage.pon_drop_db,
            ..FactsOptions::default()
        }
    }

    /// The facts from the live state and the outage index, without live checks.
    fn gather(&self, login: &str) -> Option<(Facts, Origins)> {
        let now = now_ms();
        let options = Self::facts_options(&self.config.triage);
        let (mut facts, origins) = {
            let live = self.state.read();
            let facts = live.subscriber_facts(login, now, &options)?;
            let origins = live.subscriber_origins(login).unwrap_or_default();
            (facts, origins)
        };
        let member = format!("subscriber:{}", facts.login);
        let onu = facts.onu.as_ref().map(|o| format!("onu:{}", o.serial));
        let ids = std::iter::once(member.as_str())
            .chain(onu.as_deref())
            .chain(facts.upstream.iter().map(|u| u.id.as_str()));
        facts.outages = self.outages.covering(ids);
        Some((facts, origins))
    }

    /// Runs the live checks the subscriber allows, all at once, each within the deadline, and
    /// merges what they observed: the router's session print, the OLT's full status of the ONU
    /// (fibre subscribers), a ping of the CPE from the router's agent.
    async fn live_checks(&self, facts: &mut Facts, origins: &Origins) {
        let session = Planned {
            check: "session",
            plugin: origins
                .session
                .as_ref()
                .map_or(self.config.session_plugin.clone(), |o| o.plugin_id.clone()),
            call: origins.session.as_ref().map(|origin| {
                (
                    origin.agent.clone(),
                    ProbeCall {
                        plugin_id: origin.plugin_id.clone(),
                        targets: vec![target(&origin.target, "")],
                        config: json!({ "logins": [facts.login] }),
                    },
                )
            }),
            missing: "no router has reported this login's session",
        };
        let onu = (facts.radio.is_none() || origins.onu.is_some()).then(|| Planned {
            check: "onu",
            plugin: origins
                .onu
                .as_ref()
                .map_or(self.config.onu_plugin.clone(), |(o, _)| o.plugin_id.clone()),
            call: origins.onu.as_ref().map(|(origin, serial)| {
                (
                    origin.agent.clone(),
                    ProbeCall {
                        plugin_id: origin.plugin_id.clone(),
                        targets: vec![target(&origin.target, "")],
                        config: json!({ "full_status_onus": [serial] }),
                    },
                )
            }),
            missing: "no OLT has reported this subscriber's ONU",
        });
        let address = facts.session.as_ref().and_then(|s| s.address.clone());
        let cpe = Planned {
            check: "cpe",
            plugin: self.config.ping_plugin.clone(),
            call: origins
                .session
                .as_ref()
                .zip(address)
                .map(|(origin, address)| {
                    (
                        origin.agent.clone(),
                        ProbeCall {
                            plugin_id: self.config.ping_plugin.clone(),
                            targets: vec![target(&format!("cpe:{}", facts.login), &address)],
                            config: json!({}),
                        },
                    )
                }),
            missing: "no CPE address known (no session address from a router)",
        };
        let (session, onu, cpe) = tokio::join!(
            self.run(session),
            async {
                match onu {
                    Some(onu) => Some(self.run(onu).await),
                    None => None,
                }
            },
            self.run(cpe)
        );
        for done in [Some(session), onu, Some(cpe)].into_iter().flatten() {
            let (outcome, detail) = match done.result {
                Err((kind, detail)) => (kind, Some(detail)),
                Ok(run) => judge_run(facts, &run, &done.agent),
            };
            facts.live.push(LiveCheck {
                check: done.check.to_owned(),
                agent: done.agent,
                plugin: done.plugin,
                outcome,
                detail,
                took_ms: done.took_ms,
            });
        }
    }

    /// Runs one planned check (or says why it cannot run).
    async fn run(&self, planned: Planned) -> Done {
        let started = Instant::now();
        let Planned {
            check,
            plugin,
            call,
            missing,
        } = planned;
        let Some((agent, call)) = call else {
            return Done {
                check,
                agent: String::new(),
                plugin,
                result: Err(("not_possible".to_owned(), missing.to_owned())),
                took_ms: 0,
            };
        };
        let deadline = Duration::from_millis(self.config.live_deadline_ms);
        let result = match (&self.probes, AgentId::new(&agent)) {
            (None, _) => Err((
                "not_possible".to_owned(),
                "live checks are not available".to_owned(),
            )),
            (_, Err(error)) => Err(("not_possible".to_owned(), error.to_string())),
            (Some(probes), Ok(id)) => probes
                .run(&id, call, deadline)
                .await
                .map_err(|error: ProbeError| (error.kind().to_owned(), error.to_string())),
        };
        Done {
            check,
            agent,
            plugin,
            result,
            took_ms: started.elapsed().as_millis() as u64,
        }
    }
}

/// A live check to run: which, with which plugin, on which agent (`None`: why not in `missing`).
struct Planned {
    check: &'static str,
    plugin: String,
    call: Option<(String, ProbeCall)>,
    missing: &'static str,
}

/// A live check's result, or its outcome kind and detail.
struct Done {
    check: &'static str,
    agent: String,
    plugin: String,
    result: Result<RunResult, (String, String)>,
    took_ms: u64,
}

/// A check's outcome from its run: merged when it observed something about the subscriber.
fn judge_run(facts: &mut Facts, run: &RunResult, agent: &str) -> (String, Option<String>) {
    match &run.outcome {
        RunOutcome::Observations(observations) => {
            let name = format!("live:{}@{agent}", run.plugin.plugin_id);
            let used = merge_observations(facts, &name, observations);
            if used == 0 {
                (
                    "failed".to_owned(),
                    Some(format!(
                        "{} observations, none about this subscriber",
                        observations.len()
                    )),
                )
            } else {
                ("ok".to_owned(), None)
            }
        }
        RunOutcome::Failed(error) => (
            "failed".to_owned(),
            Some(format!("{}: {}", error.class, error.message)),
        ),
        RunOutcome::Fault { message, .. } => (
            "failed".to_owned(),
            Some(format!("plugin fault: {message}")),
        ),
    }
}

fn target(id: &str, address: &str) -> ProbeTarget {
    ProbeTarget {
        id: id.to_owned(),
        address: address.to_owned(),
        labels: Vec::new(),
    }
}

fn field(field: Field) -> SearchField {
    match field {
        Field::Login => SearchField::Login,
        Field::Name => SearchField::Name,
        Field::Address => SearchField::Address,
        Field::Document => SearchField::Document,
        Field::OnuSerial => SearchField::OnuSerial,
        Field::Mac => SearchField::Mac,
        Field::Ip => SearchField::Ip,
        Field::Other => SearchField::Other,
    }
}

#[async_trait]
impl DiagnosisModel for Desk {
    async fn diagnosis(&self, login: &str, live: bool) -> Result<Option<Diagnosis>, ApiError> {
        let Some((mut facts, origins)) = self.gather(login) else {
            return Ok(None);
        };
        if live {
            self.live_checks(&mut facts, &origins).await;
            facts.now_ms = now_ms();
        }
        let verdict = triage(&facts, &self.config.triage);
        Ok(Some(Diagnosis {
            login: facts.login.clone(),
            generated_at: Timestamp::from_unix_ms(facts.now_ms),
            live,
            verdict,
            facts,
        }))
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage, ApiError> {
        let index = self.search.current();
        let (text, offset, limit) = (
            query.text.clone(),
            query.offset as usize,
            query.limit as usize,
        );
        let results = match tokio::task::spawn_blocking(move || index.search(&text, offset, limit))
            .await
            .map_err(ApiError::internal)?
        {
            Ok(results) => results,
            // Nothing searchable in it ("!!", " a "): no match, as a search box would show.
            Err(QueryError::TooShort { .. }) => vigia_search::Results {
                total: 0,
                hits: Vec::new(),
            },
            Err(error @ QueryError::TooLong { .. }) => {
                return Err(ApiError::bad_request(format!("`q`: {error}")));
            }
        };
        let live = self.state.read();
        let items: Vec<SearchHit> = results
            .hits
            .into_iter()
            .map(|hit| {
                let (name, address, state) = live
                    .subscriber_summary(&hit.id)
                    .map(|(n, a, s)| (n, a, s.to_owned()))
                    .unwrap_or((None, None, "unknown".to_owned()));
                SearchHit {
                    login: hit.id,
                    name,
                    address,
                    state,
                    matched_field: field(hit.field),
                    matched_value: hit.value,
                    score: hit.score,
                }
            })
            .collect();
        drop(live);
        let end = offset + items.len();
        Ok(SearchPage {
            total: results.total as u64,
            next_cursor: (end < results.total).then(|| end.to_string()),
            items,
        })
    }
}
