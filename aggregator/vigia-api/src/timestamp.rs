//! [`Timestamp`]: a point in time, sent and received as an RFC 3339 string
//! (`2024-05-01T12:00:00.250Z`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

/// A UTC point in time with millisecond precision, serialized as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// From Unix milliseconds (what the aggregator stores). Values past year 9999 are clamped
    /// to its last millisecond.
    pub fn from_unix_ms(ms: u64) -> Self {
        let max = OffsetDateTime::new_utc(time::Date::MAX, time::Time::MAX);
        let nanos = i128::from(ms) * 1_000_000;
        Self(OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(max))
    }

    /// Unix milliseconds (0 for instants before 1970).
    pub fn unix_ms(&self) -> u64 {
        u64::try_from(self.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
    }

    /// Parses an RFC 3339 string (any offset; kept as the same instant).
    pub fn parse(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339).ok().map(Self)
    }

    /// The same instant without its sub-millisecond part.
    fn truncated_to_ms(self) -> Self {
        let nanos = self.0.nanosecond();
        // Always valid: the result is below the original nanosecond count.
        Self(
            self.0
                .replace_nanosecond(nanos - nanos % 1_000_000)
                .unwrap_or(self.0),
        )
    }

    /// Whether this instant is before 1970-01-01T00:00:00Z (which Unix ms cannot hold).
    pub fn is_before_unix_epoch(&self) -> bool {
        self.0.unix_timestamp_nanos() < 0
    }

    /// The RFC 3339 form in UTC.
    pub fn to_rfc3339(&self) -> String {
        let utc = self.0.to_offset(time::UtcOffset::UTC);
        // Formatting a UTC date-time within year 0..=9999 to RFC 3339 cannot fail; the fallback
        // keeps this total anyway.
        utc.format(&Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// Any RFC 3339 date-time (any offset, kept as the same instant); sub-millisecond digits
    /// are dropped, as the API works in milliseconds.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text)
            .map(Self::truncated_to_ms)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("expected an RFC 3339 date-time, got {text:?}"))
            })
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339 date-time, UTC"))
            .examples([serde_json::json!("2024-05-01T12:00:00.25Z")])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_milliseconds_through_rfc3339() {
        let t = Timestamp::from_unix_ms(1_714_564_800_250);
        assert_eq!(t.to_rfc3339(), "2024-05-01T12:00:00.25Z");
        let back = Timestamp::parse(&t.to_rfc3339()).map(|t| t.unix_ms());
        assert_eq!(back, Some(1_714_564_800_250));
    }

    #[test]
    fn parses_offsets_as_the_same_instant() {
        let a = Timestamp::parse("2024-05-01T14:00:00+02:00").map(|t| t.unix_ms());
        assert_eq!(a, Some(1_714_564_800_000));
        assert_eq!(Timestamp::parse("yesterday"), None);
    }

    #[test]
    fn deserializes_rfc3339_strings_only() {
        let t: Timestamp = serde_json::from_str("\"2024-05-01T14:00:00.2509+02:00\"").unwrap();
        assert_eq!(t.unix_ms(), 1_714_564_800_250);
        assert_eq!(t.to_rfc3339(), "2024-05-01T12:00:00.25Z");
        let error = serde_json::from_str::<Timestamp>("\"tomorrow\"").unwrap_err();
        assert!(error.to_string().contains("RFC 3339"), "{error}");
        assert!(serde_json::from_str::<Timestamp>("1714564800").is_err());
    }

    #[test]
    fn clamps_far_future() {
        assert!(
            Timestamp::from_unix_ms(u64::MAX)
                .to_rfc3339()
                .starts_with("9999-12-31T23:59:59")
        );
    }
}
