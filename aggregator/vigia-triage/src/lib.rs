//! Triage of one subscriber: from what the aggregator knows to a verdict the support desk can act
//! on, with the reasons that led to it.
//!
//! # What this crate does
//!
//! [`triage`] takes the subscriber's [`Facts`] and a [`TriageConfig`] and answers a [`Verdict`]:
//! what to do, why (each reason names the reading, its source, when it was observed and how old
//! it was), what could not be checked, and which sources disagreed.
//!
//! First, the facts are sorted out:
//!
//! - **Freshness**: a reading older than `stale_after_ms` is not used; it is listed in
//!   `missing` (`onu: stale, last reading 2 h ago from plugin:smartolt@pop-1`). Layers with no
//!   reading are listed too, but only those that apply: no radio for a fibre subscriber, and
//!   `access: no ONU or radio known` when neither is. Upstream elements stale or never observed
//!   are listed only while the subscriber is not known to be up. Live checks that did not
//!   succeed are listed (`live cpe ping: agent pop-1 offline`).
//! - **The network wins over the CRM**: when the router's session and the CRM's both are fresh
//!   and disagree, the router's is believed and a [`Conflict`] says so. With only the CRM's, it
//!   is used and a reason says it is the CRM's view, which trails RADIUS accounting. An ONU or
//!   radio reading from the CRM carries the same note.
//! - A customer whose billing is `warned` is not blocked; every verdict mentions it.
//!
//! Then the rules, in order; the first that applies gives the verdict:
//!
//! 1. **Billing**: the customer is `blocked` or `cancelled`, or the CRM's code is one of
//!    `blocked_billing_codes` (any case). Not a technical problem.
//! 2. **Outage**: the subscriber is in an active outage event (scope `event`, the events
//!    linked, no dispatch). Or, with no event yet, an upstream PON, OLT, splitter, AP, tower,
//!    backhaul, concentrator or POP is down while the subscriber is down: an event is being
//!    confirmed.
//! 3. **Customer power**: the ONU reports power fail, or is down with a dying-gasp/power last
//!    down cause. Call the customer, no dispatch.
//! 4. **Confirm then dispatch**: the ONU is in LOS with its PON neighbours fine (or unknown,
//!    which is listed as missing), or offline without LOS or power alarm (unplugged or switched
//!    off?). A LOS older than `fresh_los_ms` still counts, but the desk is told to check the
//!    contract first. If neighbours on the same PON are down too, it is an **outage** of the
//!    PON instead (scope `pon`, being confirmed).
//! 5. **Dispatch (optical)**: the ONU is online but its Rx is outside `[rx_min_dbm,
//!    rx_max_dbm]` or `rx_drop_db` below its recent median. When `pon_drop_min_onus`
//!    neighbours dropped too, it is one PON/splitter problem (scope `pon`): dispatch there, not
//!    to the drop.
//! 6. **Radio**: the SM is disconnected and its AP is down: **outage** (scope `radio`). The SM
//!    disconnected alone: **confirm then dispatch** (does it have power?). Connected with RSSI
//!    or SNR below the thresholds, or a modulation below its usual one: **dispatch (radio)**,
//!    alignment or interference. Modulations compare as `QPSK` < `16QAM` < ... < `1024QAM`, or
//!    cnMaestro's `1X` < ... < `8X`; anything else is not judged.
//! 7. **Remote**: the signal is fine (ONU online with good optics, or SM connected with a good
//!    link) but there is no PPPoE session: check the secret, the last disconnect reason, the
//!    CPE. A remote ONU reboot is offered only when the CPE also answers ping (it answers ping
//!    after ~73 s and SmartOLT shows it Online after ~6 min).
//! 8. **Ok**: the session is up: a Wi-Fi, CPE or speed issue; show live traffic. With
//!    `flapping_disconnects` drops or more in the recent window it is **remote** instead (the
//!    session flaps with a good signal). The session being up is taken as proof of the link
//!    even when the access layer is missing; the missing layer is listed.
//! 9. **Unknown**: nothing above applies with the fresh facts; the summary and `missing` say
//!    exactly what was not known. A rule that needs a fact never guesses it: with a session
//!    down and the ONU unknown, the answer is unknown, not remote.
//!
//! # What it does not do
//!
//! No I/O and no clock: the caller gathers the [`Facts`] (the aggregator, from its live state,
//! outage events and live checks) and gives the time in them. It does not decide outages (the
//! correlator does; an active event arrives as a fact).

mod config;
mod conflict;
mod evidence;
mod facts;
mod freshness;
mod modulation;
mod rules;
mod verdict;
mod view;

pub use config::TriageConfig;
pub use facts::{
    Authority, BillingState, Cpe, Customer, ElementState, Facts, LiveCheck, Onu, OnuStatus, Outage,
    PonNeighbours, Radio, RadioStatus, Session, Source, Upstream,
};
pub use rules::triage;
pub use verdict::{Conflict, Reason, Scope, Verdict, VerdictKind};
