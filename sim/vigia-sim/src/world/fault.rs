//! Faults the control API injects. Each names elements by the ids the scenario uses, and is
//! checked against the world before it is accepted.

use serde::{Deserialize, Serialize};

use super::World;

/// A vendor system whose API can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Smartolt,
    Ixc,
    Ispcube,
    Cnmaestro,
    Routeros,
}

/// How a failing vendor API behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorMode {
    /// Answers 503 with an HTML error page (what a load balancer in front of it sends).
    Down,
    /// Answers correctly after `delay_ms`.
    Slow,
    /// Accepts the connection and never answers (the client's timeout decides).
    Hang,
}

/// Something that breaks in the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The fibre of a PON port is cut at the OLT: every ONU on it goes LOS.
    PonCut { pon: String },
    /// The feeder fibre of one splitter box is cut: its ONUs go LOS.
    FeederCut { splitter: String },
    /// Mains power fails in an area: ONUs there send dying gasp; towers there go down.
    PowerOutage {
        #[serde(default)]
        zone: Option<String>,
        #[serde(default)]
        pons: Vec<String>,
    },
    /// One access point stops (its SMs lose registration).
    ApDown { ap: String },
    /// A whole tower goes down (all its APs).
    TowerDown { tower: String },
    /// A backhaul link fails: towers behind it are cut off.
    BackhaulDown { link: String },
    /// One subscriber's drop fibre is cut or the ONU unplugged from the fibre.
    SubscriberLos { login: String },
    /// One subscriber's ONU loses mains power (unplugged, a tripped breaker): dying gasp.
    SubscriberPower { login: String },
    /// One subscriber's router (CPE) stops: its PPPoE session ends (LCP echoes unanswered) and it
    /// stops answering ping, while the ONU stays online with good light.
    CpeDown { login: String },
    /// The light on a PON degrades by `db` (dirty connector, bent fibre).
    OpticalDegradation { pon: String, db: f64 },
    /// A subscriber is blocked for debt.
    BillingBlock { login: String },
    /// A vendor API fails or slows down.
    VendorOutage {
        vendor: Vendor,
        mode: VendorMode,
        #[serde(default)]
        delay_ms: u64,
    },
}

/// A fault that names something the world does not have.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct FaultError(pub String);

impl Fault {
    pub(crate) fn check(&self, world: &World) -> Result<(), FaultError> {
        let pon = |key: &str| {
            world.pon_index(key).map(|_| ()).ok_or_else(|| {
                FaultError(format!("no PON `{key}` (expected <olt>/<board>/<port>)"))
            })
        };
        match self {
            Fault::PonCut { pon: key } => pon(key),
            Fault::OpticalDegradation { pon: key, db } => {
                if !(db.is_finite() && *db > 0.0 && *db <= 40.0) {
                    return Err(FaultError(format!("`db` must be in (0, 40], got {db}")));
                }
                pon(key)
            }
            Fault::FeederCut { splitter } => world
                .splitters
                .iter()
                .any(|s| &s.name == splitter)
                .then_some(())
                .ok_or_else(|| FaultError(format!("no splitter `{splitter}`"))),
            Fault::PowerOutage { zone, pons } => {
                if zone.is_none() && pons.is_empty() {
                    return Err(FaultError("a power outage needs `zone` or `pons`".into()));
                }
                if let Some(zone) = zone {
                    let known = world.pons.iter().any(|p| &p.zone == zone)
                        || world.towers.iter().any(|t| t.zone.as_ref() == Some(zone));
                    if !known {
                        return Err(FaultError(format!("no zone `{zone}`")));
                    }
                }
                pons.iter().try_for_each(|key| pon(key))
            }
            Fault::ApDown { ap } => world
                .aps
                .iter()
                .any(|a| &a.name == ap)
                .then_some(())
                .ok_or_else(|| FaultError(format!("no access point `{ap}`"))),
            Fault::TowerDown { tower } => world
                .towers
                .iter()
                .any(|t| &t.id == tower)
                .then_some(())
                .ok_or_else(|| FaultError(format!("no tower `{tower}`"))),
            Fault::BackhaulDown { link } => world
                .backhauls
                .iter()
                .any(|b| &b.id == link)
                .then_some(())
                .ok_or_else(|| FaultError(format!("no backhaul link `{link}`"))),
            Fault::SubscriberLos { login } | Fault::SubscriberPower { login } => {
                match world.subscriber(login) {
                    Some(s) if s.onu().is_some() => Ok(()),
                    Some(_) => Err(FaultError(format!(
                        "`{login}` is a radio subscriber (no ONU)"
                    ))),
                    None => Err(FaultError(format!("no subscriber `{login}`"))),
                }
            }
            Fault::BillingBlock { login } | Fault::CpeDown { login } => world
                .subscriber(login)
                .map(|_| ())
                .ok_or_else(|| FaultError(format!("no subscriber `{login}`"))),
            Fault::VendorOutage { mode, delay_ms, .. } => {
                if *mode == VendorMode::Slow && (*delay_ms == 0 || *delay_ms > 600_000) {
                    return Err(FaultError(
                        "a slow vendor needs `delay_ms` in 1..=600000".into(),
                    ));
                }
                Ok(())
            }
        }
    }
}
