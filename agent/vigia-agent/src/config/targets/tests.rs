use std::path::PathBuf;

use super::*;

fn at(line: usize) -> Location {
    Location {
        file: PathBuf::from("/etc/vigia/agent.toml"),
        line,
    }
}

fn ids(targets: &[TargetSpec]) -> Vec<&str> {
    targets.iter().map(|t| t.id.as_str()).collect()
}

#[test]
fn single_targets_with_and_without_ids() {
    assert_eq!(TargetSpec::parse("10.0.0.1").unwrap().id, "10.0.0.1");
    let t = TargetSpec::parse("olt-1 = 10.0.0.9").unwrap();
    assert_eq!((t.id.as_str(), t.address.as_str()), ("olt-1", "10.0.0.9"));
    let url = TargetSpec::parse("acct=https://acme.smartolt.com/api").unwrap();
    assert_eq!(url.address, "https://acme.smartolt.com/api");
    assert!(TargetSpec::parse("=10.0.0.1").is_err());
    assert!(TargetSpec::parse("x=").is_err());
    assert!(TargetSpec::parse("10.0.0.0/30").is_err());
}

#[test]
fn ipv4_ranges_expand_to_host_addresses() {
    let Entry::Range(cidr) = parse_entry("10.0.0.0/29").unwrap() else {
        panic!("a range");
    };
    let got: Vec<String> = cidr.addresses().map(|a| a.to_string()).collect();
    assert_eq!(
        got,
        [
            "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"
        ]
    );
    let len = |text: &str| match parse_entry(text).unwrap() {
        Entry::Range(c) => c.len(),
        Entry::One(_) => panic!("{text} is a range"),
    };
    assert_eq!(len("10.0.0.0/24"), 254);
    assert_eq!(len("10.0.0.0/31"), 2);
    assert_eq!(len("10.0.0.7/32"), 1);
    assert_eq!(len("0.0.0.0/0"), (1u128 << 32) - 2);
}

#[test]
fn ipv6_ranges_leave_out_the_subnet_router_address() {
    let Entry::Range(cidr) = parse_entry("fd00::/126").unwrap() else {
        panic!("a range");
    };
    let got: Vec<String> = cidr.addresses().map(|a| a.to_string()).collect();
    assert_eq!(got, ["fd00::1", "fd00::2", "fd00::3"]);
    let Entry::Range(all) = parse_entry("::/0").unwrap() else {
        panic!("a range");
    };
    assert_eq!(all.len(), u128::MAX);
}

#[test]
fn bad_ranges_say_what_is_wrong() {
    for (text, why) in [
        ("10.0.0.0/33", "the prefix must be 0..=32"),
        (
            "10.0.0.5/24",
            "host bits are set (the network is 10.0.0.0/24)",
        ),
        ("10.0.0.300/24", "not an IP address"),
        ("fd00::1/200", "the prefix must be 0..=128"),
    ] {
        let error = parse_entry(text).unwrap_err();
        assert_eq!(
            error,
            format!("`{text}` is not a valid CIDR range: {why}"),
            "{text}"
        );
    }
    assert!(
        parse_entry("lan=10.0.0.0/24")
            .unwrap_err()
            .contains("cannot take one id")
    );
}

#[test]
fn the_per_probe_cap_is_checked_before_expanding() {
    let mut c = TargetCollector::new("big");
    c.add("10.0.0.0/8", at(7));
    assert!(c.targets.is_empty(), "nothing expanded");
    let errors = c.finish(&at(5)).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].location.line, 7);
    assert_eq!(
        errors[0].message,
        "probe `big`: adding 16777214 targets to the 0 already listed goes past the 65536 targets a probe may have; split it into several probes"
    );

    // Exactly the cap is fine.
    let mut c = TargetCollector::new("full");
    c.add("10.0.0.0/16", at(7));
    c.add("10.1.0.1", at(8));
    c.add("10.1.0.2", at(8));
    assert_eq!(c.finish(&at(5)).unwrap().len(), 65_536);
}

#[test]
fn a_targets_file_reports_errors_at_its_own_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpes.txt");
    std::fs::write(
        &path,
        "# CPEs of tower 3\n10.3.0.1\n\ncpe-9 = 10.3.0.9   # the school\n10.3.0.1\nbad=\n10.3.1.0/30\n",
    )
    .unwrap();
    let mut c = TargetCollector::new("cpes");
    c.add("core=10.0.0.1", at(9));
    c.add_file(&path, at(10));
    assert_eq!(
        ids(&c.targets),
        ["core", "10.3.0.1", "cpe-9", "10.3.1.1", "10.3.1.2"]
    );
    let errors = c.finish(&at(5)).unwrap_err();
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let file = path.display();
    assert_eq!(
        got,
        [
            format!("{file}:5: probe `cpes`: target id `10.3.0.1` appears twice"),
            format!("{file}:6: probe `cpes`: target `bad=` must be `address` or `id=address`"),
        ]
    );
}

#[test]
fn a_missing_targets_file_is_reported_where_it_is_named() {
    let mut c = TargetCollector::new("p");
    c.add_file(Path::new("/nonexistent/vigia/targets.txt"), at(12));
    let errors = c.finish(&at(5)).unwrap_err();
    assert_eq!(errors[0].location.line, 12);
    assert!(
        errors[0]
            .message
            .starts_with("probe `p`: cannot read targets_file /nonexistent/vigia/targets.txt:"),
        "{}",
        errors[0]
    );
}

#[test]
fn an_empty_target_set_is_an_error_and_errors_are_capped() {
    let errors = TargetCollector::new("none").finish(&at(5)).unwrap_err();
    assert!(errors[0].message.contains("no targets"), "{}", errors[0]);

    let mut c = TargetCollector::new("junk");
    for line in 0..50 {
        c.add("=", at(line));
    }
    let errors = c.finish(&at(5)).unwrap_err();
    assert_eq!(errors.len(), MAX_TARGET_ERRORS + 1);
    assert_eq!(
        errors.last().unwrap().message,
        "probe `junk`: 30 more target errors not shown"
    );
}

#[test]
fn comments_start_at_a_hash_after_whitespace() {
    assert_eq!(strip_comment("# all"), "");
    assert_eq!(strip_comment("10.0.0.1 # cpe"), "10.0.0.1 ");
    assert_eq!(strip_comment("u=https://x/a#frag"), "u=https://x/a#frag");
}
