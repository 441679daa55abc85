//! The IXC view over real HTTP on loopback, and its tables against the world.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::tables::{self, Row};
use super::{Options, router_with};
use crate::world::{Billing, Fault};
use crate::{Scenario, Sim};

fn sim() -> Arc<Sim> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/small-isp.toml");
    Sim::new(Scenario::load(&path).expect("the example scenario loads"))
}

struct Served {
    sim: Arc<Sim>,
    base: String,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(options: Options) -> Served {
    let sim = sim();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds on loopback");
    let addr = listener.local_addr().expect("has an address");
    let router = router_with(sim.clone(), options);
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
        base: format!("http://{addr}/webservice/v1"),
        http,
        server,
    }
}

impl Served {
    /// POST `table` with `ixcsoft: listar` and the scenario's credentials.
    async fn list(&self, table: &str, body: Value) -> (u16, String) {
        let c = &self.sim.scenario().credentials;
        let response = self
            .http
            .post(format!("{}/{table}", self.base))
            .basic_auth(&c.ixc_user_id, Some(&c.ixc_token))
            .header("ixcsoft", "listar")
            .json(&body)
            .send()
            .await
            .expect("the simulator answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    async fn list_json(&self, table: &str, body: Value) -> Value {
        let (status, text) = self.list(table, body).await;
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

fn registros(answer: &Value) -> Vec<Value> {
    answer["registros"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn active_logins_come_in_pages_with_every_value_a_string() {
    let served = serve(Options::default()).await;
    let active = served
        .sim
        .world()
        .subscribers
        .iter()
        .filter(|s| !s.churned && s.billing != Billing::Cancelled)
        .count();
    let grid = json!([{"TB": "radusuarios.ativo", "OP": "=", "P": "S"}]).to_string();
    let mut logins = Vec::new();
    let mut page = 1;
    loop {
        let answer = served
            .list_json(
                "radusuarios",
                json!({"grid_param": grid, "page": page.to_string(), "rp": "100",
                       "sortname": "radusuarios.id", "sortorder": "asc"}),
            )
            .await;
        assert_eq!(answer["total"], active.to_string());
        assert_eq!(answer["page"], page.to_string());
        let rows = registros(&answer);
        if rows.is_empty() {
            assert!(
                answer.get("registros").is_none(),
                "empty pages omit registros"
            );
            break;
        }
        for row in &rows {
            let object = row.as_object().expect("rows are objects");
            assert!(object.values().all(Value::is_string), "{row}");
            assert_eq!(row["ativo"], "S");
            logins.push(row["login"].as_str().unwrap_or_default().to_owned());
        }
        page += 1;
    }
    assert_eq!(page, active.div_ceil(100) + 1);
    assert_eq!(logins.len(), active);
    let mut unique = logins.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), active, "no login twice across pages");
}

#[tokio::test]
async fn single_filters_sort_and_like() {
    let served = serve(Options::default()).await;
    let joao = served
        .list_json(
            "radusuarios",
            json!({"qtype": "radusuarios.login", "query": "joao.silva", "oper": "="}),
        )
        .await;
    assert_eq!(joao["total"], "1");
    let row = &registros(&joao)[0];
    assert_eq!(row["conexao"], "OLT-HW-CENTRO-B1-P1");
    assert_eq!(row["concentrador"], "10.200.0.1");
    assert_eq!(row["online"], "S");
    let serial = {
        let world = served.sim.world();
        let truth = world.subscriber("joao.silva").expect("pinned");
        truth.onu().expect("fibre").hex_serial()
    };
    assert_eq!(row["onu_mac"], serial);

    let like = served
        .list_json(
            "radusuarios",
            json!({"qtype": "login", "query": "SILVA", "oper": "L", "rp": "1000",
                   "sortname": "id", "sortorder": "desc"}),
        )
        .await;
    let rows = registros(&like);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["login"].as_str().is_some_and(|l| l.contains("silva")))
    );
    let ids: Vec<u64> = rows
        .iter()
        .map(|r| {
            r["id"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("numeric ids")
        })
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "sorted descending: {ids:?}"
    );

    let above = served
        .list_json(
            "cliente",
            json!({"qtype": "cliente.id", "query": "1200", "oper": ">=", "rp": "1000"}),
        )
        .await;
    let total: usize = above["total"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("total");
    assert_eq!(total, 272 - 199, "customer ids run 1001..=1272");
}

#[tokio::test]
async fn in_needs_two_values_and_errors_are_logical() {
    let served = serve(Options::default()).await;
    let two = json!([{"TB": "cliente_contrato.status_internet", "OP": "IN", "P": "CA,CM"}]);
    let answer = served
        .list_json(
            "cliente_contrato",
            json!({"grid_param": two.to_string(), "rp": "1000"}),
        )
        .await;
    assert!(
        registros(&answer)
            .iter()
            .all(|r| r["status_internet"] == "CA")
    );

    let one = json!([{"TB": "cliente_contrato.id", "OP": "IN", "P": "41001"}]);
    let (status, text) = served
        .list("cliente_contrato", json!({"grid_param": one.to_string()}))
        .await;
    assert_eq!(status, 200);
    assert!(text.contains("<b>Fatal error</b>"), "{text}");

    for (table, body, needle) in [
        ("su_inexistente", json!({}), "não encontrado"),
        (
            "radusuarios",
            json!({"qtype": "radusuarios.nope", "query": "1"}),
            "nope",
        ),
        (
            "radusuarios",
            json!({"qtype": "cliente.id", "query": "1"}),
            "inválido",
        ),
        ("radusuarios", json!({"sortname": "nope"}), "nope"),
        ("radusuarios", json!({"rp": "many"}), "rp"),
    ] {
        let answer = served.list_json(table, body).await;
        assert_eq!(answer["type"], "error", "{answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{message}");
    }
}

#[tokio::test]
async fn credentials_and_the_listar_header_are_required() {
    let served = serve(Options::default()).await;
    let url = format!("{}/radusuarios", served.base);
    let wrong = served
        .http
        .post(&url)
        .basic_auth("7", Some("not-the-token"))
        .header("ixcsoft", "listar")
        .json(&json!({}))
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status(), 401);
    let missing = served
        .http
        .post(&url)
        .json(&json!({}))
        .send()
        .await
        .expect("answers");
    assert_eq!(missing.status(), 401);

    let c = &served.sim.scenario().credentials;
    let insert = served
        .http
        .post(&url)
        .basic_auth(&c.ixc_user_id, Some(&c.ixc_token))
        .json(&json!({"login": "novo", "senha": "x"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(insert.status(), 200);
    let answer: Value = insert.json().await.expect("json");
    assert_eq!(answer["type"], "error");
    assert_eq!(
        served
            .sim
            .world()
            .subscriber("novo")
            .map(|s| s.login.clone()),
        None
    );
}

#[tokio::test]
async fn billing_block_and_pon_cut_show_in_the_tables() {
    let served = serve(Options::default()).await;
    served
        .sim
        .inject(Fault::BillingBlock {
            login: "maria.souza".into(),
        })
        .expect("a known login");
    served
        .sim
        .inject(Fault::PonCut {
            pon: "olt-norte/1/1".into(),
        })
        .expect("a known PON");
    let (customer_id, contract_id) = {
        let w = served.sim.world();
        let maria = w.subscriber("maria.souza").expect("pinned");
        (maria.customer_id, maria.contract_id)
    };
    let contract = served
        .list_json(
            "cliente_contrato",
            json!({"qtype": "cliente_contrato.id", "query": contract_id.to_string()}),
        )
        .await;
    assert_eq!(registros(&contract)[0]["status_internet"], "CA");
    assert_eq!(
        registros(&contract)[0]["id_cliente"],
        customer_id.to_string()
    );

    let offline = served
        .list_json(
            "radusuarios",
            json!({"grid_param": json!([
                {"TB": "radusuarios.conexao", "OP": "=", "P": "OLT-ZTE-NORTE-B1-P1"},
                {"TB": "radusuarios.online", "OP": "=", "P": "S"}
            ]).to_string()}),
        )
        .await;
    assert_eq!(offline["total"], "0");
    assert!(offline.get("registros").is_none());
    let fibra = served
        .list_json(
            "radpop_radio_cliente_fibra",
            json!({"qtype": "radpop_radio_cliente_fibra.ponid", "query": "1/1", "rp": "1000"}),
        )
        .await;
    let w = served.sim.world();
    let los = registros(&fibra)
        .iter()
        .filter(|r| r["status"] == "LOS")
        .count();
    let expected = w
        .subscribers
        .iter()
        .filter(|s| s.onu().is_some() && s.live.onu_status == crate::world::OnuStatus::Los)
        .filter(|s| {
            s.onu()
                .is_some_and(|o| w.pons[o.pon].board == 1 && w.pons[o.pon].port == 1)
        })
        .count();
    assert_eq!(los, expected);
    assert!(los >= 48, "the cut PON alone has 48 ONUs");
}

#[test]
fn the_online_flag_trails_the_sessions_by_the_lag() {
    let sim = sim();
    sim.inject(Fault::PonCut {
        pon: "olt-centro/1/1".into(),
    })
    .expect("a known PON");
    let w = sim.world();
    let now = OffsetDateTime::now_utc();
    let flag = |options: Options| -> String {
        let rows = tables::rows(&w, "radusuarios", now, options);
        let row: &Row = rows
            .iter()
            .find(|r| r.get("login") == "joao.silva")
            .expect("pinned login");
        row.get("online").to_owned()
    };
    assert_eq!(flag(Options::default()), "N");
    let lagged = Options {
        online_lag: Duration::from_secs(300),
    };
    assert_eq!(flag(lagged), "S", "the drop is not seen within the lag");
}

#[test]
fn every_row_has_its_table_columns_in_order() {
    let sim = sim();
    let w = sim.world();
    let now = OffsetDateTime::now_utc();
    for table in [
        "radusuarios",
        "cliente",
        "cliente_contrato",
        "radpop_radio_cliente_fibra",
    ] {
        let fields = tables::fields(table).expect("a table");
        let rows = tables::rows(&w, table, now, Options::default());
        assert!(!rows.is_empty(), "{table}");
        for row in rows {
            assert!(row.columns().eq(fields.iter().copied()), "{table}");
        }
    }
}
