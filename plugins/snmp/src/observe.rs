//! [`Subject`]: the device a target is, and the labels every observation about it carries.

use vigia_plugin_sdk::{Metric, Observation, ObservationKind, Target};

use crate::detect::Family;

/// Label naming the entity (`<kind>:<target id>`), read by the aggregator.
pub const ENTITY_LABEL: &str = "vigia.entity";
/// Label with the detected device type ([`Family::name`]).
pub const DEVICE_TYPE_LABEL: &str = "vigia.device_type";
/// Label with the vendor ([`Family::vendor`]).
pub const VENDOR_LABEL: &str = "vigia.vendor";

/// One device of the run: the target plus what detection found.
#[derive(Debug, Clone)]
pub(crate) struct Subject<'a> {
    pub target: &'a Target,
    pub family: Family,
    pub entity: String,
}

impl<'a> Subject<'a> {
    pub(crate) fn new(target: &'a Target, family: Family, sys_descr: &str) -> Self {
        let entity = format!("{}:{}", family.entity_kind(sys_descr), target.id);
        Self {
            target,
            family,
            entity,
        }
    }

    /// An observation with the target's labels, the entity, the device type and the vendor.
    pub(crate) fn observation(&self, kind: ObservationKind) -> Observation {
        Observation::new(self.target, kind)
            .with_label(ENTITY_LABEL, self.entity.clone())
            .with_label(DEVICE_TYPE_LABEL, self.family.name())
            .with_label(VENDOR_LABEL, self.family.vendor())
    }

    pub(crate) fn metric(&self, metric: Metric) -> Observation {
        self.observation(ObservationKind::Metric(metric))
    }

    /// A gauge with these metric (series) labels.
    pub(crate) fn gauge(
        &self,
        name: &str,
        value: f64,
        unit: &str,
        labels: &[(&str, &str)],
    ) -> Observation {
        let mut metric = Metric::gauge(name, value, unit);
        for (key, value) in labels {
            metric = metric.with_label(*key, *value);
        }
        self.metric(metric)
    }
}
