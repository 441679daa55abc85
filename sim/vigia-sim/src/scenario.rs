//! The scenario file: the ISP to simulate, in TOML. It names the structure (POPs, concentrators,
//! OLTs and their PON ports, towers and access points, backhaul links, plans) and how many
//! subscribers hang off each PON or AP; the subscribers themselves are generated from `seed`, except
//! the ones pinned by `[[subscriber]]`. `sim/scenarios/small-isp.toml` is the documented example.
//!
//! Loading checks every reference (an OLT's POP, a pinned subscriber's PON, ...) and reports
//! problems with the file and line (syntax) or the path of the offending entry (references).

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use serde::Deserialize;

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// Seed of every generated value.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The vendor systems' local time, minutes east of UTC (IXC and SmartOLT print local time).
    #[serde(default)]
    pub timezone_offset_minutes: i32,
    #[serde(default)]
    pub listen: Listen,
    #[serde(default)]
    pub credentials: Credentials,
    #[serde(default, rename = "plan")]
    pub plans: Vec<Plan>,
    #[serde(rename = "pop")]
    pub pops: Vec<Pop>,
    #[serde(default, rename = "concentrator")]
    pub concentrators: Vec<Concentrator>,
    #[serde(default, rename = "olt")]
    pub olts: Vec<Olt>,
    #[serde(default, rename = "tower")]
    pub towers: Vec<Tower>,
    #[serde(default, rename = "backhaul")]
    pub backhauls: Vec<Backhaul>,
    #[serde(default, rename = "subscriber")]
    pub subscribers: Vec<PinnedSubscriber>,
    /// Share of generated subscribers with billing warned / blocked, and churned (ONU in LOS for
    /// months, contract cancelled: the chronic-LOS population every real OLT has).
    #[serde(default)]
    pub population: Population,
}

fn default_seed() -> u64 {
    1
}

/// Where each simulated service listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    pub control: SocketAddr,
    pub smartolt: SocketAddr,
    pub ixc: SocketAddr,
    pub ispcube: SocketAddr,
    pub cnmaestro: SocketAddr,
}

impl Default for Listen {
    fn default() -> Self {
        let at = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        Self {
            control: at(7800),
            smartolt: at(7801),
            ixc: at(7802),
            ispcube: at(7803),
            cnmaestro: at(7804),
        }
    }
}

/// The credentials each simulated vendor accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Credentials {
    pub smartolt_token: String,
    pub ixc_user_id: String,
    pub ixc_token: String,
    pub ispcube_api_key: String,
    pub ispcube_client_id: String,
    pub ispcube_username: String,
    pub ispcube_password: String,
    pub cnmaestro_client_id: String,
    pub cnmaestro_client_secret: String,
    pub routeros_user: String,
    pub routeros_password: String,
}

impl Default for Credentials {
    fn default() -> Self {
        let s = str::to_owned;
        Self {
            smartolt_token: s("sim-smartolt-token"),
            ixc_user_id: s("7"),
            ixc_token: s("4dac0b5e9c7f4e1a8d2b6c3f0e9a7b5d"),
            ispcube_api_key: s("sim-ispcube-api-key"),
            ispcube_client_id: s("17"),
            ispcube_username: s("vigia"),
            ispcube_password: s("sim-ispcube-password"),
            cnmaestro_client_id: s("sim-cnmaestro-client"),
            cnmaestro_client_secret: s("sim-cnmaestro-secret"),
            routeros_user: s("vigia"),
            routeros_password: s("sim-routeros-password"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Population {
    pub warned: f64,
    pub blocked: f64,
    pub churned: f64,
}

impl Default for Population {
    fn default() -> Self {
        Self {
            warned: 0.04,
            blocked: 0.02,
            churned: 0.02,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub id: u32,
    pub name: String,
    pub download_mbps: u32,
    pub upload_mbps: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pop {
    pub id: String,
    pub name: String,
}

/// A MikroTik PPPoE concentrator (BNAS).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concentrator {
    pub id: String,
    pub pop: String,
    /// Its address as the network knows it (what CRMs print).
    pub address: Ipv4Addr,
    /// Where the simulator serves its RouterOS API.
    pub api_listen: SocketAddr,
    /// RouterOS version it reports; before 6.43 it answers the legacy challenge login.
    #[serde(default = "default_routeros")]
    pub routeros_version: String,
    /// First CPE address handed out; subscribers get consecutive addresses from it.
    pub pool_start: Ipv4Addr,
}

fn default_routeros() -> String {
    "7.16.2".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Olt {
    pub id: String,
    pub name: String,
    pub pop: String,
    pub concentrator: String,
    /// Vendor and model, e.g. "Huawei MA5800-X7" (decides the ONU serial prefix).
    pub model: String,
    /// The OLT's numeric id in SmartOLT.
    pub smartolt_id: u32,
    pub ip: Ipv4Addr,
    #[serde(rename = "pon")]
    pub pons: Vec<Pon>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pon {
    pub board: u32,
    pub port: u32,
    /// SmartOLT zone (also the area a power outage can name).
    pub zone: String,
    /// Splitter boxes (CTO/NAP) on this PON; subscribers are spread over them.
    pub splitters: u32,
    pub subscribers: u32,
    /// IXC `conexao` label of the logins on this PON.
    pub conexao: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tower {
    pub id: String,
    pub name: String,
    pub pop: String,
    pub concentrator: String,
    /// SmartOLT-style zone the tower is in (a power outage of the zone takes the tower down).
    #[serde(default)]
    pub zone: Option<String>,
    /// cnMaestro network name.
    #[serde(default = "default_network")]
    pub network: String,
    #[serde(rename = "ap")]
    pub aps: Vec<AccessPoint>,
}

fn default_network() -> String {
    "default".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPoint {
    pub name: String,
    /// cnMaestro device family: `pmp` (PMP 450) or `epmp`.
    #[serde(default = "default_family")]
    pub family: String,
    pub ip: Ipv4Addr,
    pub subscribers: u32,
    pub conexao: String,
}

fn default_family() -> String {
    "pmp".to_owned()
}

/// A backhaul link: if it is down, everything reached through `b` is cut off from `a`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backhaul {
    pub id: String,
    /// The POP side (`pop:<id>`) or an upstream tower (`tower:<id>`).
    pub a: String,
    /// The tower it feeds (`tower:<id>`).
    pub b: String,
}

/// A subscriber with fixed identity, replacing the generated one at the same place.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedSubscriber {
    pub login: String,
    pub name: String,
    /// `<olt>/<board>/<port>` or `ap:<name>`.
    pub at: String,
    #[serde(default)]
    pub billing: Option<String>,
    #[serde(default)]
    pub plan: Option<u32>,
    #[serde(default)]
    pub document: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// A scenario that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {at}: {message}")]
    Invalid {
        path: String,
        at: String,
        message: String,
    },
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and checks scenario text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_col(text, span.start))
                .unwrap_or((1, 1));
            ScenarioError::Syntax {
                path: origin.to_owned(),
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        scenario
            .check()
            .map_err(|(at, message)| ScenarioError::Invalid {
                path: origin.to_owned(),
                at,
                message,
            })?;
        Ok(scenario)
    }

    fn check(&self) -> Result<(), (String, String)> {
        let pops: HashSet<&str> = self.pops.iter().map(|p| p.id.as_str()).collect();
        let concentrators: HashSet<&str> =
            self.concentrators.iter().map(|c| c.id.as_str()).collect();
        let towers: HashSet<&str> = self.towers.iter().map(|t| t.id.as_str()).collect();
        let plans: HashSet<u32> = self.plans.iter().map(|p| p.id).collect();
        if self.plans.is_empty() {
            return Err(("plan".into(), "at least one [[plan]] is needed".into()));
        }
        unique("pop", self.pops.iter().map(|p| p.id.clone()))?;
        unique(
            "concentrator",
            self.concentrators.iter().map(|c| c.id.clone()),
        )?;
        unique("olt", self.olts.iter().map(|o| o.id.clone()))?;
        unique(
            "olt.smartolt_id",
            self.olts.iter().map(|o| o.smartolt_id.to_string()),
        )?;
        unique("tower", self.towers.iter().map(|t| t.id.clone()))?;
        unique(
            "tower.ap",
            self.towers
                .iter()
                .flat_map(|t| t.aps.iter().map(|a| a.name.clone())),
        )?;
        unique(
            "subscriber.login",
            self.subscribers.iter().map(|s| s.login.clone()),
        )?;
        for (i, c) in self.concentrators.iter().enumerate() {
            if !pops.contains(c.pop.as_str()) {
                return Err((
                    format!("concentrator[{i}]"),
                    format!("pop `{}` is not defined", c.pop),
                ));
            }
        }
        for (i, o) in self.olts.iter().enumerate() {
            let at = format!("olt[{i}] ({})", o.id);
            if !pops.contains(o.pop.as_str()) {
                return Err((at, format!("pop `{}` is not defined", o.pop)));
            }
            if !concentrators.contains(o.concentrator.as_str()) {
                return Err((
                    at,
                    format!("concentrator `{}` is not defined", o.concentrator),
                ));
            }
            unique(
                &format!("{at}.pon"),
                o.pons.iter().map(|p| format!("{}/{}", p.board, p.port)),
            )?;
            for (j, p) in o.pons.iter().enumerate() {
                if p.splitters == 0 && p.subscribers > 0 {
                    return Err((
                        format!("{at}.pon[{j}]"),
                        "subscribers need at least one splitter".into(),
                    ));
                }
                if p.subscribers > 128 {
                    return Err((
                        format!("{at}.pon[{j}]"),
                        "a GPON port serves at most 128 ONUs".into(),
                    ));
                }
            }
        }
        for (i, t) in self.towers.iter().enumerate() {
            let at = format!("tower[{i}] ({})", t.id);
            if !pops.contains(t.pop.as_str()) {
                return Err((at, format!("pop `{}` is not defined", t.pop)));
            }
            if !concentrators.contains(t.concentrator.as_str()) {
                return Err((
                    at,
                    format!("concentrator `{}` is not defined", t.concentrator),
                ));
            }
            for (j, a) in t.aps.iter().enumerate() {
                if !matches!(a.family.as_str(), "pmp" | "epmp") {
                    return Err((
                        format!("{at}.ap[{j}]"),
                        format!("family `{}` is not pmp or epmp", a.family),
                    ));
                }
            }
        }
        for (i, b) in self.backhauls.iter().enumerate() {
            let at = format!("backhaul[{i}] ({})", b.id);
            let known = |end: &str| match end.split_once(':') {
                Some(("pop", id)) => pops.contains(id),
                Some(("tower", id)) => towers.contains(id),
                _ => false,
            };
            if !known(&b.a) {
                return Err((
                    at,
                    format!("`a = {}` is not a defined pop:<id> or tower:<id>", b.a),
                ));
            }
            if !b
                .b
                .strip_prefix("tower:")
                .is_some_and(|id| towers.contains(id))
            {
                return Err((at, format!("`b = {}` is not a defined tower:<id>", b.b)));
            }
        }
        for (i, s) in self.subscribers.iter().enumerate() {
            let at = format!("subscriber[{i}] ({})", s.login);
            if !self.place_exists(&s.at) {
                return Err((
                    at,
                    format!(
                        "`at = {}` names no PON (<olt>/<board>/<port>) or AP (ap:<name>)",
                        s.at
                    ),
                ));
            }
            if let Some(plan) = s.plan
                && !plans.contains(&plan)
            {
                return Err((at, format!("plan {plan} is not defined")));
            }
            if let Some(billing) = &s.billing
                && !matches!(
                    billing.as_str(),
                    "active" | "warned" | "blocked" | "cancelled"
                )
            {
                return Err((
                    at,
                    format!("billing `{billing}` is not active, warned, blocked or cancelled"),
                ));
            }
        }
        for (name, p) in [
            ("warned", self.population.warned),
            ("blocked", self.population.blocked),
            ("churned", self.population.churned),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err((
                    format!("population.{name}"),
                    "must be between 0 and 1".into(),
                ));
            }
        }
        Ok(())
    }

    fn place_exists(&self, at: &str) -> bool {
        if let Some(ap) = at.strip_prefix("ap:") {
            return self
                .towers
                .iter()
                .any(|t| t.aps.iter().any(|a| a.name == ap));
        }
        let mut parts = at.rsplitn(3, '/');
        let (Some(port), Some(board), Some(olt)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        self.olts.iter().any(|o| {
            o.id == olt
                && o.pons
                    .iter()
                    .any(|p| p.board.to_string() == board && p.port.to_string() == port)
        })
    }
}

fn unique(what: &str, ids: impl Iterator<Item = String>) -> Result<(), (String, String)> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.clone()) {
            return Err((what.to_owned(), format!("`{id}` is defined twice")));
        }
    }
    Ok(())
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
