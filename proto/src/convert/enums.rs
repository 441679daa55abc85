//! Enum mappings. Both directions are exhaustive `match`es, so adding a variant on either side
//! without mapping it is a compile error.

use vigia_core as domain;

use super::ConvertError;
use crate::agent::v1 as pb;

/// For an enum whose variants have the same names in `vigia_core` and in the proto (prost drops
/// the `ENUM_NAME_` prefix): `From<domain::E> for pb::E`, and `$from_proto(i32, field)` back,
/// rejecting `UNSPECIFIED` and unknown values.
macro_rules! same_named_enum {
    ($name:ident, $from_proto:ident { $($variant:ident),+ $(,)? }) => {
        impl From<domain::$name> for pb::$name {
            fn from(value: domain::$name) -> Self {
                match value {
                    $(domain::$name::$variant => Self::$variant,)+
                }
            }
        }

        pub(super) fn $from_proto(
            value: i32,
            field: &'static str,
        ) -> Result<domain::$name, ConvertError> {
            match pb::$name::try_from(value) {
                $(Ok(pb::$name::$variant) => Ok(domain::$name::$variant),)+
                Ok(pb::$name::Unspecified) => Err(ConvertError::Unspecified { field }),
                Err(_) => Err(ConvertError::UnknownEnumValue { field, value }),
            }
        }
    };
}

same_named_enum!(MetricKind, metric_kind { Gauge, Counter });

same_named_enum!(
    LinkStatus,
    link_status {
        Up,
        Down,
        Testing,
        Dormant,
        NotPresent,
        LowerLayerDown,
        Unknown,
    }
);

same_named_enum!(
    OnuStatus,
    onu_status {
        Online,
        Offline,
        Los,
        PowerFail,
        Unknown,
    }
);

same_named_enum!(
    RadioStatus,
    radio_status {
        Connected,
        Disconnected,
        Unknown,
    }
);

same_named_enum!(
    BillingState,
    billing_state {
        Active,
        Warned,
        Blocked,
        Cancelled,
        Unknown,
    }
);

same_named_enum!(
    Severity,
    severity {
        Critical,
        Major,
        Minor,
        Warning,
        Info,
    }
);

same_named_enum!(
    ErrorClass,
    error_class {
        Config,
        Denied,
        Unreachable,
        Timeout,
        Auth,
        InvalidResponse,
        Unsupported,
        Budget,
        Internal,
    }
);

// === EntityKind and EdgeKind: an enum plus `other_kind` for the `Other(String)` case ===

/// The proto `(kind, other_kind)` pair of an entity kind.
pub(super) fn entity_kind_to_proto(kind: domain::EntityKind) -> (pb::EntityKind, Option<String>) {
    use domain::EntityKind as K;
    let kind = match kind {
        K::Pop => pb::EntityKind::Pop,
        K::Concentrator => pb::EntityKind::Concentrator,
        K::Olt => pb::EntityKind::Olt,
        K::PonPort => pb::EntityKind::PonPort,
        K::Splitter => pb::EntityKind::Splitter,
        K::Onu => pb::EntityKind::Onu,
        K::Tower => pb::EntityKind::Tower,
        K::AccessPoint => pb::EntityKind::AccessPoint,
        K::SubscriberModule => pb::EntityKind::SubscriberModule,
        K::Switch => pb::EntityKind::Switch,
        K::Router => pb::EntityKind::Router,
        K::BackhaulLink => pb::EntityKind::BackhaulLink,
        K::Subscriber => pb::EntityKind::Subscriber,
        K::Customer => pb::EntityKind::Customer,
        K::CrmGroup => pb::EntityKind::CrmGroup,
        K::Other(name) => return (pb::EntityKind::Other, Some(name)),
    };
    (kind, None)
}

/// The entity kind of `EntityRef.kind` and `EntityRef.other_kind`.
pub(super) fn entity_kind(
    value: i32,
    other_kind: Option<String>,
) -> Result<domain::EntityKind, ConvertError> {
    use domain::EntityKind as K;
    const FIELD: &str = "entity_ref.kind";
    Ok(match pb::EntityKind::try_from(value) {
        Ok(pb::EntityKind::Pop) => K::Pop,
        Ok(pb::EntityKind::Concentrator) => K::Concentrator,
        Ok(pb::EntityKind::Olt) => K::Olt,
        Ok(pb::EntityKind::PonPort) => K::PonPort,
        Ok(pb::EntityKind::Splitter) => K::Splitter,
        Ok(pb::EntityKind::Onu) => K::Onu,
        Ok(pb::EntityKind::Tower) => K::Tower,
        Ok(pb::EntityKind::AccessPoint) => K::AccessPoint,
        Ok(pb::EntityKind::SubscriberModule) => K::SubscriberModule,
        Ok(pb::EntityKind::Switch) => K::Switch,
        Ok(pb::EntityKind::Router) => K::Router,
        Ok(pb::EntityKind::BackhaulLink) => K::BackhaulLink,
        Ok(pb::EntityKind::Subscriber) => K::Subscriber,
        Ok(pb::EntityKind::Customer) => K::Customer,
        Ok(pb::EntityKind::CrmGroup) => K::CrmGroup,
        Ok(pb::EntityKind::Other) => {
            K::Other(super::required(other_kind, "entity_ref.other_kind")?)
        }
        Ok(pb::EntityKind::Unspecified) => {
            return Err(ConvertError::Unspecified { field: FIELD });
        }
        Err(_) => {
            return Err(ConvertError::UnknownEnumValue {
                field: FIELD,
                value,
            });
        }
    })
}

/// The proto `(kind, other_kind)` pair of an edge kind.
pub(super) fn edge_kind_to_proto(kind: domain::EdgeKind) -> (pb::EdgeKind, Option<String>) {
    use domain::EdgeKind as K;
    let kind = match kind {
        K::Fibre => pb::EdgeKind::Fibre,
        K::Radio => pb::EdgeKind::Radio,
        K::Ethernet => pb::EdgeKind::Ethernet,
        K::Power => pb::EdgeKind::Power,
        K::Logical => pb::EdgeKind::Logical,
        K::Other(name) => return (pb::EdgeKind::Other, Some(name)),
    };
    (kind, None)
}

/// The edge kind of `TopologyEdge.kind` and `TopologyEdge.other_kind`.
pub(super) fn edge_kind(
    value: i32,
    other_kind: Option<String>,
) -> Result<domain::EdgeKind, ConvertError> {
    use domain::EdgeKind as K;
    const FIELD: &str = "topology_edge.kind";
    Ok(match pb::EdgeKind::try_from(value) {
        Ok(pb::EdgeKind::Fibre) => K::Fibre,
        Ok(pb::EdgeKind::Radio) => K::Radio,
        Ok(pb::EdgeKind::Ethernet) => K::Ethernet,
        Ok(pb::EdgeKind::Power) => K::Power,
        Ok(pb::EdgeKind::Logical) => K::Logical,
        Ok(pb::EdgeKind::Other) => {
            K::Other(super::required(other_kind, "topology_edge.other_kind")?)
        }
        Ok(pb::EdgeKind::Unspecified) => {
            return Err(ConvertError::Unspecified { field: FIELD });
        }
        Err(_) => {
            return Err(ConvertError::UnknownEnumValue {
                field: FIELD,
                value,
            });
        }
    })
}
