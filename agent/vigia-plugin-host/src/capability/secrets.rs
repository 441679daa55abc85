//! The `secrets` capability: named secrets from the agent's secrets file, per-name grants.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::bindings::vigia::plugin::secrets::Host;
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::grants::denied_text;
use crate::state::HostState;

/// Where secret values come from. Implementations must not log values; `get` may block (the
/// host calls it from a blocking thread).
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Option<String>;
}

/// Secrets held in memory; `Debug` shows the names only.
#[derive(Clone, Default)]
pub struct SecretMap {
    values: HashMap<String, String>,
}

impl SecretMap {
    pub fn new(values: HashMap<String, String>) -> Self {
        Self { values }
    }

    /// Parses a flat TOML file of `name = "value"` pairs (see [`FileSecrets::load`]).
    fn from_toml_file(path: &Path) -> Result<Self, SecretsError> {
        let path_buf = path.to_path_buf();
        let meta = std::fs::metadata(path).map_err(|source| SecretsError::Read {
            path: path_buf.clone(),
            source,
        })?;
        check_mode(path, &meta)?;
        let text = std::fs::read_to_string(path).map_err(|source| SecretsError::Read {
            path: path_buf.clone(),
            source,
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| SecretsError::Parse {
            path: path_buf.clone(),
            reason: e.to_string(),
        })?;
        let mut values = HashMap::new();
        for (name, value) in table {
            match value {
                toml::Value::String(s) => {
                    values.insert(name, s);
                }
                other => {
                    return Err(SecretsError::NotAString {
                        path: path_buf,
                        name,
                        found: other.type_str(),
                    });
                }
            }
        }
        Ok(Self { values })
    }

    /// Number of secrets.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The agent's secrets file: a flat TOML table of `name = "value"` pairs, read once at load.
#[derive(Debug)]
pub struct FileSecrets {
    path: PathBuf,
    secrets: SecretMap,
}

impl FileSecrets {
    /// Loads the file. Refuses a file that the group or others may read or write: its mode must
    /// be 0600 or stricter. Every value must be a string.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SecretsError> {
        let path = path.as_ref();
        Ok(Self {
            path: path.to_path_buf(),
            secrets: SecretMap::from_toml_file(path)?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }
}

impl SecretStore for FileSecrets {
    fn get(&self, name: &str) -> Option<String> {
        self.secrets.get(name)
    }
}

#[cfg(unix)]
fn check_mode(path: &Path, meta: &std::fs::Metadata) -> Result<(), SecretsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretsError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), SecretsError> {
    Ok(())
}

impl SecretStore for SecretMap {
    fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }
}

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.values.keys().collect();
        names.sort();
        f.debug_struct("SecretMap")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

/// The secrets file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read secrets file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("secrets file {} has mode {mode:04o}: it must not be readable by group or others (chmod 600)", path.display())]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("secrets file {} is not valid TOML: {reason}", path.display())]
    Parse { path: PathBuf, reason: String },
    #[error("secret '{name}' in {} is a {found}, expected a string", path.display())]
    NotAString {
        path: PathBuf,
        name: String,
        found: &'static str,
    },
}

impl Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, WitHostError>> {
        self.charge()?;
        if !self.grants.allows_secret(&name) {
            let what = format!("secret '{name}'");
            return Ok(Err(WitHostError::Denied(denied_text(
                &what,
                &self.plugin,
                "it to this probe's grants.secrets",
            ))));
        }
        // A store may block (a file, a vault): keep it off the async workers.
        let store = self.services.secrets.clone();
        let lookup = name.clone();
        let value = tokio::task::spawn_blocking(move || store.get(&lookup))
            .await
            .map_err(|e| wasmtime::Error::msg(format!("secret store task failed: {e}")))?;
        Ok(value.ok_or_else(|| {
            WitHostError::InvalidArgument(format!(
                "secret '{name}' is not defined in the agent's secrets file"
            ))
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn write_secrets(text: &str, mode: u32) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        file
    }

    #[test]
    fn loads_a_private_file() {
        let file = write_secrets("smartolt = \"tok-1\"\nsnmp-pop = \"public\"\n", 0o600);
        let secrets = FileSecrets::load(file.path()).unwrap();
        assert_eq!(secrets.get("smartolt").as_deref(), Some("tok-1"));
        assert_eq!(secrets.get("nope"), None);
        assert_eq!(secrets.len(), 2);
        let debug = format!("{secrets:?}");
        assert!(
            debug.contains("smartolt") && !debug.contains("tok-1"),
            "{debug}"
        );
    }

    #[test]
    fn refuses_group_or_world_readable_files() {
        for mode in [0o640, 0o604, 0o644, 0o660] {
            let file = write_secrets("a = \"b\"\n", mode);
            let err = FileSecrets::load(file.path()).unwrap_err();
            assert!(
                matches!(err, SecretsError::TooOpen { .. }),
                "{mode:o}: {err}"
            );
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        let file = write_secrets("a = \"b\"\n", 0o400);
        assert!(FileSecrets::load(file.path()).is_ok());
    }

    #[test]
    fn refuses_non_string_values_and_bad_toml() {
        let file = write_secrets("port = 161\n", 0o600);
        let err = FileSecrets::load(file.path()).unwrap_err();
        assert!(err.to_string().contains("'port'"), "{err}");
        let file = write_secrets("a = \n", 0o600);
        assert!(matches!(
            FileSecrets::load(file.path()),
            Err(SecretsError::Parse { .. })
        ));
    }
}
