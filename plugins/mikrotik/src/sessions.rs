//! PPP sessions of one router in one run: the printed rows, then the listen events applied in
//! order (`.dead=yes` events carry only the `.id`, mapped back to the login here).

use std::collections::{BTreeMap, BTreeSet};

use vigia_plugin_sdk::{Observation, ObservationKind, PppoeSession, Target};

use crate::rows::{Row, flag, text};
use crate::time::parse_duration_ms;

/// Where a session fact came from; an observation label (`source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `/ppp/active/print`.
    Active,
    /// `/ppp/active/listen`.
    Listen,
}

impl Source {
    fn label(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Listen => "listen",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Session {
    id: Option<String>,
    online: bool,
    address: Option<String>,
    caller_id: Option<String>,
    since_ms: Option<u64>,
    reason: Option<String>,
    service: Option<String>,
    source: Source,
}

/// The sessions seen in this run, by login.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_login: BTreeMap<String, Session>,
    /// `.id` → login, for `.dead` events.
    login_of: BTreeMap<String, String>,
    /// Rows without a name and `.dead` events for unknown ids.
    pub(crate) ignored: u32,
}

impl Sessions {
    /// The sessions of a `/ppp/active/print`, stamped `now_ms`.
    pub(crate) fn from_rows(rows: &[Row], now_ms: u64) -> Self {
        let mut sessions = Self::default();
        for row in rows {
            sessions.upsert(row, now_ms, Source::Active);
        }
        sessions
    }

    /// Applies one `/ppp/active/listen` event received at `at_ms`: `.dead=yes` ends the session
    /// with that `.id` (unless the login already has a newer one); anything else is a new or
    /// changed session.
    pub(crate) fn apply_event(&mut self, row: &Row, at_ms: u64) {
        if flag(row, ".dead") != Some(true) {
            self.upsert(row, at_ms, Source::Listen);
            return;
        }
        let Some(id) = row.get(".id") else {
            self.ignored += 1;
            return;
        };
        let session = self
            .login_of
            .get(id)
            .and_then(|login| self.by_login.get_mut(login))
            .filter(|session| session.id.as_ref() == Some(id));
        let Some(session) = session else {
            self.ignored += 1;
            return;
        };
        session.online = false;
        session.address = None;
        session.since_ms = Some(at_ms);
        session.reason = text(row, "last-disconnect-reason");
        session.source = Source::Listen;
    }

    fn upsert(&mut self, row: &Row, now_ms: u64, source: Source) {
        let Some(login) = text(row, "name") else {
            self.ignored += 1;
            return;
        };
        let since_ms = match row
            .get("uptime")
            .and_then(|uptime| parse_duration_ms(uptime))
        {
            Some(uptime) => Some(now_ms.saturating_sub(uptime)),
            None if source == Source::Listen => Some(now_ms),
            None => None,
        };
        let id = text(row, ".id");
        if let Some(id) = &id {
            self.login_of.insert(id.clone(), login.clone());
        }
        let session = Session {
            id,
            online: true,
            address: text(row, "address"),
            caller_id: text(row, "caller-id"),
            since_ms,
            reason: None,
            service: text(row, "service"),
            source,
        };
        self.by_login.insert(login, session);
    }

    pub(crate) fn contains(&self, login: &str) -> bool {
        self.by_login.contains_key(login)
    }

    /// Logins with a session at the end of the run.
    pub(crate) fn online_logins(&self) -> BTreeSet<String> {
        self.by_login
            .iter()
            .filter(|(_, session)| session.online)
            .map(|(login, _)| login.clone())
            .collect()
    }

    /// One `pppoe-session` per login, in login order.
    pub(crate) fn observations(&self, target: &Target, concentrator: &str) -> Vec<Observation> {
        self.by_login
            .iter()
            .map(|(login, session)| {
                let record = PppoeSession {
                    login: login.clone(),
                    online: session.online,
                    address: session.address.clone(),
                    concentrator: concentrator.to_owned(),
                    caller_id: session.caller_id.clone(),
                    since_ms: session.since_ms,
                    last_disconnect_reason: session.reason.clone(),
                };
                let mut observation = session_observation(target, record, session.source.label());
                if let Some(service) = &session.service {
                    observation = observation.with_label("service", service.as_str());
                }
                observation
            })
            .collect()
    }
}

/// A `pppoe-session` observation labelled with where it came from.
pub(crate) fn session_observation(
    target: &Target,
    record: PppoeSession,
    source: &str,
) -> Observation {
    Observation::new(target, ObservationKind::PppoeSession(record)).with_label("source", source)
}

/// Logins online in the previous run's snapshot that this run saw nowhere: offline, reason
/// unknown.
pub(crate) fn vanished(
    previous: &BTreeSet<String>,
    seen: impl Fn(&str) -> bool,
    target: &Target,
    concentrator: &str,
) -> Vec<Observation> {
    previous
        .iter()
        .filter(|login| !seen(login))
        .map(|login| {
            let record = PppoeSession {
                login: login.clone(),
                online: false,
                address: None,
                concentrator: concentrator.to_owned(),
                caller_id: None,
                since_ms: None,
                last_disconnect_reason: None,
            };
            session_observation(target, record, "snapshot")
        })
        .collect()
}

/// A looked-up login (config `logins`) with no session and no secret: offline now, nothing more
/// known. Labelled `source = lookup`.
pub(crate) fn no_session(login: &str, target: &Target, concentrator: &str) -> Observation {
    let record = PppoeSession {
        login: login.to_owned(),
        online: false,
        address: None,
        concentrator: concentrator.to_owned(),
        caller_id: None,
        since_ms: None,
        last_disconnect_reason: None,
    };
    session_observation(target, record, "lookup")
}
