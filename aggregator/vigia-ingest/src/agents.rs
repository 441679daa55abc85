//! What the ingest knows about agents right now, in memory: open streams, the last Hello and the
//! latest heartbeat. Issue 4's REST API reads it; nothing here is persisted.

use std::collections::HashMap;
use std::time::SystemTime;

use parking_lot::RwLock;
use tokio::sync::watch;
use vigia_store::AgentId;

/// What an agent said in its last Hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloInfo {
    /// The agent's software version.
    pub agent_version: String,
    /// The spool epoch of the stream.
    pub epoch: u64,
    /// The id the agent claims in its config (informational; may differ from the certificate).
    pub claimed_id: String,
    /// Plugin contract versions the agent can run.
    pub plugin_wit_versions: Vec<String>,
}

/// Agent health from its latest heartbeat (see `Heartbeat` in the wire contract).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Health {
    /// Records waiting in the spool.
    pub spool_records: u64,
    /// Bytes used by the spool.
    pub spool_bytes: u64,
    /// Age of the oldest unacked record, milliseconds.
    pub oldest_unacked_age_ms: u64,
    /// Records dropped because the spool was full.
    pub dropped_records: u64,
    /// Runs that ended in a fault.
    pub plugin_faults: u64,
    /// Runs stopped by an exhausted call budget.
    pub budget_exhaustions: u64,
    /// When the agent last received an ack, Unix milliseconds.
    pub last_ack_at_ms: Option<u64>,
    /// Agent process uptime, milliseconds.
    pub uptime_ms: u64,
    /// Probe runs started.
    pub probe_runs: u64,
    /// Runs skipped because the previous one was still going.
    pub skipped_overlapping_runs: u64,
    /// When the agent sent the heartbeat, Unix milliseconds (its clock).
    pub sent_at_ms: u64,
}

/// One agent as the ingest sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStatus {
    /// The agent (from its certificate).
    pub agent: AgentId,
    /// `Connect` streams open now.
    pub open_streams: u32,
    /// When its latest stream was opened.
    pub connected_at: SystemTime,
    /// When its latest stream closed, if one did.
    pub disconnected_at: Option<SystemTime>,
    /// Its latest Hello.
    pub hello: HelloInfo,
    /// Its latest heartbeat and when it arrived (our clock).
    pub health: Option<(Health, SystemTime)>,
}

/// The live view of agents. Shared (`Arc`) between the ingest and its readers.
#[derive(Debug)]
pub struct AgentsView {
    agents: RwLock<HashMap<AgentId, AgentStatus>>,
    version: watch::Sender<u64>,
}

impl Default for AgentsView {
    fn default() -> Self {
        Self {
            agents: RwLock::default(),
            version: watch::Sender::new(0),
        }
    }
}

impl AgentsView {
    /// One agent, if it ever connected since start.
    pub fn get(&self, agent: &AgentId) -> Option<AgentStatus> {
        self.agents.read().get(agent).cloned()
    }

    /// Every agent seen since start, by id.
    pub fn list(&self) -> Vec<AgentStatus> {
        let mut all: Vec<AgentStatus> = self.agents.read().values().cloned().collect();
        all.sort_by(|a, b| a.agent.cmp(&b.agent));
        all
    }

    /// A receiver whose value changes on every update (a counter), to wait for news without
    /// polling.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    pub(crate) fn stream_opened(&self, agent: &AgentId, hello: HelloInfo) {
        {
            let mut agents = self.agents.write();
            let now = SystemTime::now();
            let status = agents.entry(agent.clone()).or_insert_with(|| AgentStatus {
                agent: agent.clone(),
                open_streams: 0,
                connected_at: now,
                disconnected_at: None,
                hello: hello.clone(),
                health: None,
            });
            status.open_streams += 1;
            status.connected_at = now;
            status.hello = hello;
        }
        self.bump();
    }

    pub(crate) fn stream_closed(&self, agent: &AgentId) {
        if let Some(status) = self.agents.write().get_mut(agent) {
            status.open_streams = status.open_streams.saturating_sub(1);
            status.disconnected_at = Some(SystemTime::now());
        }
        self.bump();
    }

    pub(crate) fn heartbeat(&self, agent: &AgentId, health: Health) {
        if let Some(status) = self.agents.write().get_mut(agent) {
            status.health = Some((health, SystemTime::now()));
        }
        self.bump();
    }

    fn bump(&self) {
        self.version
            .send_modify(|version| *version = version.wrapping_add(1));
    }
}
