//! The value parsers on their own.

use serde_json::json;

use crate::onus::status;
use crate::outages::parse;
use crate::values::{dbm, hex_serial, local_time_ms, number, text};
use vigia_plugin_sdk::OnuStatus;

#[test]
fn powers_are_read_from_every_spelling() {
    assert_eq!(dbm(&json!("-21.19 dBm")), Some(-21.19));
    assert_eq!(dbm(&json!(" -8.5dBm ")), Some(-8.5));
    assert_eq!(dbm(&json!("-23.98")), Some(-23.98));
    assert_eq!(dbm(&json!(-19.5)), Some(-19.5));
    for absent in [
        json!("-"),
        json!(""),
        json!("N/A"),
        json!(null),
        json!("-999 dBm"),
    ] {
        assert_eq!(dbm(&absent), None, "{absent}");
    }
}

#[test]
fn numbers_and_texts_accept_both_types() {
    let row = json!({"a": "7", "b": 7, "c": "x", "d": "-", "e": " ", "f": [1]});
    assert_eq!((number(&row, "a"), number(&row, "b")), (Some(7), Some(7)));
    assert_eq!((number(&row, "c"), number(&row, "f")), (None, None));
    assert_eq!(text(&row, "b").as_deref(), Some("7"));
    assert_eq!(
        (text(&row, "d"), text(&row, "e"), text(&row, "f")),
        (None, None, None)
    );
}

#[test]
fn local_times_become_utc_milliseconds() {
    assert_eq!(local_time_ms("1970-01-01 00:00:00", 0), Some(0));
    // 18:00:25 at UTC-3 is 21:00:25 UTC.
    assert_eq!(
        local_time_ms("2026-08-15 18:00:25", -180),
        Some(1_786_827_625_000)
    );
    assert_eq!(
        local_time_ms("2024-02-29 12:00:00", 60),
        Some(1_709_204_400_000)
    );
    for bad in [
        "",
        "2026-13-01 00:00:00",
        "yesterday",
        "2026-08-15",
        "2026-08-15 25:00:00",
    ] {
        assert_eq!(local_time_ms(bad, 0), None, "{bad}");
    }
}

#[test]
fn the_hex_form_encodes_the_vendor_letters() {
    assert_eq!(
        hex_serial("HWTCAF721761").as_deref(),
        Some("48575443AF721761")
    );
    assert_eq!(
        hex_serial("DC90e681213e").as_deref(),
        Some("44433930E681213E")
    );
    assert_eq!(
        hex_serial("ZTEGc0ffee11").as_deref(),
        Some("5A544547C0FFEE11")
    );
    assert_eq!(hex_serial("48575443AF721761"), None);
    assert_eq!(hex_serial("HWTC-AF721761"), None);
}

#[test]
fn status_words_map_to_onu_statuses() {
    assert_eq!(status(Some("Online")), OnuStatus::Online);
    assert_eq!(status(Some("LOS")), OnuStatus::Los);
    assert_eq!(status(Some("Power fail")), OnuStatus::PowerFail);
    assert_eq!(status(Some("Offline")), OnuStatus::Offline);
    assert_eq!(status(Some("Disabled")), OnuStatus::Unknown);
    assert_eq!(status(None), OnuStatus::Unknown);
}

#[test]
fn outage_groups_are_flattened_and_bad_pons_skipped() {
    let body = json!({"response": {"sections": [
        {"groups": [
            {"since": "2026-08-15 18:00:00", "pons": [
                {"board": "4", "port": "14", "alert_kind": "Power"},
                {"board": "x", "port": "1"},
            ]},
            {"pons": [{"board": 2, "port": 3, "alert_kind": "LOS", "affected_onus": "9"}]},
        ]},
        {"no_groups": true},
    ]}});
    let pons = parse(&body, "GET").unwrap();
    assert_eq!(pons.len(), 2);
    assert_eq!((pons[0].board, pons[0].port, pons[0].power), (4, 14, true));
    assert_eq!(pons[0].since.as_deref(), Some("2026-08-15 18:00:00"));
    assert_eq!((pons[1].power, pons[1].affected_onus), (false, Some(9)));
    assert!(parse(&json!({"response": {"x": 1}}), "GET").is_err());
    assert!(parse(&json!({}), "GET").is_err());
}
