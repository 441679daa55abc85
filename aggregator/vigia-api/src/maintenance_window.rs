//! Maintenance windows as the API shows and accepts them: planned work on chosen entities during
//! a time range. Events under a window are still detected and recorded, but not notified.
//!
//! [`NewMaintenance::validate`] holds the rules a window must follow; the OpenAPI schema states
//! the ones JSON Schema can express (sizes, lengths, the id shape), and the handlers check all.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};

use crate::{ApiError, Timestamp};

/// Most entities one window may name.
pub const MAX_WINDOW_ENTITIES: usize = 1000;
/// Longest entity id, in characters.
pub const MAX_ENTITY_ID_CHARS: usize = 256;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest window: 31 days, in milliseconds.
pub const MAX_WINDOW_MS: u64 = 31 * 24 * 3600 * 1000;

/// One maintenance window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MaintenanceWindow {
    /// Sequential, never reused.
    pub id: u64,
    /// The entities under maintenance (`olt:olt-1`, `pon_port:olt-1/0/3`...): the window covers
    /// them and everything that depends on them.
    pub entities: Vec<String>,
    /// When it begins (inclusive).
    pub starts_at: Timestamp,
    /// When it ends (exclusive).
    pub ends_at: Timestamp,
    /// Why (`PON 1/1 splice`).
    pub reason: String,
    /// Who created it: the API key id, or `config` for windows from the configuration file.
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// Whether it is in effect now.
    pub active: bool,
}

/// A maintenance window to create, or the new content of one (`PUT` replaces it whole).
///
/// Rules: 1 to 1000 entities, each `<kind>:<id>` with both parts non-empty and at most 256
/// characters; `ends_at` after `starts_at`, at most 31 days later, neither before 1970; a
/// reason of 1 to 500 characters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "entities": ["pon_port:olt-1/0/3", "olt:olt-2"],
    "starts_at": "2024-05-02T01:00:00Z",
    "ends_at": "2024-05-02T05:00:00Z",
    "reason": "PON 1/1 splice"
}))]
pub struct NewMaintenance {
    /// The entities under maintenance, `<kind>:<id>` (`olt:olt-1`); the window covers them and
    /// everything that depends on them.
    #[schema(schema_with = entities_schema)]
    pub entities: Vec<String>,
    /// When it begins (inclusive).
    pub starts_at: Timestamp,
    /// When it ends (exclusive): after `starts_at`, at most 31 days later.
    pub ends_at: Timestamp,
    /// Why (`PON 1/1 splice`).
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

impl NewMaintenance {
    /// Checks every rule; the error is a 400 naming the field (`details.field`).
    pub fn validate(&self) -> Result<(), ApiError> {
        if self.entities.is_empty() {
            return Err(invalid("entities", "entities must not be empty"));
        }
        if self.entities.len() > MAX_WINDOW_ENTITIES {
            return Err(invalid(
                "entities",
                format!(
                    "entities must hold at most {MAX_WINDOW_ENTITIES} ids, got {}",
                    self.entities.len()
                ),
            ));
        }
        for (index, id) in self.entities.iter().enumerate() {
            check_entity_id(id).map_err(|why| {
                invalid(
                    "entities",
                    format!("entities[{index}] {why}: expected `<kind>:<id>`"),
                )
            })?;
        }
        for (field, at) in [("starts_at", self.starts_at), ("ends_at", self.ends_at)] {
            if at.is_before_unix_epoch() {
                return Err(invalid(
                    field,
                    format!("{field} must not be before 1970-01-01T00:00:00Z, got {at}"),
                ));
            }
        }
        let (starts_ms, ends_ms) = (self.starts_at.unix_ms(), self.ends_at.unix_ms());
        if ends_ms <= starts_ms {
            return Err(invalid(
                "ends_at",
                format!(
                    "ends_at ({}) must be after starts_at ({})",
                    self.ends_at, self.starts_at
                ),
            ));
        }
        if ends_ms - starts_ms > MAX_WINDOW_MS {
            return Err(invalid(
                "ends_at",
                "ends_at must be at most 31 days after starts_at",
            ));
        }
        if self.reason.is_empty() {
            return Err(invalid("reason", "reason must not be empty"));
        }
        let chars = self.reason.chars().count();
        if chars > MAX_REASON_CHARS {
            return Err(invalid(
                "reason",
                format!("reason must be at most {MAX_REASON_CHARS} characters, got {chars}"),
            ));
        }
        Ok(())
    }
}

/// Why an entity id is refused, if it is.
fn check_entity_id(id: &str) -> Result<(), String> {
    let chars = id.chars().count();
    if chars > MAX_ENTITY_ID_CHARS {
        return Err(format!(
            "is {chars} characters long (at most {MAX_ENTITY_ID_CHARS})"
        ));
    }
    match id.split_once(':') {
        Some((kind, rest)) if !kind.is_empty() && !rest.is_empty() => Ok(()),
        _ => Err(format!("{id:?} is not an entity id")),
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        message: message.into(),
        details: Some(serde_json::json!({ "location": "body", "field": field })),
    }
}

/// The schema of `entities`: what [`NewMaintenance::validate`] checks, as far as JSON Schema can
/// say it. `[\s\S]` rather than `.` so that any character (newlines too) may follow the colon.
fn entities_schema() -> impl Into<RefOr<Schema>> {
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^[^:]+:[\s\S]+$"))
        .max_length(Some(MAX_ENTITY_ID_CHARS))
        .examples([serde_json::json!("pon_port:olt-1/0/3")]);
    ArrayBuilder::new()
        .description(Some(
            "The entities under maintenance, `<kind>:<id>` (`olt:olt-1`); the window covers \
             them and everything that depends on them.",
        ))
        .items(item)
        .min_items(Some(1))
        .max_items(Some(MAX_WINDOW_ENTITIES))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_714_564_800_000;

    fn window() -> NewMaintenance {
        NewMaintenance {
            entities: vec!["olt:olt-1".to_owned(), "pon_port:olt-1/0/3".to_owned()],
            starts_at: Timestamp::from_unix_ms(T),
            ends_at: Timestamp::from_unix_ms(T + 3_600_000),
            reason: "PON 1/1 splice".to_owned(),
        }
    }

    fn field_of(error: ApiError) -> String {
        match error {
            ApiError::BadRequest {
                details: Some(details),
                ..
            } => details["field"].as_str().unwrap_or_default().to_owned(),
            other => panic!("not a 400 with details: {other:?}"),
        }
    }

    #[test]
    fn a_sound_window_passes_and_limits_are_inclusive() {
        assert!(window().validate().is_ok());
        let mut longest = window();
        longest.ends_at = Timestamp::from_unix_ms(T + MAX_WINDOW_MS);
        longest.reason = "é".repeat(MAX_REASON_CHARS);
        longest.entities = vec![format!("a:{}", "é".repeat(MAX_ENTITY_ID_CHARS - 2)); 1000];
        assert!(longest.validate().is_ok());
    }

    /// Breaks one rule of a sound window.
    type Breakage = fn(&mut NewMaintenance);

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(Breakage, &str)> = vec![
            (|w| w.entities.clear(), "entities"),
            (|w| w.entities = vec!["a:b".to_owned(); 1001], "entities"),
            (|w| w.entities.push("olt".to_owned()), "entities"),
            (|w| w.entities.push(":x".to_owned()), "entities"),
            (|w| w.entities.push("olt:".to_owned()), "entities"),
            (
                |w| w.entities.push(format!("a:{}", "b".repeat(255))),
                "entities",
            ),
            (|w| w.ends_at = w.starts_at, "ends_at"),
            (|w| w.ends_at = Timestamp::from_unix_ms(T - 1), "ends_at"),
            (
                |w| w.ends_at = Timestamp::from_unix_ms(T + MAX_WINDOW_MS + 1),
                "ends_at",
            ),
            (|w| w.reason.clear(), "reason"),
            (|w| w.reason = "x".repeat(501), "reason"),
        ];
        for (index, (break_it, field)) in cases.into_iter().enumerate() {
            let mut w = window();
            break_it(&mut w);
            let error = w.validate().expect_err(&format!("case {index} passed"));
            assert_eq!(field_of(error), field, "case {index}");
        }
        let mut early = window();
        early.starts_at = Timestamp::parse("1969-12-31T23:00:00Z").unwrap();
        assert_eq!(field_of(early.validate().unwrap_err()), "starts_at");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"entities":["olt:a"],"starts_at":"2024-05-01T12:00:00Z",
            "ends_at":"2024-05-01T13:00:00Z","reason":"x","silence":true}"#;
        let error = serde_json::from_str::<NewMaintenance>(json).unwrap_err();
        assert!(error.to_string().contains("silence"), "{error}");
    }
}
