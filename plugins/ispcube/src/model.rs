//! What ISPCube answers, read leniently: ids and amounts come as numbers or strings depending on
//! the endpoint and version, and some lists come bare while others are wrapped in `{"data": …}`.

use serde::Deserialize;
use serde_json::Value;

/// A list, bare (`[…]`) or wrapped (`{"data": […]}`). Element errors keep their own message.
pub(crate) struct Listing<T>(Vec<T>);

impl<T> Listing<T> {
    pub(crate) fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Listing<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = match Value::deserialize(d)? {
            Value::Array(items) => Value::Array(items),
            Value::Object(mut object) => match object.remove("data") {
                Some(Value::Array(items)) => Value::Array(items),
                _ => {
                    return Err(serde::de::Error::custom(
                        "expected a list or {\"data\": [...]}",
                    ));
                }
            },
            _ => return Err(serde::de::Error::custom("expected a list")),
        };
        serde_json::from_value(items)
            .map(Listing)
            .map_err(serde::de::Error::custom)
    }
}

/// A number or a numeric string, as text (`16377` and `"16377"` are the same id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Id(s.trim().to_owned())),
            Value::Number(n) => Ok(Id(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected an id (number or string), got {other}"
            ))),
        }
    }
}

/// A concentrator (MikroTik) as ISPCube knows it.
#[derive(Debug, Deserialize)]
pub(crate) struct Node {
    pub id: Id,
    /// Used as the node's name.
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
}

/// A service connection: for `conntype: pppoe`, `user` is the PPPoE login.
#[derive(Debug, Deserialize)]
pub(crate) struct Connection {
    #[serde(default)]
    pub user: Option<String>,
    pub customer_id: Id,
    #[serde(default)]
    pub node_id: Option<Id>,
    #[serde(default)]
    pub plan_id: Option<Id>,
    #[serde(default)]
    pub conntype: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Plan {
    pub id: Id,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Customer {
    pub id: Id,
    pub name: String,
    #[serde(default)]
    pub doc_number: Option<Value>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub duedebt: Option<Value>,
    #[serde(default)]
    pub debt: Option<Value>,
    #[serde(default)]
    pub deleted_at: Option<Value>,
}

/// An amount given as `"4500.00"` or `4500`; `None` when absent or unreadable.
pub(crate) fn amount(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Text of a scalar (a document number may be a number).
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
