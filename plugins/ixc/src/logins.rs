//! `radusuarios` rows → one `pppoe-session` per login (IXC's view: online flag, last start or
//! end, last terminate cause), a `topology-edge` login → `conexao` group, and two counts.

use vigia_plugin_sdk::{
    EdgeKind, EntityKind, EntityRef, Metric, Observation, ObservationKind, PppoeSession, Target,
    TopologyEdge,
};

use crate::config::Config;
use crate::rows::{Row, flag, text};
use crate::time::local_to_unix_ms;

/// What the login rows of one install say.
#[derive(Debug, Default)]
pub(crate) struct Logins {
    pub observations: Vec<Observation>,
    /// Rows without a login or an online flag.
    pub ignored: usize,
}

pub(crate) fn observe(rows: &[Row], config: &Config, target: &Target) -> Logins {
    let mut out = Logins::default();
    let mut online_count = 0usize;
    let mut total = 0usize;
    for row in rows {
        let (Some(login), Some(online)) = (text(row, "login"), flag(row, "online")) else {
            out.ignored += 1;
            continue;
        };
        total += 1;
        if online {
            online_count += 1;
        }
        let when = if online {
            "ultima_conexao_inicial"
        } else {
            "ultima_conexao_final"
        };
        let session = PppoeSession {
            login: login.to_owned(),
            online,
            address: text(row, "ip").filter(|_| online).map(str::to_owned),
            concentrator: config.concentrator(
                text(row, "concentrador").unwrap_or(""),
                text(row, "id_concentrador").unwrap_or(""),
            ),
            caller_id: text(row, "mac").map(str::to_owned),
            since_ms: text(row, when)
                .and_then(|at| local_to_unix_ms(at, config.timezone_offset_minutes)),
            last_disconnect_reason: text(row, "motivo_desconexao").map(str::to_owned),
        };
        // IXC's online flag trails RADIUS accounting: the aggregator lets a router's fresh word
        // win over it (`vigia.authority = crm`).
        let mut observation = Observation::new(target, ObservationKind::PppoeSession(session))
            .with_label("source", "ixc")
            .with_label("vigia.authority", "crm");
        for (label, column) in [
            ("conexao", "conexao"),
            ("ixc_login_id", "id"),
            ("ixc_customer_id", "id_cliente"),
            ("ixc_contract_id", "id_contrato"),
            ("ixc_transmitter_id", "id_transmissor"),
        ] {
            if let Some(value) = text(row, column) {
                observation = observation.with_label(label, value);
            }
        }
        if let Some(serial) = text(row, "onu_mac").map(onu_serial) {
            observation = observation.with_label("onu_serial", serial);
        }
        if flag(row, "ativo") == Some(false) {
            observation = observation.with_label("ixc_active", "N");
        }
        out.observations.push(observation);
        if let Some(conexao) = text(row, "conexao") {
            let edge = TopologyEdge {
                child: EntityRef {
                    kind: EntityKind::Subscriber,
                    id: login.to_owned(),
                },
                parent: EntityRef {
                    kind: EntityKind::CrmGroup,
                    id: conexao.to_owned(),
                },
                kind: EdgeKind::Logical,
            };
            out.observations.push(
                Observation::new(target, ObservationKind::TopologyEdge(edge))
                    .with_label("source", "ixc"),
            );
        }
    }
    out.observations.push(Observation::metric(
        target,
        Metric::gauge("ixc_logins", total as f64, "1"),
    ));
    out.observations.push(Observation::metric(
        target,
        Metric::gauge("ixc_logins_online", online_count as f64, "1"),
    ));
    out
}

/// The GPON serial SmartOLT and the OLTs print (`HWTCE55DA5AC`) from IXC's hex form
/// (`48575443E55DA5AC`): the first four bytes hex-encode the vendor letters. Anything else is
/// returned uppercased as it is.
pub(crate) fn onu_serial(onu_mac: &str) -> String {
    let upper = onu_mac.trim().to_ascii_uppercase();
    if upper.len() == 16 && upper.bytes().all(|b| b.is_ascii_hexdigit()) {
        let vendor: Option<String> = (0..4)
            .map(|i| {
                u8::from_str_radix(&upper[i * 2..i * 2 + 2], 16)
                    .ok()
                    .filter(u8::is_ascii_uppercase)
                    .map(char::from)
            })
            .collect();
        if let Some(vendor) = vendor {
            return format!("{vendor}{}", &upper[8..]);
        }
    }
    upper
}
