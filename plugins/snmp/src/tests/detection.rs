//! Device-type detection: each family from its sysObjectID (and sysDescr where it decides).

use crate::detect::{Family, detect};

#[test]
fn each_family_is_detected_from_its_enterprise_prefix() {
    let cases = [
        (
            "1.3.6.1.4.1.14988.1",
            "RouterOS RB951G-2HnD",
            Family::Mikrotik,
            "router",
        ),
        (
            ".1.3.6.1.4.1.14988.1",
            "RouterOS CRS317-1G-16S+",
            Family::Mikrotik,
            "switch",
        ),
        (
            "1.3.6.1.4.1.17713.21",
            "Cambium ePMP",
            Family::CambiumEpmp,
            "access_point",
        ),
        (
            "1.3.6.1.4.1.17713.22",
            "Cambium cnPilot E500",
            Family::CambiumCnpilot,
            "access_point",
        ),
        (
            "1.3.6.1.4.1.161.19.250.256",
            "CANOPY 16.0.0.1 AP",
            Family::CambiumPmp,
            "access_point",
        ),
        (
            "1.3.6.1.4.1.161.19.250.256",
            "CANOPY 16.0.0.1 SM",
            Family::CambiumPmp,
            "subscriber_module",
        ),
        (
            "1.3.6.1.4.1.41112.1.4.7",
            "Linux",
            Family::UbiquitiAirmax,
            "access_point",
        ),
        (
            "1.3.6.1.4.1.41112.1.3",
            "airFiber",
            Family::UbiquitiAirfiber,
            "access_point",
        ),
        (
            "1.3.6.1.4.1.41112",
            "Linux 4.4.241",
            Family::Ubiquiti,
            "access_point",
        ),
        (
            "1.3.6.1.4.1.10002.1",
            "Linux 2.6.32.68",
            Family::Ubiquiti,
            "access_point",
        ),
        (
            "1.3.6.1.4.1.41112.1.5",
            "EdgeOS v1.8.0",
            Family::Edgeos,
            "router",
        ),
        ("1.3.6.1.4.1.4413", "EdgeOS", Family::Edgeos, "router"),
        (
            "1.3.6.1.4.1.2011.2.123",
            "Huawei Integrated Access Software",
            Family::HuaweiSmartax,
            "olt",
        ),
        (
            "1.3.6.1.4.1.2011.2.224.1",
            "Huawei AR1220 Huawei Versatile Routing Platform",
            Family::HuaweiVrp,
            "router",
        ),
        ("1.3.6.1.4.1.2011.2.62", "S5700", Family::Huawei, "host"),
        (
            "1.3.6.1.4.1.3902.1082.1001.320.2.1",
            "C320 Version V2.1.0",
            Family::ZteOlt,
            "olt",
        ),
        ("1.3.6.1.4.1.3902.3", "ZXR10", Family::Zte, "switch"),
        (
            "1.3.6.1.4.1.37950.1.1.5.10.14.1",
            "V1600D",
            Family::Vsol,
            "olt",
        ),
        (
            "1.3.6.1.4.1.5875.800.1001.11",
            "AN5516-06",
            Family::Fiberhome,
            "olt",
        ),
        ("1.3.6.1.4.1.637.61.1", "ISAM", Family::NokiaIsam, "olt"),
        ("1.3.6.1.4.1.3320.1.390.0", "BDCOM", Family::Bdcom, "olt"),
        ("1.3.6.1.4.1.8072.3.2.10", "Linux", Family::NetSnmp, "host"),
        ("1.3.6.1.4.1.9.1.516", "Cisco IOS", Family::Cisco, "router"),
        (
            "1.3.6.1.4.1.2636.1.1.1.2.29",
            "Juniper",
            Family::Juniper,
            "router",
        ),
        ("1.3.6.1.4.1.99999.1", "something", Family::Unknown, "host"),
        (
            "1.3.6.1.2.1.1",
            "not an enterprise",
            Family::Unknown,
            "host",
        ),
    ];
    for (oid, descr, family, kind) in cases {
        let detected = detect(oid, descr);
        assert_eq!(detected, family, "{oid} {descr}");
        assert_eq!(detected.entity_kind(descr), kind, "{oid} {descr}");
    }
}

#[test]
fn a_prefix_matches_whole_components_only() {
    assert_eq!(detect("1.3.6.1.4.1.149880.1", ""), Family::Unknown);
    assert_eq!(detect("1.3.6.1.4.1.90.1", ""), Family::Unknown);
    assert_eq!(detect("1.3.6.1.4.1.6370", ""), Family::Unknown);
}
