//! The identity of an agent: a DNS label, so it fits in a certificate name.

use std::fmt;
use std::str::FromStr;

/// Most characters in an agent id (the length limit of a DNS label).
const MAX_LEN: usize = 63;

/// A validated agent id: 1 to 63 characters of `[a-z0-9-]`, not starting or ending with `-`.
///
/// It is a DNS label so that the ingest can carry it in a client certificate's subject alternative
/// name (`<id>.agents.vigia`); the store only relies on it being a short, printable key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(String);

/// Text that is not a valid [`AgentId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid agent id `{id}`: {reason}")]
pub struct InvalidAgentId {
    /// The text refused (truncated to 80 characters).
    pub id: String,
    /// Why it was refused.
    pub reason: &'static str,
}

impl AgentId {
    /// Validates `id`.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidAgentId> {
        let id = id.into();
        let refuse = |reason| InvalidAgentId {
            id: id.chars().take(80).collect(),
            reason,
        };
        if id.is_empty() {
            return Err(refuse("must not be empty"));
        }
        if id.len() > MAX_LEN {
            return Err(refuse("must be at most 63 characters"));
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(refuse("must contain only a-z, 0-9 and -"));
        }
        if id.starts_with('-') || id.ends_with('-') {
            return Err(refuse("must not start or end with -"));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AgentId {
    type Err = InvalidAgentId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AgentId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dns_labels() {
        for id in ["a", "pop-sao-01", "0", &"x".repeat(63)] {
            assert_eq!(AgentId::new(id).expect(id).as_str(), id);
        }
    }

    #[test]
    fn refuses_what_is_not_a_dns_label() {
        for (id, reason) in [
            ("", "must not be empty"),
            ("Pop", "must contain only a-z, 0-9 and -"),
            ("pop.sao", "must contain only a-z, 0-9 and -"),
            ("pop_1", "must contain only a-z, 0-9 and -"),
            ("-pop", "must not start or end with -"),
            ("pop-", "must not start or end with -"),
        ] {
            assert_eq!(AgentId::new(id).unwrap_err().reason, reason, "{id:?}");
        }
        let long = "x".repeat(64);
        assert_eq!(
            AgentId::new(long).unwrap_err().reason,
            "must be at most 63 characters"
        );
    }
}
