//! [`PluginError`]: a classified failure, and the mapping from [`HostError`] that makes `?` work.

use std::fmt;

use crate::bindings::vigia::plugin::types as wit_types;
use crate::{ErrorClass, HostError};

/// A classified failure: of a whole run (returned from [`crate::Plugin::run`]) or of one target
/// (inside an [`crate::Observation::failure`]).
///
/// The class drives the agent's retries and triage; the message is for the operator (lowercase,
/// no trailing period, naming what failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    pub class: ErrorClass,
    pub message: String,
}

impl PluginError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        Self {
            class,
            message: message.into(),
        }
    }

    /// The probe's config is wrong.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Config, message)
    }

    /// The host refused a capability, host or secret.
    pub fn denied(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Denied, message)
    }

    pub fn unreachable(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Unreachable, message)
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Timeout, message)
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Auth, message)
    }

    /// The peer answered with something the plugin could not understand.
    pub fn invalid_response(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::InvalidResponse, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Unsupported, message)
    }

    pub fn budget(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Budget, message)
    }

    /// A bug in the plugin.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Internal, message)
    }

    /// Prefixes the message with what was being done: `err.context("snmp walk of ifTable")`.
    #[must_use]
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class.name(), self.message)
    }
}

impl std::error::Error for PluginError {}

impl ErrorClass {
    /// The WIT name of the class (`invalid-response`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Config => "config",
            ErrorClass::Denied => "denied",
            ErrorClass::Unreachable => "unreachable",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Auth => "auth",
            ErrorClass::InvalidResponse => "invalid-response",
            ErrorClass::Unsupported => "unsupported",
            ErrorClass::Budget => "budget",
            ErrorClass::Internal => "internal",
        }
    }
}

/// Maps a host capability error to the class of run failure it implies.
///
/// `invalid-argument` maps to `config`: the arguments a plugin passes (addresses, OIDs, URLs)
/// come from the operator's config and targets. `unavailable` maps to `unsupported`.
impl From<HostError> for PluginError {
    fn from(error: HostError) -> Self {
        let class = match &error {
            HostError::Denied(_) => ErrorClass::Denied,
            HostError::Timeout => ErrorClass::Timeout,
            HostError::Unreachable(_) => ErrorClass::Unreachable,
            HostError::BudgetExhausted(_) => ErrorClass::Budget,
            HostError::InvalidArgument(_) => ErrorClass::Config,
            HostError::Protocol(_) => ErrorClass::InvalidResponse,
            HostError::Auth(_) => ErrorClass::Auth,
            HostError::Unavailable(_) => ErrorClass::Unsupported,
        };
        Self::new(class, error.message())
    }
}

impl HostError {
    /// The error as one readable line (the host's text, or "timed out").
    pub fn message(&self) -> String {
        match self {
            HostError::Timeout => "timed out".to_owned(),
            HostError::Denied(text)
            | HostError::Unreachable(text)
            | HostError::BudgetExhausted(text)
            | HostError::Auth(text)
            | HostError::Protocol(text) => text.clone(),
            HostError::InvalidArgument(text) => format!("invalid argument: {text}"),
            HostError::Unavailable(text) => format!("unavailable: {text}"),
        }
    }
}

impl From<PluginError> for wit_types::PluginError {
    fn from(error: PluginError) -> Self {
        Self {
            class: error.class,
            message: error.message,
        }
    }
}

impl From<wit_types::PluginError> for PluginError {
    fn from(error: wit_types::PluginError) -> Self {
        Self::new(error.class, error.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_map_to_their_class_and_keep_the_host_text() {
        let cases = [
            (
                HostError::Denied("icmp not granted".into()),
                ErrorClass::Denied,
                "icmp not granted",
            ),
            (HostError::Timeout, ErrorClass::Timeout, "timed out"),
            (
                HostError::Unreachable("no route".into()),
                ErrorClass::Unreachable,
                "no route",
            ),
            (
                HostError::BudgetExhausted("api calls/h".into()),
                ErrorClass::Budget,
                "api calls/h",
            ),
            (
                HostError::InvalidArgument("bad oid".into()),
                ErrorClass::Config,
                "invalid argument: bad oid",
            ),
            (
                HostError::Protocol("tls failed".into()),
                ErrorClass::InvalidResponse,
                "tls failed",
            ),
            (
                HostError::Auth("bad community".into()),
                ErrorClass::Auth,
                "bad community",
            ),
            (
                HostError::Unavailable("no ipv6".into()),
                ErrorClass::Unsupported,
                "unavailable: no ipv6",
            ),
        ];
        for (host_error, class, message) in cases {
            let error = PluginError::from(host_error);
            assert_eq!(error, PluginError::new(class, message));
        }
    }

    #[test]
    fn question_mark_converts_host_errors() {
        fn call() -> Result<(), PluginError> {
            Err(HostError::Denied("secret `x` is not granted".into()))?;
            Ok(())
        }
        assert_eq!(call().unwrap_err().class, ErrorClass::Denied);
    }

    #[test]
    fn display_is_class_then_message_and_context_prefixes() {
        let error = PluginError::invalid_response("not json").context("GET /onus");
        assert_eq!(error.to_string(), "invalid-response: GET /onus: not json");
    }

    #[test]
    fn converts_to_and_from_the_wit_record() {
        let error = PluginError::budget("calls/h");
        let record = wit_types::PluginError::from(error.clone());
        assert_eq!(record.class, ErrorClass::Budget);
        assert_eq!(PluginError::from(record), error);
    }
}
