//! `cliente` + `cliente_contrato` (+ the logins of `radusuarios`) → one `customer` per customer,
//! with the billing state of its contracts: IXC's `status_internet` mapped, the raw code kept.

use std::collections::BTreeMap;

use vigia_plugin_sdk::{BillingState, Customer, Observation, ObservationKind, Target};

use crate::rows::{Row, text};

/// `status_internet` (and the contract `status`) → billing state. `CA`/`CM` (automatic or manual
/// block) and `FA` (financial arrears) cut the service: blocked, as the triage rules read them.
pub(crate) fn billing(
    status_internet: Option<&str>,
    contract_status: Option<&str>,
) -> BillingState {
    if matches!(contract_status, Some("C" | "D")) {
        return BillingState::Cancelled;
    }
    match status_internet {
        Some("A") => BillingState::Active,
        Some("AA") => BillingState::Warned,
        Some("CA" | "CM" | "FA") => BillingState::Blocked,
        Some("D") => BillingState::Cancelled,
        _ => BillingState::Unknown,
    }
}

/// Which state wins when a customer has several contracts: the one that explains a complaint.
fn rank(state: BillingState) -> u8 {
    match state {
        BillingState::Blocked => 4,
        BillingState::Warned => 3,
        BillingState::Active => 2,
        BillingState::Unknown => 1,
        BillingState::Cancelled => 0,
    }
}

/// One `customer` observation per `cliente` row with an id.
pub(crate) fn observe(
    customers: &[Row],
    contracts: &[Row],
    logins: Option<&[Row]>,
    target: &Target,
) -> Vec<Observation> {
    let mut contracts_of: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for contract in contracts {
        if let Some(customer) = text(contract, "id_cliente") {
            contracts_of.entry(customer).or_default().push(contract);
        }
    }
    // Customer → (login, contract id) from radusuarios.
    let mut logins_of: BTreeMap<&str, Vec<(&str, Option<&str>)>> = BTreeMap::new();
    for row in logins.unwrap_or(&[]) {
        if let (Some(customer), Some(login)) = (text(row, "id_cliente"), text(row, "login")) {
            logins_of
                .entry(customer)
                .or_default()
                .push((login, text(row, "id_contrato")));
        }
    }
    let mut observations = Vec::new();
    for row in customers {
        let Some(id) = text(row, "id") else {
            continue;
        };
        let logins = logins_of.get(id).cloned().unwrap_or_default();
        let all = contracts_of.get(id).cloned().unwrap_or_default();
        // The contracts its logins use, when known; else every contract of the customer.
        let used: Vec<&Row> = all
            .iter()
            .copied()
            .filter(|c| {
                logins
                    .iter()
                    .any(|(_, contract)| *contract == text(c, "id"))
            })
            .collect();
        let candidates = if used.is_empty() { all } else { used };
        let chosen = candidates
            .iter()
            .copied()
            .max_by_key(|c| rank(billing(text(c, "status_internet"), text(c, "status"))));
        let (state, code, plan) = match chosen {
            Some(contract) => (
                billing(text(contract, "status_internet"), text(contract, "status")),
                text(contract, "status_internet"),
                text(contract, "contrato"),
            ),
            None => (
                billing(text(row, "status_internet"), None),
                text(row, "status_internet"),
                None,
            ),
        };
        let name = text(row, "razao")
            .or_else(|| text(row, "fantasia"))
            .unwrap_or(id);
        let mut login_names: Vec<String> = logins.iter().map(|(l, _)| (*l).to_owned()).collect();
        login_names.sort();
        login_names.dedup();
        let customer = Customer {
            id: id.to_owned(),
            name: name.to_owned(),
            logins: login_names,
            billing: state,
            billing_code: code.map(str::to_owned),
            plan: plan.map(str::to_owned),
            address: address(row),
        };
        let mut observation = Observation::new(target, ObservationKind::Customer(customer))
            .with_label("source", "ixc");
        // The CPF/CNPJ: what the desk searches by when the caller gives it.
        if let Some(document) = text(row, "cnpj_cpf") {
            observation = observation.with_label("document", document);
        }
        if let Some(contract) = chosen {
            for (label, column) in [("ixc_contract_id", "id"), ("contract_status", "status")] {
                if let Some(value) = text(contract, column) {
                    observation = observation.with_label(label, value);
                }
            }
        }
        observations.push(observation);
    }
    observations
}

/// `Rua das Flores, 123 - Centro, Chapecó` from whichever parts the row has.
fn address(row: &Row) -> Option<String> {
    let street = match (text(row, "endereco"), text(row, "numero")) {
        (Some(street), Some(number)) => Some(format!("{street}, {number}")),
        (street, _) => street.map(str::to_owned),
    };
    let area: Vec<&str> = [text(row, "bairro"), text(row, "cidade")]
        .into_iter()
        .flatten()
        .collect();
    match (street, area.is_empty()) {
        (Some(street), false) => Some(format!("{street} - {}", area.join(", "))),
        (Some(street), true) => Some(street),
        (None, false) => Some(area.join(", ")),
        (None, true) => None,
    }
}
