//! The cnMaestro view over real HTTP on loopback: the OAuth token flows, bearer checks and
//! expiry, and the lists against the world before and after faults.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::auth::Tokens;
use super::{MAX_LIMIT, TOKEN_TTL, router_with};
use crate::world::Fault;
use crate::{Scenario, Sim};

struct Served {
    sim: Arc<Sim>,
    tokens: Tokens,
    base: String,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve() -> Served {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/small-isp.toml");
    let sim = Sim::new(Scenario::load(&path).expect("the example scenario loads"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds on loopback");
    let addr = listener.local_addr().expect("has an address");
    let tokens = Tokens::new(TOKEN_TTL);
    let router = router_with(sim.clone(), tokens.clone());
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
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds");
    Served {
        sim,
        tokens,
        base: format!("http://{addr}/api/v2"),
        http,
        server,
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

impl Served {
    async fn token_request(
        &self,
        basic: Option<(&str, &str)>,
        body: &str,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self
            .http
            .post(format!("{}/access/token", self.base))
            .header("content-type", FORM)
            .body(body.to_owned());
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request.send().await.expect("token answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let json = response.json().await.expect("json body");
        (status, json, headers)
    }

    async fn token(&self) -> String {
        let c = &self.sim.scenario().credentials;
        let (status, body, _) = self
            .token_request(
                Some((&c.cnmaestro_client_id, &c.cnmaestro_client_secret)),
                "grant_type=client_credentials",
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    async fn get(&self, token: &str, path_and_query: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json body"))
    }
}

fn data(body: &Value) -> &Vec<Value> {
    body["data"].as_array().expect("a data list")
}

#[tokio::test]
async fn tokens_by_basic_or_form_and_oauth_errors() {
    let s = serve().await;
    let c = s.sim.scenario().credentials.clone();
    let (status, body, headers) = s
        .token_request(
            Some((&c.cnmaestro_client_id, &c.cnmaestro_client_secret)),
            "grant_type=client_credentials",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(!body["access_token"].as_str().unwrap_or("").is_empty());
    assert_eq!(headers["cache-control"], "no-store");

    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        c.cnmaestro_client_id, c.cnmaestro_client_secret
    );
    let (status, body, _) = s.token_request(None, &form).await;
    assert_eq!(status, 200, "the form-only variant works too: {body}");

    let (status, body, headers) = s
        .token_request(
            Some((&c.cnmaestro_client_id, "wrong")),
            "grant_type=client_credentials",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(headers.contains_key("www-authenticate"));
    let (status, body, _) = s
        .token_request(
            None,
            "grant_type=client_credentials&client_id=x&client_secret=y",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body, _) = s
        .token_request(
            Some((&c.cnmaestro_client_id, &c.cnmaestro_client_secret)),
            "grant_type=password",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body, _) = s
        .token_request(
            Some((&c.cnmaestro_client_id, &c.cnmaestro_client_secret)),
            "",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn lists_need_a_live_bearer_token() {
    let s = serve().await;
    let response = s
        .http
        .get(format!("{}/devices", s.base))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 401);
    let (status, body) = s.get("not-a-token", "/devices").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    let aged = Instant::now()
        .checked_sub(TOKEN_TTL + Duration::from_secs(1))
        .expect("the clock is past one TTL");
    s.tokens.insert("old-token", aged);
    let (status, body) = s.get("old-token", "/alarms").await;
    assert_eq!(status, 401, "an expired token is refused: {body}");
    let token = s.token().await;
    let (status, _) = s.get(&token, "/alarms").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn devices_are_the_worlds_aps_and_sms_paged_filtered_and_projected() {
    let s = serve().await;
    let token = s.token().await;
    let (aps, sms, jose_mac, ap1_mac) = {
        let w = s.sim.world();
        let jose = w.subscriber("jose.araujo").expect("jose");
        let sm = jose.sm().expect("a radio subscriber");
        (
            w.aps.len(),
            w.subscribers.iter().filter(|x| x.sm().is_some()).count(),
            sm.mac.clone(),
            w.aps[sm.ap].mac.clone(),
        )
    };
    let (status, body) = s.get(&token, "/devices").await;
    assert_eq!(status, 200);
    assert_eq!(body["paging"]["total"], aps + sms);
    assert_eq!(body["paging"]["limit"], MAX_LIMIT);
    assert_eq!(data(&body).len(), aps + sms);
    let jose = data(&body)
        .iter()
        .find(|d| d["name"] == "jose.araujo")
        .expect("jose's SM is named by his login");
    assert_eq!(jose["mode"], "sm");
    assert_eq!(jose["type"], "pmp");
    assert_eq!(jose["mac"], jose_mac.as_str());
    assert_eq!(jose["ap_mac"], ap1_mac.as_str());
    assert_eq!(jose["tower"], "Torre Serra");
    assert_eq!(jose["status"], "online");
    assert_eq!(jose["online"], true);

    let (_, page) = s.get(&token, "/devices?limit=7&offset=28").await;
    assert_eq!(page["paging"]["offset"], 28);
    assert_eq!(data(&page).len(), (aps + sms).saturating_sub(28).min(7));
    let (_, aps_only) = s.get(&token, "/devices?mode=ap&type=epmp").await;
    assert_eq!(data(&aps_only).len(), 1);
    assert_eq!(data(&aps_only)[0]["name"], "AP-SERRA-2");
    let (_, projected) = s
        .get(
            &token,
            &format!("/devices/{}?fields=name,mac", jose_mac.to_lowercase()),
        )
        .await;
    assert_eq!(data(&projected).len(), 1);
    let keys: Vec<&String> = data(&projected)[0]
        .as_object()
        .expect("object")
        .keys()
        .collect();
    assert_eq!(keys, ["mac", "name"]);
    let (status, _) = s.get(&token, "/devices/00:00:00:00:00:01").await;
    assert_eq!(status, 404);
    let (status, body) = s.get(&token, "/devices?limit=ten").await;
    assert_eq!(status, 422, "{body}");
    let (_, nets) = s.get(&token, "/networks").await;
    assert_eq!(data(&nets)[0]["name"], "default");
    let (_, towers) = s.get(&token, "/networks/default/towers").await;
    assert_eq!(data(&towers)[0]["name"], "Torre Serra");
}

#[tokio::test]
async fn an_ap_down_takes_its_sms_offline_with_alarms() {
    let s = serve().await;
    let token = s.token().await;
    let (_, alarms) = s.get(&token, "/alarms").await;
    assert!(data(&alarms).is_empty(), "a healthy world has no alarms");
    let (_, stats) = s
        .get(&token, "/devices/statistics?fields=name,status,connected_sms,radio.dl_rssi,radio.dl_snr_v,radio.dl_snr_h&mode=ap")
        .await;
    let ap1 = data(&stats)
        .iter()
        .find(|d| d["name"] == "AP-SERRA-1")
        .expect("ap1")
        .clone();
    assert_eq!(ap1["connected_sms"], 16);

    let (rssi, snr) = {
        let w = s.sim.world();
        let sm = w
            .subscriber("jose.araujo")
            .and_then(|x| x.sm())
            .expect("sm");
        (sm.base_rssi_dbm, sm.base_snr_db)
    };
    let (_, stats) = s.get(&token, "/devices/statistics?mode=sm&type=pmp").await;
    let jose = data(&stats)
        .iter()
        .find(|d| d["name"] == "jose.araujo")
        .expect("jose")
        .clone();
    assert_eq!(jose["radio"]["dl_rssi"].as_f64(), Some(rssi));
    assert_eq!(jose["radio"]["dl_snr_v"].as_f64(), Some(snr));
    assert!(jose["radio"]["dl_snr_h"].as_f64().is_some_and(|h| h < snr));

    s.sim
        .inject(Fault::ApDown {
            ap: "AP-SERRA-1".into(),
        })
        .expect("valid fault");
    let (_, stats) = s
        .get(&token, "/devices/statistics?tower=Torre%20Serra")
        .await;
    let offline: Vec<&Value> = data(&stats)
        .iter()
        .filter(|d| d["status"] == "offline")
        .collect();
    assert_eq!(offline.len(), 17, "the AP and its 16 SMs");
    let jose = offline
        .iter()
        .find(|d| d["name"] == "jose.araujo")
        .expect("jose is offline");
    assert!(
        jose["radio"]["dl_rssi"].is_null(),
        "no readings while offline"
    );
    let (_, alarms) = s.get(&token, "/alarms?severity=major").await;
    assert_eq!(data(&alarms).len(), 17);
    let ap_alarm = data(&alarms)
        .iter()
        .find(|a| a["source"] == "AP-SERRA-1")
        .expect("the AP's alarm");
    assert_eq!(ap_alarm["code"], "STATUS");
    assert_eq!(ap_alarm["message"], "Device is offline.");
    assert_eq!(ap_alarm["status"], "active");
    assert!(
        ap_alarm["time_raised"]
            .as_str()
            .is_some_and(|t| t.ends_with("-03:00")),
        "local time with its offset: {}",
        ap_alarm["time_raised"]
    );
    let (_, other) = s.get(&token, "/alarms?tower=elsewhere").await;
    assert!(data(&other).is_empty());

    s.sim.repair_all();
    let (_, alarms) = s.get(&token, "/alarms").await;
    assert!(data(&alarms).is_empty(), "repaired: the alarms clear");
}
