//! The export glue's panic hook sends `panic: <message> at <file:line:col>` to its sink.
//! (Its own test binary: the hook is process-global.)

use std::sync::Mutex;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn sink(line: &str) {
    LINES.lock().unwrap().push(line.to_owned());
}

#[test]
fn panic_message_and_location_reach_the_sink_with_the_prefix() {
    vigia_plugin_sdk::export::install_panic_hook(sink);
    let line_of_panic = line!() + 1;
    let result = std::panic::catch_unwind(|| panic!("device {} sent garbage", "olt-1"));
    assert!(result.is_err());
    let lines = LINES.lock().unwrap().clone();
    let expected = format!(
        "{}device olt-1 sent garbage at {}:{line_of_panic}:",
        vigia_plugin_sdk::wit::PANIC_LOG_PREFIX,
        file!()
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&expected),
        "{:?} does not start with {expected:?}",
        lines[0]
    );
}
