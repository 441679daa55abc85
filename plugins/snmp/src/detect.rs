//! Device-type detection from `sysObjectID` (enterprise prefixes) and, where a vendor reuses one
//! prefix for several product lines, `sysDescr`.

/// The product families the plugin tells apart. The family picks the vendor tables to read and
/// the entity kind the device is named by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Mikrotik,
    CambiumEpmp,
    CambiumPmp,
    CambiumCnpilot,
    Cambium,
    UbiquitiAirmax,
    UbiquitiAirfiber,
    Ubiquiti,
    Edgeos,
    HuaweiSmartax,
    HuaweiVrp,
    Huawei,
    ZteOlt,
    Zte,
    Vsol,
    Fiberhome,
    NokiaIsam,
    Bdcom,
    NetSnmp,
    Cisco,
    Juniper,
    Unknown,
}

impl Family {
    /// The `vigia.device_type` label value.
    pub fn name(self) -> &'static str {
        match self {
            Family::Mikrotik => "mikrotik_routeros",
            Family::CambiumEpmp => "cambium_epmp",
            Family::CambiumPmp => "cambium_pmp",
            Family::CambiumCnpilot => "cambium_cnpilot",
            Family::Cambium => "cambium",
            Family::UbiquitiAirmax => "ubiquiti_airmax",
            Family::UbiquitiAirfiber => "ubiquiti_airfiber",
            Family::Ubiquiti => "ubiquiti",
            Family::Edgeos => "ubiquiti_edgeos",
            Family::HuaweiSmartax => "huawei_smartax",
            Family::HuaweiVrp => "huawei_vrp",
            Family::Huawei => "huawei",
            Family::ZteOlt => "zte_olt",
            Family::Zte => "zte",
            Family::Vsol => "vsol_olt",
            Family::Fiberhome => "fiberhome_olt",
            Family::NokiaIsam => "nokia_isam",
            Family::Bdcom => "bdcom",
            Family::NetSnmp => "net_snmp",
            Family::Cisco => "cisco",
            Family::Juniper => "juniper",
            Family::Unknown => "unknown",
        }
    }

    /// The vendor, for the `vigia.vendor` label.
    pub fn vendor(self) -> &'static str {
        match self {
            Family::Mikrotik => "mikrotik",
            Family::CambiumEpmp | Family::CambiumPmp | Family::CambiumCnpilot | Family::Cambium => {
                "cambium"
            }
            Family::UbiquitiAirmax
            | Family::UbiquitiAirfiber
            | Family::Ubiquiti
            | Family::Edgeos => "ubiquiti",
            Family::HuaweiSmartax | Family::HuaweiVrp | Family::Huawei => "huawei",
            Family::ZteOlt | Family::Zte => "zte",
            Family::Vsol => "v-sol",
            Family::Fiberhome => "fiberhome",
            Family::NokiaIsam => "nokia",
            Family::Bdcom => "bdcom",
            Family::NetSnmp => "net-snmp",
            Family::Cisco => "cisco",
            Family::Juniper => "juniper",
            Family::Unknown => "unknown",
        }
    }

    /// The entity kind of the device (`vigia.entity = <kind>:<target id>`).
    pub fn entity_kind(self, sys_descr: &str) -> &'static str {
        match self {
            Family::Mikrotik if sys_descr.contains("CRS") => "switch",
            Family::Mikrotik | Family::Edgeos | Family::HuaweiVrp => "router",
            Family::Cisco | Family::Juniper => "router",
            Family::CambiumPmp if is_pmp_sm(sys_descr) => "subscriber_module",
            Family::CambiumEpmp
            | Family::CambiumPmp
            | Family::CambiumCnpilot
            | Family::Cambium
            | Family::UbiquitiAirmax
            | Family::UbiquitiAirfiber
            | Family::Ubiquiti => "access_point",
            Family::HuaweiSmartax
            | Family::ZteOlt
            | Family::Vsol
            | Family::Fiberhome
            | Family::NokiaIsam
            | Family::Bdcom => "olt",
            Family::Zte => "switch",
            Family::Huawei | Family::NetSnmp | Family::Unknown => "host",
        }
    }
}

/// A Canopy/PMP `sysDescr` ends with the role: `CANOPY 16.0.0.1 AP` or `... SM`.
fn is_pmp_sm(sys_descr: &str) -> bool {
    sys_descr.split_whitespace().last() == Some("SM")
}

const ENTERPRISES: &str = "1.3.6.1.4.1.";

/// Detects the family from `sysObjectID` (numeric, leading dot allowed) and `sysDescr`.
pub fn detect(sys_object_id: &str, sys_descr: &str) -> Family {
    let oid = sys_object_id.strip_prefix('.').unwrap_or(sys_object_id);
    let Some(private) = oid.strip_prefix(ENTERPRISES) else {
        return Family::Unknown;
    };
    let under = |prefix: &str| {
        private == prefix
            || private
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    let descr = sys_descr.to_ascii_lowercase();
    if under("14988") {
        Family::Mikrotik
    } else if under("17713.21") {
        Family::CambiumEpmp
    } else if under("17713.22") {
        Family::CambiumCnpilot
    } else if under("17713") {
        Family::Cambium
    } else if under("161.19") {
        Family::CambiumPmp
    } else if under("41112.1.5") || under("4413") {
        Family::Edgeos
    } else if under("41112.1.4") {
        Family::UbiquitiAirmax
    } else if under("41112.1.3") || under("41112.1.10") || under("41112.1.11") {
        Family::UbiquitiAirfiber
    } else if under("41112") || under("10002") {
        // Older airOS reports the Frido net-snmp OID 10002.1; AF60 reports the bare 41112.
        Family::Ubiquiti
    } else if under("2011") {
        if descr.contains("versatile routing platform") || descr.contains("vrp") {
            Family::HuaweiVrp
        } else if descr.contains("integrated access")
            || descr.contains("smartax")
            || descr.contains("ma56")
            || descr.contains("ma58")
            || descr.contains("ea58")
        {
            Family::HuaweiSmartax
        } else {
            Family::Huawei
        }
    } else if under("3902.1082") || under("3902.1015") || descr.contains("zxa10") {
        Family::ZteOlt
    } else if under("3902") {
        Family::Zte
    } else if under("37950") {
        Family::Vsol
    } else if under("5875") {
        Family::Fiberhome
    } else if under("637") {
        Family::NokiaIsam
    } else if under("3320") {
        Family::Bdcom
    } else if under("8072") {
        Family::NetSnmp
    } else if under("9") {
        Family::Cisco
    } else if under("2636") {
        Family::Juniper
    } else {
        Family::Unknown
    }
}
