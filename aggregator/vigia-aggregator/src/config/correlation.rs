//! `[correlation]`: how often the outage correlator runs, and its rules (`[correlation.rules]`,
//! merged key by key over the defaults of `vigia-correlate`, so a file may change one level's
//! threshold without restating the others).

use serde::Deserialize;
use toml::Spanned;
use vigia_correlate::CorrelateConfig;

use super::{ConfigError, Resolve};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCorrelation {
    interval_ms: Option<Spanned<u64>>,
    rules: Option<Spanned<toml::Table>>,
}

#[derive(Debug, Clone)]
pub(crate) struct CorrelationSection {
    /// Time between correlation cycles.
    pub(crate) interval_ms: u64,
    pub(crate) rules: CorrelateConfig,
}

pub(super) fn resolve(
    raw: RawCorrelation,
    cx: &Resolve<'_>,
    errors: &mut Vec<ConfigError>,
) -> CorrelationSection {
    let interval_ms = cx.ranged(
        raw.interval_ms,
        "correlation.interval_ms",
        2000,
        200..=60_000,
        errors,
    );
    let rules = match raw.rules {
        None => CorrelateConfig::default(),
        Some(spanned) => {
            let location = cx.at(spanned.span().start);
            match rules(spanned.into_inner()) {
                Ok(rules) => rules,
                Err(message) => {
                    errors.push(ConfigError::new(
                        &location,
                        format!("correlation.rules: {message}"),
                    ));
                    CorrelateConfig::default()
                }
            }
        }
    };
    CorrelationSection { interval_ms, rules }
}

/// The defaults with `overrides` merged in (tables key by key, other values replaced), checked.
fn rules(overrides: toml::Table) -> Result<CorrelateConfig, String> {
    let mut merged = toml::Value::try_from(CorrelateConfig::default())
        .map_err(|e| format!("cannot represent the defaults: {e}"))?;
    merge(&mut merged, toml::Value::Table(overrides));
    let config: CorrelateConfig = merged
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_owned())?;
    config.validate().map_err(|e| e.0)?;
    Ok(config)
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(base), toml::Value::Table(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn overrides_merge_over_the_defaults_level_by_level() {
        let config = rules(table(
            "window_ms = 300000\n[levels.pon_port]\nmin_down = 6\n[levels.cto]\nmin_down = 3\nmin_fraction = 0.5\nclass = \"physical\"",
        ))
        .unwrap();
        assert_eq!(config.window_ms, 300_000);
        let pon = &config.levels["pon_port"];
        assert_eq!((pon.min_down, pon.min_fraction), (6, 0.3));
        assert!(config.levels.contains_key("olt"), "other levels stay");
        assert_eq!(config.levels["cto"].min_down, 3);
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let error = rules(table("min_coverage = 1.5")).unwrap_err();
        assert!(error.contains("min_coverage"), "{error}");
        let error = rules(table("windw_ms = 1")).unwrap_err();
        assert!(error.contains("windw_ms"), "{error}");
        let error = rules(table("[levels.olt]\nmin_down = \"many\"")).unwrap_err();
        assert!(error.contains("invalid type"), "{error}");
    }
}
