//! The IXC tables, derived from the world: one `radusuarios` login, one `cliente` and one
//! `cliente_contrato` per subscriber, and a `radpop_radio_cliente_fibra` row per ONU. Every value
//! is a string, as IXC sends them.
//!
//! Mappings (documented in `docs/plugins/ixc.md`):
//! - `ativo`: `N` for a cancelled contract (churned subscribers), `S` otherwise.
//! - `status_internet`: active `A`, warned `AA`, blocked `CA`, cancelled `D` (contract status `C`).
//! - `motivo_desconexao`: the RADIUS terminate cause of the world's RouterOS reason
//!   (`hung-up` → `Lost-Carrier`, `nas-request` → `NAS-Request`, `peer-request` → `User-Request`).
//! - `id_transmissor`: OLT `n` is `n` (1-based); AP `n` is `100 + n`.
//! - The start of a session that already ended is not in the world: `ultima_conexao_inicial` of
//!   an offline login is invented (a few hours before its end), deterministically.

use std::time::Duration;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::macros::format_description;

use super::Options;
use crate::world::{Access, Billing, OnuStatus, Subscriber, World};

/// One row: columns in a fixed order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(Vec<(&'static str, String)>);

impl Row {
    /// The value of a column, `""` when the row has none.
    pub(crate) fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map_or("", |(_, value)| value.as_str())
    }

    #[cfg(test)]
    pub(crate) fn columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(name, _)| *name)
    }
}

pub(crate) fn to_json(row: Row) -> Value {
    let map: Map<String, Value> = row
        .0
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .collect();
    Value::Object(map)
}

pub(crate) const RADUSUARIOS: &[&str] = &[
    "id",
    "id_cliente",
    "id_contrato",
    "id_grupo",
    "login",
    "senha",
    "ativo",
    "online",
    "conexao",
    "id_concentrador",
    "concentrador",
    "id_transmissor",
    "interface_transmissao",
    "id_porta_transmissor",
    "id_caixa_ftth",
    "ftth_porta",
    "splitter",
    "tipo_conexao",
    "tipo_conexao_mapa",
    "ip",
    "mac",
    "onu_mac",
    "vlan",
    "ultima_conexao_inicial",
    "ultima_conexao_final",
    "tempo_conectado",
    "motivo_desconexao",
    "count_desconexao",
    "acct_session_id",
    "upload_atual",
    "download_atual",
    "latitude",
    "longitude",
    "endereco",
    "numero",
    "bairro",
    "cidade",
    "cep",
    "complemento",
    "id_filial",
    "ultima_atualizacao",
    "autenticacao",
    "login_simultaneo",
    "senha_rede_sem_fio",
    "senha_router1",
    "senha_router2",
];

pub(crate) const CLIENTE: &[&str] = &[
    "id",
    "razao",
    "fantasia",
    "cnpj_cpf",
    "tipo_pessoa",
    "ativo",
    "email",
    "fone",
    "telefone_celular",
    "whatsapp",
    "endereco",
    "numero",
    "bairro",
    "cidade",
    "cep",
    "complemento",
    "latitude",
    "longitude",
    "obs",
    "alerta",
    "status_internet",
    "bloqueio_automatico",
    "hotsite_email",
    "senha",
];

pub(crate) const CLIENTE_CONTRATO: &[&str] = &[
    "id",
    "id_cliente",
    "status",
    "status_internet",
    "contrato",
    "id_vd_contrato",
    "data_ativacao",
    "data_cancelamento",
    "bloqueio_automatico",
    "endereco",
    "numero",
    "bairro",
    "cidade",
    "complemento",
    "obs",
];

pub(crate) const RADPOP_FIBRA: &[&str] = &[
    "id",
    "id_login",
    "id_contrato",
    "id_cliente",
    "nome",
    "mac",
    "onu_numero",
    "ponid",
    "id_transmissor",
    "id_caixa_ftth",
    "porta_ftth",
    "sinal_rx",
    "sinal_tx",
    "status",
    "causa_ultima_queda",
];

/// The city every generated address is in (area code 49).
const CITY: &str = "Chapecó";
const CEP: &str = "89801-000";
/// MySQL's zero date, what IXC shows for "never".
const NEVER: &str = "0000-00-00 00:00:00";

/// The columns of a table, `None` for a table the simulator does not have.
pub(crate) fn fields(table: &str) -> Option<&'static [&'static str]> {
    match table {
        "radusuarios" => Some(RADUSUARIOS),
        "cliente" => Some(CLIENTE),
        "cliente_contrato" => Some(CLIENTE_CONTRATO),
        "radpop_radio_cliente_fibra" => Some(RADPOP_FIBRA),
        _ => None,
    }
}

pub(crate) fn exists(table: &str) -> bool {
    fields(table).is_some()
}

/// Every row of `table` as of `now`.
pub(crate) fn rows(world: &World, table: &str, now: OffsetDateTime, options: Options) -> Vec<Row> {
    let subs = world.subscribers.iter();
    match table {
        "radusuarios" => subs.map(|s| login(world, s, now, options)).collect(),
        "cliente" => subs.map(customer).collect(),
        "cliente_contrato" => subs.map(|s| contract(world, s)).collect(),
        "radpop_radio_cliente_fibra" => subs.filter_map(|s| onu(world, s)).collect(),
        _ => Vec::new(),
    }
}

fn local(world: &World, at: OffsetDateTime) -> String {
    world
        .local(at)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_else(|_| NEVER.to_owned())
}

fn local_date(world: &World, at: OffsetDateTime) -> String {
    world
        .local(at)
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_else(|_| "0000-00-00".to_owned())
}

fn yes_no(flag: bool) -> String {
    if flag { "S" } else { "N" }.to_owned()
}

/// A small stable hash, for derived values (secrets, coordinates).
fn mix(text: &str, salt: u64) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325 ^ salt, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn street_and_number(address: &str) -> (String, String) {
    match address.rsplit_once(", ") {
        Some((street, number)) => (street.to_owned(), number.to_owned()),
        None => (address.to_owned(), "SN".to_owned()),
    }
}

fn coordinates(sub: &Subscriber) -> (String, String) {
    let h = mix(&sub.login, 7);
    let lat = -27.1004 + ((h % 4000) as f64 - 2000.0) / 100_000.0;
    let lon = -52.6152 + (((h >> 16) % 4000) as f64 - 2000.0) / 100_000.0;
    (format!("{lat:.6}"), format!("{lon:.6}"))
}

/// `cliente_contrato.status_internet` of a billing state.
pub(crate) fn status_internet(billing: Billing) -> &'static str {
    match billing {
        Billing::Active => "A",
        Billing::Warned => "AA",
        Billing::Blocked => "CA",
        Billing::Cancelled => "D",
    }
}

fn cancelled(sub: &Subscriber) -> bool {
    sub.churned || sub.billing == Billing::Cancelled
}

/// RADIUS `Acct-Terminate-Cause` for the RouterOS disconnect reason.
fn terminate_cause(reason: &str) -> &'static str {
    match reason {
        "hung-up" => "Lost-Carrier",
        "nas-request" => "NAS-Request",
        "peer-request" => "User-Request",
        _ => "Lost-Service",
    }
}

/// Whether IXC shows the login online: the session state `lag` ago. A session that started
/// within the lag is not seen yet (unless the one before it ended within the lag too); one that
/// ended within the lag is still shown.
fn online_flag(sub: &Subscriber, now: OffsetDateTime, lag: Duration) -> bool {
    let cutoff = now - lag;
    let ended_recently = sub.live.last_logout.is_some_and(|at| at > cutoff);
    match &sub.live.session {
        Some(session) => session.since <= cutoff || ended_recently,
        None => ended_recently,
    }
}

fn transmitter(world: &World, sub: &Subscriber) -> (u32, String) {
    match &sub.access {
        Access::Fibre(onu) => {
            let pon = &world.pons[onu.pon];
            (pon.olt as u32 + 1, format!("{}/{}", pon.board, pon.port))
        }
        Access::Radio(sm) => (100 + sm.ap as u32 + 1, world.aps[sm.ap].name.clone()),
    }
}

fn login(world: &World, sub: &Subscriber, now: OffsetDateTime, options: Options) -> Row {
    let live = &sub.live;
    let concentrator = &world.concentrators[sub.concentrator];
    let plan = &world.plans[sub.plan];
    let (id_transmissor, interface) = transmitter(world, sub);
    let (street, number) = street_and_number(&sub.address);
    let (lat, lon) = coordinates(sub);
    let (splitter_id, splitter_name, ftth_port, onu_mac, map_kind) = match &sub.access {
        Access::Fibre(onu) => (
            world.splitters[onu.splitter].id.to_string(),
            world.splitters[onu.splitter].name.clone(),
            ((onu.onu_id - 1) % 16 + 1).to_string(),
            onu.hex_serial(),
            "FTTH",
        ),
        Access::Radio(_) => (
            "0".to_owned(),
            String::new(),
            "0".to_owned(),
            String::new(),
            "Radio",
        ),
    };
    let started = match (&live.session, live.last_logout) {
        (Some(session), _) => local(world, session.since),
        (None, Some(end)) => {
            let hours = 1 + mix(&sub.login, 3) % 240;
            local(world, end - time::Duration::hours(hours as i64))
        }
        (None, None) => NEVER.to_owned(),
    };
    let connected_secs = live
        .session
        .as_ref()
        .map_or(0, |s| (now - s.since).whole_seconds().max(0));
    let secret = |salt: u64, prefix: &str| format!("{prefix}{:010x}", mix(&sub.password, salt));
    Row(vec![
        ("id", sub.login_id.to_string()),
        ("id_cliente", sub.customer_id.to_string()),
        ("id_contrato", sub.contract_id.to_string()),
        ("id_grupo", "1".to_owned()),
        ("login", sub.login.clone()),
        ("senha", sub.password.clone()),
        ("ativo", yes_no(!cancelled(sub))),
        ("online", yes_no(online_flag(sub, now, options.online_lag))),
        ("conexao", sub.conexao(world).to_owned()),
        ("id_concentrador", concentrator.crm_id.to_string()),
        ("concentrador", concentrator.address.to_string()),
        ("id_transmissor", id_transmissor.to_string()),
        ("interface_transmissao", interface),
        ("id_porta_transmissor", "0".to_owned()),
        ("id_caixa_ftth", splitter_id),
        ("ftth_porta", ftth_port),
        ("splitter", splitter_name),
        ("tipo_conexao", "Ethernet".to_owned()),
        ("tipo_conexao_mapa", map_kind.to_owned()),
        ("ip", sub.cpe_ip.to_string()),
        ("mac", sub.cpe_mac.clone()),
        ("onu_mac", onu_mac),
        ("vlan", String::new()),
        ("ultima_conexao_inicial", started),
        (
            "ultima_conexao_final",
            live.last_logout
                .map_or_else(|| NEVER.to_owned(), |at| local(world, at)),
        ),
        ("tempo_conectado", connected_secs.to_string()),
        (
            "motivo_desconexao",
            live.last_disconnect_reason
                .map_or("", terminate_cause)
                .to_owned(),
        ),
        ("count_desconexao", live.disconnects.to_string()),
        (
            "acct_session_id",
            live.session
                .as_ref()
                .map_or_else(String::new, |s| format!("{:08X}", s.session_id)),
        ),
        ("upload_atual", (plan.upload_mbps * 1024).to_string()),
        ("download_atual", (plan.download_mbps * 1024).to_string()),
        ("latitude", lat),
        ("longitude", lon),
        ("endereco", street),
        ("numero", number),
        ("bairro", sub.district.clone()),
        ("cidade", CITY.to_owned()),
        ("cep", CEP.to_owned()),
        ("complemento", String::new()),
        ("id_filial", "1".to_owned()),
        ("ultima_atualizacao", local(world, now)),
        ("autenticacao", "L".to_owned()),
        ("login_simultaneo", "1".to_owned()),
        ("senha_rede_sem_fio", secret(11, "wifi")),
        ("senha_router1", secret(13, "adm")),
        ("senha_router2", secret(17, "sup")),
    ])
}

fn customer(sub: &Subscriber) -> Row {
    let (street, number) = street_and_number(&sub.address);
    let (lat, lon) = coordinates(sub);
    let email = format!("{}@email.com.br", sub.login);
    Row(vec![
        ("id", sub.customer_id.to_string()),
        ("razao", sub.name.clone()),
        ("fantasia", String::new()),
        ("cnpj_cpf", sub.document.clone()),
        ("tipo_pessoa", "F".to_owned()),
        ("ativo", yes_no(!cancelled(sub))),
        ("email", email.clone()),
        ("fone", sub.phone.clone()),
        ("telefone_celular", sub.phone.clone()),
        ("whatsapp", sub.phone.clone()),
        ("endereco", street),
        ("numero", number),
        ("bairro", sub.district.clone()),
        ("cidade", CITY.to_owned()),
        ("cep", CEP.to_owned()),
        ("complemento", String::new()),
        ("latitude", lat),
        ("longitude", lon),
        ("obs", String::new()),
        ("alerta", String::new()),
        (
            "status_internet",
            status_internet(sub.live.billing).to_owned(),
        ),
        ("bloqueio_automatico", "S".to_owned()),
        ("hotsite_email", email),
        ("senha", format!("cs{:08x}", mix(&sub.password, 19) as u32)),
    ])
}

fn contract(world: &World, sub: &Subscriber) -> Row {
    let plan = &world.plans[sub.plan];
    let (street, number) = street_and_number(&sub.address);
    let activated = sub.live.status_since - time::Duration::days(30 + (sub.login_id % 900) as i64);
    let cancelled_on = if cancelled(sub) {
        local_date(world, sub.live.status_since)
    } else {
        "0000-00-00".to_owned()
    };
    Row(vec![
        ("id", sub.contract_id.to_string()),
        ("id_cliente", sub.customer_id.to_string()),
        ("status", if cancelled(sub) { "C" } else { "A" }.to_owned()),
        (
            "status_internet",
            status_internet(sub.live.billing).to_owned(),
        ),
        ("contrato", plan.name.clone()),
        ("id_vd_contrato", plan.id.to_string()),
        ("data_ativacao", local_date(world, activated)),
        ("data_cancelamento", cancelled_on),
        ("bloqueio_automatico", "S".to_owned()),
        ("endereco", street),
        ("numero", number),
        ("bairro", sub.district.clone()),
        ("cidade", CITY.to_owned()),
        ("complemento", String::new()),
        ("obs", String::new()),
    ])
}

fn onu_status(status: OnuStatus) -> &'static str {
    match status {
        OnuStatus::Online => "Online",
        OnuStatus::Los => "LOS",
        OnuStatus::PowerFail => "Power fail",
        OnuStatus::Offline => "Offline",
    }
}

fn onu(world: &World, sub: &Subscriber) -> Option<Row> {
    let info = sub.onu()?;
    let pon = &world.pons[info.pon];
    let online = sub.live.onu_status == OnuStatus::Online;
    let reading = |value: f64| {
        if online {
            format!("{value:.2}")
        } else {
            String::new()
        }
    };
    Some(Row(vec![
        ("id", (sub.login_id + 40_000).to_string()),
        ("id_login", sub.login_id.to_string()),
        ("id_contrato", sub.contract_id.to_string()),
        ("id_cliente", sub.customer_id.to_string()),
        ("nome", sub.login.clone()),
        ("mac", info.hex_serial()),
        ("onu_numero", info.onu_id.to_string()),
        ("ponid", format!("{}/{}", pon.board, pon.port)),
        ("id_transmissor", (pon.olt + 1).to_string()),
        (
            "id_caixa_ftth",
            world.splitters[info.splitter].id.to_string(),
        ),
        ("porta_ftth", ((info.onu_id - 1) % 16 + 1).to_string()),
        ("sinal_rx", reading(sub.live.rx_dbm)),
        ("sinal_tx", reading(info.tx_dbm)),
        ("status", onu_status(sub.live.onu_status).to_owned()),
        (
            "causa_ultima_queda",
            sub.live.last_down_cause.unwrap_or("").to_owned(),
        ),
    ]))
}
