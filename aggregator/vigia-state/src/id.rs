//! Canonical entity ids: `<kind>:<id>`, with the kind in snake case (vigia-core's
//! [`EntityKind`]) and the id normalised so that two sources naming the same thing agree.
//!
//! Normalisation: surrounding whitespace is trimmed; ONU serials are upper case; MAC addresses
//! (access points, subscriber modules) are lower-case colon form (`00:04:56:aa:bb:cc`) when the
//! id is a MAC in any common notation; other ids are kept as given.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use vigia_core::{EntityKind, EntityRef};

/// Longest accepted id, kind prefix included.
pub const MAX_ID_LEN: usize = 256;

/// Why a string is not an entity id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("entity id {0:?} has no `<kind>:` prefix")]
    NoKind(String),
    #[error("entity kind {0:?} is not snake case (a-z, 0-9, _)")]
    BadKind(String),
    #[error("entity id of kind {0} is empty")]
    Empty(String),
    #[error("entity id {0:?} is longer than {MAX_ID_LEN} bytes")]
    TooLong(String),
    #[error("entity id {0:?} contains control characters")]
    Control(String),
}

/// A canonical, normalised entity id, e.g. `onu:HWTC1A2B3C4D` or `pon_port:olt-1/0/3`.
///
/// Shared text: clones are cheap (the live state holds each id in several indexes). It hashes,
/// compares and orders as its text, and is looked up by `&str`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(Arc<str>);

impl EntityId {
    /// Builds the id of a `kind` entity from a vendor's raw id, normalising it.
    pub fn new(kind: &EntityKind, raw: &str) -> Result<Self, IdError> {
        Self::from_parts(&kind_name(kind), raw)
    }

    /// Builds the id of an [`EntityRef`] (as plugins send them in topology edges and alarms).
    pub fn from_ref(entity: &EntityRef) -> Result<Self, IdError> {
        Self::new(&entity.kind, &entity.id)
    }

    /// Parses and normalises `<kind>:<id>` text (only the first `:` separates).
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let text = text.trim();
        let (kind, id) = text
            .split_once(':')
            .ok_or_else(|| IdError::NoKind(text.to_owned()))?;
        Self::from_parts(kind.trim(), id)
    }

    fn from_parts(kind: &str, raw: &str) -> Result<Self, IdError> {
        let mut text = String::new();
        write_parts(kind, raw, &mut text)?;
        Ok(Self(text.into()))
    }

    /// An id taken as is (for range bounds such as `onu:`).
    pub(crate) fn unchecked(text: String) -> Self {
        Self(text.into())
    }

    /// The whole id, `<kind>:<id>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The kind part (`onu`, `pon_port`, ...).
    pub fn kind(&self) -> &str {
        self.0.split_once(':').map_or("", |(kind, _)| kind)
    }

    /// The vendor id part (after the first `:`).
    pub fn local(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, id)| id)
    }

    /// The shared text, to hold without copying it.
    pub(crate) fn shared(&self) -> &Arc<str> {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0.as_ref().to_owned()
    }
}

impl Serialize for EntityId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl Borrow<str> for EntityId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EntityId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Writes the normalised `<kind>:<id>` text into `out` (cleared first).
fn write_parts(kind: &str, raw: &str, out: &mut String) -> Result<(), IdError> {
    if kind.is_empty()
        || !kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(IdError::BadKind(kind.to_owned()));
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(IdError::Empty(kind.to_owned()));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(IdError::Control(trimmed.to_owned()));
    }
    out.clear();
    out.push_str(kind);
    out.push(':');
    match kind {
        "onu" if trimmed.is_ascii() => {
            out.extend(trimmed.chars().map(|c| c.to_ascii_uppercase()));
        }
        "onu" => out.push_str(&trimmed.to_uppercase()),
        "access_point" | "subscriber_module" => match normalise_mac(trimmed) {
            Some(mac) => out.push_str(&mac),
            None => out.push_str(trimmed),
        },
        _ => out.push_str(trimmed),
    }
    if out.len() > MAX_ID_LEN {
        return Err(IdError::TooLong(out.clone()));
    }
    Ok(())
}

/// Ids already held somewhere (the live state's entities), to share their text.
pub(crate) trait KnownIds {
    /// The held id whose text is `text`, if any.
    fn find(&self, text: &str) -> Option<EntityId>;
}

impl KnownIds for () {
    fn find(&self, _: &str) -> Option<EntityId> {
        None
    }
}

/// Builds ids like [`EntityId::new`], but an id that is already known is returned as a clone of
/// the known one: no allocation, and comparing the two is a pointer comparison.
pub(crate) struct IdMaker<'a> {
    known: &'a dyn KnownIds,
    text: String,
}

impl<'a> IdMaker<'a> {
    /// `text` is a buffer to reuse.
    pub(crate) fn new(known: &'a dyn KnownIds, text: String) -> Self {
        Self { known, text }
    }

    /// The buffer, to reuse for the next maker.
    pub(crate) fn into_buffer(self) -> String {
        self.text
    }

    /// [`EntityId::new`].
    pub(crate) fn make(&mut self, kind: &EntityKind, raw: &str) -> Result<EntityId, IdError> {
        self.of_kind(&kind_name(kind), raw)
    }

    /// [`EntityId::from_ref`].
    pub(crate) fn of_ref(&mut self, entity: &EntityRef) -> Result<EntityId, IdError> {
        self.make(&entity.kind, &entity.id)
    }

    /// [`EntityId::parse`].
    pub(crate) fn parse(&mut self, text: &str) -> Result<EntityId, IdError> {
        let text = text.trim();
        let (kind, id) = text
            .split_once(':')
            .ok_or_else(|| IdError::NoKind(text.to_owned()))?;
        self.of_kind(kind.trim(), id)
    }

    /// An id of the kind named `kind` (snake case), e.g. `host`.
    pub(crate) fn of_kind(&mut self, kind: &str, raw: &str) -> Result<EntityId, IdError> {
        write_parts(kind, raw, &mut self.text)?;
        Ok(self
            .known
            .find(&self.text)
            .unwrap_or_else(|| EntityId(self.text.as_str().into())))
    }
}

/// The snake-case name of a kind (`Other(name)` gives `name`, lower-cased).
pub fn kind_name(kind: &EntityKind) -> Cow<'static, str> {
    let name = match kind {
        EntityKind::Pop => "pop",
        EntityKind::Concentrator => "concentrator",
        EntityKind::Olt => "olt",
        EntityKind::PonPort => "pon_port",
        EntityKind::Splitter => "splitter",
        EntityKind::Onu => "onu",
        EntityKind::Tower => "tower",
        EntityKind::AccessPoint => "access_point",
        EntityKind::SubscriberModule => "subscriber_module",
        EntityKind::Switch => "switch",
        EntityKind::Router => "router",
        EntityKind::BackhaulLink => "backhaul_link",
        EntityKind::Subscriber => "subscriber",
        EntityKind::Customer => "customer",
        EntityKind::CrmGroup => "crm_group",
        EntityKind::Other(other) => return Cow::Owned(other.trim().to_lowercase()),
    };
    Cow::Borrowed(name)
}

/// A MAC address in lower-case colon form, if `text` is one (`AA-BB-CC-DD-EE-FF`,
/// `aabb.ccdd.eeff`, `AABBCCDDEEFF`, `aa:bb:...`).
pub fn normalise_mac(text: &str) -> Option<String> {
    let hex: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b':' | b'-' | b'.'))
        .collect();
    if hex.len() != 12 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let separators = text.len() - hex.len();
    if !matches!(separators, 0 | 2 | 5) {
        return None;
    }
    let mut out = String::with_capacity(17);
    for (i, pair) in hex.chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        for b in pair {
            out.push(char::from(b.to_ascii_lowercase()));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_snake_case() {
        let id = EntityId::new(&EntityKind::PonPort, " olt-centro-1/0/3 ").unwrap();
        assert_eq!(id.as_str(), "pon_port:olt-centro-1/0/3");
        assert_eq!(id.kind(), "pon_port");
        assert_eq!(id.local(), "olt-centro-1/0/3");
        let other = EntityId::new(&EntityKind::Other("Cabinet".into()), "c-9").unwrap();
        assert_eq!(other.as_str(), "cabinet:c-9");
    }

    #[test]
    fn onu_serials_are_upper_case() {
        let id = EntityId::new(&EntityKind::Onu, "hwtc1a2b3c4d").unwrap();
        assert_eq!(id.as_str(), "onu:HWTC1A2B3C4D");
        assert_eq!(EntityId::parse("onu: hwtc1a2b3c4d").unwrap(), id);
    }

    #[test]
    fn macs_are_lower_case_colon_form() {
        for raw in [
            "00:04:56:AA:BB:CC",
            "00-04-56-aa-bb-cc",
            "0004.56aa.bbcc",
            "000456AABBCC",
        ] {
            let id = EntityId::new(&EntityKind::SubscriberModule, raw).unwrap();
            assert_eq!(id.as_str(), "subscriber_module:00:04:56:aa:bb:cc", "{raw}");
        }
        // Not a MAC: kept as given.
        let id = EntityId::new(&EntityKind::AccessPoint, "AP-Norte").unwrap();
        assert_eq!(id.as_str(), "access_point:AP-Norte");
    }

    #[test]
    fn other_kinds_keep_their_case() {
        let id = EntityId::parse("subscriber:Joao.Silva").unwrap();
        assert_eq!(id.as_str(), "subscriber:Joao.Silva");
    }

    #[test]
    fn bad_ids_are_refused() {
        assert!(matches!(EntityId::parse("olt-1"), Err(IdError::NoKind(_))));
        assert!(matches!(EntityId::parse("OLT:x"), Err(IdError::BadKind(_))));
        assert!(matches!(EntityId::parse("olt:  "), Err(IdError::Empty(_))));
        assert!(matches!(
            EntityId::parse("olt:a\nb"),
            Err(IdError::Control(_))
        ));
        let long = format!("olt:{}", "x".repeat(MAX_ID_LEN));
        assert!(matches!(EntityId::parse(&long), Err(IdError::TooLong(_))));
    }
}
