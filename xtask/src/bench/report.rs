//! Printing figures side by side, and the CPU time of child processes.

use nix::sys::resource::{UsageWho, getrusage};

/// CPU time (user + system) of every child process waited for so far, in seconds. The
/// difference across one child's run is that child's CPU time.
pub(super) fn children_cpu_seconds() -> f64 {
    // getrusage(RUSAGE_CHILDREN) cannot fail with a valid `who`; report 0 rather than panic.
    let Ok(usage) = getrusage(UsageWho::RUSAGE_CHILDREN) else {
        return 0.0;
    };
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(usage.user_time()) + secs(usage.system_time())
}

pub(super) fn heading(text: &str) {
    println!("\n== {text}");
}

/// One line of a comparison: what, ours, the baseline, the ratio ours/baseline, the goal.
pub(super) fn row(what: &str, ours: String, baseline: String, ratio: String, goal: &str) {
    println!("{what:<28} {ours:>16} {baseline:>16} {ratio:>10}   {goal}");
}

pub(super) fn header(ours: &str, baseline: &str) {
    row("", ours.into(), baseline.into(), "ratio".into(), "goal");
}

pub(super) fn ratio(ours: f64, baseline: f64) -> String {
    if baseline > 0.0 {
        format!("{:.2}x", ours / baseline)
    } else {
        "-".into()
    }
}

/// A verdict word for a goal.
pub(super) fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT MET" }
}
