//! Reading one router: the tables the config names, over the API or REST, into [`Collected`].
//! A failed table is recorded and the next one still tried, unless the connection (API) or the
//! credentials (REST) are what failed.

use vigia_plugin_sdk::{Host, PluginError};
use vigia_routeros::{Query, Request};

use crate::api::ApiSession;
use crate::config::{Config, Table};
use crate::endpoint::Endpoint;
use crate::rest::{self, RestClient};
use crate::rows::{INTERFACE_PROPERTIES, Row, SECRET_PROPERTIES, SESSION_PROPERTIES};
use crate::sessions::Sessions;
use crate::time::RunClock;

/// What one router gave in this run; `None` for a table not read or failed.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub sessions: Option<Sessions>,
    /// With `logins`: the logins whose session lookup succeeded (so their absence is a fact).
    pub looked_up: Vec<String>,
    pub secrets: Option<Vec<Row>>,
    pub interfaces: Option<Vec<Row>>,
    pub failures: Vec<PluginError>,
}

/// Over the binary API: connect, log in, print sessions, listen, print secrets and interfaces.
pub(crate) fn over_api(
    host: &impl Host,
    endpoint: &Endpoint,
    config: &Config,
    password: &str,
    clock: RunClock,
) -> Collected {
    let mut collected = Collected::default();
    let session = ApiSession::connect(host, endpoint, config, clock).and_then(|mut session| {
        session.login(&config.user, password)?;
        Ok(session)
    });
    let mut session = match session {
        Ok(session) => session,
        Err(error) => {
            collected.failures.push(error);
            return collected;
        }
    };
    let max_rows = config.max_rows;
    if config.looks_up_logins() {
        lookup_over_api(&mut session, config, &mut collected);
        return collected;
    }
    if config.reads(Table::Sessions) {
        let request =
            Request::new("/ppp/active/print").proplist(SESSION_PROPERTIES.iter().copied());
        match session.print(request, max_rows) {
            Ok(rows) => {
                let mut sessions = Sessions::from_rows(&rows, session.last_read_ms());
                if config.listen_window_ms() > 0 {
                    let window = config
                        .listen_window_ms()
                        .min(clock.remaining_ms(host.monotonic_ns()) / 2);
                    let mut events = 0u32;
                    let listened = session.listen(window, |row, at_ms| {
                        events += 1;
                        if events <= max_rows {
                            sessions.apply_event(&row, at_ms);
                        }
                    });
                    if events > max_rows {
                        host.warn(&format!(
                            "{events} listen events, only the first {max_rows} applied"
                        ));
                    }
                    if let Err(error) = listened {
                        collected.failures.push(error);
                    }
                }
                if sessions.ignored > 0 {
                    host.debug(&format!(
                        "{} session rows or events ignored (no name, or an unknown .id)",
                        sessions.ignored
                    ));
                }
                collected.sessions = Some(sessions);
            }
            Err(error) => collected.failures.push(error),
        }
    }
    if config.reads(Table::Secrets) && !session.broken() {
        let request = Request::new("/ppp/secret/print").proplist(SECRET_PROPERTIES.iter().copied());
        match session.print(request, max_rows) {
            Ok(rows) => collected.secrets = Some(rows),
            Err(error) => collected.failures.push(error),
        }
    }
    if config.reads(Table::Interfaces) && !session.broken() {
        let mut request =
            Request::new("/interface/print").proplist(INTERFACE_PROPERTIES.iter().copied());
        if !config.include_dynamic_interfaces {
            request = request.query(Query::equals("dynamic", "false"));
        }
        match session.print(request, max_rows) {
            Ok(rows) => collected.interfaces = Some(rows),
            Err(error) => collected.failures.push(error),
        }
    }
    collected
}

/// Looks up `config.logins` over an open API session: one print per login and table (sessions,
/// and secrets when read), each filtered with `?name=`. Stops at a broken connection.
fn lookup_over_api(
    session: &mut ApiSession<'_, impl Host>,
    config: &Config,
    collected: &mut Collected,
) {
    let mut rows = Vec::new();
    for login in &config.logins {
        if !config.reads(Table::Sessions) || session.broken() {
            break;
        }
        let request = Request::new("/ppp/active/print")
            .proplist(SESSION_PROPERTIES.iter().copied())
            .query(Query::equals("name", login.as_str()));
        match session.print(request, config.max_rows) {
            Ok(found) => {
                rows.extend(found);
                collected.looked_up.push(login.clone());
            }
            Err(error) => collected.failures.push(error),
        }
    }
    if config.reads(Table::Sessions) {
        collected.sessions = Some(Sessions::from_rows(&rows, session.last_read_ms()));
    }
    if !config.reads(Table::Secrets) {
        return;
    }
    let mut secrets = Vec::new();
    for login in &config.logins {
        if session.broken() {
            break;
        }
        let request = Request::new("/ppp/secret/print")
            .proplist(SECRET_PROPERTIES.iter().copied())
            .query(Query::equals("name", login.as_str()));
        match session.print(request, config.max_rows) {
            Ok(found) => secrets.extend(found),
            Err(error) => collected.failures.push(error),
        }
    }
    collected.secrets = Some(secrets);
}

/// Over REST: one GET per table (with `logins`, one per login and table, `?name=`).
pub(crate) fn over_rest(
    host: &impl Host,
    endpoint: &Endpoint,
    config: &Config,
    password: &str,
    clock: RunClock,
) -> Collected {
    let mut collected = Collected::default();
    let client = RestClient::new(host, endpoint, config, password, clock);
    if config.looks_up_logins() {
        lookup_over_rest(&client, config, clock, &mut collected);
        return collected;
    }
    let dynamic: &[(&str, &str)] = if config.include_dynamic_interfaces {
        &[]
    } else {
        &[("dynamic", "false")]
    };
    for table in [Table::Sessions, Table::Secrets, Table::Interfaces] {
        if !config.reads(table) {
            continue;
        }
        let rows = match table {
            Table::Sessions => client.print("ppp/active", SESSION_PROPERTIES, &[], config.max_rows),
            Table::Secrets => client.print("ppp/secret", SECRET_PROPERTIES, &[], config.max_rows),
            Table::Interfaces => {
                client.print("interface", INTERFACE_PROPERTIES, dynamic, config.max_rows)
            }
        };
        match rows {
            Ok(rows) => match table {
                Table::Sessions => {
                    collected.sessions = Some(Sessions::from_rows(&rows, clock.start_wall_ms()));
                }
                Table::Secrets => collected.secrets = Some(rows),
                Table::Interfaces => collected.interfaces = Some(rows),
            },
            Err(error) => {
                let stop = rest::is_final(&error);
                collected.failures.push(error);
                if stop {
                    break;
                }
            }
        }
    }
    collected
}

/// Looks up `config.logins` over REST: `GET /rest/ppp/active?name=<login>` (and `ppp/secret`
/// when read) per login. Stops at a failure that would fail every request (auth, unreachable).
fn lookup_over_rest(
    client: &RestClient<'_, impl Host>,
    config: &Config,
    clock: RunClock,
    collected: &mut Collected,
) {
    let mut sessions = Vec::new();
    let mut secrets = Vec::new();
    for table in [Table::Sessions, Table::Secrets] {
        if !config.reads(table) {
            continue;
        }
        for login in &config.logins {
            let filter = [("name", login.as_str())];
            let rows = match table {
                Table::Sessions => {
                    client.print("ppp/active", SESSION_PROPERTIES, &filter, config.max_rows)
                }
                _ => client.print("ppp/secret", SECRET_PROPERTIES, &filter, config.max_rows),
            };
            match rows {
                Ok(rows) if table == Table::Sessions => {
                    sessions.extend(rows);
                    collected.looked_up.push(login.clone());
                }
                Ok(rows) => secrets.extend(rows),
                Err(error) => {
                    let stop = rest::is_final(&error);
                    collected.failures.push(error);
                    if stop {
                        return;
                    }
                }
            }
        }
        match table {
            Table::Sessions => {
                collected.sessions = Some(Sessions::from_rows(&sessions, clock.start_wall_ms()));
            }
            _ => collected.secrets = Some(std::mem::take(&mut secrets)),
        }
    }
}
