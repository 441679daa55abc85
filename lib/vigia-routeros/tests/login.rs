//! Login requests and the pre-6.43 challenge response, checked against MD5 values computed
//! independently (Python's hashlib).

use vigia_routeros::{LoginError, login};

const CHALLENGE: &str = "ebddd18775b4ef2e1d6e2d1fdf0e2f9b";

#[test]
fn current_login_sends_name_and_password() {
    let words = login::request("vigia", "s3cr3t").words();
    assert_eq!(words, ["/login", "=name=vigia", "=password=s3cr3t"]);
}

#[test]
fn legacy_response_is_00_then_md5_of_zero_password_challenge() {
    assert_eq!(
        login::legacy_response("secret", CHALLENGE).unwrap(),
        "00507922c5957aa53b53a3e7223a379520"
    );
    assert_eq!(
        login::legacy_response("", &CHALLENGE.to_uppercase()).unwrap(),
        "0079b8774d233b0f437ca347ca2e474a29"
    );
    let request = login::legacy_request("admin", "secret", CHALLENGE).unwrap();
    assert_eq!(
        request.words(),
        [
            "/login",
            "=name=admin",
            "=response=00507922c5957aa53b53a3e7223a379520"
        ]
    );
}

#[test]
fn server_verifies_a_response() {
    let challenge = login::hex_decode(CHALLENGE).unwrap();
    assert_eq!(login::hex_encode(&challenge), CHALLENGE);
    assert!(login::verify_legacy_response(
        b"secret",
        &challenge,
        "00507922C5957AA53B53A3E7223A379520"
    ));
    assert!(!login::verify_legacy_response(
        b"wrong",
        &challenge,
        "00507922c5957aa53b53a3e7223a379520"
    ));
}

#[test]
fn malformed_challenges_are_errors() {
    for bad in ["abc", "zz", "0g"] {
        assert_eq!(
            login::legacy_response("x", bad),
            Err(LoginError::BadChallenge(bad.to_owned()))
        );
    }
    assert_eq!(login::hex_decode(""), Some(Vec::new()));
}
