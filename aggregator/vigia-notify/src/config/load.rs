//! Validation and loading: from [`NotifyConfig`] to [`LoadedConfig`], with the secrets read.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ChannelConfig, NotifyConfig, Route, TemplateField, UtcOffsetSetting};
use crate::render::RenderOptions;
use crate::secret::Secret;

/// A configuration problem, found when parsing or loading.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid notify configuration: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("notify configuration: {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("notify configuration: channel name {name:?} is used more than once")]
    DuplicateChannel { name: String },
    #[error("notify configuration: {field}: cannot read secret file {}", path.display())]
    SecretFile {
        field: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("notify configuration: {field}: environment variable {var} is not set (or not UTF-8)")]
    SecretEnv { field: String, var: String },
    #[error("notify configuration: {field}: the secret is empty")]
    EmptySecret { field: String },
}

/// The configuration ready to use: validated, secrets read.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub render: RenderOptions,
    pub delivery: DeliveryOptions,
    pub channels: Vec<Channel>,
}

/// How the notifier sends and retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryOptions {
    pub request_timeout: Duration,
    pub give_up_after: Duration,
    pub retry_initial: Duration,
    pub retry_max: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        let config = NotifyConfig::default();
        Self {
            request_timeout: Duration::from_secs(config.request_timeout_secs),
            give_up_after: Duration::from_secs(config.give_up_after_secs),
            retry_initial: Duration::from_millis(config.retry_initial_ms),
            retry_max: Duration::from_millis(config.retry_max_ms),
        }
    }
}

/// A loaded channel.
#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub target: Target,
    pub route: Route,
}

/// Where a channel's notices go, with its secret.
#[derive(Debug, Clone)]
pub enum Target {
    Telegram(TelegramTarget),
    WhatsApp(WhatsAppTarget),
    Webhook(WebhookTarget),
}

impl Target {
    /// `telegram`, `whatsapp` or `webhook`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Telegram(_) => "telegram",
            Self::WhatsApp(_) => "whatsapp",
            Self::Webhook(_) => "webhook",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TelegramTarget {
    pub bot_token: Secret,
    pub chat_id: String,
    /// Without a trailing `/`.
    pub api_url: String,
}

#[derive(Debug, Clone)]
pub struct WhatsAppTarget {
    pub access_token: Secret,
    pub phone_number_id: String,
    /// Digits only.
    pub to: String,
    pub template: String,
    pub language: String,
    pub parameters: Vec<TemplateField>,
    /// Without a trailing `/`.
    pub api_url: String,
    pub api_version: String,
}

#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: Secret,
    pub headers: BTreeMap<String, String>,
}

impl NotifyConfig {
    /// Parses a TOML document (unknown fields are errors). Nothing is read yet: see [`Self::load`].
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Ok(toml::from_str(text)?)
    }

    /// Validates the configuration and reads every channel's secret.
    pub fn load(&self) -> Result<LoadedConfig, ConfigError> {
        let public_url = match &self.public_url {
            Some(url) => {
                check_http_url("public_url", url)?;
                Some(url.trim_end_matches('/').to_owned())
            }
            None => None,
        };
        if !(1..=300).contains(&self.request_timeout_secs) {
            return Err(invalid(
                "request_timeout_secs",
                format!("{} is out of range (1 to 300)", self.request_timeout_secs),
            ));
        }
        if self.give_up_after_secs == 0 {
            return Err(invalid("give_up_after_secs", "must be at least 1"));
        }
        if self.retry_initial_ms == 0 {
            return Err(invalid("retry_initial_ms", "must be at least 1"));
        }
        if self.retry_max_ms < self.retry_initial_ms {
            return Err(invalid(
                "retry_max_ms",
                format!(
                    "{} is less than retry_initial_ms ({})",
                    self.retry_max_ms, self.retry_initial_ms
                ),
            ));
        }
        let mut names = HashSet::new();
        let mut channels = Vec::with_capacity(self.channels.len());
        for (index, channel) in self.channels.iter().enumerate() {
            if !names.insert(channel.name.as_str()) {
                return Err(ConfigError::DuplicateChannel {
                    name: channel.name.clone(),
                });
            }
            channels.push(load_channel(index, channel)?);
        }
        Ok(LoadedConfig {
            render: RenderOptions {
                public_url,
                max_logins: self.max_logins,
                utc_offset: utc_offset(self.utc_offset),
            },
            delivery: DeliveryOptions {
                request_timeout: Duration::from_secs(self.request_timeout_secs),
                give_up_after: Duration::from_secs(self.give_up_after_secs),
                retry_initial: Duration::from_millis(self.retry_initial_ms),
                retry_max: Duration::from_millis(self.retry_max_ms),
            },
            channels,
        })
    }
}

impl LoadedConfig {
    /// The channel with this name.
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }
}

fn utc_offset(setting: UtcOffsetSetting) -> time::UtcOffset {
    let minutes = i32::from(setting.minutes);
    // The setting is range-checked at parse time (±14 h); UTC if it somehow is not.
    time::UtcOffset::from_whole_seconds(minutes * 60).unwrap_or(time::UtcOffset::UTC)
}

fn load_channel(index: usize, config: &ChannelConfig) -> Result<Channel, ConfigError> {
    let at = format!("channels[{index}]");
    check_name(&at, &config.name)?;
    let at = format!("channels[{index}] ({})", config.name);
    check_route(&at, &config.route)?;
    let set = [
        config.telegram.is_some(),
        config.whatsapp.is_some(),
        config.webhook.is_some(),
    ];
    if set.iter().filter(|s| **s).count() != 1 {
        return Err(invalid(
            &at,
            "set exactly one of `telegram`, `whatsapp` and `webhook`",
        ));
    }
    let target = if let Some(t) = &config.telegram {
        let field = format!("{at}.telegram");
        let chat_id = t.chat_id.trim();
        if chat_id.is_empty() {
            return Err(invalid(format!("{field}.chat_id"), "is empty"));
        }
        check_http_url(&format!("{field}.api_url"), &t.api_url)?;
        let bot_token = read_secret(
            &field,
            ("bot_token_file", t.bot_token_file.as_deref()),
            ("bot_token_env", t.bot_token_env.as_deref()),
        )?;
        if bot_token.expose().contains(['/', '?', '#', ' ']) {
            return Err(invalid(
                format!("{field}.bot_token"),
                "does not look like a bot token (it contains `/`, `?`, `#` or a space)",
            ));
        }
        Target::Telegram(TelegramTarget {
            bot_token,
            chat_id: chat_id.to_owned(),
            api_url: t.api_url.trim_end_matches('/').to_owned(),
        })
    } else if let Some(w) = &config.whatsapp {
        let field = format!("{at}.whatsapp");
        let phone_number_id = w.phone_number_id.trim();
        if phone_number_id.is_empty() || !phone_number_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                format!("{field}.phone_number_id"),
                "must be the numeric id of the sending phone number",
            ));
        }
        let to = w.to.trim();
        let to = to.strip_prefix('+').unwrap_or(to);
        if to.len() < 6 || !to.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                format!("{field}.to"),
                "must be a phone number in international format, digits only (5511999990000)",
            ));
        }
        for (name, value) in [
            ("template", &w.template),
            ("language", &w.language),
            ("api_version", &w.api_version),
        ] {
            if value.trim().is_empty() || value.contains(['/', '?', '#', ' ']) {
                return Err(invalid(
                    format!("{field}.{name}"),
                    format!("{value:?} is empty or not a plain name"),
                ));
            }
        }
        check_http_url(&format!("{field}.api_url"), &w.api_url)?;
        let access_token = read_secret(
            &field,
            ("access_token_file", w.access_token_file.as_deref()),
            ("access_token_env", w.access_token_env.as_deref()),
        )?;
        Target::WhatsApp(WhatsAppTarget {
            access_token,
            phone_number_id: phone_number_id.to_owned(),
            to: to.to_owned(),
            template: w.template.clone(),
            language: w.language.clone(),
            parameters: w.parameters.clone(),
            api_url: w.api_url.trim_end_matches('/').to_owned(),
            api_version: w.api_version.clone(),
        })
    } else if let Some(h) = &config.webhook {
        let field = format!("{at}.webhook");
        check_http_url(&format!("{field}.url"), &h.url)?;
        for (name, value) in &h.headers {
            check_header(&format!("{field}.headers"), name, value)?;
        }
        let secret = read_secret(
            &field,
            ("secret_file", h.secret_file.as_deref()),
            ("secret_env", h.secret_env.as_deref()),
        )?;
        Target::Webhook(WebhookTarget {
            url: h.url.clone(),
            secret,
            headers: h.headers.clone(),
        })
    } else {
        return Err(invalid(
            &at,
            "set exactly one of `telegram`, `whatsapp` and `webhook`",
        ));
    };
    Ok(Channel {
        name: config.name.clone(),
        target,
        route: config.route.clone(),
    })
}

fn check_name(at: &str, name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            format!("{at}.name"),
            format!("{name:?} must be 1 to 64 letters, digits, `-`, `_` or `.`"),
        ))
    }
}

fn check_route(at: &str, route: &Route) -> Result<(), ConfigError> {
    if route.kinds.is_empty() {
        return Err(invalid(
            format!("{at}.route.kinds"),
            "is empty: the channel would receive nothing",
        ));
    }
    if route.notices.is_empty() {
        return Err(invalid(
            format!("{at}.route.notices"),
            "is empty: the channel would receive nothing",
        ));
    }
    for (name, list) in [("root_kinds", &route.root_kinds), ("roots", &route.roots)] {
        if let Some(list) = list {
            if list.is_empty() {
                return Err(invalid(
                    format!("{at}.route.{name}"),
                    "is empty: the channel would receive nothing (leave it out to allow all)",
                ));
            }
            if list.iter().any(|v| v.trim().is_empty()) {
                return Err(invalid(
                    format!("{at}.route.{name}"),
                    "contains an empty entry",
                ));
            }
        }
    }
    Ok(())
}

fn check_http_url(field: &str, url: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| invalid(field, format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid(
            field,
            format!("{url:?} must be an http:// or https:// URL with a host"),
        ));
    }
    Ok(())
}

fn check_header(field: &str, name: &str, value: &str) -> Result<(), ConfigError> {
    let header = reqwest::header::HeaderName::try_from(name)
        .map_err(|_| invalid(field, format!("{name:?} is not a valid header name")))?;
    if header == reqwest::header::CONTENT_TYPE || header.as_str().starts_with("x-vigia-") {
        return Err(invalid(
            field,
            format!("{name:?} is set by Vigia and cannot be replaced"),
        ));
    }
    reqwest::header::HeaderValue::try_from(value).map_err(|_| {
        invalid(
            field,
            format!("the value of {name:?} is not a valid header value"),
        )
    })?;
    Ok(())
}

/// Reads a secret from exactly one of a file and an environment variable.
fn read_secret(
    field: &str,
    (file_key, file): (&str, Option<&Path>),
    (env_key, env): (&str, Option<&str>),
) -> Result<Secret, ConfigError> {
    let (text, at) = match (file, env) {
        (Some(path), None) => {
            let at = format!("{field}.{file_key}");
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
                field: at.clone(),
                path: path.to_owned(),
                source,
            })?;
            (text, at)
        }
        (None, Some(var)) => {
            let at = format!("{field}.{env_key}");
            let text = std::env::var(var).map_err(|_| ConfigError::SecretEnv {
                field: at.clone(),
                var: var.to_owned(),
            })?;
            (text, at)
        }
        _ => {
            return Err(invalid(
                field,
                format!("set exactly one of `{file_key}` and `{env_key}`"),
            ));
        }
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(ConfigError::EmptySecret { field: at });
    }
    Ok(Secret::new(text))
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}
