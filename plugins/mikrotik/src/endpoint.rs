//! [`Endpoint`]: a target's address (`host`, `host:port`, `[v6]:port` or a bare IPv6 literal)
//! with the default port of the mode.

use vigia_plugin_sdk::PluginError;

use crate::config::{Config, Mode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// Without brackets.
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    pub(crate) fn parse(address: &str, config: &Config) -> Result<Self, PluginError> {
        let default_port = match (config.mode, config.tls) {
            (Mode::Api, false) => 8728,
            (Mode::Api, true) => 8729,
            (Mode::Rest, false) => 80,
            (Mode::Rest, true) => 443,
        };
        let bad = |why: &str| PluginError::config(format!("address `{address}`: {why}"));
        if address.is_empty() || address.contains(['/', '@', ' ']) {
            return Err(bad("expected `host` or `host:port`"));
        }
        let (host, port) = if let Some(rest) = address.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| bad("missing `]`"))?;
            match after {
                "" => (host, None),
                _ => (
                    host,
                    Some(
                        after
                            .strip_prefix(':')
                            .ok_or_else(|| bad("expected `:` after `]`"))?,
                    ),
                ),
            }
        } else if address.matches(':').count() > 1 {
            (address, None)
        } else if let Some((host, port)) = address.split_once(':') {
            (host, Some(port))
        } else {
            (address, None)
        };
        if host.is_empty() {
            return Err(bad("expected `host` or `host:port`"));
        }
        let port = match port {
            None => default_port,
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|&port| port > 0)
                .ok_or_else(|| bad("port is not a number 1..=65535"))?,
        };
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }

    /// `host:port` as written in a grant (IPv6 in brackets).
    pub(crate) fn authority(&self) -> String {
        format!("{}:{}", self.url_host(), self.port)
    }

    /// The authority of a URL: the port left out when it is the scheme's default.
    pub(crate) fn url_authority(&self, default_port: u16) -> String {
        if self.port == default_port {
            self.url_host()
        } else {
            self.authority()
        }
    }

    fn url_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}
