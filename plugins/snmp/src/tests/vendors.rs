//! Vendor tables through FakeHost: units, scaling, sentinels and the observation shapes.

use vigia_plugin_sdk::snmp::Value;
use vigia_plugin_sdk::testing::FakeHost;
use vigia_plugin_sdk::{ObservationKind, RadioStatus};

use super::{V2C, agent, device, label, metric_label, metrics, radio_links, run};
use crate::vendor::cambium::{EPMP_STA_ENTRY, PMP_LINK_ENTRY};

const RTAB: &str = "1.3.6.1.4.1.14988.1.1.1.2.1";
const OPTICAL: &str = "1.3.6.1.4.1.14988.1.1.19.1.1";
const IF: &str = "1.3.6.1.2.1.2.2.1";

#[test]
fn mikrotik_registrations_are_radio_links_and_optics_are_scaled() {
    let a = "10.1.0.1";
    let station = "0.39.16.50.237.96";
    let host = agent(FakeHost::new(), a, "1.3.6.1.4.1.14988.1", "RouterOS RB4011")
        .snmp_value(a, &format!("{IF}.2.9"), Value::Octets(b"wlan1".to_vec()))
        .snmp_value(
            a,
            &format!("{IF}.6.9"),
            Value::Octets(vec![0x4c, 0x5e, 0x0c, 1, 2, 3]),
        )
        .snmp_value(a, &format!("{RTAB}.3.{station}.9"), Value::Integer(-63))
        .snmp_value(
            a,
            &format!("{RTAB}.8.{station}.9"),
            Value::Gauge32(130_000_000),
        )
        .snmp_value(a, &format!("{RTAB}.12.{station}.9"), Value::Integer(31))
        .snmp_value(
            a,
            &format!("{OPTICAL}.2.25"),
            Value::Octets(b"sfp1".to_vec()),
        )
        .snmp_value(a, &format!("{OPTICAL}.3.25"), Value::Integer(0))
        .snmp_value(a, &format!("{OPTICAL}.6.25"), Value::Gauge32(40))
        .snmp_value(a, &format!("{OPTICAL}.7.25"), Value::Gauge32(3302))
        .snmp_value(a, &format!("{OPTICAL}.8.25"), Value::Gauge32(7))
        .snmp_value(a, &format!("{OPTICAL}.9.25"), Value::Integer(-4879))
        .snmp_value(a, &format!("{OPTICAL}.10.25"), Value::Integer(-5673))
        .snmp_value(
            a,
            &format!("{OPTICAL}.2.26"),
            Value::Octets(b"sfp2".to_vec()),
        )
        .snmp_value(a, &format!("{OPTICAL}.6.26"), Value::Gauge32(0))
        .snmp_value(a, &format!("{OPTICAL}.7.26"), Value::Gauge32(0))
        .snmp_value(a, &format!("{OPTICAL}.9.26"), Value::Integer(0))
        .snmp_value(a, &format!("{OPTICAL}.10.26"), Value::Integer(0));
    let observations = run(V2C, &[device("mk", a)], &host).unwrap();
    let links = radio_links(&observations);
    assert_eq!(links.len(), 1);
    let link = links[0];
    assert_eq!(link.sm_mac, "00:27:10:32:ed:60");
    assert_eq!(link.ap_mac.as_deref(), Some("4c:5e:0c:01:02:03"));
    assert_eq!(
        (link.rssi_dbm, link.snr_db, link.rate_bps),
        (Some(-63.0), Some(31.0), Some(130_000_000))
    );
    assert_eq!(link.status, RadioStatus::Connected);
    let rx = metrics(&observations, "sfp_rx_power_dbm");
    assert_eq!(rx.len(), 1, "the empty cage has no readings");
    assert_eq!((rx[0].value, rx[0].unit.as_str()), (-5.673, "dBm"));
    assert_eq!(metric_label(rx[0], "port"), Some("sfp1"));
    assert_eq!(metrics(&observations, "sfp_tx_power_dbm")[0].value, -4.879);
    assert_eq!(
        metrics(&observations, "sfp_supply_voltage_volts")[0].value,
        3.302
    );
    assert_eq!(
        metrics(&observations, "sfp_temperature_celsius")[0].value,
        40.0
    );
    let present: Vec<(Option<&str>, f64)> = metrics(&observations, "sfp_module_present")
        .iter()
        .map(|m| (metric_label(m, "port"), m.value))
        .collect();
    assert_eq!(present, vec![(Some("sfp1"), 1.0), (Some("sfp2"), 0.0)]);
}

#[test]
fn huawei_pon_optics_are_scaled_labelled_and_skip_the_no_reading_sentinel() {
    let a = "10.2.0.1";
    let optics = "1.3.6.1.4.1.2011.6.128.1.1.2.23.1";
    let pon = 4_194_312_192u32 + 3 * 256; // slot 1, port 3
    let host = agent(
        FakeHost::new(),
        a,
        "1.3.6.1.4.1.2011.2.123",
        "Huawei Integrated Access Software",
    )
    .snmp_value(
        a,
        &format!("1.3.6.1.2.1.31.1.1.1.1.{pon}"),
        Value::Octets(b"GPON 0/1/3".to_vec()),
    )
    .snmp_value(a, &format!("{optics}.1.{pon}"), Value::Integer(41))
    .snmp_value(a, &format!("{optics}.2.{pon}"), Value::Integer(322))
    .snmp_value(a, &format!("{optics}.4.{pon}"), Value::Integer(711))
    .snmp_value(
        a,
        &format!("{optics}.5.{pon}"),
        Value::Integer(2_147_483_647),
    )
    .snmp_value(a, &format!("{optics}.4.4194304000"), Value::Integer(-150))
    .snmp_value(
        a,
        &format!("1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.{pon}.7"),
        Value::Integer(-2187),
    )
    .snmp_value(
        a,
        &format!("1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.{pon}.8"),
        Value::Integer(2_147_483_647),
    );
    let observations = run(V2C, &[device("olt", a)], &host).unwrap();
    assert_eq!(label(&observations[0], "vigia.entity"), Some("olt:olt"));
    let tx = metrics(&observations, "pon_tx_power_dbm");
    assert_eq!(tx.len(), 2);
    // Sorted by ifIndex: 0/0/0 (decoded from the ifIndex, no ifName) first.
    assert_eq!(tx[0].value, -1.5);
    assert_eq!(
        (
            metric_label(tx[0], "board"),
            metric_label(tx[0], "port"),
            metric_label(tx[0], "frame")
        ),
        (Some("0"), Some("0"), None)
    );
    assert_eq!(tx[1].value, 7.11);
    assert_eq!(
        (
            metric_label(tx[1], "pon"),
            metric_label(tx[1], "board"),
            metric_label(tx[1], "port")
        ),
        (Some("GPON 0/1/3"), Some("1"), Some("3"))
    );
    assert!(
        metrics(&observations, "pon_rx_power_dbm").is_empty(),
        "2147483647 is no reading"
    );
    assert_eq!(
        metrics(&observations, "pon_supply_voltage_volts")[0].value,
        3.22
    );
    let onu = metrics(&observations, "onu_rx_power_dbm");
    assert_eq!(onu.len(), 1);
    assert_eq!(
        (onu[0].value, metric_label(onu[0], "onu_id")),
        (-21.87, Some("7"))
    );
}

#[test]
fn cambium_pmp_reads_text_dbm_per_luid_and_epmp_stations_become_links() {
    let a = "10.3.0.1";
    let host = agent(
        FakeHost::new(),
        a,
        "1.3.6.1.4.1.161.19.250.256",
        "CANOPY 16.0.0.1 AP",
    )
    .snmp_value(a, "1.3.6.1.4.1.161.19.3.1.7.1.0", Value::Gauge32(34))
    .snmp_value(
        a,
        "1.3.6.1.4.1.161.19.3.1.7.37.0",
        Value::Integer(5_785_000),
    )
    .snmp_value(a, "1.3.6.1.4.1.161.19.3.1.12.1.1.0", Value::Integer(18))
    .snmp_value(
        a,
        &format!("{PMP_LINK_ENTRY}.3.2"),
        Value::Octets(b"0a:00:3e:11:22:33".to_vec()),
    )
    .snmp_value(a, &format!("{PMP_LINK_ENTRY}.74.2"), Value::Integer(24))
    .snmp_value(a, &format!("{PMP_LINK_ENTRY}.84.2"), Value::Integer(30))
    .snmp_value(
        a,
        &format!("{PMP_LINK_ENTRY}.87.2"),
        Value::Octets(b"-67.4".to_vec()),
    )
    .snmp_value(
        a,
        &format!("{PMP_LINK_ENTRY}.88.2"),
        Value::Octets(b"-64.9".to_vec()),
    );
    let observations = run(V2C, &[device("pmp", a)], &host).unwrap();
    assert_eq!(
        metrics(&observations, "radio_frequency_mhz")[0].value,
        5785.0
    );
    assert_eq!(
        metrics(&observations, "radio_connected_stations")[0].value,
        34.0
    );
    assert_eq!(
        metrics(&observations, "radio_utilization_ratio")[0].value,
        0.18
    );
    let rssi: Vec<(Option<&str>, f64)> = metrics(&observations, "radio_rssi_dbm")
        .iter()
        .map(|m| (metric_label(m, "polarization"), m.value))
        .collect();
    assert_eq!(
        rssi,
        vec![(Some("horizontal"), -67.4), (Some("vertical"), -64.9)]
    );
    let links = radio_links(&observations);
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].sm_mac.as_str(), links[0].rssi_dbm, links[0].snr_db),
        ("0a:00:3e:11:22:33", Some(-64.9), Some(24.0))
    );

    let e = "10.3.0.2";
    let host = agent(FakeHost::new(), e, "1.3.6.1.4.1.17713.21", "Cambium ePMP")
        .snmp_value(e, "1.3.6.1.4.1.17713.21.1.2.10.0", Value::Integer(1))
        .snmp_value(
            e,
            &format!("{EPMP_STA_ENTRY}.1.1"),
            Value::Octets(b"00:04:56:AA:BB:CC".to_vec()),
        )
        .snmp_value(e, &format!("{EPMP_STA_ENTRY}.5.1"), Value::Integer(-58))
        .snmp_value(e, &format!("{EPMP_STA_ENTRY}.7.1"), Value::Integer(33))
        .snmp_value(e, &format!("{EPMP_STA_ENTRY}.9.1"), Value::Integer(7))
        .snmp_value(e, &format!("{EPMP_STA_ENTRY}.4.1"), Value::Integer(-61));
    let observations = run(V2C, &[device("epmp", e)], &host).unwrap();
    let links = radio_links(&observations);
    assert_eq!(links.len(), 1);
    assert_eq!(
        (
            links[0].sm_mac.as_str(),
            links[0].rssi_dbm,
            links[0].snr_db,
            links[0].modulation.as_deref()
        ),
        ("00:04:56:aa:bb:cc", Some(-58.0), Some(33.0), Some("MCS7"))
    );
    let link_observation = observations
        .iter()
        .find(|o| matches!(o.kind, ObservationKind::RadioLink(_)))
        .unwrap();
    assert_eq!(label(link_observation, "ul_rssi_dbm"), Some("-61"));
    assert_eq!(
        label(link_observation, "vigia.entity"),
        Some("access_point:epmp")
    );
}

#[test]
fn ubiquiti_airmax_metrics_and_stations() {
    let a = "10.4.0.1";
    let station = "1.24.232.41.1.2.3";
    let host = agent(FakeHost::new(), a, "1.3.6.1.4.1.10002.1", "Linux 2.6.32")
        .snmp_value(a, "1.3.6.1.4.1.41112.1.4.1.1.4.1", Value::Integer(5780))
        .snmp_value(a, "1.3.6.1.4.1.41112.1.4.5.1.5.1", Value::Integer(-70))
        .snmp_value(a, "1.3.6.1.4.1.41112.1.4.5.1.7.1", Value::Integer(33))
        .snmp_value(a, "1.3.6.1.4.1.41112.1.4.5.1.15.1", Value::Gauge32(1))
        .snmp_value(a, "1.3.6.1.4.1.41112.1.4.6.1.4.1", Value::Integer(56))
        .snmp_value(
            a,
            &format!("1.3.6.1.4.1.41112.1.4.7.1.3.{station}"),
            Value::Integer(-66),
        )
        .snmp_value(
            a,
            &format!("1.3.6.1.4.1.41112.1.4.7.1.4.{station}"),
            Value::Integer(-95),
        );
    let observations = run(V2C, &[device("ubnt", a)], &host).unwrap();
    assert_eq!(
        metrics(&observations, "radio_frequency_mhz")[0].value,
        5780.0
    );
    assert_eq!(metrics(&observations, "radio_rssi_dbm")[0].value, -70.0);
    assert_eq!(metrics(&observations, "radio_ccq_ratio")[0].value, 0.33);
    assert_eq!(
        metrics(&observations, "airmax_capacity_ratio")[0].value,
        0.56
    );
    let links = radio_links(&observations);
    assert_eq!(
        (links[0].sm_mac.as_str(), links[0].rssi_dbm, links[0].snr_db),
        ("18:e8:29:01:02:03", Some(-66.0), Some(29.0))
    );
}

#[test]
fn zte_pon_ports_count_onus_with_board_and_port() {
    let a = "10.5.0.1";
    let host = agent(
        FakeHost::new(),
        a,
        "1.3.6.1.4.1.3902.1082.1001.320.2.1",
        "C320 Version V2.1.0",
    )
    .snmp_value(
        a,
        "1.3.6.1.4.1.3902.1012.3.13.1.1.1.268501504",
        Value::Octets(b"OLT-1".to_vec()),
    )
    .snmp_value(
        a,
        "1.3.6.1.4.1.3902.1012.3.13.1.1.13.268501504",
        Value::Integer(12),
    )
    .snmp_value(
        a,
        "1.3.6.1.4.1.3902.1015.3.1.13.1.4.285278465",
        Value::Integer(4_230),
    )
    .snmp_value(
        a,
        "1.3.6.1.4.1.3902.1015.3.1.13.1.12.285278465",
        Value::Integer(2_147_483_647),
    );
    let observations = run(V2C, &[device("zte", a)], &host).unwrap();
    let onus = metrics(&observations, "pon_onus");
    assert_eq!(onus.len(), 1);
    assert_eq!(
        (
            onus[0].value,
            metric_label(onus[0], "board"),
            metric_label(onus[0], "port")
        ),
        (12.0, Some("1"), Some("2"))
    );
    assert_eq!(metrics(&observations, "pon_tx_power_dbm")[0].value, 4.23);
    assert!(metrics(&observations, "pon_temperature_celsius").is_empty());
}
