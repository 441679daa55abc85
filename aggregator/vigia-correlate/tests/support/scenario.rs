//! The scenario file format: a small network, what happens to it over time, and what the
//! correlator must have made of it at chosen moments. One TOML file per scenario, written for a
//! NOC engineer to read; see `tests/scenarios/README.md`.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub description: String,
    /// Seconds between correlation cycles.
    #[serde(default = "two")]
    pub cycle_s: u64,
    /// Overrides of the correlator's defaults (same keys as the aggregator's `[correlation]`).
    #[serde(default)]
    pub config: Option<toml::Table>,
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
    #[serde(default)]
    pub members: Vec<MemberSpec>,
    #[serde(default)]
    pub sources: Vec<SourceSpec>,
    #[serde(default)]
    pub maintenance: Vec<MaintenanceSpec>,
    #[serde(default)]
    pub happens: Vec<Happening>,
    pub expect: Vec<Expectation>,
}

fn two() -> u64 {
    2
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// `<kind>:<name>`.
    pub id: String,
    #[serde(default)]
    pub parents: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberSpec {
    /// Ids, with one `{a..b}` range (`subscriber:c11-{01..64}`).
    pub ids: String,
    pub groups: Vec<String>,
    /// Which layers these members have: `both` (default), `session`, `access`.
    #[serde(default)]
    pub layers: Option<String>,
    /// Sources (names from `sources`) of the session and access layers.
    #[serde(default)]
    pub session_source: Option<String>,
    #[serde(default)]
    pub access_source: Option<String>,
    /// `down` from the start, never seen up (a churned subscriber).
    #[serde(default)]
    pub churned: bool,
    /// The session was never up since the start, the ONU is fine (a blocked subscriber).
    #[serde(default)]
    pub no_session: bool,
}

/// An observation source (an agent's plugin) and how often it confirms its members' states.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub key: String,
    /// Seconds between its runs (a push source: every cycle).
    #[serde(default)]
    pub every_s: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSpec {
    pub id: u64,
    pub entities: Vec<String>,
    pub from_s: u64,
    pub to_s: u64,
    pub reason: String,
}

/// Something that happens to the network at a time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Happening {
    pub at_s: u64,
    /// Members affected (same range syntax as `members.ids`; several separated by commas).
    #[serde(default)]
    pub members: Option<String>,
    /// New session state: `up`, `down`, `unknown`.
    #[serde(default)]
    pub session: Option<String>,
    /// New access (ONU/radio) state: `up`, `los`, `power`, `offline`, `unknown`.
    #[serde(default)]
    pub access: Option<String>,
    /// A group's own state: `device = "access_point:AP1"`, `state = "down"`, `reason`.
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Vendor evidence on a group: `evidence = "pon_port:..."`, `cause = "fibre"|"power"|"none"`
    /// (`none` clears it), `text`.
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    /// A source stops (`"stale"`), comes back (`"ok"`), or returns few rows (`"short"`).
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub health: Option<String>,
    /// The aggregator restarts: the correlator comes back from its stored events and checkpoint.
    #[serde(default)]
    pub restart: bool,
    /// Repeat this every `every_s` seconds until `until_s` (a flapping ONU).
    #[serde(default)]
    pub every_s: Option<u64>,
    #[serde(default)]
    pub until_s: Option<u64>,
    /// With `every_s`: alternate with this access state on every other repetition.
    #[serde(default)]
    pub alternate_access: Option<String>,
    #[serde(default)]
    pub alternate_session: Option<String>,
}

/// What must hold after the cycle at `at_s`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub at_s: u64,
    /// Exactly these events are active (in id order).
    #[serde(default)]
    pub active: Option<Vec<EventSpec>>,
    /// Events ever opened so far.
    #[serde(default)]
    pub opened_total: Option<u64>,
    /// Events resolved so far (in id order, with their resolution checked when given).
    #[serde(default)]
    pub resolved: Option<Vec<EventSpec>>,
    /// Exactly these notices were issued since the previous expectation, in order:
    /// `"opened <root>"`, `"updated <root>"`, `"resolved <root>"`.
    #[serde(default)]
    pub notices: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub root: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub affected: Option<u64>,
    #[serde(default)]
    pub down: Option<u64>,
    /// The root of the event suppressing it (`""`: not suppressed).
    #[serde(default)]
    pub suppressed_by: Option<String>,
    #[serde(default)]
    pub maintenance: Option<u64>,
    /// Entities it must list.
    #[serde(default)]
    pub entities_include: Vec<String>,
    #[serde(default)]
    pub resolution_contains: Option<String>,
    #[serde(default)]
    pub cause_detail_contains: Option<String>,
}

/// Expands `prefix{01..64}suffix` (zero-padded as written) and comma-separated lists (ids may
/// hold spaces: `pon_port:OLT CENTRO/1/1`).
pub fn expand(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in pattern.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (Some(open), Some(close)) = (part.find('{'), part.find('}')) else {
            out.push(part.to_owned());
            continue;
        };
        let (head, range, tail) = (&part[..open], &part[open + 1..close], &part[close + 1..]);
        let (a, b) = range
            .split_once("..")
            .unwrap_or_else(|| panic!("bad range in {part:?}"));
        let width = a.len();
        let (a, b): (u64, u64) = (
            a.parse().expect("range start"),
            b.parse().expect("range end"),
        );
        for n in a..=b {
            out.push(format!("{head}{n:0width$}{tail}"));
        }
    }
    out
}

/// Kind of an id: the part before the first `:`.
pub fn kind_of(id: &str) -> &str {
    id.split_once(':').map_or(id, |(k, _)| k)
}
