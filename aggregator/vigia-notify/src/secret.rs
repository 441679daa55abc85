//! A secret string (bot token, access token, signing secret) that never shows in logs.

use std::fmt;

/// A secret. `Debug` prints `<redacted>`; there is no `Display`; read it with [`Secret::expose`]
/// only where it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::new("123456:ABC-token");
        let shown = format!("{secret:?} {:#?}", Some(&secret));
        assert!(!shown.contains("ABC-token"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(secret.expose(), "123456:ABC-token");
    }
}
