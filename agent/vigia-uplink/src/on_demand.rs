//! On-demand probes: what the aggregator asks (`ProbeRequest`) and what the agent answers
//! (`ProbeAnswer`), in wire-neutral types, and the [`OnDemand`] handler the agent implements.
//!
//! The uplink only carries them: it converts the request, hands it to the handler without waiting
//! (the read loop goes on: acks, throttles and heartbeats keep flowing while a probe runs), and
//! sends the answer on the same stream when the handler's future completes. An answer whose stream
//! ended meanwhile is dropped (and logged): the aggregator times the request out. Without a
//! handler every request is refused `NotAllowed`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use vigia_core::Label;
use vigia_core::run::RunResult;
use vigia_proto::agent::v1 as pb;

/// A boxed, sendable future (the handler is used as a trait object).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs on-demand probes for the uplink. Implemented by the agent.
pub trait OnDemand: Send + Sync {
    /// Starts one request. Called on the uplink's read loop: do only quick checks here (e.g. a
    /// concurrency slot taken at once) and the slow work in the returned future, which the
    /// uplink drives on its own task.
    fn run(&self, request: ProbeRequest) -> BoxFuture<'static, ProbeAnswer>;
}

/// A `ProbeRequest` from the aggregator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRequest {
    /// Chosen by the aggregator; the answer carries it back.
    pub request_id: String,
    /// The installed plugin to run.
    pub plugin_id: String,
    pub targets: Vec<ProbeTarget>,
    /// The config overlay, a JSON document as sent (may be empty).
    pub config_json: String,
    /// How long the agent may take from receiving the request; zero when the aggregator did not
    /// say (the handler refuses that).
    pub deadline: Duration,
}

/// One thing to probe, as the aggregator names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    pub id: String,
    /// May be empty: the agent's configured address is used.
    pub address: String,
    pub labels: Vec<Label>,
}

/// What the agent answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeAnswer {
    /// The run happened; its outcome may itself be a plugin error or a fault.
    Result(RunResult),
    /// The run was not started.
    Refused(Refusal),
}

/// Why a request was not run, with details for the operator who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub message: String,
}

/// The class of a refusal (mirrors `ProbeRefusalReason` of the wire contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// The plugin is not installed on this agent.
    PluginNotInstalled,
    /// The request is malformed, or its config does not validate.
    InvalidRequest,
    /// The agent is at its limit of concurrent on-demand runs.
    Busy,
    /// The agent's policy forbids it (on-demand disabled, target not configured).
    NotAllowed,
}

impl Refusal {
    pub fn new(reason: RefusalReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }
}

impl From<Refusal> for ProbeAnswer {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl From<pb::ProbeRequest> for ProbeRequest {
    fn from(request: pb::ProbeRequest) -> Self {
        let pb::ProbeRequest {
            request_id,
            plugin_id,
            targets,
            config_json,
            deadline_ms,
        } = request;
        Self {
            request_id,
            plugin_id,
            targets: targets
                .into_iter()
                .map(|t| ProbeTarget {
                    id: t.id,
                    address: t.address,
                    labels: t.labels.into_iter().map(|l| (l.key, l.value)).collect(),
                })
                .collect(),
            config_json,
            deadline: Duration::from_millis(deadline_ms),
        }
    }
}

impl From<RefusalReason> for pb::ProbeRefusalReason {
    fn from(reason: RefusalReason) -> Self {
        match reason {
            RefusalReason::PluginNotInstalled => Self::PluginNotInstalled,
            RefusalReason::InvalidRequest => Self::InvalidRequest,
            RefusalReason::Busy => Self::Busy,
            RefusalReason::NotAllowed => Self::NotAllowed,
        }
    }
}

/// The wire answer to request `request_id`.
pub(crate) fn to_proto(request_id: String, answer: ProbeAnswer) -> pb::ProbeAnswer {
    let answer = match answer {
        ProbeAnswer::Result(result) => pb::probe_answer::Answer::Result(result.into()),
        ProbeAnswer::Refused(refusal) => pb::probe_answer::Answer::Refusal(pb::ProbeRefusal {
            reason: pb::ProbeRefusalReason::from(refusal.reason).into(),
            message: refusal.message,
        }),
    };
    pb::ProbeAnswer {
        request_id,
        answer: Some(answer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_convert_with_labels_and_deadline() {
        let request = ProbeRequest::from(pb::ProbeRequest {
            request_id: "r1".into(),
            plugin_id: "ping".into(),
            targets: vec![pb::Target {
                id: "cpe".into(),
                address: "192.0.2.7".into(),
                labels: vec![pb::Label {
                    key: "site".into(),
                    value: "sao".into(),
                }],
            }],
            config_json: "{\"count\":1}".into(),
            deadline_ms: 2500,
        });
        assert_eq!(request.deadline, Duration::from_millis(2500));
        assert_eq!(
            request.targets[0].labels,
            vec![("site".to_owned(), "sao".to_owned())]
        );
        assert_eq!(request.targets[0].address, "192.0.2.7");
    }

    #[test]
    fn refusals_keep_their_reason_on_the_wire() {
        for (reason, wire) in [
            (
                RefusalReason::PluginNotInstalled,
                pb::ProbeRefusalReason::PluginNotInstalled,
            ),
            (
                RefusalReason::InvalidRequest,
                pb::ProbeRefusalReason::InvalidRequest,
            ),
            (RefusalReason::Busy, pb::ProbeRefusalReason::Busy),
            (
                RefusalReason::NotAllowed,
                pb::ProbeRefusalReason::NotAllowed,
            ),
        ] {
            let answer = to_proto("r".into(), Refusal::new(reason, "why").into());
            let Some(pb::probe_answer::Answer::Refusal(refusal)) = answer.answer else {
                panic!("expected a refusal");
            };
            assert_eq!((refusal.reason(), refusal.message.as_str()), (wire, "why"));
        }
    }
}
