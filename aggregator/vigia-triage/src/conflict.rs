//! Sources that disagree: the network wins over the CRM.
//!
//! The session comes from two places: the router (the network's view) and the CRM (e.g. IXC's
//! `online` flag, which trails RADIUS accounting). When both are fresh and disagree, the
//! network's is believed and the disagreement is recorded as a [`Conflict`]. When only the CRM's
//! is fresh it is used, with a reason saying whose view it is.

use crate::evidence::reason;
use crate::facts::{Authority, Session, Source};
use crate::verdict::{Conflict, Reason};

/// The session the rules believe, and what was said about choosing it.
pub(crate) struct Believed<'a> {
    pub(crate) session: Option<&'a Session>,
    pub(crate) conflict: Option<Conflict>,
    pub(crate) note: Option<Reason>,
}

fn online_word(session: &Session) -> &'static str {
    if session.online { "online" } else { "offline" }
}

fn whose(source: &Source) -> &'static str {
    match source.authority {
        Authority::Network => "router",
        Authority::Crm => "CRM",
    }
}

/// Chooses between the network's and the CRM's session (both already known to be fresh).
///
/// The one with the stronger authority wins (network over CRM); on a tie the `network` field,
/// the router's, wins.
pub(crate) fn believe_session<'a>(
    network: Option<&'a Session>,
    crm: Option<&'a Session>,
    now_ms: u64,
) -> Believed<'a> {
    let (believed, overruled) = match (network, crm) {
        (Some(a), Some(b)) if b.source.authority < a.source.authority => (b, Some(a)),
        (Some(a), b) => (a, b),
        (None, Some(b)) => (b, None),
        (None, None) => {
            return Believed {
                session: None,
                conflict: None,
                note: None,
            };
        }
    };
    let conflict = overruled
        .filter(|other| other.online != believed.online)
        .map(|other| Conflict {
            about: "session".to_owned(),
            believed: format!("{} ({})", online_word(believed), whose(&believed.source)),
            believed_source: believed.source.name.clone(),
            overruled: format!("{} ({})", online_word(other), whose(&other.source)),
            overruled_source: other.source.name.clone(),
            why: if believed.source.authority < other.source.authority {
                "the network (router) wins over the CRM".to_owned()
            } else {
                "the router's session wins over the CRM's copy".to_owned()
            },
        });
    let note = (believed.source.authority == Authority::Crm).then(|| {
        reason(
            "session_crm_only",
            format!(
                "session {} is the CRM's view (no fresh router reading); it trails RADIUS \
                 accounting",
                online_word(believed)
            ),
            &believed.source,
            now_ms,
        )
    });
    Believed {
        session: Some(believed),
        conflict,
        note,
    }
}
