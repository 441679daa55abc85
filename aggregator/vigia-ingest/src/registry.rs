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
/// certificate chain and validity were verified, so it must be quick and must not block.
///
/// Issue 4 adds revocation (by id or certificate serial) behind this trait.
pub trait AgentRegistry: Send + Sync + std::fmt::Debug + 'static {
    /// `Ok` when the agent may connect.
    fn admit(&self, agent: &AgentCert) -> Result<(), Refusal>;
}

/// A fixed registry from the config: a set of allowed ids, or every agent whose certificate the
/// agent CA signed.
#[derive(Debug, Clone, Default)]
pub struct StaticRegistry {
    allowed: Option<HashSet<AgentId>>,
}

impl StaticRegistry {
    /// Admits only these ids.
    pub fn allow(ids: impl IntoIterator<Item = AgentId>) -> Self {
        Self {
            allowed: Some(ids.into_iter().collect()),
        }
    }

    /// Admits any agent with a valid certificate from the agent CA.
    pub fn any() -> Self {
        Self { allowed: None }
    }
}

impl AgentRegistry for StaticRegistry {
    fn admit(&self, agent: &AgentCert) -> Result<(), Refusal> {
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
}
