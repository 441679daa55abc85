//! `Observation` and its kind, and lists of observations.

use vigia_core as domain;

use super::{ConvertError, labels_from_proto, labels_to_proto, required};
use crate::agent::v1 as pb;
use pb::observation::Kind;

impl From<domain::Observation> for pb::Observation {
    fn from(value: domain::Observation) -> Self {
        let domain::Observation {
            target,
            observed_at_ms,
            kind,
            labels,
        } = value;
        Self {
            target,
            observed_at_ms,
            labels: labels_to_proto(labels),
            kind: Some(kind_to_proto(kind)),
        }
    }
}

impl TryFrom<pb::Observation> for domain::Observation {
    type Error = ConvertError;

    fn try_from(value: pb::Observation) -> Result<Self, ConvertError> {
        let pb::Observation {
            target,
            observed_at_ms,
            labels,
            kind,
        } = value;
        Ok(Self {
            target,
            observed_at_ms,
            kind: kind_from_proto(required(kind, "observation.kind")?)?,
            labels: labels_from_proto(labels),
        })
    }
}

fn kind_to_proto(kind: domain::ObservationKind) -> Kind {
    use domain::ObservationKind as K;
    match kind {
        K::Reachability(r) => Kind::Reachability(r.into()),
        K::Metric(m) => Kind::Metric(m.into()),
        K::Interface(i) => Kind::Interface(i.into()),
        K::PppoeSession(p) => Kind::PppoeSession(p.into()),
        K::Onu(o) => Kind::Onu(o.into()),
        K::RadioLink(r) => Kind::RadioLink(r.into()),
        K::Customer(c) => Kind::Customer(c.into()),
        K::TopologyEdge(t) => Kind::TopologyEdge(t.into()),
        K::Alarm(a) => Kind::Alarm(a.into()),
        K::Failure(e) => Kind::Failure(e.into()),
    }
}

fn kind_from_proto(kind: Kind) -> Result<domain::ObservationKind, ConvertError> {
    use domain::ObservationKind as K;
    Ok(match kind {
        Kind::Reachability(r) => K::Reachability(r.into()),
        Kind::Metric(m) => K::Metric(m.try_into()?),
        Kind::Interface(i) => K::Interface(i.try_into()?),
        Kind::PppoeSession(p) => K::PppoeSession(p.into()),
        Kind::Onu(o) => K::Onu(o.try_into()?),
        Kind::RadioLink(r) => K::RadioLink(r.try_into()?),
        Kind::Customer(c) => K::Customer(c.try_into()?),
        Kind::TopologyEdge(t) => K::TopologyEdge(t.try_into()?),
        Kind::Alarm(a) => K::Alarm(a.try_into()?),
        Kind::Failure(e) => K::Failure(e.try_into()?),
    })
}

impl From<Vec<domain::Observation>> for pb::ObservationList {
    fn from(observations: Vec<domain::Observation>) -> Self {
        Self {
            observations: observations.into_iter().map(Into::into).collect(),
        }
    }
}

/// Converts every observation of a list, or fails on the first invalid one, naming its index.
///
/// All or nothing: the caller decides whether one invalid observation rejects its whole run.
pub fn observations_from_proto(
    list: pb::ObservationList,
) -> Result<Vec<domain::Observation>, ConvertError> {
    list.observations
        .into_iter()
        .enumerate()
        .map(|(index, observation)| {
            observation
                .try_into()
                .map_err(|source| ConvertError::Observation {
                    index,
                    source: Box::new(source),
                })
        })
        .collect()
}
