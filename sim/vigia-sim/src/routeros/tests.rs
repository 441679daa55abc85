use time::macros::datetime;

use super::format::{self, Version};

#[test]
fn versions_decide_login_empty_replies_and_dates() {
    let old = Version::parse("6.42.12");
    assert_eq!(old, Version(6, 42, 12));
    assert!(!old.plain_login());
    assert!(Version::parse("6.43").plain_login());
    assert!(!Version::parse("7.16.2").empty_reply());
    assert!(Version::parse("7.18beta2").empty_reply());
    assert!(Version::parse("7.19.1").empty_reply());
    assert!(!Version::parse("6.49.17").iso_dates());
    assert!(Version::parse("7.16.2").iso_dates());
    assert_eq!(Version::parse("garbage"), Version(7, 16, 0));
}

#[test]
fn durations_are_written_as_routeros_does() {
    assert_eq!(format::duration(0), "0s");
    assert_eq!(format::duration(59), "59s");
    assert_eq!(format::duration(3_600), "1h");
    assert_eq!(
        format::duration(694_445),
        "1w1d54m5s",
        "zero hours left out"
    );
    assert_eq!(
        format::duration(7 * 86_400 + 2 * 86_400 + 3 * 3_600 + 4 * 60 + 5),
        "1w2d3h4m5s"
    );
    assert_eq!(format::duration(-5), "0s");
}

#[test]
fn dates_follow_the_version() {
    let at = Some(datetime!(2024-02-05 13:47:44 -3));
    assert_eq!(
        format::date_time(at, Version::parse("6.42.12")),
        "feb/05/2024 13:47:44"
    );
    assert_eq!(
        format::date_time(at, Version::parse("7.16.2")),
        "2024-02-05 13:47:44"
    );
    assert_eq!(
        format::date_time(None, Version::parse("6.49")),
        "jan/01/1970 00:00:00"
    );
    assert_eq!(format::id(0x8A1), "*8A1");
}
