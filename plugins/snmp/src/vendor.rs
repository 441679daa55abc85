//! Vendor tables, by detected family. Each reader walks only its vendor's subtrees; a device
//! that lacks them answers empty walks and the reader returns nothing.

pub(crate) mod cambium;
mod huawei;
mod mikrotik;
mod ubiquiti;
mod zte;

use vigia_plugin_sdk::{Host, HostError, Observation};

use crate::detect::Family;
use crate::interfaces::Interfaces;
use crate::observe::Subject;
use crate::table::Reader;

/// What one device's vendor tables gave.
pub(crate) fn read(
    reader: &Reader<'_, impl Host>,
    subject: &Subject<'_>,
    interfaces: &Interfaces,
) -> Result<Vec<Observation>, HostError> {
    match subject.family {
        Family::Mikrotik => mikrotik::read(reader, subject, interfaces),
        Family::CambiumEpmp => cambium::read_epmp(reader, subject),
        Family::CambiumPmp => cambium::read_pmp(reader, subject),
        Family::UbiquitiAirmax | Family::UbiquitiAirfiber | Family::Ubiquiti => {
            ubiquiti::read(reader, subject)
        }
        Family::HuaweiSmartax => huawei::read(reader, subject, interfaces),
        Family::ZteOlt => zte::read(reader, subject),
        _ => Ok(Vec::new()),
    }
}

/// Does the plugin read vendor tables for this family?
pub(crate) fn has_reader(family: Family) -> bool {
    matches!(
        family,
        Family::Mikrotik
            | Family::CambiumEpmp
            | Family::CambiumPmp
            | Family::UbiquitiAirmax
            | Family::UbiquitiAirfiber
            | Family::Ubiquiti
            | Family::HuaweiSmartax
            | Family::ZteOlt
    )
}
