//! Checking a request and choosing what runs: the probe (by plugin, on-demand enabled, preferring
//! the one that configures the requested targets), the targets (configured, or ad hoc when the
//! probe allows it), the config (the probe's, overlaid with the request's) and the deadline.
//! Pure: no plugin runs here.

use std::collections::HashSet;
use std::time::Duration;

use vigia_plugin_host::{Grants, Limits, Target};
use vigia_uplink::{ProbeRequest, ProbeTarget, Refusal, RefusalReason};

/// Most targets in one on-demand request.
pub(crate) const MAX_TARGETS: usize = 16;
/// Longest deadline a request may ask for.
pub(crate) const MAX_DEADLINE: Duration = Duration::from_secs(120);

/// A configured probe as on-demand runs see it.
#[derive(Debug, Clone)]
pub(crate) struct OnDemandProbe {
    pub(crate) name: String,
    pub(crate) plugin: String,
    pub(crate) targets: Vec<Target>,
    pub(crate) config: serde_json::Value,
    pub(crate) grants: Grants,
    /// The probe's limits; `deadline` is its `timeout_ms`.
    pub(crate) limits: Limits,
    pub(crate) on_demand: bool,
    pub(crate) adhoc: bool,
}

/// What one accepted request runs: the probe, the targets and the merged (not yet validated)
/// config.
#[derive(Debug)]
pub(crate) struct Choice<'a> {
    pub(crate) probe: &'a OnDemandProbe,
    pub(crate) targets: Vec<Target>,
    pub(crate) config: serde_json::Value,
}

fn refuse(reason: RefusalReason, message: impl Into<String>) -> Refusal {
    Refusal::new(reason, message)
}

fn invalid(message: impl Into<String>) -> Refusal {
    refuse(RefusalReason::InvalidRequest, message)
}

/// Checks the parts of a request that need no probe: deadline, targets.
pub(crate) fn check_request(request: &ProbeRequest) -> Result<(), Refusal> {
    if request.deadline.is_zero() || request.deadline > MAX_DEADLINE {
        return Err(invalid(format!(
            "deadline_ms must be 1..={}, got {}",
            MAX_DEADLINE.as_millis(),
            request.deadline.as_millis()
        )));
    }
    if request.targets.is_empty() {
        return Err(invalid("the request names no target"));
    }
    if request.targets.len() > MAX_TARGETS {
        return Err(invalid(format!(
            "at most {MAX_TARGETS} targets per request, got {}",
            request.targets.len()
        )));
    }
    let mut seen = HashSet::new();
    for target in &request.targets {
        if target.id.trim().is_empty() {
            return Err(invalid("a target id is empty"));
        }
        if !seen.insert(target.id.as_str()) {
            return Err(invalid(format!("target `{}` is named twice", target.id)));
        }
    }
    Ok(())
}

/// Picks the probe and targets for a checked request. `installed` says whether the plugin is
/// loaded on this agent.
pub(crate) fn choose<'a>(
    probes: &'a [OnDemandProbe],
    installed: bool,
    request: &ProbeRequest,
) -> Result<Choice<'a>, Refusal> {
    let plugin = &request.plugin_id;
    if !installed {
        return Err(refuse(
            RefusalReason::PluginNotInstalled,
            format!("plugin `{plugin}` is not installed on this agent"),
        ));
    }
    let of_plugin: Vec<&OnDemandProbe> = probes.iter().filter(|p| &p.plugin == plugin).collect();
    if of_plugin.is_empty() {
        return Err(refuse(
            RefusalReason::NotAllowed,
            format!("no probe of this agent uses plugin `{plugin}`"),
        ));
    }
    let mut enabled: Vec<&OnDemandProbe> = of_plugin.into_iter().filter(|p| p.on_demand).collect();
    if enabled.is_empty() {
        return Err(refuse(
            RefusalReason::NotAllowed,
            format!(
                "on-demand runs are disabled (on_demand = false) for every probe of plugin `{plugin}`"
            ),
        ));
    }
    // Most requested targets configured first; config order among equals (the sort is stable).
    enabled.sort_by_key(|p| std::cmp::Reverse(configured_count(p, &request.targets)));
    let mut first_refusal = None;
    for probe in enabled {
        match targets(probe, &request.targets) {
            Ok(targets) => {
                let config = overlay(&probe.config, &request.config_json)?;
                return Ok(Choice {
                    probe,
                    targets,
                    config,
                });
            }
            Err(refusal) => {
                first_refusal.get_or_insert(refusal);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| refuse(RefusalReason::NotAllowed, "no probe fits")))
}

fn configured_count(probe: &OnDemandProbe, requested: &[ProbeTarget]) -> usize {
    requested
        .iter()
        .filter(|r| probe.targets.iter().any(|t| t.id == r.id))
        .count()
}

/// The run's targets: configured ones as configured (a request address must then match), others
/// as sent when the probe allows ad-hoc targets.
fn targets(probe: &OnDemandProbe, requested: &[ProbeTarget]) -> Result<Vec<Target>, Refusal> {
    requested
        .iter()
        .map(|r| match probe.targets.iter().find(|t| t.id == r.id) {
            Some(configured) if r.address.is_empty() || r.address == configured.address => {
                Ok(configured.clone())
            }
            Some(configured) => Err(invalid(format!(
                "target `{}` is configured in probe `{}` with address `{}`, not `{}`",
                r.id, probe.name, configured.address, r.address
            ))),
            None if !probe.adhoc => Err(refuse(
                RefusalReason::NotAllowed,
                format!(
                    "target `{}` is not configured in probe `{}`, which does not allow ad-hoc targets (on_demand_adhoc)",
                    r.id, probe.name
                ),
            )),
            None if r.address.trim().is_empty() => Err(invalid(format!(
                "ad-hoc target `{}` needs an address",
                r.id
            ))),
            None => Ok(Target {
                id: r.id.clone(),
                address: r.address.clone(),
                labels: r.labels.clone(),
            }),
        })
        .collect()
}

/// The probe's config with the request's JSON object laid over it key by key.
fn overlay(base: &serde_json::Value, config_json: &str) -> Result<serde_json::Value, Refusal> {
    let mut merged = base.clone();
    if config_json.trim().is_empty() {
        return Ok(merged);
    }
    let overlay: serde_json::Value = serde_json::from_str(config_json)
        .map_err(|e| invalid(format!("config_json is not JSON: {e}")))?;
    let serde_json::Value::Object(overlay) = overlay else {
        return Err(invalid("config_json must be a JSON object"));
    };
    let serde_json::Value::Object(fields) = &mut merged else {
        return Err(invalid("the probe's config is not a table"));
    };
    for (key, value) in overlay {
        fields.insert(key, value);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn target(id: &str, address: &str) -> Target {
        Target {
            id: id.into(),
            address: address.into(),
            labels: Vec::new(),
        }
    }

    fn probe(name: &str, plugin: &str, targets: &[(&str, &str)]) -> OnDemandProbe {
        OnDemandProbe {
            name: name.into(),
            plugin: plugin.into(),
            targets: targets.iter().map(|(i, a)| target(i, a)).collect(),
            config: json!({"count": 3, "timeout_ms": 1000}),
            grants: Grants::none(),
            limits: Limits::default(),
            on_demand: true,
            adhoc: false,
        }
    }

    fn request(targets: &[(&str, &str)], config_json: &str) -> ProbeRequest {
        ProbeRequest {
            request_id: "r".into(),
            plugin_id: "ping".into(),
            targets: targets
                .iter()
                .map(|(id, address)| ProbeTarget {
                    id: (*id).into(),
                    address: (*address).into(),
                    labels: vec![("from".into(), "desk".into())],
                })
                .collect(),
            config_json: config_json.into(),
            deadline: Duration::from_secs(5),
        }
    }

    fn reason(result: Result<Choice<'_>, Refusal>) -> RefusalReason {
        result.expect_err("must be refused").reason
    }

    #[test]
    fn the_probe_configuring_the_target_is_preferred() {
        let probes = [
            probe("a", "ping", &[("x", "10.0.0.1")]),
            probe("b", "ping", &[("cpe", "10.0.0.9")]),
        ];
        let choice = choose(&probes, true, &request(&[("cpe", "")], "")).unwrap();
        assert_eq!(choice.probe.name, "b");
        assert_eq!(choice.targets, [target("cpe", "10.0.0.9")]);
        assert_eq!(choice.config, json!({"count": 3, "timeout_ms": 1000}));
    }

    #[test]
    fn the_overlay_replaces_keys_one_by_one() {
        let probes = [probe("a", "ping", &[("cpe", "10.0.0.9")])];
        let choice = choose(
            &probes,
            true,
            &request(
                &[("cpe", "10.0.0.9")],
                r#"{"count": 1, "payload_bytes": 100}"#,
            ),
        )
        .unwrap();
        assert_eq!(
            choice.config,
            json!({"count": 1, "timeout_ms": 1000, "payload_bytes": 100})
        );
        for bad in ["[1]", "{", "\"text\""] {
            let refusal = choose(&probes, true, &request(&[("cpe", "")], bad)).unwrap_err();
            assert_eq!(refusal.reason, RefusalReason::InvalidRequest, "{bad}");
        }
    }

    #[test]
    fn ad_hoc_targets_need_the_probe_to_allow_them() {
        let mut probes = [probe("a", "ping", &[("x", "10.0.0.1")])];
        let adhoc = request(&[("cpe", "192.0.2.7")], "");
        assert_eq!(
            reason(choose(&probes, true, &adhoc)),
            RefusalReason::NotAllowed
        );
        probes[0].adhoc = true;
        let choice = choose(&probes, true, &adhoc).unwrap();
        assert_eq!(choice.targets[0].address, "192.0.2.7");
        assert_eq!(choice.targets[0].labels, [("from".into(), "desk".into())]);
        assert_eq!(
            reason(choose(&probes, true, &request(&[("cpe", "")], ""))),
            RefusalReason::InvalidRequest,
            "an ad-hoc target without an address"
        );
    }

    #[test]
    fn a_configured_target_keeps_its_address() {
        let probes = [probe("a", "ping", &[("cpe", "10.0.0.9")])];
        assert_eq!(
            reason(choose(&probes, true, &request(&[("cpe", "10.0.0.10")], ""))),
            RefusalReason::InvalidRequest
        );
    }

    #[test]
    fn plugins_and_probes_that_cannot_serve_are_refused() {
        let mut probes = [probe("a", "ping", &[("cpe", "10.0.0.9")])];
        let req = request(&[("cpe", "")], "");
        assert_eq!(
            reason(choose(&probes, false, &req)),
            RefusalReason::PluginNotInstalled
        );
        probes[0].on_demand = false;
        assert_eq!(
            reason(choose(&probes, true, &req)),
            RefusalReason::NotAllowed
        );
        let mut other = req.clone();
        other.plugin_id = "snmp".into();
        assert_eq!(
            reason(choose(&probes, true, &other)),
            RefusalReason::NotAllowed
        );
    }

    #[test]
    fn requests_are_bounded() {
        let ok = request(&[("cpe", "")], "");
        assert!(check_request(&ok).is_ok());
        for deadline in [Duration::ZERO, MAX_DEADLINE + Duration::from_millis(1)] {
            let mut req = ok.clone();
            req.deadline = deadline;
            assert_eq!(
                check_request(&req).unwrap_err().reason,
                RefusalReason::InvalidRequest
            );
        }
        let many: Vec<(String, String)> = (0..=MAX_TARGETS)
            .map(|i| (format!("t{i}"), String::new()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert!(check_request(&request(&many, "")).is_err());
        assert!(check_request(&request(&many[..MAX_TARGETS], "")).is_ok());
        assert!(check_request(&request(&[], "")).is_err());
        assert!(check_request(&request(&[("a", ""), ("a", "")], "")).is_err());
    }
}
