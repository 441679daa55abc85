//! Native tests against `FakeHost`: scripted router replies (encoded with `vigia-routeros`, and
//! some written out byte by byte), REST answers, and the units that parse RouterOS text.

mod api;
mod lookup;
mod rest;
mod units;

use vigia_plugin_sdk::testing::{self, Call, FakeHost};
use vigia_plugin_sdk::{ErrorClass, InterfaceStatus, Observation, ObservationKind, PppoeSession};
use vigia_routeros::{Limits, Reply, Request, SentenceDecoder};

use super::*;

/// The fake wall clock.
const NOW: u64 = 1_700_000_000_000;
const ROUTER: &str = "10.0.0.1";

fn run(config: &str, host: &FakeHost) -> Result<Vec<Observation>, PluginError> {
    testing::run::<Mikrotik>(config, &[bnas()], host)
}

fn bnas() -> Target {
    Target::new("bnas-1", ROUTER).with_label("site", "sao")
}

/// The config of most tests, with `extra` fields appended (`"read": [...]` and so on).
fn config(extra: &str) -> String {
    let base = r#""user": "vigia", "password_secret": "mt-pass""#;
    if extra.is_empty() {
        format!("{{{base}}}")
    } else {
        format!("{{{base}, {extra}}}")
    }
}

/// A host with the password secret and kv granted, and the router's replies as `reads`.
fn router(reads: &[Vec<u8>]) -> FakeHost {
    let reads: Vec<&[u8]> = reads.iter().map(Vec::as_slice).collect();
    FakeHost::new()
        .clock(NOW)
        .secret("mt-pass", "s3cr3t")
        .with_kv()
        .tcp(ROUTER, 8728, &reads)
}

/// The wire bytes of these replies, back to back.
fn replies(replies: &[Reply]) -> Vec<u8> {
    replies
        .iter()
        .flat_map(|reply| reply.encode().expect("test replies encode"))
        .collect()
}

fn row(tag: &str, attributes: &[(&str, &str)]) -> Reply {
    Reply::row(attributes.iter().copied()).with_tag(tag)
}

fn done(tag: &str) -> Reply {
    Reply::done().with_tag(tag)
}

/// `!done`, written by hand.
const LOGIN_OK: &[u8] = b"\x05!done\x00";

/// The requests the plugin wrote, decoded.
fn requests(host: &FakeHost) -> Vec<Request> {
    host.calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::TcpWrite { data, .. } => Some(data),
            _ => None,
        })
        .flat_map(|bytes| {
            let (sentences, partial) =
                SentenceDecoder::decode_all(&bytes, Limits::default()).unwrap();
            assert!(!partial, "a write ended inside a sentence");
            sentences
        })
        .map(|sentence| Request::parse(&sentence).unwrap())
        .collect()
}

fn sessions(observations: &[Observation]) -> Vec<&PppoeSession> {
    observations
        .iter()
        .filter_map(|observation| match &observation.kind {
            ObservationKind::PppoeSession(session) => Some(session),
            _ => None,
        })
        .collect()
}

fn session<'a>(observations: &'a [Observation], login: &str) -> &'a PppoeSession {
    sessions(observations)
        .into_iter()
        .find(|session| session.login == login)
        .unwrap_or_else(|| panic!("no session for {login} in {observations:#?}"))
}

fn label<'a>(observations: &'a [Observation], login: &str, key: &str) -> Option<&'a str> {
    observations
        .iter()
        .find(|o| matches!(&o.kind, ObservationKind::PppoeSession(s) if s.login == login))
        .and_then(|o| o.labels.iter().find(|(k, _)| k == key))
        .map(|(_, value)| value.as_str())
}

fn interfaces(observations: &[Observation]) -> Vec<&InterfaceStatus> {
    observations
        .iter()
        .filter_map(|observation| match &observation.kind {
            ObservationKind::Interface(status) => Some(status),
            _ => None,
        })
        .collect()
}

fn failures(observations: &[Observation]) -> Vec<(ErrorClass, String)> {
    observations
        .iter()
        .filter_map(|observation| match &observation.kind {
            ObservationKind::Failure(error) => Some((error.class, error.message.clone())),
            _ => None,
        })
        .collect()
}

/// `value` is within `slack_ms` after `expected` (the fake monotonic clock moves 1 ms per call).
fn assert_soon_after(value: Option<u64>, expected: u64, slack_ms: u64) {
    let value = value.expect("a time");
    assert!(
        (expected..=expected + slack_ms).contains(&value),
        "{value} is not within {slack_ms} ms after {expected}"
    );
}
