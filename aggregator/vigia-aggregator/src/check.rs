//! `vigia-aggregator check-config`: everything `serve` would refuse at start, reported before
//! starting, each problem at the line that causes it.

use std::path::Path;
use std::process::ExitCode;

use vigia_ingest::{ServerTls, TlsError};

use crate::EX_USAGE;
use crate::config::{Backend, Config, ConfigError, Located};

pub(crate) fn run(path: &Path) -> ExitCode {
    match load(path) {
        Ok(loaded) => {
            let agents = loaded.config.agents.allowed.as_ref().map_or_else(
                || "any agent with a certificate from the agent CA".to_owned(),
                |ids| format!("{} allowed agents", ids.len()),
            );
            println!(
                "{}: ok (listen {}, {agents})",
                path.display(),
                loaded.config.listen
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            report(&errors);
            ExitCode::from(EX_USAGE)
        }
    }
}

pub(crate) fn report(errors: &[ConfigError]) {
    for error in errors {
        eprintln!("error: {error}");
    }
}

/// A config with its TLS material read and checked.
pub(crate) struct Loaded {
    pub(crate) config: Config,
    pub(crate) tls: ServerTls,
}

/// Loads the config, reads the TLS files and checks that they work together, and checks that the
/// data directory can be one.
pub(crate) fn load(path: &Path) -> Result<Loaded, Vec<ConfigError>> {
    let config = Config::load(path)?;
    let mut errors = Vec::new();
    if let Backend::Sqlite { data_dir } = &config.storage.backend
        && data_dir.value.exists()
        && !data_dir.value.is_dir()
    {
        errors.push(ConfigError::new(
            &data_dir.location,
            format!(
                "storage.data_dir {} exists and is not a directory",
                data_dir.value.display()
            ),
        ));
    }
    if let Some(overrides) = &config.state.overrides
        && let Err(error) = std::fs::metadata(&overrides.value)
    {
        errors.push(ConfigError::new(
            &overrides.location,
            format!(
                "state.overrides {}: cannot read: {error}",
                overrides.value.display()
            ),
        ));
    }
    let files = &config.tls;
    let cert = read(&files.cert, "tls.cert", &mut errors);
    let key = read(&files.key, "tls.key", &mut errors);
    let ca = read(&files.client_ca, "tls.client_ca", &mut errors);
    let (Some(cert), Some(key), Some(ca)) = (cert, key, ca) else {
        return Err(errors);
    };
    match ServerTls::from_pem(&cert, &key, &ca) {
        Ok(tls) if errors.is_empty() => Ok(Loaded { config, tls }),
        Ok(_) => Err(errors),
        Err(error) => {
            // Blame the file the error is about.
            let (key_name, located) = match &error {
                TlsError::Pem { what, .. } | TlsError::NoCertificate { what } => match *what {
                    "server certificate" => ("tls.cert", &files.cert),
                    "server key" => ("tls.key", &files.key),
                    _ => ("tls.client_ca", &files.client_ca),
                },
                TlsError::BadCa(_) | TlsError::Verifier(_) => ("tls.client_ca", &files.client_ca),
                TlsError::ServerCert(_) | TlsError::Read { .. } => ("tls.key", &files.key),
            };
            errors.push(ConfigError::new(
                &located.location,
                format!("{key_name} {}: {}", located.value.display(), chain(&error)),
            ));
            Err(errors)
        }
    }
}

fn read(
    file: &Located<std::path::PathBuf>,
    key: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<Vec<u8>> {
    std::fs::read(&file.value)
        .map_err(|error| {
            errors.push(ConfigError::new(
                &file.location,
                format!("{key} {}: cannot read: {error}", file.value.display()),
            ));
        })
        .ok()
}

/// An error and its sources, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
