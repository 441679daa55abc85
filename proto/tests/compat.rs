//! Wire compatibility guard: checked-in encodings (`tests/compat/v1/*.hex`) must still decode to
//! the same values and re-encode to the same bytes. Renumbering or retyping a field, or
//! renumbering an enum value, fails here.
//!
//! Fixtures are write-once. To add one, add a case below and run once with
//! `VIGIA_BLESS_COMPAT=1`: it writes fixtures that do not exist yet and never overwrites one.
//! If an existing fixture fails, the change is not wire compatible: revert it, or make it a new
//! field (and leave the old samples alone).
//!
//! (That the generated code matches `agent.proto` needs no test: `build.rs` regenerates it from
//! the checked-in file on every build.)

#[path = "support/sample.rs"]
mod sample;

use std::fmt::Debug;
use std::path::PathBuf;

use vigia_proto::{Message, decode};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/compat/v1")
        .join(format!("{name}.hex"))
}

/// Hex, wrapped at 64 characters; lines starting with `#` are comments.
fn to_fixture(name: &str, bytes: &[u8]) -> String {
    let hex = hex::encode(bytes);
    let mut text = format!("# vigia.agent.v1 {name}: write-once, see tests/compat.rs\n");
    for line in hex.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(line).expect("hex is ascii"));
        text.push('\n');
    }
    text
}

fn from_fixture(text: &str) -> Vec<u8> {
    let hex: String = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .flat_map(|line| line.trim().chars())
        .collect();
    hex::decode(hex).expect("fixture is hex")
}

fn check<M: Message + Default + PartialEq + Debug>(name: &str, expected: M) {
    let path = fixture_path(name);
    let encoded = expected.encode_to_vec();
    if std::env::var_os("VIGIA_BLESS_COMPAT").is_some() && !path.exists() {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create compat dir");
        std::fs::write(&path, to_fixture(name, &encoded)).expect("write fixture");
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read fixture {}: {error} (new fixture? run once with VIGIA_BLESS_COMPAT=1)",
            path.display()
        )
    });
    let golden = from_fixture(&text);

    let decoded: M = decode(&golden).unwrap_or_else(|error| panic!("{name}: {error}"));
    assert_eq!(
        decoded, expected,
        "{name}: the checked-in encoding decodes differently: a field or enum value was renumbered or retyped"
    );
    assert_eq!(
        hex::encode(&encoded),
        hex::encode(&golden),
        "{name}: the encoding changed"
    );
}

#[test]
fn agent_hello() {
    check("agent_hello", sample::agent_hello());
}

#[test]
fn agent_result_batch_with_every_observation_kind() {
    check("agent_result_batch", sample::agent_result_batch());
}

#[test]
fn agent_heartbeat() {
    check("agent_heartbeat", sample::agent_heartbeat());
}

#[test]
fn agent_probe_answer() {
    check("agent_probe_answer", sample::agent_probe_answer());
}

#[test]
fn agent_plugin_status() {
    check("agent_plugin_status", sample::agent_plugin_status());
}

#[test]
fn aggregator_ack() {
    check("aggregator_ack", sample::aggregator_ack());
}

#[test]
fn aggregator_plugin_offer() {
    check("aggregator_plugin_offer", sample::aggregator_plugin_offer());
}

#[test]
fn aggregator_config_update() {
    check(
        "aggregator_config_update",
        sample::aggregator_config_update(),
    );
}

#[test]
fn aggregator_probe_request() {
    check(
        "aggregator_probe_request",
        sample::aggregator_probe_request(),
    );
}

#[test]
fn aggregator_throttle() {
    check("aggregator_throttle", sample::aggregator_throttle());
}

#[test]
fn aggregator_goodbye() {
    check("aggregator_goodbye", sample::aggregator_goodbye());
}

/// The fixture of the result batch really holds every observation kind, so the guard covers
/// every observation field.
#[test]
fn result_batch_fixture_converts_to_every_kind() {
    let text = std::fs::read_to_string(fixture_path("agent_result_batch")).expect("fixture");
    let message: vigia_proto::agent::v1::AgentMessage =
        decode(&from_fixture(&text)).expect("decodes");
    let Some(vigia_proto::agent::v1::agent_message::Message::ResultBatch(batch)) = message.message
    else {
        panic!("not a result batch");
    };
    let Some(vigia_proto::agent::v1::run_result::Outcome::Observations(list)) =
        batch.results[0].outcome.clone()
    else {
        panic!("first run has no observations");
    };
    let observations = vigia_proto::convert::observations_from_proto(list).expect("converts");
    let mut kinds: Vec<&str> = observations.iter().map(|o| o.kind.name()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "alarm",
            "customer",
            "failure",
            "interface",
            "metric",
            "onu",
            "pppoe_session",
            "radio_link",
            "reachability",
            "topology_edge"
        ]
    );
}
