//! `vigia-aggregator apikey create|list|revoke`: REST API keys, stored hashed in the configured
//! store. `create` prints the secret once, alone on stdout, so scripts can capture it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Subcommand;
use vigia_api::{Scope, generate_api_key};

use crate::config::Config;
use crate::{EX_USAGE, check, store};

#[derive(Subcommand)]
pub(crate) enum ApikeyCommand {
    /// Create a key and print its secret (shown once; only its hash is stored).
    Create {
        /// Aggregator config file (TOML): names the store.
        #[arg(long, env = "VIGIA_CONFIG")]
        config: PathBuf,
        /// Who or what uses the key (shown in listings).
        #[arg(long)]
        name: String,
        /// What the key may do: read, operate or admin (each implies the ones before it).
        #[arg(long, default_value = "read")]
        scope: Scope,
        /// Days until the key stops working (default: never).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=3650))]
        expires_days: Option<u64>,
    },
    /// List keys (never their secrets).
    List {
        #[arg(long, env = "VIGIA_CONFIG")]
        config: PathBuf,
    },
    /// Revoke a key by id; it stops working within the API's key cache time (30 s).
    Revoke {
        #[arg(long, env = "VIGIA_CONFIG")]
        config: PathBuf,
        /// The key id (`vigia-aggregator apikey list`).
        id: String,
    },
}

pub(crate) fn run(command: ApikeyCommand) -> ExitCode {
    let config_path = match &command {
        ApikeyCommand::Create { config, .. }
        | ApikeyCommand::List { config }
        | ApikeyCommand::Revoke { config, .. } => config.clone(),
    };
    let config = match Config::load(&config_path) {
        Ok(config) => config,
        Err(errors) => {
            check::report(&errors);
            return ExitCode::from(EX_USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(command, &config, &config_path)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: ApikeyCommand, config: &Config, path: &Path) -> anyhow::Result<ExitCode> {
    let store = store::open(&config.storage)
        .await
        .with_context(|| format!("store of {}", path.display()))?;
    match command {
        ApikeyCommand::Create {
            name,
            scope,
            expires_days,
            ..
        } => {
            let name = name.trim();
            if name.is_empty() || name.len() > 200 {
                eprintln!("error: --name must be 1 to 200 characters");
                return Ok(ExitCode::from(EX_USAGE));
            }
            let expires = expires_days.map(|days| now_ms() + days * 86_400_000);
            let (row, secret) = generate_api_key(name, &[scope], expires);
            let id = row.id.clone();
            store
                .create_api_key(row)
                .await
                .context("cannot store the key")?;
            eprintln!("created API key {id} ({name}, scope {scope}); the secret is shown once:");
            println!("{secret}");
        }
        ApikeyCommand::List { .. } => {
            let keys = store.list_api_keys().await.context("cannot list keys")?;
            println!(
                "{:<14} {:<8} {:<10} {:<24} NAME",
                "ID", "SCOPE", "STATUS", "CREATED"
            );
            let now = now_ms();
            for key in keys {
                let status = match (key.revoked_at_ms, key.expires_at_ms) {
                    (Some(_), _) => "revoked",
                    (None, Some(at)) if at <= now => "expired",
                    _ => "active",
                };
                println!(
                    "{:<14} {:<8} {:<10} {:<24} {}",
                    key.id,
                    key.scopes.join(","),
                    status,
                    key.created_at_ms,
                    key.name
                );
            }
        }
        ApikeyCommand::Revoke { id, .. } => {
            if store
                .revoke_api_key(&id, now_ms())
                .await
                .context("cannot revoke the key")?
            {
                println!("revoked API key {id}");
            } else {
                eprintln!("error: no API key has the id {id}");
                return Ok(ExitCode::from(EX_USAGE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
