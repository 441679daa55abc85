//! A synthetic Brazilian fibre ISP, deterministic from the subscriber index: what its router,
//! OLT and CRM plugins would report, shaped as those plugins shape it.
//!
//! Subscriber `i` has PPPoE login `cli%06d`, a session on concentrator `bras-NN` (2,000
//! subscribers each), an ONU on PON `OLT-<city>-NN/<board>/<port>` (64 ONUs per PON, 1:8
//! splitters, 32 PONs per OLT) and an IXC customer with a Brazilian name, an address and a CPF.
//! Most are online; about 1.2% are in LOS, 0.6% lost power, 0.3% are offline, 1% have the ONU up
//! but no session (CPE router off), 3% are blocked for debt and 2% warned. Two PONs lose 3.5 dB
//! of light in the last poll (degraded optics), so their neighbours' Rx falls under the median.

use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::observation::Kind;

/// ONUs per PON port.
pub const ONUS_PER_PON: u32 = 64;
/// PON ports per OLT (two boards of 16).
pub const PONS_PER_OLT: u32 = 32;
/// Subscribers per concentrator.
pub const PER_CONCENTRATOR: u32 = 2_000;
/// Customers per IXC page (one run of the ixc plugin).
pub const CUSTOMERS_PER_PAGE: u32 = 2_000;
/// The PONs whose light drops in the last poll.
const DEGRADED_PONS: [u32; 2] = [137, 911];
/// The printf format of a login (Lua's `string.format` takes it as is).
pub const LOGIN_PATTERN: &str = "cli%06d";

const CITIES: [&str; 8] = [
    "CHAPECO",
    "XANXERE",
    "CONCORDIA",
    "JOACABA",
    "MARINGA",
    "CASCAVEL",
    "TOLEDO",
    "PATO-BRANCO",
];
const FIRST: [&str; 24] = [
    "João",
    "José",
    "Maria",
    "Ana",
    "Antônio",
    "Francisco",
    "Conceição",
    "Luís",
    "Márcia",
    "André",
    "Lúcia",
    "Sebastião",
    "Fátima",
    "Paulo",
    "Cláudia",
    "Fábio",
    "Sônia",
    "Inês",
    "Vinícius",
    "Letícia",
    "Jéssica",
    "Gabriel",
    "Juliana",
    "Raimundo",
];
const LAST: [&str; 24] = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Conceição",
    "Araújo",
    "Gonçalves",
    "Simões",
    "Magalhães",
    "Brandão",
    "Falcão",
    "Assunção",
    "Pereira",
    "Rodrigues",
    "Ferreira",
    "Lima",
    "Gomes",
    "Ribeiro",
    "Carvalho",
    "Damião",
    "Leão",
    "Guimarães",
    "Romão",
    "Estêvão",
];
const STREETS: [&str; 12] = [
    "Rua São João",
    "Avenida Getúlio Vargas",
    "Rua Marechal Floriano Peixoto",
    "Travessa Conceição",
    "Rua Tiradentes",
    "Rua Dom Pedro II",
    "Avenida Brasília",
    "Rua das Acácias",
    "Rua Açaí",
    "Rua Sete de Setembro",
    "Rua Padre Anchieta",
    "Servidão Irmã Dulce",
];
const DISTRICTS: [&str; 8] = [
    "Centro",
    "Jardim América",
    "São Cristóvão",
    "Efapi",
    "Passo dos Fortes",
    "Santa Maria",
    "Líder",
    "Bela Vista",
];
const TOWNS: [&str; 6] = [
    "Chapecó",
    "Xanxerê",
    "Concórdia",
    "Joaçaba",
    "São Miguel do Oeste",
    "Maringá",
];
const PLANS: [&str; 4] = [
    "FIBRA 100 MEGA",
    "FIBRA 300 MEGA",
    "FIBRA 500 MEGA",
    "FIBRA 1 GIGA",
];

/// What happened to a subscriber's ONU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Onu {
    Online,
    Los,
    PowerFail,
    Offline,
}

/// A well-mixed hash of `(i, salt)` (splitmix64's finaliser).
fn mix(i: u32, salt: u64) -> u64 {
    let mut z = ((u64::from(i) << 8) | salt).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(list: &[&'a str], i: u32, salt: u64) -> &'a str {
    list[(mix(i, salt) % list.len() as u64) as usize]
}

pub fn login(i: u32) -> String {
    format!("cli{i:06}")
}

/// The ONU serial: a vendor prefix and 8 hex digits, unique per subscriber (an odd multiplier is
/// a bijection on u32).
pub fn serial(i: u32) -> String {
    let vendor = ["HWTC", "ZTEG", "FHTT"][(i % 3) as usize];
    format!("{vendor}{:08X}", i.wrapping_mul(0x2C1B_3C6D) ^ 0x5A5A_0000)
}

/// The CPE's address on the concentrator (CGNAT space).
pub fn address(i: u32) -> String {
    let n = i + 1;
    format!("100.{}.{}.{}", 64 + (n >> 16), (n >> 8) & 255, n & 255)
}

/// The CPF, formatted, with valid check digits.
pub fn cpf(i: u32) -> String {
    let base = mix(i, 6) % 1_000_000_000;
    let mut digits: Vec<u64> = format!("{base:09}")
        .bytes()
        .map(|b| u64::from(b - b'0'))
        .collect();
    for _ in 0..2 {
        let len = digits.len() as u64;
        let sum: u64 = digits
            .iter()
            .enumerate()
            .map(|(k, d)| d * (len + 1 - k as u64))
            .sum();
        let check = (sum * 10) % 11 % 10;
        digits.push(check);
    }
    let s: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    format!("{}.{}.{}-{}", &s[0..3], &s[3..6], &s[6..9], &s[9..11])
}

fn name(i: u32) -> String {
    let (first, last1, last2) = (pick(&FIRST, i, 10), pick(&LAST, i, 11), pick(&LAST, i, 12));
    match mix(i, 13) % 4 {
        0 => format!("{first} {last1}"),
        1 => format!("{first} da {last1} {last2}"),
        _ => format!("{first} {last1} {last2}"),
    }
}

fn onu_state(i: u32) -> Onu {
    match mix(i, 1) % 1000 {
        0..12 => Onu::Los,
        12..18 => Onu::PowerFail,
        18..21 => Onu::Offline,
        _ => Onu::Online,
    }
}

/// IXC's `status_internet`: blocked (`CA`, `CM`, `FA`), warned (`AA`) or active (`A`).
fn billing(i: u32) -> (pb::BillingState, &'static str) {
    match mix(i, 2) % 1000 {
        0..15 => (pb::BillingState::Blocked, "CA"),
        15..25 => (pb::BillingState::Blocked, "FA"),
        25..30 => (pb::BillingState::Blocked, "CM"),
        30..50 => (pb::BillingState::Warned, "AA"),
        _ => (pb::BillingState::Active, "A"),
    }
}

fn when_down(i: u32, now_ms: u64) -> u64 {
    now_ms.saturating_sub(60_000 + mix(i, 5) % (6 * 3_600_000))
}

/// A subscriber on the first PON with degraded optics, if there are that many subscribers.
pub fn degraded_pon_login(subscribers: u32) -> Option<String> {
    let i = DEGRADED_PONS[0] * ONUS_PER_PON + 5;
    (i < subscribers).then(|| login(i))
}

pub fn olt_name(i: u32) -> String {
    let olt = i / (ONUS_PER_PON * PONS_PER_OLT);
    format!("OLT-{}-{:02}", CITIES[(olt % 8) as usize], olt)
}

pub fn concentrator(i: u32) -> String {
    format!("bras-{:02}", i / PER_CONCENTRATOR + 1)
}

fn label(key: &str, value: impl Into<String>) -> pb::Label {
    pb::Label {
        key: key.to_owned(),
        value: value.into(),
    }
}

/// The smartolt plugin's reading of subscriber `i`'s ONU in poll `round` of `rounds` (the last
/// one is the current one). Online ONUs have Rx and OLT Rx (the signal table; no Tx in the poll).
pub fn onu(i: u32, round: u32, rounds: u32, target: &str, observed_at_ms: u64) -> pb::Observation {
    let pon = i / ONUS_PER_PON;
    let in_olt = i % (ONUS_PER_PON * PONS_PER_OLT);
    let serial = serial(i);
    let state = onu_state(i);
    let online = state == Onu::Online;
    let wobble = ((u64::from(round) * 7 + u64::from(i)) % 5) as f64 * 0.05 - 0.1;
    let mut rx = -17.0 - (mix(i, 4) % 700) as f64 / 100.0 + wobble;
    if round + 1 == rounds && DEGRADED_PONS.contains(&pon) {
        rx -= 3.5;
    }
    let olt_rx = rx - 5.5 - (mix(i, 7) % 100) as f64 / 100.0;
    let status = match state {
        Onu::Online => pb::OnuStatus::Online,
        Onu::Los => pb::OnuStatus::Los,
        Onu::PowerFail => pb::OnuStatus::PowerFail,
        Onu::Offline => pb::OnuStatus::Offline,
    };
    let mut labels = vec![
        label("external_id", serial.clone()),
        label(
            "olt_id",
            (i / (ONUS_PER_PON * PONS_PER_OLT) + 1).to_string(),
        ),
        label("zone", pick(&DISTRICTS, pon, 20)),
    ];
    if online {
        let class = match rx {
            r if r >= -24.0 => "Very good",
            r if r >= -27.0 => "Warning",
            _ => "Critical",
        };
        labels.push(label("signal", class));
    }
    pb::Observation {
        target: target.to_owned(),
        observed_at_ms,
        labels,
        kind: Some(Kind::Onu(pb::Onu {
            serial,
            login: Some(login(i)),
            olt: olt_name(i),
            board: Some(in_olt / (ONUS_PER_PON * 16)),
            port: Some(in_olt / ONUS_PER_PON % 16),
            onu_id: Some(i % ONUS_PER_PON),
            splitter: Some(format!("CTO-{pon:04}-{}", (i % ONUS_PER_PON) / 8)),
            status: status as i32,
            rx_dbm: online.then_some((rx * 100.0).round() / 100.0),
            tx_dbm: None,
            olt_rx_dbm: online.then_some((olt_rx * 100.0).round() / 100.0),
            last_down_cause: None,
            last_down_ms: (!online).then(|| when_down(i, observed_at_ms)),
            distance_m: None,
            model: Some(["HG8310M", "F601", "AN5506-01-A"][(i % 3) as usize].to_owned()),
        })),
    }
}

/// The mikrotik plugin's session of subscriber `i` on its concentrator (target = the router).
pub fn session(i: u32, observed_at_ms: u64) -> pb::Observation {
    let onu = onu_state(i);
    let (billing, _) = billing(i);
    let no_cpe = mix(i, 3) % 1000 < 10;
    let (online, reason) = match (onu, billing) {
        (Onu::Los, _) => (false, Some("lost-carrier")),
        (Onu::PowerFail | Onu::Offline, _) => (false, Some("peer-not-responding")),
        (_, pb::BillingState::Blocked) => (false, Some("authentication failed")),
        _ if no_cpe => (false, Some("user-request")),
        _ => (true, None),
    };
    let m = mix(i, 8);
    let since_ms = if online {
        observed_at_ms.saturating_sub(m % (20 * 86_400_000))
    } else {
        when_down(i, observed_at_ms)
    };
    let concentrator = concentrator(i);
    pb::Observation {
        target: concentrator.clone(),
        observed_at_ms,
        labels: vec![label("source", "active"), label("service", "pppoe")],
        kind: Some(Kind::PppoeSession(pb::PppoeSession {
            login: login(i),
            online,
            address: online.then(|| address(i)),
            concentrator,
            caller_id: Some(format!(
                "E8:65:D4:{:02X}:{:02X}:{:02X}",
                (m >> 8) & 255,
                (m >> 16) & 255,
                (m >> 24) & 255
            )),
            since_ms: Some(since_ms),
            last_disconnect_reason: reason.map(str::to_owned),
        })),
    }
}

/// The ixc plugin's customer of subscriber `i` (target = the IXC install).
pub fn customer(i: u32, target: &str, observed_at_ms: u64) -> pb::Observation {
    let (billing, code) = billing(i);
    let number = 1 + mix(i, 21) % 2400;
    let address = format!(
        "{}, {number} - {}, {}",
        pick(&STREETS, i, 22),
        pick(&DISTRICTS, i, 23),
        pick(&TOWNS, i / PER_CONCENTRATOR, 24)
    );
    let id = 10_000 + i;
    pb::Observation {
        target: target.to_owned(),
        observed_at_ms,
        labels: vec![
            label("source", "ixc"),
            label("document", cpf(i)),
            label("ixc_contract_id", (50_000 + i).to_string()),
            label("contract_status", "A"),
        ],
        kind: Some(Kind::Customer(pb::Customer {
            id: id.to_string(),
            name: name(i),
            logins: vec![login(i)],
            billing: billing as i32,
            billing_code: Some(code.to_owned()),
            plan: Some(pick(&PLANS, i, 25).to_owned()),
            address: Some(address),
        })),
    }
}

/// What a support desk types, for these subscribers: two-letter prefixes, common names without
/// accents, a login, a serial fragment, a CPF fragment and an IP prefix.
pub fn queries(subscribers: u32) -> Vec<String> {
    let some = |k: u32| (k.wrapping_mul(7919) + 17) % subscribers.max(1);
    let (a, b, c, d) = (some(1), some(2), some(3), some(4));
    vec![
        "jo".to_owned(),
        "ma".to_owned(),
        "ru".to_owned(),
        "joao".to_owned(),
        "conceicao".to_owned(),
        "maria silva".to_owned(),
        "jose santos".to_owned(),
        "sebastiao".to_owned(),
        login(a),
        login(b)[..7].to_owned(),
        serial(c)[4..10].to_owned(),
        cpf(d)[..7].to_owned(),
        cpf(a)[4..11].to_owned(),
        address(b)
            .rsplit_once('.')
            .map_or_else(String::new, |(p, _)| p.to_owned()),
        "rua sao joao".to_owned(),
        "chapeco".to_owned(),
    ]
}
