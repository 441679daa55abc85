//! The probe's config: credentials, transport, what to read, and the bounds of a run.

use vigia_plugin_sdk::prelude::*;

/// Config of a mikrotik probe. `user` and `password_secret` are required.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// RouterOS user; it needs the `api` (or `rest-api`) and `read` policies, nothing more.
    pub user: String,
    /// Name of the secret holding the user's password (grant it under `secrets`).
    pub password_secret: String,
    /// TLS: the API on 8729 (`api-ssl`) instead of 8728, or HTTPS instead of HTTP for `rest`.
    #[serde(default)]
    pub tls: bool,
    /// Name the router's certificate is checked against; defaults to the target's host.
    #[serde(default)]
    pub tls_server_name: Option<String>,
    /// `api`: the binary API over `tcp` (sessions can be followed live with `listen_ms`).
    /// `rest`: RouterOS 7 REST over `http`, HTTP Basic auth.
    #[serde(default)]
    pub mode: Mode,
    /// What to read: `sessions` (`/ppp/active`), `secrets` (`/ppp/secret`: logins that exist
    /// but are not connected), `interfaces` (`/interface`).
    #[serde(default = "default_read")]
    pub read: Vec<Table>,
    /// After printing the sessions, follow `/ppp/active/listen` this long (milliseconds) to catch
    /// disconnects as they happen; 0 turns it off. `api` mode only.
    #[serde(default)]
    pub listen_ms: u32,
    /// Concentrator name on the session observations; defaults to the target's id.
    #[serde(default)]
    pub concentrator: Option<String>,
    /// The router's clock offset from UTC, minutes (RouterOS writes `last-logged-out` in local time).
    #[serde(default)]
    #[schemars(range(min = -720, max = 840))]
    pub timezone_offset_minutes: i32,
    /// Also report dynamic interfaces (one `<pppoe-login>` per session on a concentrator).
    #[serde(default)]
    pub include_dynamic_interfaces: bool,
    /// Deadline of each network operation (connect, one read, one request), milliseconds.
    #[serde(default = "default_timeout_ms")]
    #[schemars(range(min = 1))]
    pub timeout_ms: u32,
    /// Time the whole run may take, milliseconds: keep it under the probe's `timeout_ms`.
    #[serde(default = "default_run_budget_ms")]
    #[schemars(range(min = 1))]
    pub run_budget_ms: u32,
    /// Most rows read from one table of one router; more is a `budget` failure of that table.
    #[serde(default = "default_max_rows")]
    #[schemars(range(min = 1))]
    pub max_rows: u32,
    /// Most bytes read from one router in one run (`api` mode).
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1))]
    pub max_bytes: u32,
    /// Look up only these logins (a live check of a few subscribers, e.g. on demand): one
    /// `/ppp/active/print ?name=<login>` per login, and with `secrets` one
    /// `/ppp/secret/print ?name=<login>`. A login with no session is reported offline. Such runs
    /// read no interfaces, do not listen (`listen_ms` is ignored), emit no
    /// `pppoe_sessions_online` and leave the session snapshot alone. Empty: the whole tables.
    #[serde(default)]
    #[schemars(length(max = 64))]
    pub logins: Vec<String>,
}

/// How the plugin talks to the router.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Api,
    Rest,
}

/// A table the plugin can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    Sessions,
    Secrets,
    Interfaces,
}

fn default_read() -> Vec<Table> {
    vec![Table::Sessions, Table::Secrets, Table::Interfaces]
}

fn default_timeout_ms() -> u32 {
    5_000
}

fn default_run_budget_ms() -> u32 {
    8_000
}

fn default_max_rows() -> u32 {
    20_000
}

fn default_max_bytes() -> u32 {
    32 << 20
}

/// Most logins one run looks up (each costs one print per table).
const MAX_LOGINS: usize = 64;

impl Config {
    /// The host validates against the schema too; this keeps the plugin safe on its own.
    pub(crate) fn validate(&self) -> Result<(), PluginError> {
        if self.user.is_empty() {
            return Err(PluginError::config("`user` must not be empty"));
        }
        if self.read.is_empty() {
            return Err(PluginError::config("`read` names nothing to read"));
        }
        if self.logins.len() > MAX_LOGINS {
            return Err(PluginError::config(format!(
                "`logins` names {} logins, at most {MAX_LOGINS}",
                self.logins.len()
            )));
        }
        if let Some(bad) = self.logins.iter().find(|l| !valid_login(l)) {
            return Err(PluginError::config(format!(
                "`logins` entry {bad:?} is not a login (empty, or a space, `=`, `?` or `&` in it)"
            )));
        }
        if self.listen_ms > 0 && self.mode == Mode::Rest {
            return Err(PluginError::config(
                "`listen_ms` needs `mode` \"api\" (rest has no listen)",
            ));
        }
        if self.listen_ms > 0 && !self.reads(Table::Sessions) {
            return Err(PluginError::config(
                "`listen_ms` needs `sessions` in `read`",
            ));
        }
        if !(-720..=840).contains(&self.timezone_offset_minutes) {
            return Err(PluginError::config(format!(
                "`timezone_offset_minutes` must be -720..=840, got {}",
                self.timezone_offset_minutes
            )));
        }
        for (name, value) in [
            ("timeout_ms", self.timeout_ms),
            ("run_budget_ms", self.run_budget_ms),
            ("max_rows", self.max_rows),
            ("max_bytes", self.max_bytes),
        ] {
            if value == 0 {
                return Err(PluginError::config(format!("`{name}` must be at least 1")));
            }
        }
        Ok(())
    }

    pub(crate) fn reads(&self, table: Table) -> bool {
        self.read.contains(&table)
    }

    /// A run that looks up only `logins`, not whole tables.
    pub(crate) fn looks_up_logins(&self) -> bool {
        !self.logins.is_empty()
    }

    /// How long to follow `/ppp/active/listen`: never when looking up logins.
    pub(crate) fn listen_window_ms(&self) -> u32 {
        if self.looks_up_logins() {
            0
        } else {
            self.listen_ms
        }
    }
}

/// A login that can go in a query word or a REST query string as it is.
fn valid_login(login: &str) -> bool {
    !login.is_empty()
        && !login
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '=' | '?' | '&' | '#'))
}
