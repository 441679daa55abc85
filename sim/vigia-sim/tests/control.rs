//! The control API over real HTTP: the truth it reports and fault injection round trips.

mod support;

use serde_json::{Value, json};

async fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_backend_preconfigured(
            rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        )
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn faults_change_the_truth_and_repairs_restore_it() {
    let (_sim, running) = support::serve_example().await;
    let base = format!(
        "http://{}",
        running.addr("control").expect("control listens")
    );
    let http = client().await;

    let world: Value = http
        .get(format!("{base}/v1/world"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(world["counts"]["subscribers"], 272);
    assert_eq!(world["counts"]["onus_power_fail"], 0);

    let cut = http
        .post(format!("{base}/v1/faults"))
        .json(&json!({"kind": "pon_cut", "pon": "olt-centro/1/1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cut.status(), 201);
    let id = cut.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .expect("an id");

    let joao: Value = http
        .get(format!("{base}/v1/subscribers/joao.silva"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(joao["onu_status"], "LOS");
    assert_eq!(joao["session"], Value::Null);
    assert_eq!(joao["last_disconnect_reason"], "hung-up");

    let on_pon: Value = http
        .get(format!("{base}/v1/subscribers?at=olt-centro/1/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = on_pon["subscribers"].as_array().expect("a list");
    assert_eq!(list.len(), 64);
    assert!(list.iter().all(|s| s["onu_status"] == "LOS"));

    let faults: Value = http
        .get(format!("{base}/v1/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["faults"][0]["kind"], "pon_cut");

    let repaired = http
        .delete(format!("{base}/v1/faults/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(repaired.status(), 204);
    let joao: Value = http
        .get(format!("{base}/v1/subscribers/joao.silva"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(joao["onu_status"], "Online");
    assert!(
        joao["session"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with('*'))
    );
    running.stop();
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let (_sim, running) = support::serve_example().await;
    let base = format!(
        "http://{}",
        running.addr("control").expect("control listens")
    );
    let http = client().await;
    let cases = [
        (
            json!({"kind": "pon_cut", "pon": "olt-x/9/9"}),
            422,
            "no PON `olt-x/9/9`",
        ),
        (json!({"kind": "volcano"}), 400, "volcano"),
        (json!({"kind": "pon_cut"}), 400, "pon"),
    ];
    for (body, status, text) in cases {
        let response = http
            .post(format!("{base}/v1/faults"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
        let error: Value = response.json().await.unwrap();
        let message = error["error"].as_str().unwrap_or_default();
        assert!(message.contains(text), "{message} should mention {text}");
    }
    let missing = http
        .get(format!("{base}/v1/subscribers/nobody"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let missing = http
        .delete(format!("{base}/v1/faults/999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    running.stop();
}
