//! The REST API's [`ReadModel`] over the aggregator's own parts: the live state (entities,
//! observations), the ingest's agents view, and the store (history). Only conversions live here:
//! `vigia-api` owns the response types, `vigia-state` the data.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde_json::Value;
use vigia_api::{
    Agent, AgentHealth, ApiError, AttributeValue, Entity, EntityPage, EntityQuery, EntityState,
    EntitySummary, Link, Observation, ReadModel, StateChange, StateValue, Timestamp,
};
use vigia_ingest::AgentsView;
use vigia_ingest::agents::AgentStatus;
use vigia_state::{EdgeView, EntityFilter, EntityId, State, StateHandle};
use vigia_store::{AgentId, StateStore};

pub(crate) struct LiveReadModel {
    pub(crate) state: StateHandle,
    pub(crate) agents: Arc<AgentsView>,
    pub(crate) store: Arc<dyn StateStore>,
}

#[async_trait]
impl ReadModel for LiveReadModel {
    async fn agents(&self) -> Vec<Agent> {
        let mut agents: Vec<Agent> = self.agents.list().iter().map(agent).collect();
        agents.sort_by(|a, b| a.id.cmp(&b.id));
        agents
    }

    async fn agent(&self, id: &str) -> Option<Agent> {
        let id = AgentId::new(id).ok()?;
        self.agents.get(&id).as_ref().map(agent)
    }

    async fn entities(&self, query: &EntityQuery) -> Result<EntityPage, ApiError> {
        let filter = EntityFilter {
            kind: query.kind.clone(),
            site: query.site.clone(),
            state: query.state.map(state_from_api),
            after: query.cursor.clone(),
            limit: query.limit as usize,
        };
        let page = self.state.read().list(&filter);
        Ok(EntityPage {
            items: page
                .items
                .into_iter()
                .map(|item| EntitySummary {
                    id: item.id,
                    kind: item.kind,
                    name: item.name,
                    site: item.site,
                    state: state_to_api(item.state),
                    since: Timestamp::from_unix_ms(item.since_ms),
                    last_seen: seen(item.last_seen_ms),
                })
                .collect(),
            next_cursor: page.next,
        })
    }

    async fn entity(&self, id: &str) -> Option<Entity> {
        let view = self.state.read().entity(id)?;
        Some(Entity {
            id: view.id,
            kind: view.kind,
            name: view.name,
            site: view.site,
            state: EntityState {
                value: state_to_api(view.state.state),
                // Never observed in a state: it has been unknown since it was first seen.
                since: Timestamp::from_unix_ms(if view.state.since_ms == 0 {
                    view.first_seen_ms
                } else {
                    view.state.since_ms
                }),
                reason: non_empty(view.state.reason),
                source: non_empty(view.state.source),
            },
            attributes: view
                .attributes
                .into_iter()
                .filter_map(|(key, value)| attribute(value).map(|value| (key, value)))
                .collect(),
            parents: view.parents.into_iter().map(link).collect(),
            children: view.children.into_iter().map(link).collect(),
            children_total: view.children_total as u64,
            last_seen: seen(view.last_seen_ms),
        })
    }

    async fn observations(&self, id: &str, limit: u32) -> Option<Vec<Observation>> {
        let views = self.state.read().observations(id, limit as usize)?;
        Some(
            views
                .into_iter()
                .map(|view| {
                    let mut data = match serde_json::to_value(&view.observation) {
                        Ok(Value::Object(map)) => map,
                        _ => serde_json::Map::new(),
                    };
                    // The observation's kind record, flattened: `kind` says which one it is.
                    let (kind, record) = match data.remove("kind") {
                        Some(Value::Object(kind)) if kind.len() == 1 => {
                            let (name, record) = kind.into_iter().next().unwrap_or_default();
                            (name, record)
                        }
                        Some(Value::String(name)) => (name, Value::Null),
                        _ => ("unknown".to_owned(), Value::Null),
                    };
                    if !record.is_null() {
                        data.insert("record".to_owned(), record);
                    }
                    Observation {
                        agent: view.agent,
                        plugin: view.plugin_id,
                        observed_at: Timestamp::from_unix_ms(view.observed_at_ms),
                        kind,
                        data,
                    }
                })
                .collect(),
        )
    }

    async fn history(
        &self,
        id: &str,
        since_ms: Option<u64>,
        limit: u32,
    ) -> Result<Option<Vec<StateChange>>, ApiError> {
        let Ok(id) = EntityId::parse(id) else {
            return Ok(None);
        };
        if self.state.read().entity(id.as_str()).is_none() {
            return Ok(None);
        }
        let changes = self
            .store
            .history(id.as_str(), since_ms.unwrap_or(0), limit as usize)
            .await
            .map_err(|error| ApiError::internal(format!("reading history failed: {error}")))?;
        Ok(Some(
            changes
                .into_iter()
                .map(|change| StateChange {
                    at: Timestamp::from_unix_ms(change.at_ms),
                    state: change.state.parse().unwrap_or(StateValue::Unknown),
                    reason: change.reason,
                    source: change.source,
                })
                .collect(),
        ))
    }
}

fn agent(status: &AgentStatus) -> Agent {
    Agent {
        id: status.agent.to_string(),
        connected: status.open_streams > 0,
        open_streams: status.open_streams,
        connected_at: Some(timestamp(status.connected_at)),
        disconnected_at: status.disconnected_at.map(timestamp),
        version: non_empty(status.hello.agent_version.clone()),
        epoch: Some(status.hello.epoch),
        health: status.health.as_ref().map(|(health, at)| AgentHealth {
            spool_records: health.spool_records,
            spool_bytes: health.spool_bytes,
            oldest_unacked_age_ms: health.oldest_unacked_age_ms,
            dropped_records: health.dropped_records,
            plugin_faults: health.plugin_faults,
            budget_exhaustions: health.budget_exhaustions,
            last_ack_at: health.last_ack_at_ms.map(Timestamp::from_unix_ms),
            uptime_ms: health.uptime_ms,
            probe_runs: health.probe_runs,
            skipped_overlapping_runs: health.skipped_overlapping_runs,
            reported_at: timestamp(*at),
        }),
    }
}

fn link(edge: EdgeView) -> Link {
    let kind = edge
        .id
        .split_once(':')
        .map_or("", |(kind, _)| kind)
        .to_owned();
    Link {
        id: edge.id,
        kind,
        relation: edge.relation,
        source: edge.sources.join(","),
    }
}

/// Attributes are strings or numbers in the API; other JSON (lists, objects) is rendered as
/// compact JSON text so nothing is silently lost.
fn attribute(value: Value) -> Option<AttributeValue> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(AttributeValue::Text(text)),
        Value::Number(number) => Some(AttributeValue::Number(number)),
        Value::Bool(flag) => Some(AttributeValue::Text(flag.to_string())),
        other => Some(AttributeValue::Text(other.to_string())),
    }
}

fn state_to_api(state: State) -> StateValue {
    match state {
        State::Up => StateValue::Up,
        State::Down => StateValue::Down,
        State::Degraded => StateValue::Degraded,
        State::Unknown => StateValue::Unknown,
    }
}

fn state_from_api(state: StateValue) -> State {
    match state {
        StateValue::Up => State::Up,
        StateValue::Down => State::Down,
        StateValue::Degraded => State::Degraded,
        StateValue::Unknown => State::Unknown,
    }
}

fn seen(ms: u64) -> Option<Timestamp> {
    (ms > 0).then(|| Timestamp::from_unix_ms(ms))
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn timestamp(at: SystemTime) -> Timestamp {
    let ms = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Timestamp::from_unix_ms(ms)
}
