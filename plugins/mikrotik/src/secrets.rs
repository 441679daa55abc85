//! `/ppp/secret`: logins that exist but have no session become offline observations with the
//! router's last logout time and reason. Passwords are never read or kept (see `rows`).

use std::collections::BTreeSet;

use vigia_plugin_sdk::{Observation, PppoeSession, Target};

use crate::rows::{Row, flag, text};
use crate::sessions::{Sessions, session_observation};
use crate::time::parse_router_time_ms;

/// Offline observations for the secrets whose login `sessions` does not know, and the logins
/// they cover.
pub(crate) fn offline(
    rows: &[Row],
    sessions: Option<&Sessions>,
    target: &Target,
    concentrator: &str,
    offset_minutes: i32,
) -> (Vec<Observation>, BTreeSet<String>) {
    let mut observations = Vec::new();
    let mut covered = BTreeSet::new();
    for row in rows {
        let Some(login) = text(row, "name") else {
            continue;
        };
        if sessions.is_some_and(|sessions| sessions.contains(&login)) || covered.contains(&login) {
            continue;
        }
        let record = PppoeSession {
            login: login.clone(),
            online: false,
            address: None,
            concentrator: concentrator.to_owned(),
            caller_id: text(row, "last-caller-id"),
            since_ms: row
                .get("last-logged-out")
                .and_then(|at| parse_router_time_ms(at, offset_minutes)),
            last_disconnect_reason: text(row, "last-disconnect-reason"),
        };
        let mut observation = session_observation(target, record, "secret");
        if flag(row, "disabled") == Some(true) {
            observation = observation.with_label("disabled", "true");
        }
        if let Some(profile) = text(row, "profile") {
            observation = observation.with_label("profile", profile);
        }
        observations.push(observation);
        covered.insert(login);
    }
    (observations, covered)
}
