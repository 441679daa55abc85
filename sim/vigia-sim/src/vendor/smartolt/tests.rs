//! The SmartOLT view over real HTTP on loopback: auth, the call limit, payload shapes, the
//! hex-id quirk, outage grouping and the slow full status.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::{Settings, service};
use crate::world::{Fault, Vendor, VendorMode};
use crate::{Scenario, Sim};

const TOKEN: &str = "sim-smartolt-token";

struct Api {
    sim: Arc<Sim>,
    base: String,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(settings: Settings) -> Api {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/small-isp.toml");
    let sim = Sim::new(Scenario::load(&path).expect("the example scenario loads"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("has an address");
    let router = service(sim.clone(), settings);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(
            rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        )
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client builds");
    Api {
        sim,
        base: format!("http://{addr}/api"),
        http,
        server,
    }
}

fn fast() -> Settings {
    Settings {
        full_status_delay: Duration::from_millis(150),
        ..Settings::default()
    }
}

/// `(status, x-ratelimit-remaining, body)` of `GET /api/<path>` with the token.
async fn get(api: &Api, path: &str) -> (u16, Option<u32>, Value) {
    get_with(api, path, Some(TOKEN)).await
}

async fn get_with(api: &Api, path: &str, token: Option<&str>) -> (u16, Option<u32>, Value) {
    let mut request = api.http.get(format!("{}/{path}", api.base));
    if let Some(token) = token {
        request = request.header("X-Token", token);
    }
    let response = request.send().await.expect("the sim answers");
    let status = response.status().as_u16();
    let remaining = response
        .headers()
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, remaining, body)
}

#[tokio::test]
async fn the_token_is_required_and_checked() {
    let api = serve(fast()).await;
    let (status, remaining, body) = get_with(&api, "system/get_olts", None).await;
    assert_eq!((status, remaining), (401, None));
    assert_eq!(body["status"], false);
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    let (status, _, body) = get_with(&api, "system/get_olts", Some("wrong")).await;
    assert_eq!(status, 403);
    assert_eq!(body["status"], false);
    let (status, remaining, body) = get(&api, "system/get_olts").await;
    assert_eq!((status, remaining), (200, Some(999)));
    assert_eq!(body["status"], true);
    let names: Vec<&str> = body["response"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["OLT CENTRO", "OLT NORTE"]);
    assert_eq!(body["response"][0]["id"], "1");
}

#[tokio::test]
async fn calls_are_counted_per_account_and_refused_when_spent() {
    let api = serve(Settings {
        calls_per_window: 3,
        ..fast()
    })
    .await;
    assert_eq!(get(&api, "system/get_zones").await.1, Some(2));
    // A bad request counts too.
    let (status, remaining, _) = get(&api, "onu/get_onu_status/NOPE").await;
    assert_eq!((status, remaining), (400, Some(1)));
    assert_eq!(get(&api, "system/get_zones").await.1, Some(0));
    let (status, remaining, body) = get(&api, "system/get_zones").await;
    assert_eq!((status, remaining), (429, Some(0)));
    assert_eq!(body["status"], false);
}

#[tokio::test]
async fn unknown_paths_and_methods_are_unknown_methods() {
    let api = serve(fast()).await;
    let (status, _, body) = get(&api, "onu/get_onus_by_pon_port/1").await;
    assert_eq!(status, 405);
    assert_eq!(body["error"], "Unknown method");
    let response = api
        .http
        .post(format!("{}/system/get_olts", api.base))
        .header("X-Token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn bulk_reads_have_their_own_keys_and_string_powers() {
    let api = serve(fast()).await;
    let (status, _, statuses) = get(&api, "onu/get_onus_statuses?olt_id=1").await;
    assert_eq!(status, 200);
    let rows = statuses["response"].as_array().unwrap();
    assert_eq!(rows.len(), 64 + 40 + 36);
    let joao = rows.iter().find(|r| r["name"] == "joao.silva").unwrap();
    assert_eq!(
        (joao["board"].as_str(), joao["port"].as_str()),
        (Some("1"), Some("1"))
    );
    assert_eq!(joao["status"], "Online");
    let changed = joao["last_status_change"].as_str().unwrap();
    assert_eq!(changed.len(), 19, "{changed}");

    let (_, _, signals) = get(&api, "onu/get_onus_signals?olt_id=1").await;
    let signal = signals["response"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unique_external_id"] == joao["unique_external_id"])
        .unwrap();
    let rx = signal["signal_1490"].as_str().unwrap();
    assert!(rx.ends_with(" dBm"), "{rx}");
    let value: f64 = rx.trim_end_matches(" dBm").parse().unwrap();
    let truth = api
        .sim
        .world()
        .subscriber("joao.silva")
        .unwrap()
        .live
        .rx_dbm;
    assert!((value - truth).abs() < 0.006);
    assert!(["Very good", "Warning", "Critical"].contains(&signal["signal"].as_str().unwrap()));

    let (_, _, details) = get(&api, "onu/get_all_onus_details?olt_id=2").await;
    let all = details["onus"].as_array().unwrap().len();
    assert_eq!(all, 48 + 32 + 24);
    // `pon_port` is silently ignored, as the vendor does.
    let (_, _, filtered) = get(&api, "onu/get_all_onus_details?olt_id=2&pon_port=3").await;
    assert_eq!(filtered["onus"].as_array().unwrap().len(), all);
    assert!(details["onus"][0]["board"].is_number());

    let ext = joao["unique_external_id"].as_str().unwrap();
    let (_, _, one) = get(&api, &format!("onu/get_onu_details/{ext}")).await;
    assert_eq!(one["onu_details"]["name"], "joao.silva");
    assert_eq!(one["onu_details"]["olt_name"], "OLT CENTRO");
    let (_, _, signal) = get(&api, &format!("onu/get_onu_signal/{ext}")).await;
    assert_eq!(signal["onu_signal_1490"].as_str(), Some(rx));
}

#[tokio::test]
async fn hex_quirk_onus_answer_only_to_the_hex_form() {
    let api = serve(fast()).await;
    let (external_id, hex, normal) = {
        let w = api.sim.world();
        let quirk = w
            .subscribers
            .iter()
            .filter_map(|s| s.onu())
            .find(|o| o.hex_quirk())
            .expect("the example has hex-quirk onus");
        let normal = w
            .subscribers
            .iter()
            .filter_map(|s| s.onu())
            .find(|o| !o.hex_quirk())
            .unwrap();
        (
            quirk.external_id.clone(),
            quirk.hex_serial(),
            normal.external_id.clone(),
        )
    };
    let (status, _, body) = get(&api, &format!("onu/get_onu_status/{external_id}")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Invalid parameters");
    let (status, _, body) = get(&api, &format!("onu/get_onu_status/{hex}")).await;
    assert_eq!(status, 200);
    assert!(body["onu_status"].is_string());
    let (status, _, _) = get(&api, &format!("onu/get_onu_status/{normal}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_cut_pon_is_grouped_as_an_outage_and_power_failures_apart() {
    let api = serve(fast()).await;
    let (_, _, none) = get(&api, "system/get_outage_pons/1").await;
    assert_eq!(none["response"]["sections"], Value::Array(Vec::new()));

    api.sim
        .inject(Fault::PonCut {
            pon: "olt-centro/1/1".into(),
        })
        .unwrap();
    api.sim
        .inject(Fault::PowerOutage {
            zone: Some("Jardim America".into()),
            pons: Vec::new(),
        })
        .unwrap();
    let (_, _, body) = get(&api, "system/get_outage_pons/1").await;
    let pons: Vec<&Value> = body["response"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["groups"].as_array().unwrap())
        .flat_map(|g| g["pons"].as_array().unwrap())
        .collect();
    assert_eq!(pons.len(), 2, "{body}");
    let cut = pons
        .iter()
        .find(|p| p["port"] == "1" && p["board"] == "1")
        .unwrap();
    assert_eq!(cut["alert_kind"], "los");
    assert_eq!(cut["affected_percent"], 100);
    let power = pons.iter().find(|p| p["board"] == "2").unwrap();
    assert_eq!(power["alert_kind"], "power");
    assert_eq!(power["zone_name"], "Jardim America");
    let (_, _, norte) = get(&api, "system/get_outage_pons/2").await;
    assert_eq!(norte["response"]["sections"], Value::Array(Vec::new()));

    let (_, _, ports) = get(&api, "system/get_olt_pon_ports_details/1").await;
    let first = &ports["response"][0];
    assert_eq!(
        (first["board"].as_u64(), first["pon_port"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(first["online_onus_count"], 0);
}

#[tokio::test]
async fn full_status_is_slow_and_tells_the_last_down_cause() {
    let api = serve(fast()).await;
    api.sim
        .inject(Fault::SubscriberLos {
            login: "maria.souza".into(),
        })
        .unwrap();
    let id = {
        let w = api.sim.world();
        w.subscriber("maria.souza")
            .unwrap()
            .onu()
            .unwrap()
            .hex_serial()
    };
    let started = tokio::time::Instant::now();
    let (status, _, body) = get(&api, &format!("onu/get_onu_full_status_info/{id}")).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(status, 200);
    let details = &body["full_status_json"]["ONU details"];
    assert_eq!(details["Run state"], "offline");
    assert_eq!(details["Last down cause"], "ONT LOSi/LOBi alarm");
    assert_eq!(
        body["full_status_json"]["Optical status"]["Rx optical power(dBm)"],
        "-"
    );
    assert!(
        body["full_status_info"]
            .as_str()
            .unwrap()
            .contains("Last down cause")
    );
}

#[tokio::test]
async fn a_vendor_outage_answers_html_before_anything_is_counted() {
    let api = serve(fast()).await;
    api.sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Smartolt,
            mode: VendorMode::Down,
            delay_ms: 0,
        })
        .unwrap();
    let response = api
        .http
        .get(format!("{}/system/get_olts", api.base))
        .header("X-Token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("x-ratelimit-remaining").is_none());
    assert!(response.text().await.unwrap().contains("<html>"));
}
