//! The record of each observation kind, field by field.
//!
//! Every conversion destructures its source completely (no `..`), so a field added to either side
//! is a compile error here until it is mapped.

use vigia_core as domain;

use super::enums::{
    billing_state, edge_kind, edge_kind_to_proto, entity_kind, entity_kind_to_proto, error_class,
    link_status, metric_kind, onu_status, radio_status, severity,
};
use super::{ConvertError, labels_from_proto, labels_to_proto, required};
use crate::agent::v1 as pb;

/// Both `From` impls between `domain::$name` and `pb::$name` when the two structs have the same
/// fields, each moved across unchanged.
///
/// Both directions destructure without `..`, so a field added to either side, or missing from
/// the list, is a compile error just as in the hand-written impls below.
macro_rules! mirror {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        impl From<domain::$name> for pb::$name {
            fn from(value: domain::$name) -> Self {
                let domain::$name { $($field),+ } = value;
                Self { $($field),+ }
            }
        }

        impl From<pb::$name> for domain::$name {
            fn from(value: pb::$name) -> Self {
                let pb::$name { $($field),+ } = value;
                Self { $($field),+ }
            }
        }
    };
}

// === Reachability ===

mirror!(Reachability {
    address,
    up,
    sent,
    received,
    rtt_min_us,
    rtt_avg_us,
    rtt_max_us,
    rtt_jitter_us,
    detail,
});

// === Metric ===

impl From<domain::Metric> for pb::Metric {
    fn from(value: domain::Metric) -> Self {
        let domain::Metric {
            name,
            metric_kind,
            value,
            unit,
            metric_labels,
        } = value;
        Self {
            name,
            kind: pb::MetricKind::from(metric_kind).into(),
            value,
            unit,
            labels: labels_to_proto(metric_labels),
        }
    }
}

impl TryFrom<pb::Metric> for domain::Metric {
    type Error = ConvertError;

    fn try_from(value: pb::Metric) -> Result<Self, ConvertError> {
        let pb::Metric {
            name,
            kind,
            value,
            unit,
            labels,
        } = value;
        Ok(Self {
            name,
            metric_kind: metric_kind(kind, "metric.kind")?,
            value,
            unit,
            metric_labels: labels_from_proto(labels),
        })
    }
}

// === InterfaceStatus ===

impl From<domain::InterfaceStatus> for pb::InterfaceStatus {
    fn from(value: domain::InterfaceStatus) -> Self {
        let domain::InterfaceStatus {
            index,
            name,
            alias,
            admin_status,
            oper_status,
            speed_bps,
            in_octets,
            out_octets,
            in_errors,
            out_errors,
            in_discards,
            out_discards,
        } = value;
        Self {
            index,
            name,
            alias,
            admin_status: pb::LinkStatus::from(admin_status).into(),
            oper_status: pb::LinkStatus::from(oper_status).into(),
            speed_bps,
            in_octets,
            out_octets,
            in_errors,
            out_errors,
            in_discards,
            out_discards,
        }
    }
}

impl TryFrom<pb::InterfaceStatus> for domain::InterfaceStatus {
    type Error = ConvertError;

    fn try_from(value: pb::InterfaceStatus) -> Result<Self, ConvertError> {
        let pb::InterfaceStatus {
            index,
            name,
            alias,
            admin_status,
            oper_status,
            speed_bps,
            in_octets,
            out_octets,
            in_errors,
            out_errors,
            in_discards,
            out_discards,
        } = value;
        Ok(Self {
            index,
            name,
            alias,
            admin_status: link_status(admin_status, "interface.admin_status")?,
            oper_status: link_status(oper_status, "interface.oper_status")?,
            speed_bps,
            in_octets,
            out_octets,
            in_errors,
            out_errors,
            in_discards,
            out_discards,
        })
    }
}

// === PppoeSession ===

mirror!(PppoeSession {
    login,
    online,
    address,
    concentrator,
    caller_id,
    since_ms,
    last_disconnect_reason,
});

// === Onu ===

impl From<domain::Onu> for pb::Onu {
    fn from(value: domain::Onu) -> Self {
        let domain::Onu {
            serial,
            login,
            olt,
            board,
            port,
            onu_id,
            splitter,
            status,
            rx_dbm,
            tx_dbm,
            olt_rx_dbm,
            last_down_cause,
            last_down_ms,
            distance_m,
            model,
        } = value;
        Self {
            serial,
            login,
            olt,
            board,
            port,
            onu_id,
            splitter,
            status: pb::OnuStatus::from(status).into(),
            rx_dbm,
            tx_dbm,
            olt_rx_dbm,
            last_down_cause,
            last_down_ms,
            distance_m,
            model,
        }
    }
}

impl TryFrom<pb::Onu> for domain::Onu {
    type Error = ConvertError;

    fn try_from(value: pb::Onu) -> Result<Self, ConvertError> {
        let pb::Onu {
            serial,
            login,
            olt,
            board,
            port,
            onu_id,
            splitter,
            status,
            rx_dbm,
            tx_dbm,
            olt_rx_dbm,
            last_down_cause,
            last_down_ms,
            distance_m,
            model,
        } = value;
        Ok(Self {
            serial,
            login,
            olt,
            board,
            port,
            onu_id,
            splitter,
            status: onu_status(status, "onu.status")?,
            rx_dbm,
            tx_dbm,
            olt_rx_dbm,
            last_down_cause,
            last_down_ms,
            distance_m,
            model,
        })
    }
}

// === RadioLink ===

impl From<domain::RadioLink> for pb::RadioLink {
    fn from(value: domain::RadioLink) -> Self {
        let domain::RadioLink {
            sm_mac,
            ap_mac,
            tower,
            status,
            rssi_dbm,
            snr_db,
            modulation,
            rate_bps,
        } = value;
        Self {
            sm_mac,
            ap_mac,
            tower,
            status: pb::RadioStatus::from(status).into(),
            rssi_dbm,
            snr_db,
            modulation,
            rate_bps,
        }
    }
}

impl TryFrom<pb::RadioLink> for domain::RadioLink {
    type Error = ConvertError;

    fn try_from(value: pb::RadioLink) -> Result<Self, ConvertError> {
        let pb::RadioLink {
            sm_mac,
            ap_mac,
            tower,
            status,
            rssi_dbm,
            snr_db,
            modulation,
            rate_bps,
        } = value;
        Ok(Self {
            sm_mac,
            ap_mac,
            tower,
            status: radio_status(status, "radio_link.status")?,
            rssi_dbm,
            snr_db,
            modulation,
            rate_bps,
        })
    }
}

// === Customer ===

impl From<domain::Customer> for pb::Customer {
    fn from(value: domain::Customer) -> Self {
        let domain::Customer {
            id,
            name,
            logins,
            billing,
            billing_code,
            plan,
            address,
        } = value;
        Self {
            id,
            name,
            logins,
            billing: pb::BillingState::from(billing).into(),
            billing_code,
            plan,
            address,
        }
    }
}

impl TryFrom<pb::Customer> for domain::Customer {
    type Error = ConvertError;

    fn try_from(value: pb::Customer) -> Result<Self, ConvertError> {
        let pb::Customer {
            id,
            name,
            logins,
            billing,
            billing_code,
            plan,
            address,
        } = value;
        Ok(Self {
            id,
            name,
            logins,
            billing: billing_state(billing, "customer.billing")?,
            billing_code,
            plan,
            address,
        })
    }
}

// === EntityRef, TopologyEdge, Alarm ===

impl From<domain::EntityRef> for pb::EntityRef {
    fn from(value: domain::EntityRef) -> Self {
        let domain::EntityRef { kind, id } = value;
        let (kind, other_kind) = entity_kind_to_proto(kind);
        Self {
            kind: kind.into(),
            other_kind,
            id,
        }
    }
}

impl TryFrom<pb::EntityRef> for domain::EntityRef {
    type Error = ConvertError;

    fn try_from(value: pb::EntityRef) -> Result<Self, ConvertError> {
        let pb::EntityRef {
            kind,
            other_kind,
            id,
        } = value;
        Ok(Self {
            kind: entity_kind(kind, other_kind)?,
            id,
        })
    }
}

/// A required `EntityRef` field, with the field's name as context for any error inside it.
fn entity_ref(
    value: Option<pb::EntityRef>,
    field: &'static str,
) -> Result<domain::EntityRef, ConvertError> {
    required(value, field)?
        .try_into()
        .map_err(ConvertError::nested(field))
}

impl From<domain::TopologyEdge> for pb::TopologyEdge {
    fn from(value: domain::TopologyEdge) -> Self {
        let domain::TopologyEdge {
            child,
            parent,
            edge_kind,
        } = value;
        let (kind, other_kind) = edge_kind_to_proto(edge_kind);
        Self {
            child: Some(child.into()),
            parent: Some(parent.into()),
            kind: kind.into(),
            other_kind,
        }
    }
}

impl TryFrom<pb::TopologyEdge> for domain::TopologyEdge {
    type Error = ConvertError;

    fn try_from(value: pb::TopologyEdge) -> Result<Self, ConvertError> {
        let pb::TopologyEdge {
            child,
            parent,
            kind,
            other_kind,
        } = value;
        Ok(Self {
            child: entity_ref(child, "topology_edge.child")?,
            parent: entity_ref(parent, "topology_edge.parent")?,
            edge_kind: edge_kind(kind, other_kind)?,
        })
    }
}

impl From<domain::Alarm> for pb::Alarm {
    fn from(value: domain::Alarm) -> Self {
        let domain::Alarm {
            source,
            severity,
            code,
            text,
            raised_ms,
            cleared_ms,
        } = value;
        Self {
            source: Some(source.into()),
            severity: pb::Severity::from(severity).into(),
            code,
            text,
            raised_ms,
            cleared_ms,
        }
    }
}

impl TryFrom<pb::Alarm> for domain::Alarm {
    type Error = ConvertError;

    fn try_from(value: pb::Alarm) -> Result<Self, ConvertError> {
        let pb::Alarm {
            source,
            severity: severity_value,
            code,
            text,
            raised_ms,
            cleared_ms,
        } = value;
        Ok(Self {
            source: entity_ref(source, "alarm.source")?,
            severity: severity(severity_value, "alarm.severity")?,
            code,
            text,
            raised_ms,
            cleared_ms,
        })
    }
}

// === PluginError ===

impl From<domain::PluginError> for pb::PluginError {
    fn from(value: domain::PluginError) -> Self {
        let domain::PluginError { class, message } = value;
        Self {
            class: pb::ErrorClass::from(class).into(),
            message,
        }
    }
}

impl TryFrom<pb::PluginError> for domain::PluginError {
    type Error = ConvertError;

    fn try_from(value: pb::PluginError) -> Result<Self, ConvertError> {
        let pb::PluginError { class, message } = value;
        Ok(Self {
            class: error_class(class, "plugin_error.class")?,
            message,
        })
    }
}
