//! What one simulated agent sends: runs of realistic observations over a bounded entity space.
//!
//! Agent `i` watches one OLT (`olt-IIII`) with [`ONUS`] ONUs, serials `HWTCIIIINNNN` and PPPoE
//! logins `cliIIIINNNN`, and pings [`HOSTS`] addresses `10.a.b.n`. Its batches cycle through
//! them in runs of at most [`RUN_SIZE`] observations: four ONU runs (an OLT plugin's poll) for
//! each reachability run (a ping probe). Over a few batches every entity of every agent is
//! observed, so the aggregator's live state holds about `agents * (ONUS + HOSTS)` devices plus
//! their OLTs, PON ports and subscribers.

use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::observation::Kind;

/// ONUs per agent.
pub const ONUS: u32 = 100;
/// Pinged addresses per agent.
pub const HOSTS: u32 = 20;
/// Most observations in one run.
const RUN_SIZE: usize = 20;

/// The serial of agent `agent`'s ONU `n` (its entity id is `onu:<serial>`).
pub fn onu_serial(agent: u32, n: u32) -> String {
    format!("HWTC{agent:04}{n:04}")
}

/// One agent's templates and cursors.
pub struct Workload {
    agent: u32,
    onus: Vec<pb::Observation>,
    hosts: Vec<pb::Observation>,
    onu_cursor: usize,
    host_cursor: usize,
    runs: u64,
}

impl Workload {
    pub fn new(agent: u32) -> Self {
        let olt = format!("olt-{agent:04}");
        let onus = (0..ONUS)
            .map(|n| observation(&olt, Kind::Onu(onu(agent, n, &olt))))
            .collect();
        let hosts = (0..HOSTS)
            .map(|n| {
                let address = format!("10.{}.{}.{}", agent / 256, agent % 256, n + 1);
                observation(&address, Kind::Reachability(reachability(address.clone())))
            })
            .collect();
        Self {
            agent,
            onus,
            hosts,
            onu_cursor: 0,
            host_cursor: 0,
            runs: 0,
        }
    }

    /// The batch `sequence` of `epoch` with `observations` observations, observed at `now_ms`.
    pub fn batch(
        &mut self,
        epoch: u64,
        sequence: u64,
        observations: usize,
        now_ms: u64,
    ) -> pb::ResultBatch {
        let mut results = Vec::with_capacity(observations.div_ceil(RUN_SIZE));
        let mut left = observations;
        while left > 0 {
            let size = left.min(RUN_SIZE);
            left -= size;
            let reach = self.runs % 5 == 4;
            self.runs += 1;
            let (probe, plugin, observations) = if reach {
                let taken = take(&self.hosts, &mut self.host_cursor, size);
                ("ping-core", "ping", taken)
            } else {
                let taken = take(&self.onus, &mut self.onu_cursor, size);
                ("olt-poll", "smartolt", taken)
            };
            let observations = observations
                .into_iter()
                .map(|mut o| {
                    vary(&mut o, sequence, now_ms);
                    o
                })
                .collect();
            results.push(pb::RunResult {
                probe: probe.into(),
                plugin: Some(pb::PluginRef {
                    plugin_id: plugin.into(),
                    version: "1.0.0".into(),
                    sha256: vec![0x5a; 32],
                }),
                run_id: format!("a{}-{epoch:x}-{sequence}-{}", self.agent, self.runs),
                started_at_ms: now_ms.saturating_sub(800),
                finished_at_ms: now_ms,
                outcome: Some(pb::run_result::Outcome::Observations(pb::ObservationList {
                    observations,
                })),
            });
        }
        pb::ResultBatch {
            epoch,
            sequence,
            live: true,
            results,
        }
    }
}

/// `size` templates from `cursor` on, wrapping around.
fn take(templates: &[pb::Observation], cursor: &mut usize, size: usize) -> Vec<pb::Observation> {
    let mut taken = Vec::with_capacity(size);
    for _ in 0..size {
        taken.push(templates[*cursor % templates.len()].clone());
        *cursor = (*cursor + 1) % templates.len();
    }
    taken
}

/// Readings move a little from batch to batch; now and then an ONU loses light or a host stops
/// answering, so the live state sees state changes as it would in production.
fn vary(observation: &mut pb::Observation, sequence: u64, now_ms: u64) {
    observation.observed_at_ms = now_ms;
    let wobble = (sequence % 11) as f64 * 0.1;
    match &mut observation.kind {
        Some(Kind::Onu(onu)) => {
            let flap = (sequence + u64::from(onu.onu_id.unwrap_or(0))).is_multiple_of(193);
            onu.status = if flap {
                pb::OnuStatus::Los
            } else {
                pb::OnuStatus::Online
            } as i32;
            onu.rx_dbm = (!flap).then_some(-19.5 - wobble);
        }
        Some(Kind::Reachability(r)) => {
            let lost = sequence.is_multiple_of(157);
            r.up = !lost;
            r.received = if lost { 0 } else { 3 };
            r.rtt_avg_us = (!lost).then_some(1200 + (sequence % 13) as u32 * 40);
        }
        _ => {}
    }
}

fn observation(target: &str, kind: Kind) -> pb::Observation {
    pb::Observation {
        target: target.to_owned(),
        observed_at_ms: 0,
        labels: vec![],
        kind: Some(kind),
    }
}

fn onu(agent: u32, n: u32, olt: &str) -> pb::Onu {
    pb::Onu {
        serial: onu_serial(agent, n),
        login: Some(format!("cli{agent:04}{n:04}")),
        olt: olt.to_owned(),
        board: Some(0),
        port: Some(n / 32),
        onu_id: Some(n % 32),
        splitter: Some(format!("cto-{agent:04}-{}", n / 8)),
        status: pb::OnuStatus::Online as i32,
        rx_dbm: Some(-19.5),
        tx_dbm: Some(2.1),
        olt_rx_dbm: Some(-24.0),
        last_down_cause: None,
        last_down_ms: None,
        distance_m: Some(1500 + n * 10),
        model: Some("HG8310M".into()),
    }
}

fn reachability(address: String) -> pb::Reachability {
    pb::Reachability {
        address,
        up: true,
        sent: 3,
        received: 3,
        rtt_min_us: Some(900),
        rtt_avg_us: Some(1200),
        rtt_max_us: Some(1900),
        rtt_jitter_us: Some(150),
        detail: None,
    }
}
