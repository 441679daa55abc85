//! `[state]`: the live state's topology overrides file and staleness.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Located, Resolve};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawState {
    overrides: Option<Spanned<PathBuf>>,
    stale_after_secs: Option<Spanned<u64>>,
}

#[derive(Debug)]
pub(crate) struct StateSection {
    /// The operator's topology overrides (TOML), if any.
    pub(crate) overrides: Option<Located<PathBuf>>,
    /// An entity not observed for this long goes `unknown`.
    pub(crate) stale_after_secs: u64,
}

pub(super) fn resolve(
    raw: RawState,
    cx: &Resolve<'_>,
    errors: &mut Vec<ConfigError>,
) -> StateSection {
    StateSection {
        overrides: raw.overrides.map(|path| cx.path(path)),
        stale_after_secs: cx.ranged(
            raw.stale_after_secs,
            "state.stale_after_secs",
            900,
            30..=7 * 24 * 3600,
            errors,
        ),
    }
}
