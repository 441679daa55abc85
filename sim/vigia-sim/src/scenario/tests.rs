use super::*;

const EXAMPLE: &str = include_str!("../../../scenarios/small-isp.toml");

#[test]
fn the_example_scenario_loads() {
    let sc = Scenario::parse(EXAMPLE, "small-isp.toml").expect("example parses");
    assert_eq!(sc.name, "small-isp");
    assert_eq!(sc.olts.len(), 2);
    assert_eq!(sc.olts[0].pons.len(), 3);
    assert_eq!(sc.towers[0].aps.len(), 2);
    assert_eq!(sc.concentrators[1].routeros_version, "6.42.12");
    assert_eq!(sc.listen.ixc.port(), 7802);
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let text = "name = \"x\"\n[[pop]]\nid = \"a\"\nname = \n";
    let err = Scenario::parse(text, "bad.toml").unwrap_err().to_string();
    assert!(err.starts_with("bad.toml:4:"), "{err}");
}

#[test]
fn an_unknown_field_is_refused_with_its_line() {
    let text = "name = \"x\"\ncolour = \"red\"\n[[pop]]\nid = \"a\"\nname = \"A\"\n";
    let err = Scenario::parse(text, "bad.toml").unwrap_err().to_string();
    assert!(err.starts_with("bad.toml:2:"), "{err}");
    assert!(err.contains("colour"), "{err}");
}

fn with(extra: &str) -> String {
    format!(
        "name = \"t\"\n[[plan]]\nid = 1\nname = \"P\"\ndownload_mbps = 1\nupload_mbps = 1\n\
         [[pop]]\nid = \"p\"\nname = \"P\"\n\
         [[concentrator]]\nid = \"c\"\npop = \"p\"\naddress = \"10.0.0.1\"\n\
         api_listen = \"127.0.0.1:0\"\npool_start = \"100.64.0.1\"\n{extra}"
    )
}

#[test]
fn references_to_undefined_elements_name_the_entry() {
    let olt = "[[olt]]\nid = \"o\"\nname = \"O\"\npop = \"nowhere\"\nconcentrator = \"c\"\n\
               model = \"Huawei\"\nsmartolt_id = 1\nip = \"10.0.0.2\"\npon = []\n";
    let err = Scenario::parse(&with(olt), "s.toml")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "s.toml: olt[0] (o): pop `nowhere` is not defined");

    let pinned = "[[subscriber]]\nlogin = \"x\"\nname = \"X\"\nat = \"o/9/9\"\n";
    let err = Scenario::parse(&with(pinned), "s.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("subscriber[0] (x)") && err.contains("o/9/9"),
        "{err}"
    );

    let link = "[[backhaul]]\nid = \"b\"\na = \"pop:p\"\nb = \"tower:none\"\n";
    let err = Scenario::parse(&with(link), "s.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("backhaul[0] (b)") && err.contains("tower:none"),
        "{err}"
    );
}

#[test]
fn duplicates_and_impossible_values_are_refused() {
    let twice = "[[pop]]\nid = \"p\"\nname = \"again\"\n";
    let err = Scenario::parse(&with(twice), "s.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`p` is defined twice"), "{err}");

    let crowded = "[[olt]]\nid = \"o\"\nname = \"O\"\npop = \"p\"\nconcentrator = \"c\"\n\
                   model = \"Huawei\"\nsmartolt_id = 1\nip = \"10.0.0.2\"\n\
                   [[olt.pon]]\nboard = 1\nport = 1\nzone = \"z\"\nsplitters = 1\n\
                   subscribers = 500\nconexao = \"x\"\n";
    let err = Scenario::parse(&with(crowded), "s.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 128"), "{err}");

    let share = "[population]\nchurned = 1.5\n";
    let err = Scenario::parse(&with(share), "s.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("population.churned"), "{err}");
}
