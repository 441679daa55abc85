//! `[agents]`: which agents may connect, and which are revoked.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;
use vigia_store::AgentId;

use super::{ConfigError, Resolve};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgents {
    allowed: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    revoked: Vec<Spanned<String>>,
    #[serde(default)]
    revoked_serials: Vec<Spanned<String>>,
}

#[derive(Debug, Default)]
pub(crate) struct AgentsConfig {
    /// `None`: any agent with a certificate from the agent CA.
    pub(crate) allowed: Option<Vec<AgentId>>,
    /// Refused whatever their certificate.
    pub(crate) revoked: Vec<AgentId>,
    /// Certificate serials refused (hex as written).
    pub(crate) revoked_serials: Vec<String>,
}

pub(super) fn resolve(
    raw: RawAgents,
    cx: &Resolve<'_>,
    errors: &mut Vec<ConfigError>,
) -> AgentsConfig {
    let allowed = raw.allowed.map(|list| {
        let list_at = cx.at(list.span().start);
        let list = list.into_inner();
        if list.is_empty() {
            errors.push(ConfigError::new(
                &list_at,
                "agents.allowed is empty, so no agent could connect; \
                 omit it to admit every agent with a certificate from the agent CA",
            ));
        }
        ids(list, "agents.allowed", cx, errors)
    });
    let revoked = ids(raw.revoked, "agents.revoked", cx, errors);
    let mut revoked_serials = Vec::new();
    for spanned in raw.revoked_serials {
        let location = cx.at(spanned.span().start);
        let serial = spanned.into_inner();
        let digits = serial.chars().filter(|c| *c != ':');
        if serial.is_empty() || !digits.clone().all(|c| c.is_ascii_hexdigit()) {
            errors.push(ConfigError::new(
                &location,
                format!(
                    "agents.revoked_serials: `{serial}` is not a certificate serial \
                     (hex digits, optionally `:`-separated, as `pki issue-agent` prints)"
                ),
            ));
        } else {
            revoked_serials.push(serial);
        }
    }
    AgentsConfig {
        allowed,
        revoked,
        revoked_serials,
    }
}

/// Agent ids, each valid and listed once.
fn ids(
    list: Vec<Spanned<String>>,
    key: &str,
    cx: &Resolve<'_>,
    errors: &mut Vec<ConfigError>,
) -> Vec<AgentId> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for spanned in list {
        let location = cx.at(spanned.span().start);
        match AgentId::new(spanned.into_inner()) {
            Ok(id) if !seen.insert(id.clone()) => {
                errors.push(ConfigError::new(
                    &location,
                    format!("agent `{id}` is listed twice in {key}"),
                ));
            }
            Ok(id) => ids.push(id),
            Err(error) => errors.push(ConfigError::new(&location, error.to_string())),
        }
    }
    ids
}
