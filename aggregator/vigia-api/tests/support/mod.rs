//! Test fixtures: an in-memory [`ReadModel`] with a small network, an in-memory `OutageModel`
//! with a few events and editable maintenance windows (`outages`), an in-memory [`ApiKeyStore`]
//! that counts lookups, and a real server on loopback.

#![allow(dead_code)] // each test binary uses a different part

pub mod diagnosis;
pub mod outages;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vigia_api::{
    Agent, AgentHealth, Api, ApiConfig, ApiError, AttributeValue, CheckResult, Entity, EntityPage,
    EntityQuery, EntityState, EntitySummary, Link, MetricsSource, Observation, ReadModel, Scope,
    StateChange, StateValue, Timestamp, generate_api_key,
};
use vigia_store::{ApiKeyRow, ApiKeyStore, StoreError};

use self::outages::MemoryOutages;

/// 2024-05-01T12:00:00Z in Unix ms.
pub const T0: u64 = 1_714_564_800_000;

pub const PON_PORT: &str = "pon_port:olt-1/0/3";
pub const ONU: &str = "onu:HWTC1A2B3C4D";

// === MemoryModel ===

struct Node {
    id: &'static str,
    kind: &'static str,
    site: Option<&'static str>,
    state: StateValue,
    since: u64,
    parent: Option<&'static str>,
}

const NODES: &[Node] = &[
    Node {
        id: "olt:olt-1",
        kind: "olt",
        site: Some("pop-a"),
        state: StateValue::Up,
        since: T0,
        parent: None,
    },
    Node {
        id: PON_PORT,
        kind: "pon_port",
        site: Some("pop-a"),
        state: StateValue::Degraded,
        since: T0 + 1000,
        parent: Some("olt:olt-1"),
    },
    Node {
        id: ONU,
        kind: "onu",
        site: Some("pop-a"),
        state: StateValue::Down,
        since: T0 + 2000,
        parent: Some(PON_PORT),
    },
    Node {
        id: "onu:ZTEG00000001",
        kind: "onu",
        site: Some("pop-a"),
        state: StateValue::Up,
        since: T0,
        parent: Some(PON_PORT),
    },
    Node {
        id: "ap:ap-7",
        kind: "ap",
        site: Some("pop-b"),
        state: StateValue::Up,
        since: T0,
        parent: None,
    },
    Node {
        id: "subscriber:1001",
        kind: "subscriber",
        site: None,
        state: StateValue::Unknown,
        since: T0,
        parent: Some(ONU),
    },
];

/// A fixed small network. `stall` makes `agents()` never answer (to test the timeout).
#[derive(Default)]
pub struct MemoryModel {
    pub stall: AtomicBool,
}

fn node(id: &str) -> Option<&'static Node> {
    NODES.iter().find(|n| n.id == id)
}

fn link(n: &Node) -> Link {
    Link {
        id: n.id.to_owned(),
        kind: n.kind.to_owned(),
        relation: "fibre".to_owned(),
        source: "plugin:smartolt".to_owned(),
    }
}

fn summary(n: &Node) -> EntitySummary {
    EntitySummary {
        id: n.id.to_owned(),
        kind: n.kind.to_owned(),
        name: n.id.split_once(':').map_or(n.id, |(_, v)| v).to_owned(),
        site: n.site.map(str::to_owned),
        state: n.state,
        since: Timestamp::from_unix_ms(n.since),
        last_seen: Some(Timestamp::from_unix_ms(T0 + 60_000)),
    }
}

fn agents() -> Vec<Agent> {
    vec![
        Agent {
            id: "agent-a".to_owned(),
            connected: true,
            open_streams: 1,
            connected_at: Some(Timestamp::from_unix_ms(T0)),
            disconnected_at: None,
            version: Some("0.1.0".to_owned()),
            epoch: Some(3),
            health: Some(AgentHealth {
                spool_records: 12,
                spool_bytes: 4096,
                oldest_unacked_age_ms: 250,
                dropped_records: 0,
                plugin_faults: 1,
                budget_exhaustions: 0,
                last_ack_at: Some(Timestamp::from_unix_ms(T0 + 5000)),
                uptime_ms: 86_400_000,
                probe_runs: 1440,
                skipped_overlapping_runs: 2,
                reported_at: Timestamp::from_unix_ms(T0 + 6000),
            }),
        },
        Agent {
            id: "agent-b".to_owned(),
            connected: false,
            open_streams: 0,
            connected_at: Some(Timestamp::from_unix_ms(T0 - 3_600_000)),
            disconnected_at: Some(Timestamp::from_unix_ms(T0 - 60_000)),
            version: None,
            epoch: None,
            health: None,
        },
    ]
}

#[async_trait]
impl ReadModel for MemoryModel {
    async fn agents(&self) -> Vec<Agent> {
        if self.stall.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        agents()
    }

    async fn agent(&self, id: &str) -> Option<Agent> {
        agents().into_iter().find(|a| a.id == id)
    }

    async fn entities(&self, query: &EntityQuery) -> Result<EntityPage, ApiError> {
        // Keyset paging by id: the cursor is the last id of the previous page, so any string
        // is a valid position.
        let mut matching: Vec<&Node> = NODES
            .iter()
            .filter(|n| query.kind.as_deref().is_none_or(|k| n.kind == k))
            .filter(|n| query.site.as_deref().is_none_or(|s| n.site == Some(s)))
            .filter(|n| query.state.is_none_or(|s| n.state == s))
            .filter(|n| query.cursor.as_deref().is_none_or(|c| n.id > c))
            .collect();
        matching.sort_by_key(|n| n.id);
        let limit = query.limit as usize;
        let more = matching.len() > limit;
        matching.truncate(limit);
        let next_cursor = if more {
            matching.last().map(|n| n.id.to_owned())
        } else {
            None
        };
        Ok(EntityPage {
            items: matching.into_iter().map(summary).collect(),
            next_cursor,
        })
    }

    async fn entity(&self, id: &str) -> Option<Entity> {
        let n = node(id)?;
        let children: Vec<Link> = NODES
            .iter()
            .filter(|c| c.parent == Some(n.id))
            .map(link)
            .collect();
        let mut attributes = BTreeMap::new();
        attributes.insert("vendor".to_owned(), AttributeValue::from("huawei"));
        attributes.insert("port".to_owned(), AttributeValue::from(3_i64));
        if let Some(rx) = AttributeValue::float(-21.5) {
            attributes.insert("rx_power_dbm".to_owned(), rx);
        }
        Some(Entity {
            id: n.id.to_owned(),
            kind: n.kind.to_owned(),
            name: summary(n).name,
            site: n.site.map(str::to_owned),
            state: EntityState {
                value: n.state,
                since: Timestamp::from_unix_ms(n.since),
                reason: (n.state == StateValue::Down).then(|| "LOS".to_owned()),
                source: Some("plugin:smartolt@agent-a".to_owned()),
            },
            attributes,
            parents: n.parent.and_then(node).map(link).into_iter().collect(),
            children_total: children.len() as u64,
            children,
            last_seen: Some(Timestamp::from_unix_ms(T0 + 60_000)),
        })
    }

    async fn observations(&self, id: &str, limit: u32) -> Option<Vec<Observation>> {
        node(id)?;
        let mut data = serde_json::Map::new();
        data.insert("rx_power_dbm".to_owned(), serde_json::json!(-27.1));
        data.insert("status".to_owned(), serde_json::json!("los"));
        let all = vec![
            Observation {
                agent: "agent-a".to_owned(),
                plugin: "smartolt".to_owned(),
                observed_at: Timestamp::from_unix_ms(T0 + 2000),
                kind: "onu_optics".to_owned(),
                data: data.clone(),
            },
            Observation {
                agent: "agent-a".to_owned(),
                plugin: "ping".to_owned(),
                observed_at: Timestamp::from_unix_ms(T0 + 1000),
                kind: "ping".to_owned(),
                data: serde_json::Map::new(),
            },
        ];
        Some(all.into_iter().take(limit as usize).collect())
    }

    async fn history(
        &self,
        id: &str,
        since_ms: Option<u64>,
        limit: u32,
    ) -> Result<Option<Vec<StateChange>>, ApiError> {
        let Some(n) = node(id) else { return Ok(None) };
        let changes = [
            (n.since, n.state),
            (T0 - 60_000, StateValue::Up),
            (T0 - 120_000, StateValue::Unknown),
        ];
        Ok(Some(
            changes
                .iter()
                .filter(|(at, _)| since_ms.is_none_or(|s| *at >= s))
                .take(limit as usize)
                .map(|(at, state)| StateChange {
                    at: Timestamp::from_unix_ms(*at),
                    state: *state,
                    reason: format!("became {state}"),
                    source: "plugin:ping@agent-a".to_owned(),
                })
                .collect(),
        ))
    }
}

// === MemoryKeys ===

/// Keys in a map; counts `api_key_by_hash` calls so tests can see the cache at work.
#[derive(Default)]
pub struct MemoryKeys {
    rows: Mutex<Vec<ApiKeyRow>>,
    pub lookups: AtomicUsize,
}

#[async_trait]
impl ApiKeyStore for MemoryKeys {
    async fn create_api_key(&self, key: ApiKeyRow) -> Result<(), StoreError> {
        let mut rows = self.rows.lock().unwrap();
        if rows.iter().any(|r| r.id == key.id || r.hash == key.hash) {
            return Err(StoreError::Conflict {
                what: format!("api key {}", key.id),
            });
        }
        rows.push(key);
        Ok(())
    }

    async fn api_key_by_hash(&self, hash: [u8; 32]) -> Result<Option<ApiKeyRow>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        Ok(self
            .rows
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.hash == hash)
            .cloned())
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        Ok(self.rows.lock().unwrap().clone())
    }

    async fn revoke_api_key(&self, id: &str, at_ms: u64) -> Result<bool, StoreError> {
        let mut rows = self.rows.lock().unwrap();
        match rows.iter_mut().find(|r| r.id == id) {
            Some(row) => {
                row.revoked_at_ms.get_or_insert(at_ms);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl MemoryKeys {
    /// Creates a key and returns (id, secret).
    pub async fn add(&self, scopes: &[Scope], expires_at_ms: Option<u64>) -> (String, String) {
        let (row, secret) = generate_api_key("test", scopes, expires_at_ms);
        let id = row.id.clone();
        self.create_api_key(row).await.unwrap();
        (id, secret)
    }

    /// Creates a key stored with these raw scope strings.
    pub async fn add_raw_scopes(&self, scopes: &[&str]) -> String {
        let (mut row, secret) = generate_api_key("raw", &[], None);
        row.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.create_api_key(row).await.unwrap();
        secret
    }
}

// === health and metrics of the "binary" ===

pub struct TestMetrics;

impl MetricsSource for TestMetrics {
    fn render(&self, out: &mut String) {
        out.push_str("# HELP vigia_test_entities Entities known.\n# TYPE vigia_test_entities gauge\nvigia_test_entities 6\n");
    }
}

/// A health check whose store check follows `healthy`.
pub fn health_check(
    healthy: Arc<AtomicBool>,
) -> impl Fn() -> BTreeMap<String, CheckResult> + Send + Sync + 'static {
    move || {
        let mut checks = BTreeMap::new();
        let store = if healthy.load(Ordering::SeqCst) {
            CheckResult::ok()
        } else {
            CheckResult::degraded("store unreachable")
        };
        checks.insert("store".to_owned(), store);
        checks.insert("ingest".to_owned(), CheckResult::ok());
        checks
    }
}

// === TestServer ===

/// The API on 127.0.0.1:<ephemeral>, stopped on drop.
pub struct TestServer {
    pub base: String,
    pub model: Arc<MemoryModel>,
    pub outages: Arc<MemoryOutages>,
    pub keys: Arc<MemoryKeys>,
    pub healthy: Arc<AtomicBool>,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start(config: ApiConfig) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let model = Arc::new(MemoryModel::default());
        let outages = Arc::new(MemoryOutages::default());
        let keys = Arc::new(MemoryKeys::default());
        let healthy = Arc::new(AtomicBool::new(true));
        let router = Api::router(
            config,
            model.clone(),
            outages.clone(),
            Arc::new(diagnosis::MemoryDiagnosis::default()),
            keys.clone(),
            Arc::new(health_check(healthy.clone())),
            Arc::new(TestMetrics),
        )
        .expect("valid config");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(vigia_api::serve(listener, router, async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .unwrap();
        Self {
            base,
            model,
            outages,
            keys,
            healthy,
            client,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path` with `Authorization: Bearer <key>` when a key is given.
    pub async fn get(&self, path: &str, key: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.unwrap()
    }

    /// Sends `method path` with the key (when given) and a JSON body (when given).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Asserts the standard error body and returns (status, code, message).
pub async fn error_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "status {status}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    let error = body
        .get("error")
        .unwrap_or_else(|| panic!("no error object in {body}"));
    let code = error["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {body}"))
        .to_owned();
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {body}"))
        .to_owned();
    assert!(!message.is_empty());
    (status, code, message)
}
