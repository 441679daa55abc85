//! The correlator's rules and thresholds. Every field has a default in the spirit of the ISPs'
//! existing tools (a mass event is 4 or more drops); the aggregator's config file overrides them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How a group counts its members' drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupClass {
    /// A physical path (OLT, PON, splitter, AP, tower, backhaul): a subscriber counts as down when
    /// its ONU/radio is down, or when its session dropped and its ONU/radio was not confirmed up
    /// since. A concentrator reboot drops sessions but leaves the ONUs online.
    Physical,
    /// A logical grouping (concentrator, POP, CRM `conexao`): any drop counts.
    Logical,
}

/// Thresholds for one level (entity kind) of the topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelConfig {
    /// Fire when at least this many members went down within the window...
    pub min_down: u32,
    /// ...and they are at least this fraction of the group's members.
    pub min_fraction: f64,
    pub class: GroupClass,
    /// The entity's own `down` state (ping, vendor status) raises a device-down event.
    #[serde(default)]
    pub device: bool,
    /// This level's own hysteresis (bad cycles before firing, good cycles before resolving);
    /// the global `fire_cycles` / `clear_cycles` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fire_cycles: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_cycles: Option<u32>,
}

impl LevelConfig {
    fn new(min_down: u32, min_fraction: f64, class: GroupClass, device: bool) -> Self {
        Self {
            min_down,
            min_fraction,
            class,
            device,
            fire_cycles: None,
            clear_cycles: None,
        }
    }
}

/// The correlator's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorrelateConfig {
    /// Drops count as "new" for this long (a sliding window: drops spread over two polls of a
    /// slow source still count together).
    pub window_ms: u64,
    /// A drop counts only if the member was up within this long before it: churned subscribers
    /// sit in LOS for months and must not look like an outage when a source first reports them.
    pub recent_up_ms: u64,
    /// Below this fraction of members with a fresh state, a group is `unknown`: it neither fires
    /// nor resolves.
    pub min_coverage: f64,
    /// A source with no successful run for this long is stale: its entities are unknown and one
    /// collector-stale event is raised.
    pub source_stale_ms: u64,
    /// A source whose last run returned fewer than this fraction of its usual rows is short:
    /// treated as stale.
    pub source_short_fraction: f64,
    /// Sources with fewer usual rows than this are never judged short.
    pub source_min_rows: u64,
    /// Consecutive bad cycles before a group or device fires (hysteresis).
    pub fire_cycles: u32,
    /// Consecutive good cycles before an event resolves (hysteresis).
    pub clear_cycles: u32,
    /// When this many child groups of one parent fire together, the parent is reported instead
    /// (three PONs of one OLT losing power is one event at the OLT).
    pub merge_children: u32,
    /// An event resolves by rule when at most this fraction of its affected members is still
    /// down and has been for `residual_after_ms` (those few are individual faults now).
    pub residual_fraction: f64,
    pub residual_after_ms: u64,
    /// A cause needs this share of the classified down members (dying gasp vs LOS).
    pub cause_majority: f64,
    /// Fewest classified members to infer a cause from members alone.
    pub cause_min_members: u32,
    /// Least time between two update notices of one event.
    pub update_interval_ms: u64,
    /// An update notice needs the down count to move by this fraction of the last notified
    /// count (or a cause or root change).
    pub update_min_change: f64,
    /// Thresholds per entity kind; kinds not listed are not groups.
    pub levels: BTreeMap<String, LevelConfig>,
    /// Tie-break between groups that explain the same drops equally well: earlier kinds win.
    pub prefer: Vec<String>,
}

impl Default for CorrelateConfig {
    fn default() -> Self {
        use GroupClass::{Logical, Physical};
        let levels = [
            ("backhaul_link", LevelConfig::new(4, 0.5, Physical, true)),
            ("tower", LevelConfig::new(4, 0.5, Physical, true)),
            ("access_point", LevelConfig::new(4, 0.5, Physical, true)),
            ("pop", LevelConfig::new(10, 0.3, Logical, false)),
            ("concentrator", LevelConfig::new(10, 0.3, Logical, true)),
            ("olt", LevelConfig::new(8, 0.3, Physical, true)),
            ("pon_port", LevelConfig::new(4, 0.3, Physical, true)),
            ("splitter", LevelConfig::new(4, 0.5, Physical, false)),
            ("crm_group", LevelConfig::new(4, 0.3, Logical, false)),
        ]
        .into_iter()
        .map(|(kind, level)| (kind.to_owned(), level))
        .collect();
        // Ties between groups with the same subscribers: equipment before the place, and the
        // concentrator before the OLT (when only sessions dropped yet, a concentrator reboot is
        // the likelier story; a dark OLT that answers pings loses the tie to a pinged-down one).
        let prefer = [
            "backhaul_link",
            "tower",
            "concentrator",
            "olt",
            "pop",
            "access_point",
            "pon_port",
            "splitter",
            "crm_group",
        ]
        .map(str::to_owned)
        .to_vec();
        Self {
            window_ms: 180_000,
            recent_up_ms: 86_400_000,
            min_coverage: 0.5,
            source_stale_ms: 600_000,
            source_short_fraction: 0.5,
            source_min_rows: 20,
            fire_cycles: 2,
            clear_cycles: 3,
            merge_children: 2,
            residual_fraction: 0.1,
            residual_after_ms: 7_200_000,
            cause_majority: 0.6,
            cause_min_members: 3,
            update_interval_ms: 120_000,
            update_min_change: 0.2,
            levels,
            prefer,
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("correlation config: {0}")]
pub struct ConfigError(pub String);

impl CorrelateConfig {
    /// Checks ranges: fractions in `0..=1`, counts and cycles at least 1.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fraction = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(ConfigError(format!(
                    "{name} = {v}: must be between 0 and 1"
                )))
            }
        };
        fraction("min_coverage", self.min_coverage)?;
        fraction("source_short_fraction", self.source_short_fraction)?;
        fraction("residual_fraction", self.residual_fraction)?;
        fraction("cause_majority", self.cause_majority)?;
        fraction("update_min_change", self.update_min_change)?;
        for (name, v) in [
            ("fire_cycles", self.fire_cycles),
            ("clear_cycles", self.clear_cycles),
            ("merge_children", self.merge_children),
            ("cause_min_members", self.cause_min_members),
        ] {
            if v == 0 {
                return Err(ConfigError(format!("{name} must be at least 1")));
            }
        }
        if self.window_ms == 0 {
            return Err(ConfigError("window_ms must be more than 0".into()));
        }
        for (kind, level) in &self.levels {
            fraction(&format!("levels.{kind}.min_fraction"), level.min_fraction)?;
            if level.fire_cycles == Some(0) || level.clear_cycles == Some(0) {
                return Err(ConfigError(format!(
                    "levels.{kind}: fire_cycles and clear_cycles must be at least 1"
                )));
            }
            if level.min_down == 0 {
                return Err(ConfigError(format!(
                    "levels.{kind}.min_down must be at least 1"
                )));
            }
        }
        Ok(())
    }

    /// Bad cycles before a group or device of this kind fires.
    pub(crate) fn fire_cycles_of(&self, kind: &str) -> u32 {
        self.levels
            .get(kind)
            .and_then(|l| l.fire_cycles)
            .unwrap_or(self.fire_cycles)
    }

    /// Good cycles before an event rooted at this kind resolves.
    pub(crate) fn clear_cycles_of(&self, kind: &str) -> u32 {
        self.levels
            .get(kind)
            .and_then(|l| l.clear_cycles)
            .unwrap_or(self.clear_cycles)
    }

    /// The tie-break rank of a kind (lower wins; unlisted kinds last).
    pub(crate) fn rank(&self, kind: &str) -> usize {
        self.prefer
            .iter()
            .position(|k| k == kind)
            .unwrap_or(self.prefer.len())
    }
}
