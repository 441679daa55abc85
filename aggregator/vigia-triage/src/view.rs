//! What the rules may look at: the fresh facts only, the session believed among the sources,
//! and what could not be checked.
//!
//! Building the view is where freshness and conflicts are settled, once, so that each rule reads
//! plain `Option`s: `None` means "not known (missing or stale)", and `missing` says which.

use crate::config::TriageConfig;
use crate::conflict::believe_session;
use crate::evidence::{clock, reason};
use crate::facts::{
    Authority, BillingState, Cpe, Customer, Facts, LiveCheck, Onu, OnuStatus, Radio, RadioStatus,
    Session, Source, Upstream,
};
use crate::freshness::{is_fresh, keep_fresh, stale_note};
use crate::verdict::{Conflict, Reason};

/// The fresh facts about one subscriber, as the rules see them.
pub(crate) struct View<'a> {
    pub(crate) facts: &'a Facts,
    pub(crate) config: &'a TriageConfig,
    pub(crate) now_ms: u64,
    pub(crate) customer: Option<&'a Customer>,
    /// The session believed (the network's over the CRM's).
    pub(crate) session: Option<&'a Session>,
    pub(crate) onu: Option<&'a Onu>,
    pub(crate) radio: Option<&'a Radio>,
    pub(crate) cpe: Option<&'a Cpe>,
    /// Upstream elements whose state is fresh, nearest first.
    pub(crate) upstream: Vec<&'a Upstream>,
    /// What could not be checked, for every verdict.
    pub(crate) missing: Vec<String>,
    pub(crate) conflicts: Vec<Conflict>,
    /// Reasons every verdict carries: whose view a fact is, a billing warning.
    pub(crate) notes: Vec<Reason>,
}

impl<'a> View<'a> {
    pub(crate) fn new(facts: &'a Facts, config: &'a TriageConfig) -> Self {
        let now_ms = facts.now_ms;
        let stale_after = config.stale_after_ms;
        let mut missing = Vec::new();
        let mut notes = Vec::new();
        let mut conflicts = Vec::new();

        if facts.customer.is_none() {
            missing.push("customer: no record from the CRM".to_owned());
        }
        let customer = keep_fresh(
            facts.customer.as_ref(),
            |c| &c.source,
            "customer",
            now_ms,
            config.billing_stale_after_ms,
            &mut missing,
        );

        if facts.session.is_none() {
            missing.push("session: no reading from a router".to_owned());
        }
        let network = keep_fresh(
            facts.session.as_ref(),
            |s| &s.source,
            "session",
            now_ms,
            stale_after,
            &mut missing,
        );
        let crm = keep_fresh(
            facts.crm_session.as_ref(),
            |s| &s.source,
            "crm session",
            now_ms,
            stale_after,
            &mut missing,
        );
        let believed = believe_session(network, crm, now_ms);
        conflicts.extend(believed.conflict);
        notes.extend(believed.note);

        if facts.onu.is_none() && facts.radio.is_none() {
            missing.push("access: no ONU or radio known".to_owned());
        }
        let onu = keep_fresh(
            facts.onu.as_ref(),
            |o| &o.source,
            "onu",
            now_ms,
            stale_after,
            &mut missing,
        );
        let radio = keep_fresh(
            facts.radio.as_ref(),
            |r| &r.source,
            "radio",
            now_ms,
            stale_after,
            &mut missing,
        );
        if let Some(onu) = onu {
            if onu.status == OnuStatus::Unknown {
                missing.push(format!("onu: status unknown from {}", onu.source.name));
            }
            notes.extend(from_crm("onu_from_crm", "ONU", &onu.source, now_ms));
        }
        if let Some(radio) = radio {
            if radio.status == RadioStatus::Unknown {
                missing.push(format!("radio: status unknown from {}", radio.source.name));
            }
            notes.extend(from_crm("radio_from_crm", "radio", &radio.source, now_ms));
        }

        let cpe = keep_fresh(
            facts.cpe.as_ref(),
            |c| &c.source,
            "cpe",
            now_ms,
            stale_after,
            &mut missing,
        );

        // Upstream states matter only while the subscriber is not known to be up.
        let up = believed.session.is_some_and(|s| s.online);
        let mut upstream = Vec::new();
        for element in &facts.upstream {
            match &element.source {
                Some(source) if is_fresh(source, now_ms, stale_after) => upstream.push(element),
                Some(source) if !up => missing.push(stale_note(
                    &format!("upstream {}", element.id),
                    source,
                    now_ms,
                )),
                None if !up => missing.push(format!("upstream {}: never observed", element.id)),
                _ => {}
            }
        }

        missing.extend(facts.live.iter().filter_map(failed_live_check));

        if let Some(customer) = customer.filter(|c| c.billing == BillingState::Warned) {
            notes.push(reason(
                "billing_warned",
                format!(
                    "customer {} billing warned{}: not blocked, mention it",
                    customer.id,
                    code_suffix(customer)
                ),
                &customer.source,
                now_ms,
            ));
        }

        Self {
            facts,
            config,
            now_ms,
            customer,
            session: believed.session,
            onu,
            radio,
            cpe,
            upstream,
            missing,
            conflicts,
            notes,
        }
    }

    /// A reason resting on `source`, aged against the facts' time.
    pub(crate) fn reason(&self, rule: &str, evidence: String, source: &Source) -> Reason {
        reason(rule, evidence, source, self.now_ms)
    }

    /// The readings that say the subscriber is down now (empty: not known to be down).
    pub(crate) fn down_evidence(&self) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if let Some(onu) = self.onu.filter(|o| onu_down(o.status)) {
            reasons.push(self.reason("subscriber_down", self.onu_status_text(onu), &onu.source));
        }
        if let Some(radio) = self.radio.filter(|r| r.status == RadioStatus::Disconnected) {
            reasons.push(self.reason(
                "subscriber_down",
                format!("SM {} disconnected", radio.sm_mac),
                &radio.source,
            ));
        }
        if let Some(session) = self.session.filter(|s| !s.online) {
            reasons.push(self.reason("subscriber_down", session_text(session), &session.source));
        }
        reasons
    }

    /// `ONU HWTC1234 status LOS since 10:02 UTC, 35 min ago`.
    pub(crate) fn onu_status_text(&self, onu: &Onu) -> String {
        let status = match onu.status {
            OnuStatus::Online => "online",
            OnuStatus::Offline => "offline",
            OnuStatus::Los => "LOS",
            OnuStatus::PowerFail => "power fail",
            OnuStatus::Unknown => "unknown",
        };
        match onu.status_since_ms {
            Some(since) => format!(
                "ONU {} status {status} since {}",
                onu.serial,
                crate::evidence::when(since, self.now_ms)
            ),
            None => format!("ONU {} status {status}", onu.serial),
        }
    }
}

/// Whether an ONU status means the ONU is down.
pub(crate) fn onu_down(status: OnuStatus) -> bool {
    matches!(
        status,
        OnuStatus::Los | OnuStatus::Offline | OnuStatus::PowerFail
    )
}

/// `session offline (last disconnect: peer-request)` / `session online since 10:02 UTC`.
pub(crate) fn session_text(session: &Session) -> String {
    let mut text = if session.online {
        match session.since_ms {
            Some(since) => format!("session online since {}", clock(since)),
            None => "session online".to_owned(),
        }
    } else {
        "session offline".to_owned()
    };
    if !session.online
        && let Some(why) = &session.last_disconnect_reason
    {
        text.push_str(&format!(" (last disconnect: {why})"));
    }
    if session.recent_disconnects > 0 {
        text.push_str(&format!(
            ", {} drops in the recent window",
            session.recent_disconnects
        ));
    }
    text
}

/// ` (code CA)` when the CRM gave its own code.
pub(crate) fn code_suffix(customer: &Customer) -> String {
    customer
        .billing_code
        .as_deref()
        .map(|code| format!(" (code {code})"))
        .unwrap_or_default()
}

fn from_crm(rule: &str, what: &str, source: &Source, now_ms: u64) -> Option<Reason> {
    (source.authority == Authority::Crm).then(|| {
        reason(
            rule,
            format!(
                "the {what} reading is the CRM's copy, not the network's: it may lag the device"
            ),
            source,
            now_ms,
        )
    })
}

/// `live cpe ping: agent pop-1 offline (no uplink)`.
fn failed_live_check(check: &LiveCheck) -> Option<String> {
    if check.outcome.eq_ignore_ascii_case("ok") {
        return None;
    }
    let detail = check
        .detail
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    Some(format!(
        "live {} {}: agent {} {}{detail}",
        check.check, check.plugin, check.agent, check.outcome
    ))
}
