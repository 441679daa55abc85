//! What goes into the index and what comes out of a search.

use serde::{Deserialize, Serialize};

/// The kind of a searchable value; decides how it is normalised and ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The subscriber's login (PPPoE user), usually also the document id.
    Login,
    /// Customer name.
    Name,
    /// Street address, neighbourhood, city.
    Address,
    /// CPF or CNPJ, with or without punctuation.
    Document,
    /// ONU serial number (`HWTC12345678`).
    OnuSerial,
    /// MAC address in any notation.
    Mac,
    /// IPv4 or IPv6 address.
    Ip,
    /// Anything else worth finding (a contract number, a POP name).
    Other,
}

impl Field {
    /// The snake_case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Login => "login",
            Field::Name => "name",
            Field::Address => "address",
            Field::Document => "document",
            Field::OnuSerial => "onu_serial",
            Field::Mac => "mac",
            Field::Ip => "ip",
            Field::Other => "other",
        }
    }
}

/// One subscriber to index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDoc {
    /// The result key, the subscriber login.
    pub id: String,
    /// Searchable values; a field may appear several times.
    pub fields: Vec<(Field, String)>,
}

/// One ranked match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The [`SearchDoc::id`].
    pub id: String,
    /// Higher is better: the headline tier, the sum of the terms' tiers and the inverted
    /// length of the matched value, packed (see the crate documentation).
    pub score: u32,
    /// The field of the best match.
    pub field: Field,
    /// The original (not normalised) value of the best match, for "matched: ONU serial …".
    pub value: String,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Results {
    /// How many subscribers match in all.
    pub total: usize,
    /// The requested page, best first.
    pub hits: Vec<Hit>,
}
