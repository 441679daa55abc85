//! Schemathesis (property-based API testing from the OpenAPI document) against the real server:
//! no server error, no response outside the schema, authentication enforced, invalid input
//! refused. It runs with an `operate` key, so the maintenance write routes are exercised too.
//!
//! The executable comes from `VIGIA_SCHEMATHESIS`, else `<workspace>/target/pyenv/bin/schemathesis`
//! (which `cargo xtask test` installs). Without it this test fails: it is not optional. The seed
//! is fixed for reproducible runs; `VIGIA_SCHEMATHESIS_SEED=<n>` explores other inputs.

mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use support::TestServer;
use vigia_api::{ApiConfig, Scope};

/// The whole run must finish in this time (it takes well under a minute on 2 cores).
const RUN_DEADLINE: Duration = Duration::from_secs(300);

/// Schemathesis configuration: where a schema-valid request may still rightly get a 400, because
/// JSON Schema cannot state the rule. A maintenance window's `ends_at` must follow `starts_at` by
/// at most 31 days, and neither may be before 1970; an event page's `cursor` is opaque (only the
/// model can read it); a login must not be blank. For these operations only, 400 is an accepted answer to
/// schema-valid data; every other check (no 5xx, responses within the schema, invalid data
/// refused) still applies to them.
const CONFIG: &str = r#"
[[operations]]
include-operation-id = ["create_maintenance", "update_maintenance", "list_events", "diagnose"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "429"]
"#;

fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("VIGIA_SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = workspace.join("target/pyenv/bin/schemathesis");
    assert!(
        path.exists(),
        "schemathesis not found at {} (nor VIGIA_SCHEMATHESIS set): run `cargo xtask test`, which installs it",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure() {
    let executable = schemathesis();
    // A budget high enough that schemathesis never meets the rate limit, and a body limit above
    // the largest body it makes (429 and 413 are tested elsewhere).
    let config = ApiConfig {
        rate_per_sec: 100_000,
        burst: 100_000,
        max_body_bytes: 16 * 1024 * 1024,
        ..ApiConfig::default()
    };
    let server = TestServer::start(config).await;
    let (_, key) = server.keys.add(&[Scope::Operate], None).await;
    // Schemathesis and hypothesis write their databases and reports in the working directory.
    let workdir = tempfile::tempdir().unwrap();
    let config_file = workdir.path().join("schemathesis.toml");
    std::fs::write(&config_file, CONFIG).unwrap();

    // Fixed so that CI is reproducible; set VIGIA_SCHEMATHESIS_SEED to explore other inputs.
    let seed = std::env::var("VIGIA_SCHEMATHESIS_SEED").unwrap_or_else(|_| "20240501".to_owned());

    let mut command = tokio::process::Command::new(&executable);
    command
        .current_dir(workdir.path())
        .arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(server.url("/v1/openapi.json"))
        .args(["--checks", "all"])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        .args(["--max-examples", "50"])
        .args(["--seed", &seed])
        .args(["--request-timeout", "10"])
        .arg("--no-color")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", executable.display()));
    let output = tokio::time::timeout(RUN_DEADLINE, child.wait_with_output())
        .await
        .expect("schemathesis did not finish in time")
        .expect("schemathesis ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Shown with `--nocapture`, and by the harness when the test fails.
    println!("{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "schemathesis failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // A run that tested nothing would also exit 0: make sure every operation was exercised.
    assert!(
        stdout.contains("Tested: 17"),
        "not every operation was tested:\n{stdout}"
    );
    // The key may write: the write routes were exercised, not merely refused.
    assert!(
        server.outages.created() > 0,
        "no maintenance window was created:\n{stdout}"
    );
    server.stop().await;
}
