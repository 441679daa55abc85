//! The subscriber search index's documents ([`vigia_search::SearchDoc`]), one per subscriber:
//! its login, the customer's name, address and document number, its ONU's serial, the CPE's and
//! the radio's MACs, and its address.

use vigia_core::ObservationKind;
use vigia_search::{Field, SearchDoc};

use super::LiveState;
use crate::model::Entity;

impl LiveState {
    /// One document per subscriber, in no particular order.
    pub fn search_docs(&self) -> Vec<SearchDoc> {
        let mut docs = Vec::with_capacity(self.entities.len() / 3);
        for (id, entity) in &self.entities {
            if id.kind() != "subscriber" {
                continue;
            }
            let mut fields = vec![(Field::Login, id.local().to_owned())];
            for key in ["caller_id"] {
                if let Some(mac) = entity.attributes.get(key).and_then(|v| v.as_str()) {
                    fields.push((Field::Mac, mac.to_owned()));
                }
            }
            if let Some(ip) = entity.attributes.get("address").and_then(|v| v.as_str()) {
                fields.push((Field::Ip, ip.to_owned()));
            }
            for parent in self.parent_ids(id) {
                let Some(parent_entity) = self.entities.get(parent) else {
                    continue;
                };
                match parent.kind() {
                    "customer" => customer_fields(parent_entity, &mut fields),
                    "onu" => fields.push((Field::OnuSerial, parent.local().to_owned())),
                    "subscriber_module" => fields.push((Field::Mac, parent.local().to_owned())),
                    _ => {}
                }
            }
            docs.push(SearchDoc {
                id: id.local().to_owned(),
                fields,
            });
        }
        docs
    }

    /// A subscriber's customer name and address (for search results), and its state.
    pub fn subscriber_summary(
        &self,
        login: &str,
    ) -> Option<(Option<String>, Option<String>, &str)> {
        let id = crate::id::EntityId::parse(&format!("subscriber:{login}")).ok()?;
        let entity = self.entities.get(&id)?;
        let customer = self
            .parents
            .get(&id)
            .into_iter()
            .flatten()
            .find(|(p, _)| p.kind() == "customer")
            .and_then(|(p, _)| self.entities.get(p));
        let name = customer.map(|c| c.display_name().to_owned());
        let address = customer.and_then(|c| {
            c.attributes
                .get("address")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        });
        Some((name, address, entity.current_state().as_str()))
    }
}

fn customer_fields(customer: &Entity, fields: &mut Vec<(Field, String)>) {
    fields.push((Field::Name, customer.display_name().to_owned()));
    if let Some(address) = customer.attributes.get("address").and_then(|v| v.as_str()) {
        fields.push((Field::Address, address.to_owned()));
    }
    let document = customer.observations.iter().rev().find_map(|view| {
        matches!(view.observation.kind, ObservationKind::Customer(_))
            .then(|| {
                view.observation
                    .labels
                    .iter()
                    .find(|(k, _)| k == "document")
                    .map(|(_, v)| v.clone())
            })
            .flatten()
    });
    if let Some(document) = document {
        fields.push((Field::Document, document));
    }
}
