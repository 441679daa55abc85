//! Test guest `forbidden`: `run` asks for a secret and an HTTP host it was not granted and
//! returns what the host said, for the host's deny test. Not a plugin to deploy.
//!
//! It declares `http` to [`GRANTABLE_HOST`] and the secret [`GRANTABLE_SECRET`], so a host test can
//! grant those and still see the other two calls denied.

use vigia_plugin_sdk::http::{Method, Request};
use vigia_plugin_sdk::prelude::*;

pub const FORBIDDEN_SECRET: &str = "not-granted";
pub const FORBIDDEN_URL: &str = "https://forbidden.example.invalid/";
pub const GRANTABLE_HOST: &str = "allowed.example.invalid";
pub const GRANTABLE_SECRET: &str = "granted";

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {}

pub struct Forbidden;

impl Plugin for Forbidden {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "forbidden",
            env!("CARGO_PKG_VERSION"),
            "test guest: calls ungranted capabilities",
        )
        .capability(Capability::Http(vec![GRANTABLE_HOST.to_owned()]))
        .capability(Capability::Secrets(vec![GRANTABLE_SECRET.to_owned()]))
    }

    /// Both calls denied: a `denied` error carrying both host texts. Anything else is `internal`
    /// (the host failed to deny), and a granted secret's value is never echoed.
    fn run(_: &Config, _: &[Target], host: &impl Host) -> Result<Vec<Observation>, PluginError> {
        let secret = host.get_secret(FORBIDDEN_SECRET);
        let request = Request {
            method: Method::Get,
            url: FORBIDDEN_URL.to_owned(),
            headers: Vec::new(),
            body: None,
            timeout_ms: 1000,
        };
        let http = host.http_send(&request);
        let secret_said = format!("secrets.get(\"{FORBIDDEN_SECRET}\"): {}", outcome(&secret));
        let http_said = format!("http.send(GET {FORBIDDEN_URL}): {}", outcome(&http));
        match (&secret, &http) {
            (Err(HostError::Denied(_)), Err(HostError::Denied(_))) => {
                Err(PluginError::denied(format!("{secret_said}; {http_said}")))
            }
            _ => Err(PluginError::internal(format!(
                "expected both calls denied; {secret_said}; {http_said}"
            ))),
        }
    }
}

fn outcome<T>(result: &Result<T, HostError>) -> String {
    match result {
        Ok(_) => "succeeded".to_owned(),
        Err(error @ HostError::Denied(_)) => format!("denied: {}", error.message()),
        Err(error) => format!("{}", PluginError::from(error.clone())),
    }
}

export_plugin!(Forbidden);

#[cfg(test)]
mod tests {
    use vigia_plugin_sdk::testing::{self, FakeHost};

    use super::*;

    #[test]
    fn both_denials_come_back_as_one_denied_error_with_the_host_texts() {
        let host = FakeHost::new().secret(GRANTABLE_SECRET, "x");
        let error = testing::run::<Forbidden>("{}", &[], &host).unwrap_err();
        assert_eq!(error.class, ErrorClass::Denied);
        assert!(
            error.message.starts_with(
                "secrets.get(\"not-granted\"): denied: secret `not-granted` is not granted"
            ),
            "{}",
            error.message
        );
        assert!(
            error.message.contains(
                "http.send(GET https://forbidden.example.invalid/): denied: fake host has no answer"
            ),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_host_that_grants_is_reported_as_internal_without_the_secret() {
        let host = FakeHost::new().secret(FORBIDDEN_SECRET, "hunter2");
        let error = testing::run::<Forbidden>("{}", &[], &host).unwrap_err();
        assert_eq!(error.class, ErrorClass::Internal);
        assert!(
            error
                .message
                .contains("secrets.get(\"not-granted\"): succeeded"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("hunter2"));
    }
}
