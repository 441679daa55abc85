//! Printing the support desk's answers (search hits, diagnoses) as a few readable lines.

use serde_json::Value;

/// Reasons of a verdict shown.
const REASONS: usize = 3;

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

/// The first `n` hits of a search page: login, name, and what matched.
pub(crate) fn hits(page: &Value, n: usize) {
    let items = page["items"].as_array().map_or(&[][..], Vec::as_slice);
    eprintln!(
        "  {} matches; the first {}:",
        page["total"],
        n.min(items.len())
    );
    for hit in items.iter().take(n) {
        eprintln!(
            "  {:<18} {:<26} matched {} \"{}\"",
            text(&hit["login"]),
            text(&hit["name"]),
            text(&hit["matched_field"]),
            text(&hit["matched_value"])
        );
    }
}

/// A diagnosis: verdict, summary, the first reasons, the events it links.
pub(crate) fn diagnosis(diagnosis: &Value) {
    let verdict = &diagnosis["verdict"];
    eprintln!("  verdict: {}", text(&verdict["verdict"]));
    eprintln!("  summary: {}", text(&verdict["summary"]));
    let reasons = verdict["reasons"].as_array().map_or(&[][..], Vec::as_slice);
    for reason in reasons.iter().take(REASONS) {
        eprintln!(
            "  - {}: {} ({}, {} s old)",
            text(&reason["rule"]),
            text(&reason["evidence"]),
            text(&reason["source"]),
            reason["age_ms"].as_u64().unwrap_or(0) / 1000
        );
    }
    if reasons.len() > REASONS {
        eprintln!("  ... and {} more reasons", reasons.len() - REASONS);
    }
    if let Some(events) = verdict["events"].as_array().filter(|e| !e.is_empty()) {
        let ids: Vec<String> = events.iter().map(|e| format!("#{e}")).collect();
        eprintln!("  events: {}", ids.join(", "));
    }
}
