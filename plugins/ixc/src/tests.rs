//! Native tests: a scripted IXC behind a [`Host`] (paging done like IXC does it, from row
//! fixtures), the failures IXC and its proxies produce, and the units that parse IXC's text.

mod errors;
mod run;
mod units;

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Value, json};
use vigia_plugin_sdk::http::{Request, Response};
use vigia_plugin_sdk::icmp::{EchoRequest, EchoResult};
use vigia_plugin_sdk::snmp::{Device, Varbind};
use vigia_plugin_sdk::tcp::TlsOptions;
use vigia_plugin_sdk::testing::{self, FakeConnection, FakeHost};
use vigia_plugin_sdk::{
    BillingState, Customer, EdgeKind, EntityKind, ErrorClass, HostError, PppoeSession, TopologyEdge,
};

use super::*;

const NOW: u64 = 1_700_000_000_000;
const BASE: &str = "https://ixc.example.com.br/webservice/v1";
const SECRET: &str = "6:4dac0b5e9c7f4e1a";

/// What the fake IXC answers one request with.
type Answer = Result<Response, HostError>;

/// A fake IXC install: tables of rows, paged as IXC pages them, or a scripted answer per table
/// (and page). Everything else (`log`, clock, secrets) is a [`FakeHost`].
struct FakeIxc {
    inner: FakeHost,
    tables: BTreeMap<String, Vec<Value>>,
    /// `(table, page or 0 for any)` → answer.
    scripted: BTreeMap<(String, u32), Answer>,
    /// Honour `rp` up to this many rows (IXC installs cap it).
    max_rp: usize,
    requests: RefCell<Vec<Request>>,
}

impl FakeIxc {
    fn new() -> Self {
        Self {
            inner: FakeHost::new().clock(NOW).secret("ixc-token", SECRET),
            tables: BTreeMap::new(),
            scripted: BTreeMap::new(),
            max_rp: 1000,
            requests: RefCell::new(Vec::new()),
        }
    }

    fn table(mut self, name: &str, rows: Vec<Value>) -> Self {
        self.tables.insert(name.to_owned(), rows);
        self
    }

    /// `table` answers `answer` on `page` (0: every page).
    fn script(mut self, table: &str, page: u32, answer: Answer) -> Self {
        self.scripted.insert((table.to_owned(), page), answer);
        self
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.borrow().clone()
    }

    /// The bodies of the requests, parsed.
    fn bodies(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .map(|r| serde_json::from_slice(r.body.as_deref().unwrap_or(b"{}")).expect("json body"))
            .collect()
    }

    fn answer(&self, request: &Request) -> Answer {
        let table = request
            .url
            .strip_prefix(BASE)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or("")
            .to_owned();
        let body: Value = serde_json::from_slice(request.body.as_deref().unwrap_or(b"{}"))
            .expect("the plugin sends json");
        let number = |key: &str| -> usize {
            body[key]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("page and rp are strings")
        };
        let page = number("page");
        for key in [(table.clone(), page as u32), (table.clone(), 0)] {
            if let Some(answer) = self.scripted.get(&key) {
                return answer.clone();
            }
        }
        let Some(rows) = self.tables.get(&table) else {
            return Ok(json_response(
                &json!({"type": "error", "message": format!("Formulário '{table}' não encontrado")}),
            ));
        };
        let grid: Vec<Value> = body["grid_param"]
            .as_str()
            .map(|g| serde_json::from_str(g).expect("grid_param is a json string"))
            .unwrap_or_default();
        let matching: Vec<&Value> = rows
            .iter()
            .filter(|row| {
                grid.iter().all(|c| {
                    let column = c["TB"]
                        .as_str()
                        .and_then(|t| t.split_once('.'))
                        .map(|(_, c)| c);
                    let cell = column.and_then(|c| row[c].as_str()).unwrap_or("");
                    match c["OP"].as_str() {
                        Some("=") => Some(cell) == c["P"].as_str(),
                        Some("!=") => Some(cell) != c["P"].as_str(),
                        other => panic!("the fake does not know OP {other:?}"),
                    }
                })
            })
            .collect();
        let rp = number("rp").min(self.max_rp);
        let page_rows: Vec<&Value> = matching
            .iter()
            .copied()
            .skip((page - 1) * rp)
            .take(rp)
            .collect();
        let mut answer = json!({"page": page.to_string(), "total": matching.len().to_string()});
        if !page_rows.is_empty() {
            answer["registros"] = json!(page_rows);
        }
        Ok(json_response(&answer))
    }
}

fn json_response(value: &Value) -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: value.to_string().into_bytes(),
    }
}

fn raw(status: u16, content_type: &str, body: &str) -> Answer {
    Ok(Response {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        body: body.as_bytes().to_vec(),
    })
}

impl Host for FakeIxc {
    type Connection = FakeConnection;

    fn log(&self, level: Level, message: &str) {
        self.inner.log(level, message);
    }
    fn now_ms(&self) -> u64 {
        self.inner.now_ms()
    }
    fn monotonic_ns(&self) -> u64 {
        self.inner.monotonic_ns()
    }
    fn icmp_echo(&self, requests: &[EchoRequest]) -> Result<Vec<EchoResult>, HostError> {
        self.inner.icmp_echo(requests)
    }
    fn snmp_get(&self, device: &Device, oids: &[String]) -> Result<Vec<Varbind>, HostError> {
        self.inner.snmp_get(device, oids)
    }
    fn snmp_get_next(&self, device: &Device, oids: &[String]) -> Result<Vec<Varbind>, HostError> {
        self.inner.snmp_get_next(device, oids)
    }
    fn snmp_get_bulk(
        &self,
        device: &Device,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[String],
    ) -> Result<Vec<Varbind>, HostError> {
        self.inner
            .snmp_get_bulk(device, non_repeaters, max_repetitions, oids)
    }
    fn snmp_walk(
        &self,
        device: &Device,
        root: &str,
        max_rows: u32,
    ) -> Result<Vec<Varbind>, HostError> {
        self.inner.snmp_walk(device, root, max_rows)
    }
    fn http_send(&self, request: &Request) -> Result<Response, HostError> {
        self.requests.borrow_mut().push(request.clone());
        self.answer(request)
    }
    fn tcp_connect(
        &self,
        host: &str,
        port: u16,
        tls: Option<&TlsOptions>,
        timeout_ms: u32,
    ) -> Result<FakeConnection, HostError> {
        self.inner.tcp_connect(host, port, tls, timeout_ms)
    }
    fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, HostError> {
        self.inner.kv_get(key)
    }
    fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), HostError> {
        self.inner.kv_set(key, value)
    }
    fn kv_delete(&self, key: &str) -> Result<(), HostError> {
        self.inner.kv_delete(key)
    }
    fn get_secret(&self, name: &str) -> Result<String, HostError> {
        self.inner.get_secret(name)
    }
}

fn install() -> Target {
    Target::new("ixc-main", "https://ixc.example.com.br/").with_label("site", "hq")
}

fn config(extra: &str) -> String {
    let base = r#""token_secret": "ixc-token""#;
    if extra.is_empty() {
        format!("{{{base}}}")
    } else {
        format!("{{{base}, {extra}}}")
    }
}

fn run(config: &str, host: &FakeIxc) -> Result<Vec<Observation>, PluginError> {
    testing::run::<Ixc>(config, &[install()], host)
}

/// A `radusuarios` row as IXC sends it, secrets included.
fn login_row(id: u32, login: &str, online: bool) -> Value {
    json!({
        "id": id.to_string(), "id_cliente": (id + 1000).to_string(), "id_contrato": (id + 5000).to_string(),
        "login": login, "senha": format!("pw-{login}-SECRET"), "ativo": "S",
        "online": if online { "S" } else { "N" }, "conexao": "OLT-HW-CB-C3-P63306",
        "id_concentrador": "1", "concentrador": "10.200.0.1", "id_transmissor": "3",
        "ip": "100.64.0.10", "mac": "B0:A7:B9:9E:E2:E3", "onu_mac": "48575443E55DA5AC",
        "ultima_conexao_inicial": "2024-09-29 23:11:51", "ultima_conexao_final": "2024-09-28 10:00:00",
        "motivo_desconexao": "Lost-Carrier", "count_desconexao": "3",
        "senha_rede_sem_fio": "wifi-SECRET", "senha_router1": "adm-SECRET", "latitude": "-27.1", "longitude": "-52.6"
    })
}

fn customer_row(id: u32, name: &str) -> Value {
    json!({"id": id.to_string(), "razao": name, "ativo": "S", "endereco": "Rua das Flores",
           "numero": "12", "bairro": "Centro", "cidade": "Chapecó", "status_internet": "A",
           "senha": "hotsite-SECRET", "cnpj_cpf": "529.982.247-25"})
}

fn contract_row(id: u32, customer: u32, status: &str, status_internet: &str) -> Value {
    json!({"id": id.to_string(), "id_cliente": customer.to_string(), "status": status,
           "status_internet": status_internet, "contrato": "FIBRA 300 MEGA"})
}

fn sessions(observations: &[Observation]) -> Vec<&PppoeSession> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::PppoeSession(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn customers(observations: &[Observation]) -> Vec<&Customer> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Customer(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn edges(observations: &[Observation]) -> Vec<&TopologyEdge> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::TopologyEdge(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn failures(observations: &[Observation]) -> Vec<(ErrorClass, String)> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Failure(e) => Some((e.class, e.message.clone())),
            _ => None,
        })
        .collect()
}

fn metric(observations: &[Observation], name: &str) -> Option<f64> {
    observations.iter().find_map(|o| match &o.kind {
        ObservationKind::Metric(m) if m.name == name => Some(m.value),
        _ => None,
    })
}
