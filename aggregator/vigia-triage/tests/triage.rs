//! Table-driven triage tests: every case in `tests/cases/*.toml` (format in its README) starts
//! from [`base_facts`], applies its overrides, and checks the verdict against its expectations.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Table, Value};
use vigia_triage::{
    Authority, BillingState, Cpe, Customer, ElementState, Facts, Onu, OnuStatus, PonNeighbours,
    Scope, Session, Source, TriageConfig, Upstream, Verdict, VerdictKind, triage,
};

/// "Now" for every case: 2023-11-14T22:13:20Z.
const NOW: u64 = 1_700_000_000_000;
/// Base readings are 30 s old: fresh.
const OBSERVED: u64 = NOW - 30_000;

fn source(name: &str, authority: Authority) -> Source {
    Source {
        name: name.to_owned(),
        authority,
        observed_ms: OBSERVED,
    }
}

fn upstream(id: &str, kind: &str, name: &str) -> Upstream {
    Upstream {
        id: id.to_owned(),
        kind: kind.to_owned(),
        name: name.to_owned(),
        state: ElementState::Up,
        reason: "answers".to_owned(),
        since_ms: NOW - 86_400_000,
        source: Some(source("plugin:snmp@pop-1", Authority::Network)),
    }
}

/// A fibre subscriber, active, online with good optics, everything fresh: the verdict is `ok`.
fn base_facts() -> Facts {
    Facts {
        login: "maria.silva".to_owned(),
        now_ms: NOW,
        customer: Some(Customer {
            id: "C-1001".to_owned(),
            name: "Maria Silva".to_owned(),
            billing: BillingState::Active,
            billing_code: Some("A".to_owned()),
            plan: Some("300 Mbps".to_owned()),
            address: Some("Rua das Flores 12".to_owned()),
            document: None,
            source: source("plugin:ixc@pop-1", Authority::Crm),
        }),
        session: Some(Session {
            online: true,
            since_ms: Some(NOW - 3 * 3_600_000),
            address: Some("100.64.1.10".to_owned()),
            caller_id: Some("aa:bb:cc:00:11:22".to_owned()),
            concentrator: Some("bng-1".to_owned()),
            last_disconnect_reason: None,
            recent_disconnects: 0,
            source: source("plugin:mikrotik@pop-1", Authority::Network),
        }),
        crm_session: None,
        onu: Some(Onu {
            serial: "HWTC1234".to_owned(),
            status: OnuStatus::Online,
            status_since_ms: Some(NOW - 3 * 3_600_000),
            rx_dbm: Some(-19.5),
            tx_dbm: Some(2.1),
            rx_median_dbm: Some(-19.4),
            last_down_cause: None,
            last_down_ms: None,
            olt: Some("olt-centro".to_owned()),
            board: Some(1),
            port: Some(3),
            pon: Some("olt-centro/1/3".to_owned()),
            splitter: Some("CTO-17".to_owned()),
            model: Some("HG8245H".to_owned()),
            source: source("plugin:smartolt@pop-1", Authority::Network),
        }),
        pon_neighbours: Some(PonNeighbours {
            total: 15,
            down: 0,
            rx_dropped: 0,
            rx_known: 12,
        }),
        radio: None,
        cpe: Some(Cpe {
            address: "100.64.1.10".to_owned(),
            reachable: true,
            rtt_ms: Some(3.2),
            loss_pct: Some(0.0),
            source: source("live:ping@pop-1", Authority::Network),
        }),
        upstream: vec![
            upstream("pon_port:olt-centro/1/3", "pon_port", "PON 1/3"),
            upstream("olt:olt-centro", "olt", "OLT Centro"),
            upstream("concentrator:bng-1", "concentrator", "BNG 1"),
        ],
        outages: Vec::new(),
        live: Vec::new(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// Overrides applied to every case of the file, before the case's own.
    #[serde(default)]
    base: Overrides,
    case: Vec<Case>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overrides {
    /// Dotted paths removed from the facts before `facts` is merged (`onu`, `cpe.rtt_ms`).
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    facts: Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// The file's `[base]`, filled in when loading.
    #[serde(skip)]
    file_base: Overrides,
    /// Dotted paths removed from the facts before `facts` is merged.
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    facts: Table,
    #[serde(default)]
    config: Table,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    verdict: VerdictKind,
    scope: Scope,
    /// Rules that must appear in `reasons` (and ones that must not).
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    not_rules: Vec<String>,
    /// Texts each found in some `missing` entry (and ones found in none).
    #[serde(default)]
    missing: Vec<String>,
    #[serde(default)]
    not_missing: Vec<String>,
    /// How many `missing` entries exactly, when given.
    missing_count: Option<usize>,
    /// The conflicts' `about`, exactly (none unless given).
    #[serde(default)]
    conflicts: Vec<String>,
    /// The linked events, exactly (none unless given).
    #[serde(default)]
    events: Vec<u64>,
    /// Texts found in the summary, in some action, in some reason's evidence.
    #[serde(default)]
    summary: Vec<String>,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    not_actions: Vec<String>,
    #[serde(default)]
    evidence: Vec<String>,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn load_cases() -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("case file is readable");
        let file: CaseFile = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a case file: {e}", path.display()));
        let stem = path.file_stem().expect("file name").to_string_lossy();
        cases.extend(file.case.into_iter().map(|mut case| {
            case.file_base = file.base.clone();
            (format!("{stem}/{}", case.name), case)
        }));
    }
    cases
}

/// `now`, `now-90s`, `now-15m`, `now-2h`, `now-3d`, `now+1m`, `now-500ms`: Unix ms.
fn relative_time(text: &str) -> Option<i64> {
    let rest = text.strip_prefix("now")?;
    let now = i64::try_from(NOW).ok()?;
    if rest.is_empty() {
        return Some(now);
    }
    let (sign, rest) = match rest.split_at(1) {
        ("-", rest) => (-1, rest),
        ("+", rest) => (1, rest),
        _ => return None,
    };
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = rest.split_at(digits);
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(now + sign * number.parse::<i64>().ok()? * unit_ms)
}

fn resolve_times(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Some(ms) = relative_time(text) {
                *value = Value::Integer(ms);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(resolve_times),
        Value::Table(table) => table.iter_mut().for_each(|(_, v)| resolve_times(v)),
        _ => {}
    }
}

/// Tables merge key by key; anything else (arrays included) replaces.
fn merge(base: &mut Table, overrides: &Table) {
    for (key, value) in overrides {
        match (base.get_mut(key), value) {
            (Some(Value::Table(inner)), Value::Table(over)) => merge(inner, over),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

fn remove_path(table: &mut Table, path: &str) -> bool {
    match path.split_once('.') {
        None => table.remove(path).is_some(),
        Some((head, rest)) => match table.get_mut(head) {
            Some(Value::Table(inner)) => remove_path(inner, rest),
            _ => false,
        },
    }
}

fn facts_of(case: &Case) -> Result<Facts, String> {
    let mut table = Table::try_from(base_facts()).map_err(|e| format!("base facts: {e}"))?;
    let layers = [
        (&case.file_base.remove, &case.file_base.facts),
        (&case.remove, &case.facts),
    ];
    for (remove, overrides) in layers {
        for path in remove {
            if !remove_path(&mut table, path) {
                return Err(format!("remove: {path} is not in the facts"));
            }
        }
        merge(&mut table, overrides);
    }
    let mut value = Value::Table(table);
    resolve_times(&mut value);
    let facts: Facts = value.try_into().map_err(|e| format!("facts: {e}"))?;
    // `Facts` ignores unknown keys: a misspelt override would silently test nothing. JSON keeps
    // `None` fields (as null), so every known key is there.
    let back = serde_json::to_value(&facts).map_err(|e| format!("facts back: {e}"))?;
    let mut unknown = Vec::new();
    unknown_keys(&case.file_base.facts, &back, "facts", &mut unknown);
    unknown_keys(&case.facts, &back, "facts", &mut unknown);
    match unknown.is_empty() {
        true => Ok(facts),
        false => Err(format!("override keys not in Facts: {unknown:?}")),
    }
}

/// Keys of `overrides` (recursively, arrays of tables too) that `actual` does not have.
fn unknown_keys(
    overrides: &Table,
    actual: &serde_json::Value,
    prefix: &str,
    unknown: &mut Vec<String>,
) {
    use serde_json::Value as Json;
    for (key, value) in overrides {
        let path = format!("{prefix}.{key}");
        match (value, actual.get(key)) {
            (_, None) => unknown.push(path),
            (Value::Table(over), Some(inner @ Json::Object(_))) => {
                unknown_keys(over, inner, &path, unknown);
            }
            (Value::Array(over), Some(Json::Array(inner))) => {
                for (i, (over, inner)) in over.iter().zip(inner).enumerate() {
                    if let Value::Table(over) = over {
                        unknown_keys(over, inner, &format!("{path}[{i}]"), unknown);
                    }
                }
            }
            _ => {}
        }
    }
}

fn config_of(case: &Case) -> Result<TriageConfig, String> {
    let mut value = Value::Table(case.config.clone());
    resolve_times(&mut value);
    value.try_into().map_err(|e| format!("config: {e}"))
}

/// What is wrong with `verdict` for `case` (empty: it holds).
fn check(case: &Case, facts: &Facts, verdict: &Verdict) -> Vec<String> {
    let expect = &case.expect;
    let mut errors = Vec::new();
    let mut fail = |message: String| errors.push(message);
    if verdict.verdict != expect.verdict {
        fail(format!(
            "verdict {:?}, expected {:?}",
            verdict.verdict, expect.verdict
        ));
    }
    if verdict.scope != expect.scope {
        fail(format!(
            "scope {:?}, expected {:?}",
            verdict.scope, expect.scope
        ));
    }
    let rules: BTreeSet<&str> = verdict.reasons.iter().map(|r| r.rule.as_str()).collect();
    for rule in &expect.rules {
        if !rules.contains(rule.as_str()) {
            fail(format!("rule {rule:?} not in reasons {rules:?}"));
        }
    }
    for rule in &expect.not_rules {
        if rules.contains(rule.as_str()) {
            fail(format!("rule {rule:?} should not be in reasons"));
        }
    }
    let found_in = |texts: &[String], needle: &str| texts.iter().any(|t| t.contains(needle));
    for text in &expect.missing {
        if !found_in(&verdict.missing, text) {
            fail(format!("{text:?} not in missing {:?}", verdict.missing));
        }
    }
    for text in &expect.not_missing {
        if found_in(&verdict.missing, text) {
            fail(format!(
                "{text:?} should not be in missing {:?}",
                verdict.missing
            ));
        }
    }
    if let Some(count) = expect.missing_count
        && verdict.missing.len() != count
    {
        fail(format!(
            "{} missing entries, expected {count}: {:?}",
            verdict.missing.len(),
            verdict.missing
        ));
    }
    let conflicts: Vec<&str> = verdict.conflicts.iter().map(|c| c.about.as_str()).collect();
    if conflicts != expect.conflicts {
        fail(format!(
            "conflicts {conflicts:?}, expected {:?}",
            expect.conflicts
        ));
    }
    if verdict.events != expect.events {
        fail(format!(
            "events {:?}, expected {:?}",
            verdict.events, expect.events
        ));
    }
    for text in &expect.summary {
        if !verdict.summary.contains(text.as_str()) {
            fail(format!("{text:?} not in summary {:?}", verdict.summary));
        }
    }
    for text in &expect.actions {
        if !found_in(&verdict.actions, text) {
            fail(format!("{text:?} not in actions {:?}", verdict.actions));
        }
    }
    for text in &expect.not_actions {
        if found_in(&verdict.actions, text) {
            fail(format!(
                "{text:?} should not be in actions {:?}",
                verdict.actions
            ));
        }
    }
    let evidence: Vec<String> = verdict.reasons.iter().map(|r| r.evidence.clone()).collect();
    for text in &expect.evidence {
        if !found_in(&evidence, text) {
            fail(format!("{text:?} not in evidence {evidence:?}"));
        }
    }
    errors.extend(invariants(facts, verdict));
    errors
}

/// What every verdict must satisfy, whatever the case.
fn invariants(facts: &Facts, verdict: &Verdict) -> Vec<String> {
    let mut errors = Vec::new();
    if verdict.summary.is_empty() {
        errors.push("empty summary".to_owned());
    }
    if verdict.actions.is_empty() {
        errors.push("no actions".to_owned());
    }
    if verdict.verdict == VerdictKind::Unknown && verdict.missing.is_empty() {
        errors.push("unknown without saying what is missing".to_owned());
    }
    for reason in &verdict.reasons {
        if reason.source.is_empty() || reason.evidence.is_empty() || reason.rule.is_empty() {
            errors.push(format!("incomplete reason {reason:?}"));
        }
        if reason.age_ms != facts.now_ms.saturating_sub(reason.observed_ms) {
            errors.push(format!("reason aged wrongly {reason:?}"));
        }
    }
    for event in &verdict.events {
        let source = format!("event:{event}");
        if !verdict.reasons.iter().any(|r| r.source == source) {
            errors.push(format!(
                "event {event} linked without a reason from {source}"
            ));
        }
    }
    errors
}

#[test]
fn every_case_holds() {
    let cases = load_cases();
    assert!(!cases.is_empty(), "no cases in {}", cases_dir().display());
    let mut report = String::new();
    let mut names = BTreeSet::new();
    for (name, case) in &cases {
        if !names.insert(name.clone()) {
            writeln!(report, "{name}: duplicate case name").expect("write to string");
            continue;
        }
        let facts = match facts_of(case) {
            Ok(facts) => facts,
            Err(e) => {
                writeln!(report, "{name}: {e}").expect("write to string");
                continue;
            }
        };
        let config = match config_of(case) {
            Ok(config) => config,
            Err(e) => {
                writeln!(report, "{name}: {e}").expect("write to string");
                continue;
            }
        };
        let verdict = triage(&facts, &config);
        for error in check(case, &facts, &verdict) {
            writeln!(report, "{name}: {error}").expect("write to string");
        }
    }
    assert!(
        report.is_empty(),
        "{} cases, failures:\n{report}",
        cases.len()
    );
}

/// Every variant, by an exhaustive match: a new variant does not compile here until it is
/// listed, and then it needs a case.
fn kind_index(kind: VerdictKind) -> usize {
    match kind {
        VerdictKind::Billing => 0,
        VerdictKind::Outage => 1,
        VerdictKind::CustomerPower => 2,
        VerdictKind::DispatchOptical => 3,
        VerdictKind::ConfirmThenDispatch => 4,
        VerdictKind::DispatchRadio => 5,
        VerdictKind::Remote => 6,
        VerdictKind::Ok => 7,
        VerdictKind::Unknown => 8,
    }
}

const ALL_KINDS: [VerdictKind; 9] = [
    VerdictKind::Billing,
    VerdictKind::Outage,
    VerdictKind::CustomerPower,
    VerdictKind::DispatchOptical,
    VerdictKind::ConfirmThenDispatch,
    VerdictKind::DispatchRadio,
    VerdictKind::Remote,
    VerdictKind::Ok,
    VerdictKind::Unknown,
];

#[test]
fn every_verdict_kind_has_a_case() {
    for (i, kind) in ALL_KINDS.iter().enumerate() {
        assert_eq!(kind_index(*kind), i, "ALL_KINDS is out of order");
    }
    let expected: BTreeSet<usize> = load_cases()
        .iter()
        .map(|(_, case)| kind_index(case.expect.verdict))
        .collect();
    let without: Vec<VerdictKind> = ALL_KINDS
        .into_iter()
        .filter(|kind| !expected.contains(&kind_index(*kind)))
        .collect();
    assert!(without.is_empty(), "verdicts without a case: {without:?}");
}

#[test]
fn every_scope_has_a_case() {
    let scopes: Vec<Scope> = load_cases().iter().map(|(_, c)| c.expect.scope).collect();
    for scope in [Scope::Subscriber, Scope::Pon, Scope::Radio, Scope::Event] {
        assert!(scopes.contains(&scope), "no case with scope {scope:?}");
    }
}

#[test]
fn relative_times_resolve_against_now() {
    assert_eq!(relative_time("now"), Some(NOW as i64));
    assert_eq!(relative_time("now-2h"), Some(NOW as i64 - 7_200_000));
    assert_eq!(relative_time("now+90s"), Some(NOW as i64 + 90_000));
    assert_eq!(relative_time("now-500ms"), Some(NOW as i64 - 500));
    assert_eq!(relative_time("nowhere"), None);
    assert_eq!(relative_time("now-2"), None);
}

#[test]
fn facts_deserialize_from_toml_with_snake_case_enums() {
    let text = r#"
        login = "joao"
        now_ms = 1700000000000
        upstream = [{ id = "access_point:ap-1", kind = "access_point", name = "AP 1", state = "degraded", reason = "high noise", since_ms = 1699999000000 }]
        outages = []
        live = [{ check = "cpe", agent = "pop-1", plugin = "ping", outcome = "not_possible", took_ms = 0 }]
        [customer]
        id = "C-1"
        name = "Joao"
        billing = "cancelled"
        source = { name = "plugin:ispcube@pop-1", authority = "crm", observed_ms = 1699999990000 }
        [onu]
        serial = "ZTEG0001"
        status = "power_fail"
        rx_dbm = -21
        source = { name = "plugin:smartolt@pop-1", authority = "network", observed_ms = 1699999990000 }
        [radio]
        sm_mac = "0a:00:3e:00:00:01"
        status = "disconnected"
        source = { name = "plugin:cnmaestro@tower-1", authority = "network", observed_ms = 1699999990000 }
    "#;
    let facts: Facts = toml::from_str(text).expect("facts from TOML");
    let customer = facts.customer.as_ref().expect("customer");
    assert_eq!(customer.billing, BillingState::Cancelled);
    assert_eq!(customer.source.authority, Authority::Crm);
    let onu = facts.onu.as_ref().expect("onu");
    assert_eq!(onu.status, OnuStatus::PowerFail);
    assert_eq!(onu.rx_dbm, Some(-21.0));
    assert_eq!(facts.upstream[0].state, ElementState::Degraded);
    assert_eq!(facts.upstream[0].source, None);
    assert!(facts.session.is_none() && facts.pon_neighbours.is_none());
    assert_eq!(
        facts.radio.as_ref().map(|r| r.status),
        Some(vigia_triage::RadioStatus::Disconnected)
    );
}

#[test]
fn facts_and_verdict_round_trip_through_json() {
    let mut facts = base_facts();
    facts.crm_session = facts.session.clone().map(|mut s| {
        s.online = false;
        s.source = source("plugin:ixc@pop-1", Authority::Crm);
        s
    });
    let back: Facts = serde_json::from_str(&serde_json::to_string(&facts).expect("facts to JSON"))
        .expect("facts from JSON");
    assert_eq!(back, facts);
    let verdict = triage(&facts, &TriageConfig::default());
    assert_eq!(verdict.conflicts.len(), 1, "{verdict:?}");
    let json = serde_json::to_value(&verdict).expect("verdict to JSON");
    assert_eq!(json["verdict"], "ok");
    assert_eq!(json["scope"], "subscriber");
    let back: Verdict = serde_json::from_value(json).expect("verdict from JSON");
    assert_eq!(back, verdict);
}

#[test]
fn config_reads_partial_toml_and_rejects_unknown_keys() {
    let config: TriageConfig =
        toml::from_str("rx_min_dbm = -27.0\nflapping_disconnects = 3").expect("partial config");
    assert_eq!(config.rx_min_dbm, -27.0);
    assert_eq!(config.flapping_disconnects, 3);
    assert_eq!(config.rx_max_dbm, TriageConfig::default().rx_max_dbm);
    let error = toml::from_str::<TriageConfig>("rx_minimum = -27.0").expect_err("unknown key");
    assert!(error.to_string().contains("rx_minimum"), "{error}");
}
