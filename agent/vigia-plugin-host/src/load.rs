//! Loading: compile (once per binary), check the exported contract version, link, then call
//! `describe` in a fresh store and validate what the plugin says about itself.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::bindings::PluginPre;
use crate::bindings::vigia::plugin::types::PluginInfo as WitPluginInfo;
use crate::cache::Compiled;
use crate::plugin::{PluginInner, is_valid_id};
use crate::run::Call;
use crate::{Grants, LoadError, Plugin, PluginHost, PluginInfo, convert};

/// Versions of `vigia:plugin/probe` this host runs. A plugin exporting a semver-compatible
/// version (same major, and same minor while major is 0) is accepted too.
pub const SUPPORTED_WIT_VERSIONS: &[&str] = &["0.1.0"];

const PROBE_EXPORT: &str = "vigia:plugin/probe";

impl PluginHost {
    /// Reads and loads a plugin file; errors name the file.
    pub async fn load_file(&self, path: impl AsRef<Path>) -> Result<Plugin, LoadError> {
        let path = path.as_ref();
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| LoadError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        self.load(&bytes, &path.display().to_string()).await
    }

    /// Loads a plugin from component bytes. `name_hint` (usually the file name) names the plugin
    /// in errors until its `describe` says who it is.
    pub async fn load(&self, bytes: &[u8], name_hint: &str) -> Result<Plugin, LoadError> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let compiled = self
            .inner
            .cache
            .get_or_build(hash, async || self.compile(bytes, hash, name_hint).await)
            .await?;
        let raw = self.describe_compiled(&compiled, name_hint).await?;
        let (info, validator) = validate_info(raw, &compiled, name_hint)?;
        tracing::debug!(plugin = %info.id, version = %info.version, wit = %info.wit_version, "plugin loaded");
        Ok(Plugin {
            inner: Arc::new(PluginInner {
                info,
                compiled,
                validator,
            }),
        })
    }

    /// Calls `describe` again on a loaded plugin (fresh store, short deadline).
    pub async fn describe(&self, plugin: &Plugin) -> Result<PluginInfo, LoadError> {
        let raw = self
            .describe_compiled(&plugin.inner.compiled, &plugin.info().id)
            .await?;
        Ok(validate_info(raw, &plugin.inner.compiled, &plugin.info().id)?.0)
    }

    async fn compile(
        &self,
        bytes: &[u8],
        hash: [u8; 32],
        name: &str,
    ) -> Result<Compiled, LoadError> {
        let engine = self.inner.engine.clone();
        let owned = bytes.to_vec();
        self.inner.cache.note_compile();
        let compile_error = |reason: String| LoadError::Compile {
            plugin: name.to_owned(),
            reason,
        };
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &owned))
            .await
            .map_err(|e| compile_error(format!("compiler task failed: {e}")))?
            .map_err(|e| compile_error(format!("{e:#}")))?;
        let wit_version = probe_version(&self.inner.engine, &component, name)?;
        let link_error = |e: wasmtime::Error| LoadError::Link {
            plugin: name.to_owned(),
            reason: format!("{e:#}"),
        };
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(link_error)?;
        let pre = PluginPre::new(pre).map_err(link_error)?;
        Ok(Compiled {
            pre,
            wit_version,
            sha256: hash,
        })
    }

    async fn describe_compiled(
        &self,
        compiled: &Compiled,
        name: &str,
    ) -> Result<WitPluginInfo, LoadError> {
        let limits = crate::Limits {
            deadline: self.inner.describe_deadline,
            max_log_lines: 20,
            max_host_calls: 100,
            ..crate::Limits::default()
        };
        let mut store = self.new_store(name.to_owned(), Grants::none(), limits, 0);
        match self.invoke(&compiled.pre, &mut store, Call::Describe).await {
            Ok(out) => Ok(out.into_describe()),
            Err(fault) => Err(LoadError::Describe {
                plugin: name.to_owned(),
                fault,
            }),
        }
    }
}

/// The `vigia:plugin/probe` version the component exports, if this host supports it.
fn probe_version(engine: &Engine, component: &Component, name: &str) -> Result<String, LoadError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_owned()).collect();
    let wanted: Vec<&str> = exports
        .iter()
        .filter_map(|e| e.strip_prefix(PROBE_EXPORT))
        .map(|rest| rest.strip_prefix('@').unwrap_or("(unversioned)"))
        .collect();
    if let Some(ok) = wanted.iter().find(|v| is_supported(v)) {
        return Ok((*ok).to_owned());
    }
    match wanted.first() {
        Some(v) => Err(LoadError::UnsupportedVersion {
            plugin: name.to_owned(),
            wanted: (*v).to_owned(),
            supported: SUPPORTED_WIT_VERSIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }),
        None => Err(LoadError::NotAPlugin {
            plugin: name.to_owned(),
            exports,
        }),
    }
}

/// Same rule as the component model's semver matching: `0.x.*` within a minor, `x.*` within a major.
pub(crate) fn is_supported(version: &str) -> bool {
    let Ok(wanted) = semver::Version::parse(version) else {
        return false;
    };
    SUPPORTED_WIT_VERSIONS
        .iter()
        .filter_map(|s| semver::Version::parse(s).ok())
        .any(|have| {
            wanted.pre.is_empty()
                && wanted.major == have.major
                && (have.major > 0 || wanted.minor == have.minor)
                && (have.major > 0 || have.minor > 0 || wanted.patch == have.patch)
        })
}

fn invalid(name: &str, reason: String) -> LoadError {
    LoadError::InvalidInfo {
        plugin: name.to_owned(),
        reason,
    }
}

fn validate_info(
    raw: WitPluginInfo,
    compiled: &Compiled,
    name: &str,
) -> Result<(PluginInfo, jsonschema::Validator), LoadError> {
    check_info(raw, &compiled.wit_version, &compiled.sha256, name)
}

fn check_info(
    raw: WitPluginInfo,
    wit_version: &str,
    sha256: &[u8; 32],
    name: &str,
) -> Result<(PluginInfo, jsonschema::Validator), LoadError> {
    if !is_valid_id(&raw.id) {
        return Err(invalid(
            name,
            format!("id '{}' must be 1 to 64 characters of [a-z0-9-]", raw.id),
        ));
    }
    if let Err(e) = semver::Version::parse(&raw.version) {
        return Err(invalid(
            name,
            format!("version '{}' is not semver: {e}", raw.version),
        ));
    }
    let config_schema: serde_json::Value = serde_json::from_str(&raw.config_schema)
        .map_err(|e| invalid(name, format!("config-schema is not JSON: {e}")))?;
    // Checks the schema against its meta-schema too; remote `$ref`s cannot resolve (no resolver).
    let validator = jsonschema::validator_for(&config_schema).map_err(|e| {
        invalid(
            name,
            format!("config-schema is not a valid JSON Schema: {e}"),
        )
    })?;
    let info = PluginInfo {
        id: raw.id,
        version: raw.version,
        description: raw.description,
        capabilities: raw
            .capabilities
            .into_iter()
            .map(convert::capability)
            .collect(),
        config_schema,
        wit_version: wit_version.to_owned(),
        sha256: hex::encode(sha256),
    };
    Ok((info, validator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_errors_are_errors_not_panics() {
        for schema in [
            serde_json::json!({"type": "invalid_type"}),
            serde_json::json!({"$schema": "https://example.invalid/unknown", "type": "object"}),
            serde_json::json!({"$ref": "https://example.invalid/remote.json"}),
        ] {
            assert!(jsonschema::validator_for(&schema).is_err(), "{schema}");
        }
    }

    fn info(id: &str, version: &str, schema: &str) -> WitPluginInfo {
        WitPluginInfo {
            id: id.into(),
            version: version.into(),
            description: "d".into(),
            capabilities: vec![],
            config_schema: schema.into(),
        }
    }

    fn reason(raw: WitPluginInfo) -> String {
        match check_info(raw, "0.1.0", &[0; 32], "x.wasm") {
            Err(LoadError::InvalidInfo { plugin, reason }) => {
                assert_eq!(plugin, "x.wasm");
                reason
            }
            Err(other) => panic!("expected InvalidInfo, got {other:?}"),
            Ok(_) => panic!("expected InvalidInfo, got a valid info"),
        }
    }

    #[test]
    fn describe_output_is_validated() {
        let schema = r#"{"type":"object"}"#;
        let (ok, _) =
            check_info(info("olt-2", "1.2.3", schema), "0.1.0", &[0xab; 32], "x").unwrap();
        assert_eq!(ok.sha256, "ab".repeat(32));
        assert_eq!(ok.config_schema, serde_json::json!({"type": "object"}));
        assert!(reason(info("Bad_Id", "1.0.0", schema)).starts_with("id 'Bad_Id' must be"));
        assert!(reason(info("", "1.0.0", schema)).starts_with("id '' must be"));
        assert!(reason(info("ok", "1.0", schema)).starts_with("version '1.0' is not semver"));
        assert!(reason(info("ok", "1.0.0", "{not json")).starts_with("config-schema is not JSON"));
        let invalid = reason(info("ok", "1.0.0", r#"{"type":"invalid_type"}"#));
        assert!(
            invalid.starts_with("config-schema is not a valid JSON Schema"),
            "{invalid}"
        );
    }

    #[test]
    fn supported_versions_follow_semver_compatibility() {
        assert!(is_supported("0.1.0"));
        assert!(is_supported("0.1.7"));
        assert!(!is_supported("0.2.0"));
        assert!(!is_supported("9.0.0"));
        assert!(!is_supported("0.1.0-rc.1"));
        assert!(!is_supported("(unversioned)"));
    }
}
