//! `[diagnosis]`: the support desk's diagnosis and search. The triage thresholds
//! (`[diagnosis.triage]`, merged over the defaults of `vigia-triage`), the live checks' deadline
//! and the plugins they ask for, and how often the search index is rebuilt.

use serde::Deserialize;
use toml::Spanned;
use vigia_triage::TriageConfig;

use super::{ConfigError, Resolve};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiagnosis {
    live_deadline_ms: Option<Spanned<u64>>,
    session_plugin: Option<String>,
    onu_plugin: Option<String>,
    ping_plugin: Option<String>,
    search_refresh_ms: Option<Spanned<u64>>,
    triage: Option<Spanned<toml::Table>>,
}

#[derive(Debug, Clone)]
pub(crate) struct DiagnosisSection {
    /// How long `?live=true` waits for the agents.
    pub(crate) live_deadline_ms: u64,
    /// Plugin ids of the live checks: the PPPoE session print, the ONU full status, the CPE ping.
    pub(crate) session_plugin: String,
    pub(crate) onu_plugin: String,
    pub(crate) ping_plugin: String,
    /// The search index is rebuilt at most this often when only readings changed (at once, spaced
    /// by its cost, when entities or links changed).
    pub(crate) search_refresh_ms: u64,
    pub(crate) triage: TriageConfig,
}

pub(super) fn resolve(
    raw: RawDiagnosis,
    cx: &Resolve<'_>,
    errors: &mut Vec<ConfigError>,
) -> DiagnosisSection {
    let live_deadline_ms = cx.ranged(
        raw.live_deadline_ms,
        "diagnosis.live_deadline_ms",
        15_000,
        500..=25_000,
        errors,
    );
    let search_refresh_ms = cx.ranged(
        raw.search_refresh_ms,
        "diagnosis.search_refresh_ms",
        30_000,
        1_000..=3_600_000,
        errors,
    );
    let triage = match raw.triage {
        None => TriageConfig::default(),
        Some(spanned) => {
            let location = cx.at(spanned.span().start);
            match toml::Value::Table(spanned.into_inner()).try_into::<TriageConfig>() {
                Ok(config) => config,
                Err(error) => {
                    errors.push(ConfigError::new(
                        &location,
                        format!("diagnosis.triage: {}", error.message()),
                    ));
                    TriageConfig::default()
                }
            }
        }
    };
    let plugin = |value: Option<String>, default: &str| {
        value
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    DiagnosisSection {
        live_deadline_ms,
        session_plugin: plugin(raw.session_plugin, "mikrotik"),
        onu_plugin: plugin(raw.onu_plugin, "smartolt"),
        ping_plugin: plugin(raw.ping_plugin, "ping"),
        search_refresh_ms,
        triage,
    }
}
