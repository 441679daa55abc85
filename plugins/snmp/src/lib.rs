//! `snmp`: the SNMP plugin of Vigia. For every target of a run (a device at `ip`, `ip:port`,
//! `host` or `[v6]:port`) it reads, through the host's `snmp` capability:
//! - the system group, and detects the device type from `sysObjectID` ([`detect`]);
//! - IF-MIB ifTable + ifXTable → one `interface-status` per interface ([`interfaces`]);
//! - the vendor tables of the detected type ([`vendor`]): MikroTik registrations, station and SFP
//!   optics; Cambium ePMP and PMP 450; Ubiquiti airMAX and AF60; Huawei SmartAX and ZTE OLT PON
//!   ports → `radio-link` observations and metrics.
//!
//! Every observation carries `vigia.entity = <kind>:<target id>` (router, switch, access_point,
//! olt, host...), `vigia.device_type` and `vigia.vendor`. A device that answers only the system
//! group gives ONE observation: the metric `snmp_device_supported` = 0 labelled
//! `support=unsupported` and a `reason` (not an error: the device works, we just read nothing
//! from it). A device that fails gives a `failure` observation of the matching class (timeout,
//! unreachable, auth, invalid-response, config); the run goes on. Only what affects every target
//! fails the run: a bad config, a capability or secret the operator did not grant.
//!
//! It does NOT: compute rates (counters are raw, consumers handle wraps), resolve secrets (the
//! host does, by name), retry beyond the configured SNMP retries, or walk unbounded: each
//! column walk stops after `max_rows` varbinds.

pub mod config;
pub mod detect;
mod interfaces;
pub mod observe;
mod system;
mod table;
mod target;
mod vendor;

use vigia_plugin_sdk::prelude::*;

pub use config::{Config, CredentialsConfig, Group};
use interfaces::Interfaces;
use observe::Subject;
use system::System;
use table::Reader;

/// The metric that says whether the plugin could read anything beyond the system group.
pub const SUPPORTED_METRIC: &str = "snmp_device_supported";

pub struct Snmp;

impl Plugin for Snmp {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "snmp",
            env!("CARGO_PKG_VERSION"),
            "snmp: device type, interfaces and vendor radio/optics tables of each target",
        )
        .capability(Capability::Snmp)
    }

    fn run(
        config: &Config,
        targets: &[Target],
        host: &impl Host,
    ) -> Result<Vec<Observation>, PluginError> {
        config.validate()?;
        let credentials = config.credentials()?;
        let mut observations = Vec::new();
        for target in targets {
            match target::device(config, &credentials, &target.address) {
                Ok(device) => {
                    let reader = Reader::new(host, device, config.max_rows);
                    probe(config, target, &reader, host, &mut observations)?;
                }
                Err(error) => observations.push(Observation::failure(target, error)),
            }
        }
        Ok(observations)
    }
}

/// Whether an error concerns every target (the run fails) rather than this device.
fn fails_the_run(error: &PluginError) -> bool {
    matches!(error.class, ErrorClass::Denied | ErrorClass::Unsupported)
}

/// One device: system group, detection, interfaces, vendor tables.
fn probe(
    config: &Config,
    target: &Target,
    reader: &Reader<'_, impl Host>,
    host: &impl Host,
    out: &mut Vec<Observation>,
) -> Result<(), PluginError> {
    let system = match system::read(reader) {
        Ok(system) => system,
        Err(error) if fails_the_run(&error) => return Err(error),
        Err(error) => {
            host.warn(&format!("target {}: {error}", target.id));
            out.push(Observation::failure(target, error));
            return Ok(());
        }
    };
    let family = detect::detect(&system.object_id, &system.descr);
    let subject = Subject::new(target, family, &system.descr);
    let mut found = Vec::new();
    let mut failure = None;
    let mut interfaces = Interfaces::default();
    if config.reads(Group::Interfaces) {
        match Interfaces::read(reader) {
            Ok(read) => interfaces = read,
            Err(error) => failure = Some(PluginError::from(error).context("walk of IF-MIB")),
        }
        found.extend(
            interfaces
                .list
                .iter()
                .map(|i| subject.observation(ObservationKind::Interface(i.clone()))),
        );
    }
    if failure.is_none() && config.reads(Group::Vendor) {
        match vendor::read(reader, &subject, &interfaces) {
            Ok(vendor) => found.extend(vendor),
            Err(error) => {
                let what = format!("walk of the {} tables", family.name());
                failure = Some(PluginError::from(error).context(what));
            }
        }
    }
    for root in reader.truncated() {
        let max_rows = config.max_rows;
        host.warn(&format!(
            "target {}: walk of {root} stopped at max_rows ({max_rows})",
            target.id
        ));
    }
    if let Some(error) = failure {
        if fails_the_run(&error) {
            return Err(error);
        }
        host.warn(&format!("target {}: {error}", target.id));
        out.extend(found);
        out.push(subject.observation(ObservationKind::Failure(error.into())));
        return Ok(());
    }
    if found.is_empty() {
        out.push(unsupported(config, &subject, &system));
        return Ok(());
    }
    out.push(device_metric(&subject, &system, 1.0).with_label("support", "supported"));
    if let Some(ticks) = system.uptime_ticks {
        let uptime = Metric::gauge("snmp_uptime_seconds", f64::from(ticks) / 100.0, "s");
        out.push(subject.metric(uptime));
    }
    out.extend(found);
    Ok(())
}

/// `snmp_device_supported` with what the system group said, as observation labels.
fn device_metric(subject: &Subject<'_>, system: &System, value: f64) -> Observation {
    let mut observation = subject
        .metric(Metric::gauge(SUPPORTED_METRIC, value, "1"))
        .with_label("sys_object_id", system.object_id.clone())
        .with_label("sys_descr", truncate(&system.descr, 256));
    if let Some(name) = &system.name {
        observation = observation.with_label("sys_name", truncate(name, 256));
    }
    observation
}

/// The one observation of a device that answered only the system group.
fn unsupported(config: &Config, subject: &Subject<'_>, system: &System) -> Observation {
    let mut looked_for = Vec::new();
    if config.reads(Group::Interfaces) {
        looked_for.push("IF-MIB ifTable".to_owned());
    }
    if config.reads(Group::Vendor) && vendor::has_reader(subject.family) {
        looked_for.push(format!("{} tables", subject.family.name()));
    }
    let reason = format!(
        "the device answers only the system group (no {})",
        looked_for.join(", no ")
    );
    device_metric(subject, system, 0.0)
        .with_label("support", "unsupported")
        .with_label("reason", reason)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

export_plugin!(Snmp);

#[cfg(test)]
mod tests;
