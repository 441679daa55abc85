//! Which agents may connect.

use std::collections::HashSet;

use vigia_store::AgentId;

use crate::identity::AgentCert;

/// Why an agent is not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The id is not in the allowed set.
    #[error("agent `{0}` is not in the allowed agents")]
    Unknown(AgentId),
    /// The certificate (or the agent) was revoked.
    #[error("agent `{agent}` certificate {serial} is revoked")]
    Revoked { agent: AgentId, serial: String },
}

/// Decides whether an authenticated agent may connect. Called during the TLS handshake, after the
/// certificate chain and validity were verified (an expired or not-yet-valid certificate never
/// gets here), and again when each stream opens, so it must be quick and must not block.
pub trait AgentRegistry: Send + Sync + std::fmt::Debug + 'static {
    /// `Ok` when the agent may connect.
    fn admit(&self, agent: &AgentCert) -> Result<(), Refusal>;
}

/// A fixed registry from the config: a set of allowed ids (or every agent whose certificate the
/// agent CA signed), minus revoked agent ids and revoked certificate serials.
#[derive(Debug, Clone, Default)]
pub struct StaticRegistry {
    allowed: Option<HashSet<AgentId>>,
    revoked_ids: HashSet<AgentId>,
    /// Normalised with [`normalise_serial`].
    revoked_serials: HashSet<String>,
}

impl StaticRegistry {
    /// Admits only these ids.
    pub fn allow(ids: impl IntoIterator<Item = AgentId>) -> Self {
        Self {
            allowed: Some(ids.into_iter().collect()),
            ..Self::default()
        }
    }

    /// Admits any agent with a valid certificate from the agent CA.
    pub fn any() -> Self {
        Self::default()
    }

    /// Refuses these agents whatever their certificate (a decommissioned or stolen host).
    pub fn revoke_ids(mut self, ids: impl IntoIterator<Item = AgentId>) -> Self {
        self.revoked_ids.extend(ids);
        self
    }

    /// Refuses certificates with these serial numbers (hex, any case, `:` separators and
    /// leading zeros ignored), e.g. one replaced by a newer certificate for the same agent.
    pub fn revoke_serials<S: AsRef<str>>(mut self, serials: impl IntoIterator<Item = S>) -> Self {
        self.revoked_serials
            .extend(serials.into_iter().map(|s| normalise_serial(s.as_ref())));
        self
    }
}

/// A certificate serial in one spelling: lower-case hex digits without separators or leading
/// zeros (`"00:1A:2b"` and `"1a2b"` are the same serial).
pub fn normalise_serial(serial: &str) -> String {
    let hex: String = serial
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

impl AgentRegistry for StaticRegistry {
    fn admit(&self, agent: &AgentCert) -> Result<(), Refusal> {
        if self.revoked_ids.contains(&agent.id)
            || self
                .revoked_serials
                .contains(&normalise_serial(&agent.serial))
        {
            return Err(Refusal::Revoked {
                agent: agent.id.clone(),
                serial: agent.serial.clone(),
            });
        }
        match &self.allowed {
            Some(allowed) if !allowed.contains(&agent.id) => {
                Err(Refusal::Unknown(agent.id.clone()))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn cert(id: &str) -> AgentCert {
        AgentCert {
            id: AgentId::new(id).expect("valid"),
            serial: "01".into(),
            not_after: UNIX_EPOCH,
        }
    }

    #[test]
    fn an_allow_list_admits_only_its_ids() {
        let registry = StaticRegistry::allow([AgentId::new("tower-1").expect("valid")]);
        assert_eq!(registry.admit(&cert("tower-1")), Ok(()));
        assert_eq!(
            registry.admit(&cert("tower-2")).unwrap_err().to_string(),
            "agent `tower-2` is not in the allowed agents"
        );
        assert!(StaticRegistry::allow([]).admit(&cert("tower-1")).is_err());
    }

    #[test]
    fn without_a_list_every_certified_agent_is_admitted() {
        assert_eq!(StaticRegistry::any().admit(&cert("anything-9")), Ok(()));
    }

    #[test]
    fn revoked_ids_and_serials_are_refused_even_when_allowed() {
        let id = AgentId::new("tower-1").expect("valid");
        let registry = StaticRegistry::allow([id.clone()]).revoke_serials(["00:0A:BC"]);
        let mut revoked = cert("tower-1");
        revoked.serial = "0abc".into();
        assert_eq!(
            registry.admit(&revoked).unwrap_err().to_string(),
            "agent `tower-1` certificate 0abc is revoked"
        );
        let mut renewed = cert("tower-1");
        renewed.serial = "0abd".into();
        assert_eq!(registry.admit(&renewed), Ok(()));
        let by_id = StaticRegistry::any().revoke_ids([id]);
        assert!(matches!(
            by_id.admit(&renewed),
            Err(Refusal::Revoked { .. })
        ));
        assert_eq!(by_id.admit(&cert("tower-2")), Ok(()));
    }

    #[test]
    fn serials_compare_in_one_spelling() {
        assert_eq!(normalise_serial("00:1A:2b"), "1a2b");
        assert_eq!(normalise_serial("1a2b"), "1a2b");
        assert_eq!(normalise_serial("00"), "0");
    }
}
