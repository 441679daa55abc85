//! The aggregator's TOML config: parsed into `Raw*` (serde, spans kept), then resolved into
//! [`Config`] with every value checked. Errors point at the file and line.

mod agents;
mod api;
mod correlation;
mod diagnosis;
mod notify;
mod state;
mod storage;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub(crate) use agents::AgentsConfig;
pub(crate) use api::ApiSection;
pub(crate) use correlation::CorrelationSection;
pub(crate) use diagnosis::DiagnosisSection;
pub(crate) use state::StateSection;
pub(crate) use storage::{Backend, StorageConfig};

/// Default and bounds of `server.max_message_bytes`.
const DEFAULT_MAX_MESSAGE_BYTES: u64 = 16 * 1024 * 1024;
const MIN_MAX_MESSAGE_BYTES: u64 = 64 * 1024;
const MAX_MAX_MESSAGE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: RawServer,
    storage: Spanned<storage::RawStorage>,
    tls: RawTls,
    #[serde(default)]
    agents: agents::RawAgents,
    api: Option<api::RawApi>,
    #[serde(default)]
    state: state::RawState,
    #[serde(default)]
    correlation: correlation::RawCorrelation,
    #[serde(default)]
    diagnosis: diagnosis::RawDiagnosis,
    #[serde(default)]
    notify: notify::RawNotify,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Spanned<String>,
    max_message_bytes: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Spanned<PathBuf>,
    key: Spanned<PathBuf>,
    client_ca: Spanned<PathBuf>,
}

/// The resolved config: paths absolute, values checked.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) listen: SocketAddr,
    pub(crate) max_message_bytes: usize,
    pub(crate) storage: StorageConfig,
    pub(crate) tls: TlsPaths,
    pub(crate) agents: AgentsConfig,
    /// `None`: no REST API (no `[api]` section).
    pub(crate) api: Option<ApiSection>,
    pub(crate) state: StateSection,
    pub(crate) correlation: CorrelationSection,
    pub(crate) diagnosis: DiagnosisSection,
    /// `None`: no notifications (no `[notify]` section); events are still recorded.
    pub(crate) notify: Option<vigia_notify::LoadedConfig>,
}

/// Where the TLS material is, each with the line that names it.
#[derive(Debug)]
pub(crate) struct TlsPaths {
    pub(crate) cert: Located<PathBuf>,
    pub(crate) key: Located<PathBuf>,
    pub(crate) client_ca: Located<PathBuf>,
}

/// A value and where the config file set it.
#[derive(Debug, Clone)]
pub(crate) struct Located<T> {
    pub(crate) value: T,
    pub(crate) location: Location,
}

/// A place in a config file.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A config error with its place in the file.
#[derive(Debug)]
pub(crate) struct ConfigError {
    pub(crate) location: Location,
    pub(crate) message: String,
}

impl ConfigError {
    pub(crate) fn new(location: &Location, message: impl Into<String>) -> Self {
        Self {
            location: location.clone(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and resolves a config file. Returns every problem found, not only the first.
    pub(crate) fn load(path: &Path) -> Result<Self, Vec<ConfigError>> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            vec![ConfigError {
                location: Location {
                    file: path.to_path_buf(),
                    line: 0,
                },
                message: format!("cannot read config: {error}"),
            }]
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` is used for messages and to resolve relative paths.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, Vec<ConfigError>> {
        let at = |offset: usize| Location {
            file: path.to_path_buf(),
            line: text[..offset.min(text.len())].matches('\n').count() + 1,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            vec![ConfigError::new(
                &at(error.span().map_or(0, |span| span.start)),
                error.message(),
            )]
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |spanned: Spanned<PathBuf>| {
            let location = at(spanned.span().start);
            let value = spanned.into_inner();
            Located {
                value: if value.is_absolute() {
                    value
                } else {
                    base.join(value)
                },
                location,
            }
        };

        let mut errors = Vec::new();
        let listen_at = at(raw.server.listen.span().start);
        let listen = raw.server.listen.into_inner();
        let listen = listen.parse::<SocketAddr>().map_err(|_| {
            errors.push(ConfigError::new(
                &listen_at,
                format!(
                    "server.listen `{listen}` must be an IP address and port, e.g. \"0.0.0.0:7443\""
                ),
            ));
        });
        let max_message_bytes = match raw.server.max_message_bytes {
            None => DEFAULT_MAX_MESSAGE_BYTES,
            Some(spanned) => {
                let value = *spanned.get_ref();
                if !(MIN_MAX_MESSAGE_BYTES..=MAX_MAX_MESSAGE_BYTES).contains(&value) {
                    errors.push(ConfigError::new(
                        &at(spanned.span().start),
                        format!(
                            "server.max_message_bytes ({value}) must be between {MIN_MAX_MESSAGE_BYTES} and {MAX_MAX_MESSAGE_BYTES}"
                        ),
                    ));
                }
                value
            }
        };
        let cx = Resolve { at: &at, base };
        let storage = storage::resolve(raw.storage, &cx, &mut errors);
        let agents = agents::resolve(raw.agents, &cx, &mut errors);
        let api = raw.api.map(|api| api::resolve(api, &cx, &mut errors));
        let state = state::resolve(raw.state, &cx, &mut errors);
        let correlation = correlation::resolve(raw.correlation, &cx, &mut errors);
        let diagnosis = diagnosis::resolve(raw.diagnosis, &cx, &mut errors);
        let notify = notify::resolve(raw.notify, &cx, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Ok(listen), Ok(max_message_bytes)) = (listen, usize::try_from(max_message_bytes))
        else {
            // Both failures pushed an error above; this branch is not reached with an empty list.
            return Err(errors);
        };
        Ok(Config {
            listen,
            max_message_bytes,
            storage,
            tls: TlsPaths {
                cert: resolve(raw.tls.cert),
                key: resolve(raw.tls.key),
                client_ca: resolve(raw.tls.client_ca),
            },
            agents,
            api,
            state,
            correlation,
            diagnosis,
            notify,
        })
    }
}

/// What section resolvers need: line lookup and the directory relative paths start from.
pub(crate) struct Resolve<'a> {
    at: &'a dyn Fn(usize) -> Location,
    base: &'a Path,
}

impl Resolve<'_> {
    pub(crate) fn at(&self, offset: usize) -> Location {
        (self.at)(offset)
    }

    /// The directory relative paths start from.
    pub(crate) fn base(&self) -> &Path {
        self.base
    }

    /// A path from the file, made absolute against the file's directory.
    pub(crate) fn path(&self, spanned: Spanned<PathBuf>) -> Located<PathBuf> {
        let location = self.at(spanned.span().start);
        let value = spanned.into_inner();
        Located {
            value: if value.is_absolute() {
                value
            } else {
                self.base.join(value)
            },
            location,
        }
    }

    /// A number within `range`, or `default` when absent; out of range is an error naming `key`.
    pub(crate) fn ranged(
        &self,
        spanned: Option<Spanned<u64>>,
        key: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
        errors: &mut Vec<ConfigError>,
    ) -> u64 {
        let Some(spanned) = spanned else {
            return default;
        };
        let value = *spanned.get_ref();
        if !range.contains(&value) {
            errors.push(ConfigError::new(
                &self.at(spanned.span().start),
                format!(
                    "{key} ({value}) must be between {} and {}",
                    range.start(),
                    range.end()
                ),
            ));
            return default;
        }
        value
    }
}

#[cfg(test)]
mod tests;
