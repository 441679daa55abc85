//! Plugin config: JSON in, a typed config out, and the JSON Schema `describe` reports.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::PluginError;

/// Deserializes a probe's JSON config. An empty document counts as `{}`.
///
/// A bad config becomes a [`crate::ErrorClass::Config`] error that names the field:
/// ``invalid config at `count`: invalid type: string "3", expected u16 at line 1 column 13``.
pub fn parse_config<C: DeserializeOwned>(json: &str) -> Result<C, PluginError> {
    let json = if json.trim().is_empty() { "{}" } else { json };
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let config = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            PluginError::config(format!("invalid config: {inner}"))
        } else {
            PluginError::config(format!("invalid config at `{path}`: {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|error| PluginError::config(format!("invalid config: {error}")))?;
    Ok(config)
}

/// The JSON Schema (draft 2020-12) of a config type, as a JSON string.
pub fn config_schema<C: JsonSchema>() -> String {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<C>();
    schema.as_value().to_string()
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use serde::Deserialize;

    use super::*;
    use crate::ErrorClass;

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Config {
        #[serde(default = "three")]
        count: u16,
        community_ref: Option<String>,
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    struct Nested {
        port: u16,
    }

    fn three() -> u16 {
        3
    }

    #[test]
    fn empty_document_means_defaults() {
        let config: Config = parse_config("  ").unwrap();
        assert_eq!(config.count, 3);
        assert_eq!(config.community_ref, None);
    }

    #[test]
    fn wrong_type_names_the_field() {
        let error = parse_config::<Config>(r#"{"count": "3"}"#).unwrap_err();
        assert_eq!(error.class, ErrorClass::Config);
        assert!(
            error
                .message
                .starts_with("invalid config at `count`: invalid type: string \"3\""),
            "{error}"
        );
    }

    #[test]
    fn nested_field_is_named_with_its_path() {
        let error = parse_config::<Config>(r#"{"nested": {"port": 70000}}"#).unwrap_err();
        assert!(
            error
                .message
                .starts_with("invalid config at `nested.port`:"),
            "{error}"
        );
    }

    #[test]
    fn unknown_field_is_named() {
        let error = parse_config::<Config>(r#"{"cout": 3}"#).unwrap_err();
        assert!(error.message.contains("unknown field `cout`"), "{error}");
    }

    #[test]
    fn malformed_json_and_trailing_garbage_are_config_errors() {
        for json in [r#"{"count": "#, r#"{} {}"#, "[]"] {
            let error = parse_config::<Config>(json).unwrap_err();
            assert_eq!(error.class, ErrorClass::Config, "{json}");
        }
    }

    #[test]
    fn schema_is_draft_2020_12_and_describes_the_fields() {
        let schema: serde_json::Value = serde_json::from_str(&config_schema::<Config>()).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["properties"]["count"]["type"], "integer");
        assert_eq!(schema["properties"]["count"]["default"], 3);
        assert_eq!(schema["additionalProperties"], false);
    }
}
