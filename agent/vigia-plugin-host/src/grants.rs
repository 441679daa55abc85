//! What the operator granted one probe, and the per-call checks against it.
//!
//! Deny by default: an empty [`Grants`] allows only `log` and `clock`. Every denial names the
//! missing grant and where to add it, so the operator can fix the config from the message alone.

use serde::Deserialize;

/// Capabilities the operator granted to one probe (a plugin plus its config) in the agent config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grants {
    /// ICMP echo through the agent's shared sockets.
    pub icmp: bool,
    /// SNMP requests.
    pub snmp: bool,
    /// Hosts reachable over HTTP(S): `host` (the URL scheme's default port only) or `host:port`.
    /// IPv6 literals are written in brackets: `[2001:db8::1]:8443`.
    pub http_hosts: Vec<String>,
    /// TCP destinations, `host:port`.
    pub tcp: Vec<String>,
    /// Small persistent per-plugin state.
    pub kv: bool,
    /// Names of secrets the plugin may read.
    pub secrets: Vec<String>,
    /// Accept any TLS certificate (self-signed device certificates). Off by default.
    pub tls_skip_verify: bool,
    /// Name of the call budget (a vendor account's quota, see [`crate::Budget`]) that this
    /// probe's HTTP requests and TCP connects draw from; `None`: unmetered.
    pub budget: Option<String>,
}

/// A grant entry that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("grant {field} entry '{entry}' is invalid: {reason}")]
pub struct GrantError {
    pub field: &'static str,
    pub entry: String,
    pub reason: &'static str,
}

/// A parsed `host[:port]` grant entry. Hosts compare case-insensitively, without brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPattern {
    host: String,
    port: Option<u16>,
}

impl HostPattern {
    pub(crate) fn parse(field: &'static str, entry: &str) -> Result<Self, GrantError> {
        let invalid = |reason| GrantError {
            field,
            entry: entry.to_owned(),
            reason,
        };
        if entry
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '@')
        {
            return Err(invalid("a grant is a host name or IP, not a URL"));
        }
        let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| invalid("missing ']'"))?;
            match after {
                "" => (host, None),
                _ => {
                    let port = after
                        .strip_prefix(':')
                        .ok_or_else(|| invalid("expected ':' after ']'"))?;
                    (host, Some(port))
                }
            }
        } else if entry.matches(':').count() > 1 {
            (entry, None) // a bare IPv6 literal
        } else if let Some((host, port)) = entry.split_once(':') {
            (host, Some(port))
        } else {
            (entry, None)
        };
        if host.is_empty() {
            return Err(invalid("empty host"));
        }
        let port = match port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .map_err(|_| invalid("port is not a number 0..=65535"))?,
            ),
        };
        Ok(Self {
            host: normalize_host(host),
            port,
        })
    }

    /// Whether this pattern allows `host:port`; a pattern without a port allows `default_port` only.
    fn allows(&self, host: &str, port: u16, default_port: Option<u16>) -> bool {
        let port_ok = match self.port {
            Some(p) => p == port,
            None => default_port == Some(port),
        };
        port_ok && self.host == normalize_host(host)
    }
}

fn normalize_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Shows `host:port` the way an operator writes it in a grant.
pub(crate) fn host_port_text(host: &str, port: u16) -> String {
    let host = normalize_host(host);
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl Grants {
    /// Grants nothing but `log` and `clock` (used for `describe`).
    pub fn none() -> Self {
        Self::default()
    }

    /// Checks every entry parses, so a bad agent config fails before anything runs.
    pub fn validate(&self) -> Result<(), GrantError> {
        for entry in &self.http_hosts {
            HostPattern::parse("http_hosts", entry)?;
        }
        for entry in &self.tcp {
            if HostPattern::parse("tcp", entry)?.port.is_none() {
                return Err(GrantError {
                    field: "tcp",
                    entry: entry.clone(),
                    reason: "a tcp grant needs a port",
                });
            }
        }
        if let Some(name) = &self.budget
            && name.trim().is_empty()
        {
            return Err(GrantError {
                field: "budget",
                entry: name.clone(),
                reason: "empty budget name",
            });
        }
        for name in &self.secrets {
            if name.trim().is_empty() {
                return Err(GrantError {
                    field: "secrets",
                    entry: name.clone(),
                    reason: "empty secret name",
                });
            }
        }
        Ok(())
    }

    /// Whether HTTP(S) to `host:port` is granted; `default_port` is the URL scheme's.
    pub(crate) fn allows_http(&self, host: &str, port: u16, default_port: u16) -> bool {
        self.http_hosts.iter().any(|entry| {
            HostPattern::parse("http_hosts", entry)
                .is_ok_and(|p| p.allows(host, port, Some(default_port)))
        })
    }

    /// Whether TCP to `host:port` is granted.
    pub(crate) fn allows_tcp(&self, host: &str, port: u16) -> bool {
        self.tcp
            .iter()
            .any(|entry| HostPattern::parse("tcp", entry).is_ok_and(|p| p.allows(host, port, None)))
    }

    pub(crate) fn allows_secret(&self, name: &str) -> bool {
        self.secrets.iter().any(|s| s == name)
    }
}

/// The text of a denial: what was refused, to whom, and where the grant goes.
pub(crate) fn denied_text(what: &str, plugin: &str, grant: &str) -> String {
    format!("{what} is not granted to plugin '{plugin}': add {grant} in the agent config")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(hosts: &[&str]) -> Grants {
        Grants {
            http_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ..Grants::none()
        }
    }

    #[test]
    fn bare_host_allows_only_the_scheme_default_port() {
        let g = http(&["API.example.com"]);
        assert!(g.allows_http("api.example.com", 443, 443));
        assert!(g.allows_http("api.example.com", 80, 80));
        assert!(!g.allows_http("api.example.com", 8443, 443));
        assert!(!g.allows_http("example.com", 443, 443));
        assert!(!g.allows_http("evil-api.example.com", 443, 443));
    }

    #[test]
    fn host_with_port_allows_that_port_only() {
        let g = http(&["10.0.0.1:8728", "[fd00::1]:443", "fd00::2"]);
        assert!(g.allows_http("10.0.0.1", 8728, 80));
        assert!(!g.allows_http("10.0.0.1", 80, 80));
        assert!(g.allows_http("[fd00::1]", 443, 443));
        assert!(g.allows_http("fd00::2", 80, 80));
        assert!(!g.allows_http("fd00::2", 8080, 80));
    }

    #[test]
    fn tcp_grants_need_an_exact_port() {
        let g = Grants {
            tcp: vec!["router.pop:8729".into()],
            ..Grants::none()
        };
        assert!(g.validate().is_ok());
        assert!(g.allows_tcp("ROUTER.pop", 8729));
        assert!(!g.allows_tcp("router.pop", 8728));
        let bad = Grants {
            tcp: vec!["router.pop".into()],
            ..Grants::none()
        };
        assert_eq!(
            bad.validate().unwrap_err().reason,
            "a tcp grant needs a port"
        );
    }

    #[test]
    fn invalid_entries_are_rejected_with_the_entry_named() {
        for entry in ["https://x.example/", "host:99999", "[::1", ""] {
            let err = http(&[entry]).validate().unwrap_err();
            assert_eq!(err.entry, entry);
            assert!(err.to_string().contains("http_hosts"), "{err}");
        }
    }

    #[test]
    fn empty_grants_allow_nothing() {
        let g = Grants::none();
        assert!(!g.allows_http("localhost", 80, 80));
        assert!(!g.allows_tcp("localhost", 22));
        assert!(!g.allows_secret("token"));
    }

    #[test]
    fn deserializes_from_agent_config_and_refuses_unknown_fields() {
        let g: Grants =
            serde_json::from_value(serde_json::json!({"icmp": true, "kv": true})).unwrap();
        assert!(g.icmp && g.kv && !g.snmp);
        let err = serde_json::from_value::<Grants>(serde_json::json!({"icmpp": true})).unwrap_err();
        assert!(err.to_string().contains("icmpp"));
    }
}
