//! Per-account call budgets: vendor API quotas (SmartOLT allows 1000 calls per hour per account)
//! enforced by the host, shared by every run of every probe that names the same budget.
//!
//! A probe draws from a budget when its [`crate::Grants::budget`] names it: each granted HTTP
//! request and each granted TCP connect takes one token before it touches the network. With no
//! token left the call returns the WIT `host-error::budget-exhausted` naming the budget, its
//! size and when the next call will be allowed, and the run's
//! [`crate::RunStats::budget_exhausted`] counts it. Calls refused for another reason (not
//! granted, bad URL, no time left) take no token.
//!
//! # The bucket: each token comes back `per` after it was spent
//!
//! A bucket of `calls` tokens whose tokens return one by one, each exactly `per` after the call
//! that spent it (a sliding window of the calls made). So no window of `per` ever holds more than
//! `calls` calls, which is what a vendor's "1000 calls per hour" means. A bucket refilling at a
//! constant `calls / per` rate would let up to twice that through in one window (a full bucket
//! spent at once plus the refill during the hour) and get the account blocked. The cost is one
//! timestamp per token held (16 bytes), so a budget is capped at [`MAX_BUDGET_CALLS`] calls.
//!
//! # Not here
//!
//! Budgets live in memory: a restarted agent starts with every budget full, even if the previous
//! process spent it a minute before (the vendor may then see up to twice the budget in that
//! hour). Persisting the spent timestamps is left for when restarts turn out to matter. Time is
//! `tokio::time::Instant`, so tests can pause and advance it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::HostError;
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::state::HostState;

/// Largest `calls` a budget may have (the bucket keeps one timestamp per spent token).
pub const MAX_BUDGET_CALLS: u32 = 100_000;

/// The size of one call budget: at most `calls` calls in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub calls: u32,
    pub per: Duration,
}

/// Every configured budget of a host, by name.
pub(crate) struct Budgets {
    buckets: HashMap<String, Mutex<Bucket>>,
}

/// Why a budget refused a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The grant names a budget the host was not configured with.
    Unknown,
    /// Every token is spent; the oldest comes back after `wait`.
    Exhausted { budget: Budget, wait: Duration },
}

impl Budgets {
    pub(crate) fn new(config: &BTreeMap<String, Budget>) -> Result<Self, HostError> {
        let mut buckets = HashMap::with_capacity(config.len());
        for (name, budget) in config {
            if name.trim().is_empty() {
                return Err(HostError::Config {
                    reason: "a call budget needs a name".into(),
                });
            }
            if !(1..=MAX_BUDGET_CALLS).contains(&budget.calls) || budget.per.is_zero() {
                return Err(HostError::Config {
                    reason: format!(
                        "call budget '{name}' must allow 1..={MAX_BUDGET_CALLS} calls per a positive period, got {} calls per {:?}",
                        budget.calls, budget.per
                    ),
                });
            }
            buckets.insert(name.clone(), Mutex::new(Bucket::new(*budget)));
        }
        Ok(Self { buckets })
    }

    /// Takes one token from budget `name` at `now`.
    pub(crate) fn take(&self, name: &str, now: Instant) -> Result<(), Refusal> {
        let bucket = self.buckets.get(name).ok_or(Refusal::Unknown)?;
        lock(bucket).take(now)
    }

    /// Tokens left in budget `name` at `now`.
    pub(crate) fn available(&self, name: &str, now: Instant) -> Option<u32> {
        self.buckets
            .get(name)
            .map(|bucket| lock(bucket).available(now))
    }
}

fn lock(bucket: &Mutex<Bucket>) -> std::sync::MutexGuard<'_, Bucket> {
    // A bucket is a queue of timestamps updated in one step: a panic elsewhere cannot leave it
    // half-updated, so a poisoned lock is still safe to use.
    bucket
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One budget's tokens: the times of the calls made in the last `per`, oldest first.
#[derive(Debug)]
struct Bucket {
    budget: Budget,
    spent: VecDeque<Instant>,
}

impl Bucket {
    fn new(budget: Budget) -> Self {
        Self {
            budget,
            spent: VecDeque::new(),
        }
    }

    /// Gives back the tokens spent `per` or longer ago.
    fn refill(&mut self, now: Instant) {
        while let Some(&oldest) = self.spent.front() {
            if now.saturating_duration_since(oldest) >= self.budget.per {
                self.spent.pop_front();
            } else {
                break;
            }
        }
    }

    fn take(&mut self, now: Instant) -> Result<(), Refusal> {
        self.refill(now);
        if self.spent.len() < self.budget.calls as usize {
            self.spent.push_back(now);
            return Ok(());
        }
        let wait = self.spent.front().map_or(Duration::ZERO, |&oldest| {
            (oldest + self.budget.per).saturating_duration_since(now)
        });
        Err(Refusal::Exhausted {
            budget: self.budget,
            wait,
        })
    }

    fn available(&mut self, now: Instant) -> u32 {
        self.refill(now);
        let spent = u32::try_from(self.spent.len()).unwrap_or(u32::MAX);
        self.budget.calls.saturating_sub(spent)
    }
}

/// The `budget-exhausted` text: `smartolt: 1000 calls per 3600 s used; next call allowed in 12 s`.
pub(crate) fn exhausted_text(name: &str, budget: Budget, wait: Duration) -> String {
    // Whole seconds, rounded up: "in 0 s" would invite an immediate retry that fails.
    let wait_secs = wait.as_millis().div_ceil(1000).max(1);
    format!(
        "{name}: {} calls per {} used; next call allowed in {wait_secs} s",
        budget.calls,
        period_text(budget.per)
    )
}

fn period_text(per: Duration) -> String {
    if per.subsec_millis() == 0 {
        format!("{} s", per.as_secs())
    } else {
        format!("{} ms", per.as_millis())
    }
}

impl HostState {
    /// Takes a token from the probe's budget, if its grants name one, before a network call.
    pub(crate) fn spend_budget(&mut self) -> Result<(), WitHostError> {
        let Some(name) = &self.grants.budget else {
            return Ok(());
        };
        match self.services.budgets.take(name, Instant::now()) {
            Ok(()) => Ok(()),
            Err(Refusal::Exhausted { budget, wait }) => {
                self.budget_exhausted = self.budget_exhausted.saturating_add(1);
                Err(WitHostError::BudgetExhausted(exhausted_text(
                    name, budget, wait,
                )))
            }
            Err(Refusal::Unknown) => Err(WitHostError::Denied(format!(
                "call budget '{name}' (grants.budget of plugin '{}') is not configured: add [budget.{name}] in the agent config",
                self.plugin
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
