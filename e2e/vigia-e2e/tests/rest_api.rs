//! The aggregator's live state and REST API end to end: an agent pings hosts, the aggregator
//! turns the results into entities, and the API (key made with `vigia-aggregator apikey create`)
//! serves them, on both stores, across an aggregator restart. Run as root.

use std::time::Duration;

use serde_json::Value;
use vigia_e2e::{AGENT_ID, AgentSettings, Backend, Deployment, wait_until};

const T: Duration = Duration::from_secs(60);
/// The hosts of 10.251.0.0/28: the agent probes neither the network nor the broadcast address.
const HOSTS: usize = 14;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn pinged_hosts_become_entities_served_by_the_api(backend: Backend) {
    let d = Deployment::create(backend);
    let aggregator = d.start_aggregator(&[AGENT_ID]);
    let settings = AgentSettings {
        targets: "10.251.0.0/28".into(),
        ..AgentSettings::default()
    };
    let _agent = d.start_agent(AGENT_ID, &settings, None);
    let key = d.create_api_key("read");

    // Every host answers ping in the target namespace: all of them come up.
    let listing = "/v1/entities?kind=host&state=up&limit=1000";
    let hosts = wait_until("every pinged host up in the API", T, || {
        let (status, body) = d.api_get(listing, Some(&key));
        let page = (status == 200).then(|| json(&body))?;
        let items = page["items"].as_array()?.clone();
        (items.len() == HOSTS).then_some(items)
    });
    let first = hosts[0]["id"].as_str().expect("id").to_owned();
    assert!(first.starts_with("host:10.251.0."), "{first}");

    let (status, body) = d.api_get(&format!("/v1/entities/{first}"), Some(&key));
    assert_eq!(status, 200, "{body}");
    let entity = json(&body);
    assert_eq!(entity["state"]["value"], "up");
    let (status, body) = d.api_get(
        &format!("/v1/entities/{first}/observations?limit=2"),
        Some(&key),
    );
    assert_eq!(status, 200, "{body}");
    let observations = json(&body);
    assert_eq!(
        observations.as_array().map(Vec::len),
        Some(2),
        "{observations}"
    );
    assert_eq!(observations[0]["agent"], AGENT_ID);

    let (status, body) = d.api_get(&format!("/v1/agents/{AGENT_ID}"), Some(&key));
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["connected"], true);

    // No key, a wrong key: refused with the error body.
    let (status, body) = d.api_get(listing, None);
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (401, "missing_api_key".into())
    );
    let wrong = format!("{}x", &key[..key.len() - 1]);
    let (status, body) = d.api_get(listing, Some(&wrong));
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (401, "invalid_api_key".into())
    );

    // A restart: the state comes back from the store (history included) before new results.
    aggregator.terminate(T);
    let _aggregator = d.start_aggregator(&[AGENT_ID]);
    let (status, body) = d.api_get(&format!("/v1/entities/{first}"), Some(&key));
    assert_eq!(status, 200, "restored after restart: {body}");
    assert_eq!(json(&body)["state"]["value"], "up");
    let (status, body) = d.api_get(&format!("/v1/entities/{first}/history"), Some(&key));
    assert_eq!(status, 200, "{body}");
    let history = json(&body);
    assert_eq!(history[0]["state"], "up", "{history}");
    let (status, _) = d.api_get("/health", None);
    assert_eq!(status, 200);
}

#[test]
fn sqlite_pinged_hosts_become_entities_served_by_the_api() {
    pinged_hosts_become_entities_served_by_the_api(Backend::Sqlite);
}

#[test]
fn postgres_pinged_hosts_become_entities_served_by_the_api() {
    pinged_hosts_become_entities_served_by_the_api(Backend::postgres());
}

/// Schemathesis (the pinned one `cargo xtask test` installs in `target/pyenv`) against the real
/// aggregator's document and live data: no server error, no response outside the schema.
#[test]
fn schemathesis_finds_no_failure_against_the_real_aggregator() {
    let executable = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/pyenv/bin/schemathesis");
    assert!(
        executable.exists(),
        "{} is missing: run `cargo xtask test`, which installs it",
        executable.display()
    );
    let d = Deployment::create(Backend::Sqlite);
    let _aggregator = d.start_aggregator(&[AGENT_ID]);
    let settings = AgentSettings {
        targets: "10.251.0.0/28".into(),
        ..AgentSettings::default()
    };
    let _agent = d.start_agent(AGENT_ID, &settings, None);
    let key = d.create_api_key("read");
    wait_until("hosts in the API", T, || {
        let (status, body) = d.api_get("/v1/entities?kind=host&state=up", Some(&key));
        (status == 200 && body.contains("host:10.251.0.")).then_some(())
    });
    let workdir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "http://{}:{}/v1/openapi.json",
        vigia_e2e::lab::AGGREGATOR_ADDR,
        vigia_e2e::API_PORT
    );
    let out = vigia_e2e::Lab::command(&d.lab.agent_ns, "timeout")
        .current_dir(workdir.path())
        .arg("300")
        .arg(&executable)
        .args(["run", &url, "--checks", "all"])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        .args([
            "--max-examples",
            "30",
            "--seed",
            "20261126",
            "--request-timeout",
            "10",
        ])
        .arg("--no-color")
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("Tested: 17"),
        "not every operation was tested:\n{stdout}"
    );
}
