//! From one tenant's lists to observations.

use std::collections::{BTreeMap, HashMap};

use vigia_plugin_sdk::{
    BillingState, Customer as CustomerObs, EdgeKind, EntityKind, EntityRef, Host, Metric,
    Observation, ObservationKind, PluginError, Target, TopologyEdge,
};

use crate::client::Client;
use crate::config::Config;
use crate::model::{self, Connection, Customer, Id, Listing, Node, Plan};

pub(crate) fn tenant<H: Host>(
    client: &mut Client<'_, H>,
    config: &Config,
    target: &Target,
) -> Result<Vec<Observation>, PluginError> {
    let nodes: Vec<Node> = client.get::<Listing<Node>>("/nodes/nodes_list")?.into_vec();
    let plans: Vec<Plan> = client.get::<Listing<Plan>>("/plans/plans_list")?.into_vec();
    let connections: Vec<Connection> = client
        .get::<Listing<Connection>>("/connections/connections_list")?
        .into_vec();
    let customers = customers(client, config)?;
    Ok(observations(
        target,
        &nodes,
        &plans,
        &connections,
        &customers,
    ))
}

/// Every customer, page by page until a short page.
fn customers<H: Host>(
    client: &mut Client<'_, H>,
    config: &Config,
) -> Result<Vec<Customer>, PluginError> {
    let limit = config.page_size as usize;
    let mut all = Vec::new();
    for page in 0..config.max_pages as usize {
        let path = format!(
            "/customers/customers_list?limit={limit}&offset={}",
            page * limit
        );
        let batch = client.get::<Listing<Customer>>(&path)?.into_vec();
        let short = batch.len() < limit;
        all.extend(batch);
        if short {
            return Ok(all);
        }
    }
    Err(PluginError::budget(format!(
        "more than {} pages of {limit} customers: raise `max_pages`",
        config.max_pages
    )))
}

pub(crate) fn billing(customer: &Customer) -> BillingState {
    let deleted = customer.deleted_at.as_ref().is_some_and(|v| !v.is_null());
    if deleted {
        return BillingState::Cancelled;
    }
    match customer.status.as_deref().map(str::trim) {
        Some("blocked") => BillingState::Blocked,
        Some("enabled") => {
            if model::amount(customer.duedebt.as_ref()).is_some_and(|d| d > 0.0)
                || model::amount(customer.debt.as_ref()).is_some_and(|d| d > 0.0)
            {
                BillingState::Warned
            } else {
                BillingState::Active
            }
        }
        _ => BillingState::Unknown,
    }
}

fn observations(
    target: &Target,
    nodes: &[Node],
    plans: &[Plan],
    connections: &[Connection],
    customers: &[Customer],
) -> Vec<Observation> {
    let node_names: HashMap<&Id, String> = nodes
        .iter()
        .map(|n| {
            let name = n
                .comment
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map_or_else(|| format!("node-{}", n.id.0), str::to_owned);
            (&n.id, name)
        })
        .collect();
    let node_ips: HashMap<&Id, &str> = nodes
        .iter()
        .filter_map(|n| n.ip.as_deref().map(|ip| (&n.id, ip)))
        .collect();
    let plan_names: HashMap<&Id, &str> = plans.iter().map(|p| (&p.id, p.name.as_str())).collect();

    let pppoe: Vec<(&Connection, &str)> = connections
        .iter()
        .filter(|c| {
            c.conntype
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case("pppoe"))
        })
        .filter_map(|c| {
            let login = c.user.as_deref()?.trim();
            (!login.is_empty()).then_some((c, login))
        })
        .collect();
    let mut by_customer: BTreeMap<&Id, Vec<&(&Connection, &str)>> = BTreeMap::new();
    for entry in &pppoe {
        by_customer
            .entry(&entry.0.customer_id)
            .or_default()
            .push(entry);
    }

    let mut out = Vec::with_capacity(customers.len() + pppoe.len() + 1);
    for customer in customers {
        let mine = by_customer.get(&customer.id);
        let logins: Vec<String> = mine
            .map(|list| list.iter().map(|(_, login)| (*login).to_owned()).collect())
            .unwrap_or_default();
        let plan = mine
            .and_then(|list| list.first())
            .and_then(|(c, _)| c.plan_id.as_ref())
            .and_then(|id| plan_names.get(id))
            .map(|name| (*name).to_owned());
        let observation = CustomerObs {
            id: customer.id.0.clone(),
            name: customer.name.trim().to_owned(),
            logins,
            billing: billing(customer),
            billing_code: customer.status.clone(),
            plan,
            address: customer.address.clone(),
        };
        let mut obs = Observation::new(target, ObservationKind::Customer(observation));
        if let Some(document) = model::text(customer.doc_number.as_ref()) {
            obs = obs.with_label("document", document);
        }
        out.push(obs);
    }
    for (connection, login) in &pppoe {
        let Some(node) = connection.node_id.as_ref() else {
            continue;
        };
        let parent = node_names
            .get(node)
            .cloned()
            .unwrap_or_else(|| format!("node-{}", node.0));
        let edge = TopologyEdge {
            child: EntityRef {
                kind: EntityKind::Subscriber,
                id: (*login).to_owned(),
            },
            parent: EntityRef {
                kind: EntityKind::Concentrator,
                id: parent,
            },
            kind: EdgeKind::Logical,
        };
        let mut obs = Observation::new(target, ObservationKind::TopologyEdge(edge));
        if let Some(ip) = node_ips.get(node) {
            obs = obs.with_label("node_ip", *ip);
        }
        out.push(obs);
    }
    out.push(Observation::metric(
        target,
        Metric::gauge("ispcube_customers", customers.len() as f64, "1"),
    ));
    out
}
