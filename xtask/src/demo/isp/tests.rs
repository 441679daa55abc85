use std::path::Path;

use super::*;

/// What `vigia-sim serve --ephemeral` prints, as it prints it.
const SIM_OUTPUT: &str = "control listening on 127.0.0.1:40947\n\
    cnmaestro listening on 127.0.0.1:37695\n\
    ispcube listening on 127.0.0.1:43281\n\
    ixc listening on 127.0.0.1:43331\n\
    smartolt listening on 127.0.0.1:39423\n\
    routeros:bng-centro listening on 127.0.0.1:41325\n\
    routeros:bng-norte listening on 127.0.0.1:41469\n";

fn template() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(TEMPLATE)).expect("the template is checked in")
}

#[test]
fn the_simulator_services_are_read_from_its_output() {
    let services = listening(&format!("some log line\n{SIM_OUTPUT}"));
    assert_eq!(services.len(), 7, "{services:?}");
    assert_eq!(services["routeros:bng-norte"], "127.0.0.1:41469");
    assert!(SERVICES.iter().all(|s| services.contains_key(*s)));
}

#[test]
fn the_filled_template_points_every_probe_at_the_simulator() {
    let text = fill(&template(), &listening(SIM_OUTPUT)).expect("every placeholder has a service");
    let config: toml::Table = toml::from_str(&text).expect("the filled template is TOML");
    let probes = config["probe"].as_array().expect("probes");
    let target = |name: &str| {
        probes
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no probe {name}"))["targets"][0]
            .as_str()
            .expect("a target")
            .to_owned()
    };
    assert_eq!(target("bng-centro"), "bng-centro=127.0.0.1:41325");
    assert_eq!(target("bng-norte"), "bng-norte=127.0.0.1:41469");
    assert_eq!(target("smartolt"), "smartolt=http://127.0.0.1:39423/api");
    assert_eq!(target("cnmaestro"), "cnm=http://127.0.0.1:37695/api/v2");
    assert_eq!(target("ixc"), "ixc=http://127.0.0.1:43331/webservice/v1");
    assert_eq!(
        probes[0]["grants"]["tcp"][0].as_str(),
        Some("127.0.0.1:41325")
    );
    assert_eq!(
        config["agent"]["id"].as_str(),
        Some(super::super::link::ISP_AGENT)
    );
}

#[test]
fn a_service_the_simulator_lacks_is_named() {
    let mut services = listening(SIM_OUTPUT);
    services.remove("smartolt");
    let error = fill(&template(), &services).expect_err("smartolt is missing");
    assert!(error.to_string().contains("${SMARTOLT}"), "{error}");
}

#[test]
fn placeholders_are_service_names_in_capitals() {
    assert_eq!(placeholder("routeros:bng-centro"), "ROUTEROS_BNG_CENTRO");
    assert_eq!(placeholder("ixc"), "IXC");
}
