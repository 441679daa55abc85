//! The world: every element of the simulated ISP and its current condition, built from a
//! [`Scenario`] and changed only by faults. Each vendor view (SmartOLT, IXC, ISPCube, cnMaestro,
//! RouterOS, CPE addresses) reads this one state, so a fault changes all of them consistently.
//!
//! Conditions are level-based: [`World::reevaluate`] recomputes every subscriber's access state
//! from the set of active faults and records the transitions (status change times, last down
//! cause, PPPoE session ends and starts), publishing session and CPE changes as [`Change`]s.

mod build;
mod eval;
mod fault;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;

use time::OffsetDateTime;

pub use fault::{Fault, FaultError, Vendor, VendorMode};

use crate::scenario::Scenario;

/// A PPPoE concentrator.
#[derive(Debug, Clone)]
pub struct Concentrator {
    pub id: String,
    pub pop: String,
    pub address: Ipv4Addr,
    pub api_listen: std::net::SocketAddr,
    pub routeros_version: String,
    /// IXC and ISPCube ids of this concentrator (`id_concentrador`, `node_id`).
    pub crm_id: u32,
}

/// An OLT.
#[derive(Debug, Clone)]
pub struct Olt {
    pub id: String,
    pub name: String,
    pub pop: String,
    pub concentrator: usize,
    pub model: String,
    pub smartolt_id: u32,
    pub ip: Ipv4Addr,
    /// Indexes into [`World::pons`].
    pub pons: Vec<usize>,
}

/// A PON port of an OLT.
#[derive(Debug, Clone)]
pub struct Pon {
    pub olt: usize,
    pub board: u32,
    pub port: u32,
    pub zone: String,
    pub conexao: String,
    /// Indexes into [`World::splitters`].
    pub splitters: Vec<usize>,
}

impl Pon {
    /// `<olt>/<board>/<port>`, the name faults and pinned subscribers use.
    pub fn key(&self, world: &World) -> String {
        format!("{}/{}/{}", world.olts[self.olt].id, self.board, self.port)
    }
}

/// A splitter box (CTO/NAP) on a PON.
#[derive(Debug, Clone)]
pub struct Splitter {
    pub name: String,
    pub pon: usize,
    /// SmartOLT ODB id.
    pub id: u32,
}

#[derive(Debug, Clone)]
pub struct Tower {
    pub id: String,
    pub name: String,
    pub pop: String,
    pub concentrator: usize,
    pub zone: Option<String>,
    pub network: String,
    /// Backhaul links from the POP to this tower, POP side first.
    pub path: Vec<usize>,
    pub aps: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct AccessPoint {
    pub name: String,
    pub tower: usize,
    pub family: String,
    pub mac: String,
    pub ip: Ipv4Addr,
    pub serial: String,
    pub conexao: String,
    /// Whether it is reachable and radiating now.
    pub online: bool,
    pub status_since: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Backhaul {
    pub id: String,
    pub a: String,
    pub b: String,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub id: u32,
    pub name: String,
    pub download_mbps: u32,
    pub upload_mbps: u32,
}

/// Billing state as the CRM holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    Active,
    Warned,
    Blocked,
    Cancelled,
}

impl Billing {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "warned" => Some(Self::Warned),
            "blocked" => Some(Self::Blocked),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Warned => "warned",
            Self::Blocked => "blocked",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The ONU of a fibre subscriber.
#[derive(Debug, Clone)]
pub struct OnuInfo {
    pub pon: usize,
    pub splitter: usize,
    /// ONU id on its PON.
    pub onu_id: u32,
    /// GPON serial, e.g. `HWTCAF721761`.
    pub serial: String,
    /// SmartOLT `unique_external_id`: the serial, except for the few ONUs of the hex-id quirk.
    pub external_id: String,
    pub model: String,
    /// Downstream power at the ONU with no fault, dBm.
    pub base_rx_dbm: f64,
    pub tx_dbm: f64,
    pub distance_m: u32,
}

impl OnuInfo {
    /// The GPON hex form of the serial: the four vendor letters hex-encoded (`HWTC` → `48575443`).
    pub fn hex_serial(&self) -> String {
        hex_serial(&self.serial)
    }

    /// Whether SmartOLT's per-ONU endpoints refuse the external id and want the hex form.
    pub fn hex_quirk(&self) -> bool {
        self.external_id != self.serial
    }
}

pub(crate) fn hex_serial(serial: &str) -> String {
    let (vendor, rest) = serial.split_at(serial.len().min(4));
    let mut out: String = vendor.bytes().map(|b| format!("{b:02X}")).collect();
    out.push_str(rest);
    out
}

/// The radio of a wireless subscriber.
#[derive(Debug, Clone)]
pub struct SmInfo {
    pub ap: usize,
    pub mac: String,
    pub ip: Ipv4Addr,
    pub base_rssi_dbm: f64,
    pub base_snr_db: f64,
    pub distance_m: u32,
}

#[derive(Debug, Clone)]
pub enum Access {
    Fibre(OnuInfo),
    Radio(SmInfo),
}

/// ONU status as OLTs and SmartOLT word it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnuStatus {
    Online,
    Los,
    PowerFail,
    Offline,
}

impl OnuStatus {
    /// SmartOLT's wording.
    pub fn smartolt(self) -> &'static str {
        match self {
            Self::Online => "Online",
            Self::Los => "LOS",
            Self::PowerFail => "Power fail",
            Self::Offline => "Offline",
        }
    }
}

/// An open PPPoE session.
#[derive(Debug, Clone)]
pub struct Session {
    /// RouterOS `.id` number (printed `*1A2`).
    pub id: u32,
    pub session_id: u32,
    pub since: OffsetDateTime,
}

/// One past outage of an ONU (SmartOLT full status `History`).
#[derive(Debug, Clone)]
pub struct DownRecord {
    pub down_at: OffsetDateTime,
    pub up_at: Option<OffsetDateTime>,
    pub cause: &'static str,
}

/// The changing part of a subscriber.
#[derive(Debug, Clone)]
pub struct Live {
    /// Access up: ONU online or SM registered.
    pub access_up: bool,
    pub onu_status: OnuStatus,
    pub status_since: OffsetDateTime,
    pub last_down_cause: Option<&'static str>,
    pub history: VecDeque<DownRecord>,
    pub rx_dbm: f64,
    pub session: Option<Session>,
    pub last_logout: Option<OffsetDateTime>,
    pub last_disconnect_reason: Option<&'static str>,
    pub disconnects: u32,
    /// Billing state now (a billing-block fault changes it).
    pub billing: Billing,
}

#[derive(Debug, Clone)]
pub struct Subscriber {
    pub login: String,
    pub password: String,
    /// CRM customer id (IXC `id_cliente`, ISPCube customer id).
    pub customer_id: u32,
    /// CRM login/connection id (IXC `radusuarios.id`, ISPCube connection id).
    pub login_id: u32,
    pub contract_id: u32,
    pub name: String,
    pub document: String,
    pub address: String,
    pub district: String,
    pub phone: String,
    pub plan: usize,
    /// Billing state in the CRM before any fault.
    pub billing: Billing,
    pub concentrator: usize,
    pub cpe_ip: Ipv4Addr,
    pub cpe_mac: String,
    pub access: Access,
    /// Left months ago: ONU dark, contract cancelled, never comes back.
    pub churned: bool,
    pub live: Live,
}

impl Subscriber {
    pub fn onu(&self) -> Option<&OnuInfo> {
        match &self.access {
            Access::Fibre(onu) => Some(onu),
            Access::Radio(_) => None,
        }
    }

    pub fn sm(&self) -> Option<&SmInfo> {
        match &self.access {
            Access::Radio(sm) => Some(sm),
            Access::Fibre(_) => None,
        }
    }

    /// IXC `conexao` of the subscriber's PON or AP.
    pub fn conexao<'w>(&self, world: &'w World) -> &'w str {
        match &self.access {
            Access::Fibre(onu) => &world.pons[onu.pon].conexao,
            Access::Radio(sm) => &world.aps[sm.ap].conexao,
        }
    }
}

/// A change other parts of the simulator follow (RouterOS `listen`, CPE addresses).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    SessionUp {
        concentrator: usize,
        subscriber: usize,
    },
    SessionDown {
        concentrator: usize,
        subscriber: usize,
        /// The `.id` the session had.
        id: u32,
        reason: &'static str,
    },
    Cpe {
        address: Ipv4Addr,
        up: bool,
    },
}

/// An active fault.
#[derive(Debug, Clone)]
pub struct ActiveFault {
    pub id: u64,
    pub fault: Fault,
    pub since: OffsetDateTime,
}

/// The simulated ISP.
#[derive(Debug, Clone)]
pub struct World {
    pub name: String,
    pub utc_offset: time::UtcOffset,
    pub plans: Vec<Plan>,
    pub pops: Vec<crate::scenario::Pop>,
    pub concentrators: Vec<Concentrator>,
    pub olts: Vec<Olt>,
    pub pons: Vec<Pon>,
    pub splitters: Vec<Splitter>,
    pub towers: Vec<Tower>,
    pub aps: Vec<AccessPoint>,
    pub backhauls: Vec<Backhaul>,
    pub subscribers: Vec<Subscriber>,
    pub faults: Vec<ActiveFault>,
    next_fault: u64,
    next_session: u32,
    by_login: HashMap<String, usize>,
}

impl World {
    /// Builds the world a scenario describes, as of `now`.
    pub fn build(scenario: &Scenario, now: OffsetDateTime) -> Self {
        build::build(scenario, now)
    }

    pub fn subscriber(&self, login: &str) -> Option<&Subscriber> {
        self.by_login.get(login).map(|&i| &self.subscribers[i])
    }

    pub fn subscriber_index(&self, login: &str) -> Option<usize> {
        self.by_login.get(login).copied()
    }

    pub fn pon_index(&self, key: &str) -> Option<usize> {
        self.pons.iter().position(|p| p.key(self) == key)
    }

    /// The vendor fault in force for `vendor`, if any (the latest one), with its delay.
    pub fn vendor_mode(&self, vendor: Vendor) -> Option<(VendorMode, u64)> {
        self.faults.iter().rev().find_map(|f| match &f.fault {
            Fault::VendorOutage {
                vendor: v,
                mode,
                delay_ms,
            } if *v == vendor => Some((*mode, *delay_ms)),
            _ => None,
        })
    }

    /// Local time of the vendor systems.
    pub fn local(&self, at: OffsetDateTime) -> OffsetDateTime {
        at.to_offset(self.utc_offset)
    }

    /// Adds a fault and re-evaluates; returns its id and the changes it caused.
    pub fn inject(
        &mut self,
        fault: Fault,
        now: OffsetDateTime,
    ) -> Result<(u64, Vec<Change>), FaultError> {
        fault.check(self)?;
        self.next_fault += 1;
        let id = self.next_fault;
        self.faults.push(ActiveFault {
            id,
            fault,
            since: now,
        });
        Ok((id, self.reevaluate(now)))
    }

    /// Removes a fault (the network is repaired) and re-evaluates. `None` if no such fault.
    pub fn repair(&mut self, id: u64, now: OffsetDateTime) -> Option<Vec<Change>> {
        let index = self.faults.iter().position(|f| f.id == id)?;
        self.faults.remove(index);
        Some(self.reevaluate(now))
    }

    /// Removes every fault.
    pub fn repair_all(&mut self, now: OffsetDateTime) -> Vec<Change> {
        self.faults.clear();
        self.reevaluate(now)
    }

    /// Recomputes every condition from the active faults; returns what changed.
    pub fn reevaluate(&mut self, now: OffsetDateTime) -> Vec<Change> {
        eval::reevaluate(self, now)
    }

    fn new_session(&mut self, since: OffsetDateTime) -> Session {
        self.next_session += 1;
        Session {
            id: 0x800 + self.next_session,
            session_id: 0x81C0_0000 + self.next_session,
            since,
        }
    }
}
