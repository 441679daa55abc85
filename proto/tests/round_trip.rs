//! Property tests: every observation kind survives core → proto → bytes → proto → core unchanged.

#[path = "support/strategies.rs"]
mod strategies;

use proptest::prelude::*;
use strategies::*;
use vigia_core::{Observation, ObservationKind};
use vigia_proto::agent::v1 as pb;
use vigia_proto::{Message, convert::observations_from_proto, decode};

/// A new kind must get a generator and a round-trip test below: this `match` stops compiling
/// until it is listed.
#[allow(dead_code)]
fn every_kind_has_a_round_trip_test(kind: &ObservationKind) {
    match kind {
        ObservationKind::Reachability(_)
        | ObservationKind::Metric(_)
        | ObservationKind::Interface(_)
        | ObservationKind::PppoeSession(_)
        | ObservationKind::Onu(_)
        | ObservationKind::RadioLink(_)
        | ObservationKind::Customer(_)
        | ObservationKind::TopologyEdge(_)
        | ObservationKind::Alarm(_)
        | ObservationKind::Failure(_) => {}
    }
}

// === the property ===

fn check_round_trip(original: Observation) -> Result<(), TestCaseError> {
    let sent = pb::Observation::from(original.clone());
    let bytes = sent.encode_to_vec();
    let received: pb::Observation =
        decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&received, &sent);
    let back = Observation::try_from(received).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(back, original);
    Ok(())
}

macro_rules! round_trip_test {
    ($name:ident, $variant:ident, $strategy:expr) => {
        proptest! {
            #[test]
            fn $name(obs in observation($strategy.prop_map(ObservationKind::$variant))) {
                check_round_trip(obs)?;
            }
        }
    };
}

round_trip_test!(reachability_round_trips, Reachability, reachability());
round_trip_test!(metric_round_trips, Metric, metric());
round_trip_test!(interface_round_trips, Interface, interface());
round_trip_test!(pppoe_session_round_trips, PppoeSession, pppoe_session());
round_trip_test!(onu_round_trips, Onu, onu());
round_trip_test!(radio_link_round_trips, RadioLink, radio_link());
round_trip_test!(customer_round_trips, Customer, customer());
round_trip_test!(topology_edge_round_trips, TopologyEdge, topology_edge());
round_trip_test!(alarm_round_trips, Alarm, alarm());
round_trip_test!(failure_round_trips, Failure, plugin_error());

proptest! {
    #[test]
    fn observation_lists_round_trip(list in prop::collection::vec(observation(any_kind()), 0..8)) {
        let bytes = pb::ObservationList::from(list.clone()).encode_to_vec();
        let received: pb::ObservationList =
            decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = observations_from_proto(received)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, list);
    }
}
