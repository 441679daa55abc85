//! Rule 1: blocked or cancelled for billing is not a technical problem.

use super::Finding;
use crate::facts::BillingState;
use crate::verdict::{Scope, VerdictKind};
use crate::view::{View, code_suffix};

/// The customer is `blocked` or `cancelled`, or the CRM's code is one of the blocked codes
/// (compared without case).
pub(super) fn blocked(view: &View<'_>) -> Option<Finding> {
    let customer = view.customer?;
    let by_state = matches!(
        customer.billing,
        BillingState::Blocked | BillingState::Cancelled
    );
    let blocked_code = customer
        .billing_code
        .as_deref()
        .map(str::trim)
        .filter(|code| {
            view.config
                .blocked_billing_codes
                .iter()
                .any(|blocked| blocked.trim().eq_ignore_ascii_case(code))
        });
    if !by_state && blocked_code.is_none() {
        return None;
    }
    let state = match customer.billing {
        BillingState::Active => "active",
        BillingState::Warned => "warned",
        BillingState::Blocked => "blocked",
        BillingState::Cancelled => "cancelled",
        BillingState::Unknown => "unknown",
    };
    let code = code_suffix(customer);
    let mut evidence = format!(
        "customer {} ({}) billing {state}{code}",
        customer.id, customer.name
    );
    if let Some(blocked_code) = blocked_code {
        evidence.push_str(&format!(", and {blocked_code} is a blocked billing code"));
    }
    let what = if customer.billing == BillingState::Cancelled {
        "Contract cancelled"
    } else {
        "Blocked for billing"
    };
    Some(
        Finding::new(
            VerdictKind::Billing,
            Scope::Subscriber,
            format!("{what}{code}: not a technical problem"),
        )
        .actions([
            format!("Transfer the customer to billing: the contract is {state}{code}"),
            "Do not dispatch or reset anything: settling the bill restores the service".to_owned(),
        ])
        .reasons([view.reason("billing_blocked", evidence, &customer.source)]),
    )
}
