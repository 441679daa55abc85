//! Probe requests and answers to and from their `vigia.agent.v1` messages (prost types stay here).

use std::error::Error;
use std::time::Duration;

use vigia_core::run::RunResult;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;
use vigia_proto::agent::v1::probe_answer::Answer;

use super::{ProbeCall, ProbeError};

/// The `ProbeRequest` message for `call`.
pub(super) fn request(
    request_id: String,
    call: ProbeCall,
    deadline: Duration,
) -> pb::AggregatorMessage {
    let targets = call
        .targets
        .into_iter()
        .map(|target| pb::Target {
            id: target.id,
            address: target.address,
            labels: target
                .labels
                .into_iter()
                .map(|(key, value)| pb::Label { key, value })
                .collect(),
        })
        .collect();
    pb::AggregatorMessage {
        message: Some(ToAgent::ProbeRequest(pb::ProbeRequest {
            request_id,
            plugin_id: call.plugin_id,
            targets,
            config_json: call.config.to_string(),
            deadline_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
        })),
    }
}

/// The run result an answer carries, or why there is none. `plugin_id` is the plugin asked for:
/// a run of another plugin is not an answer to the request.
pub(super) fn answer(answer: Option<Answer>, plugin_id: &str) -> Result<RunResult, ProbeError> {
    match answer {
        None => Err(ProbeError::Invalid(
            "the answer carries neither a result nor a refusal".into(),
        )),
        Some(Answer::Refusal(refusal)) => Err(ProbeError::Refused {
            reason: refusal_reason(refusal.reason).to_owned(),
            message: refusal.message,
        }),
        Some(Answer::Result(result)) => {
            let run =
                RunResult::try_from(result).map_err(|error| ProbeError::Invalid(chain(&error)))?;
            if run.plugin.plugin_id != plugin_id {
                return Err(ProbeError::Invalid(format!(
                    "a run of plugin `{}` answers a request for plugin `{plugin_id}`",
                    run.plugin.plugin_id
                )));
            }
            Ok(run)
        }
    }
}

/// `ProbeRefusalReason` as `snake_case`: `PROBE_REFUSAL_REASON_NOT_ALLOWED` is `not_allowed`.
fn refusal_reason(value: i32) -> &'static str {
    match pb::ProbeRefusalReason::try_from(value) {
        Ok(pb::ProbeRefusalReason::Unspecified) => "unspecified",
        Ok(pb::ProbeRefusalReason::PluginNotInstalled) => "plugin_not_installed",
        Ok(pb::ProbeRefusalReason::InvalidRequest) => "invalid_request",
        Ok(pb::ProbeRefusalReason::Busy) => "busy",
        Ok(pb::ProbeRefusalReason::NotAllowed) => "not_allowed",
        // A value added to the contract after this build: still a refusal.
        Err(_) => "unknown",
    }
}

/// An error and its sources, `: `-separated (the API shows it as one line).
fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_reason_has_a_snake_case_name() {
        let names: Vec<_> = (0..6).map(refusal_reason).collect();
        assert_eq!(
            names,
            [
                "unspecified",
                "plugin_not_installed",
                "invalid_request",
                "busy",
                "not_allowed",
                "unknown"
            ]
        );
    }

    #[test]
    fn an_unconvertible_result_is_invalid_with_the_whole_reason() {
        let error = answer(Some(Answer::Result(pb::RunResult::default())), "ping")
            .expect_err("no plugin, no outcome");
        assert_eq!(
            error,
            ProbeError::Invalid("run_result.plugin is missing".into())
        );
        let empty = answer(None, "ping").expect_err("nothing set");
        assert_eq!(empty.kind(), "invalid");
    }
}
