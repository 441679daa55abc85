//! `[notify]`: notification channels (Telegram, WhatsApp, signed webhooks) and their routing, as
//! `vigia-notify` defines them. Secret files are read when the config is checked, so a missing
//! token is a config error naming its line, not a failure at the first outage.

use toml::Spanned;
use vigia_notify::{LoadedConfig, NotifyConfig};

use super::{ConfigError, Resolve};

pub(super) type RawNotify = Option<Spanned<toml::Table>>;

pub(super) fn resolve(
    raw: RawNotify,
    cx: &Resolve<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<LoadedConfig> {
    let spanned = raw?;
    let location = cx.at(spanned.span().start);
    let table = spanned.into_inner();
    let mut config: NotifyConfig = match toml::Value::Table(table).try_into() {
        Ok(config) => config,
        Err(error) => {
            let error: toml::de::Error = error;
            errors.push(ConfigError::new(
                &location,
                format!("notify: {}", error.message()),
            ));
            return None;
        }
    };
    // Secret files relative to the config file, like every other path in it.
    for channel in &mut config.channels {
        let files = [
            channel
                .telegram
                .as_mut()
                .and_then(|t| t.bot_token_file.as_mut()),
            channel
                .whatsapp
                .as_mut()
                .and_then(|w| w.access_token_file.as_mut()),
            channel
                .webhook
                .as_mut()
                .and_then(|w| w.secret_file.as_mut()),
        ];
        for path in files.into_iter().flatten() {
            if path.is_relative() {
                *path = cx.base().join(&*path);
            }
        }
    }
    match config.load() {
        Ok(loaded) => Some(loaded),
        Err(error) => {
            errors.push(ConfigError::new(&location, format!("notify: {error}")));
            None
        }
    }
}
