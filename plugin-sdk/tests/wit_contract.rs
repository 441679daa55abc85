//! The constants in `vigia_plugin_sdk::wit` must match the WIT files they describe.

use vigia_plugin_sdk::wit;

fn wit_file(name: &str) -> String {
    let path = format!("{}/wit/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

#[test]
fn every_wit_file_declares_the_package() {
    for name in ["types.wit", "host.wit", "world.wit"] {
        let text = wit_file(name);
        let declared = format!("package {};", wit::PACKAGE);
        assert!(
            text.lines().any(|line| line.trim() == declared),
            "{name} lacks `{declared}`"
        );
    }
    assert!(wit::PACKAGE.ends_with(&format!("@{}", wit::VERSION)));
}

#[test]
fn world_exports_probe_and_imports_exactly_the_listed_interfaces() {
    let world = wit_file("world.wit");
    assert!(world.contains("world plugin {"));
    assert!(world.contains("export probe;"));
    let (package, version) = wit::PACKAGE.split_once('@').unwrap();
    assert_eq!(wit::PROBE_EXPORT, format!("{package}/probe@{version}"));
    assert_eq!(wit::WORLD, format!("{package}/plugin@{version}"));
    let imported: Vec<String> = world
        .lines()
        .filter_map(|line| line.trim().strip_prefix("import "))
        .map(|name| format!("{package}/{}@{version}", name.trim_end_matches(';')))
        .collect();
    assert_eq!(imported, wit::IMPORTS);
}
