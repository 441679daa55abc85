//! The small parsers: IXC's local times, ONU serials, billing codes, URLs, secret columns.

use super::*;
use crate::customers::billing;
use crate::logins::onu_serial;
use crate::rows::{from_json, is_secret};
use crate::time::local_to_unix_ms;

#[test]
fn local_times_become_unix_ms_with_the_offset() {
    assert_eq!(
        local_to_unix_ms("2024-09-29 23:11:51", -180),
        Some(1_727_662_311_000)
    );
    assert_eq!(
        local_to_unix_ms("2024-02-29 00:00:00", 0),
        Some(1_709_164_800_000)
    );
    assert_eq!(local_to_unix_ms("2024-09-29", 0), Some(1_727_568_000_000));
    for bad in [
        "0000-00-00 00:00:00",
        "",
        "2023-02-29 00:00:00",
        "2024-13-01 00:00:00",
        "2024-09-29 24:00:00",
        "yesterday",
        "2024-09-29 23:11:51:00",
    ] {
        assert_eq!(local_to_unix_ms(bad, -180), None, "{bad}");
    }
}

#[test]
fn hex_onu_serials_decode_to_vendor_letters() {
    assert_eq!(onu_serial("48575443E55DA5AC"), "HWTCE55DA5AC");
    assert_eq!(onu_serial("5a544547c0ffee01"), "ZTEGC0FFEE01");
    assert_eq!(onu_serial("HWTCE55DA5AC"), "HWTCE55DA5AC");
    // Not letters in the vendor part: kept as given.
    assert_eq!(onu_serial("00112233AABBCCDD"), "00112233AABBCCDD");
}

#[test]
fn billing_codes_map_to_states() {
    assert_eq!(billing(Some("A"), Some("A")), BillingState::Active);
    assert_eq!(billing(Some("AA"), Some("A")), BillingState::Warned);
    for blocked in ["CA", "CM", "FA"] {
        assert_eq!(billing(Some(blocked), Some("A")), BillingState::Blocked);
    }
    assert_eq!(billing(Some("D"), Some("A")), BillingState::Cancelled);
    assert_eq!(billing(Some("A"), Some("C")), BillingState::Cancelled);
    assert_eq!(billing(Some("XYZ"), None), BillingState::Unknown);
    assert_eq!(billing(None, None), BillingState::Unknown);
}

#[test]
fn secret_columns_are_recognised_and_dropped() {
    for secret in [
        "senha",
        "senha_rede_sem_fio",
        "senha_router1",
        "SENHA_WPA2AES",
        "api_token",
        "password",
        "client_secret",
    ] {
        assert!(is_secret(secret), "{secret}");
    }
    for plain in ["login", "id", "online", "motivo_desconexao"] {
        assert!(!is_secret(plain), "{plain}");
    }
    let row = from_json(
        json!({"login": "ana", "senha": "x", "senha_router2": "y", "nested": {"a": 1}})
            .as_object()
            .cloned()
            .unwrap(),
    );
    assert_eq!(row.keys().collect::<Vec<_>>(), vec!["login"]);
}

#[test]
fn base_urls_accept_the_webservice_suffix_or_not() {
    for address in [
        "https://ixc.example.com.br",
        "https://ixc.example.com.br/",
        "https://ixc.example.com.br/webservice/v1",
        "https://ixc.example.com.br/webservice/v1/",
    ] {
        assert_eq!(base_url(address).unwrap(), BASE, "{address}");
    }
    assert_eq!(
        base_url("http://10.0.0.5:8080/ixc").unwrap(),
        "http://10.0.0.5:8080/ixc/webservice/v1"
    );
    assert_eq!(
        base_url("ixc.example.com.br").unwrap_err().class,
        ErrorClass::Config
    );
}

#[test]
fn base64_pads_like_rfc_4648() {
    assert_eq!(base64(b"7:4dac0b5e"), "Nzo0ZGFjMGI1ZQ==");
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b"a"), "YQ==");
    assert_eq!(base64(b""), "");
}

#[test]
fn concentrators_map_by_address_or_id() {
    let config: Config = vigia_plugin_sdk::parse_config(&config(
        r#""concentrators": {"10.0.0.1": "bng-a", "2": "bng-b"}"#,
    ))
    .unwrap();
    assert_eq!(config.concentrator("10.0.0.1", "1"), "bng-a");
    assert_eq!(config.concentrator("10.0.0.2", "2"), "bng-b");
    assert_eq!(config.concentrator("10.0.0.3", "3"), "10.0.0.3");
    assert_eq!(config.concentrator("", "4"), "ixc-concentrador-4");
}

#[test]
fn a_parsed_page_holds_no_secret_column() {
    let page = json!({"page": "1", "total": "1", "registros": [login_row(1, "ana", true)]});
    let parsed = crate::client::parse_page(&json_response(&page)).unwrap();
    assert_eq!(parsed.total, 1);
    let row = &parsed.rows[0];
    assert_eq!(row.get("login").map(String::as_str), Some("ana"));
    assert!(row.keys().all(|k| !k.contains("senha")), "{row:?}");
    assert!(row.values().all(|v| !v.contains("SECRET")), "{row:?}");
}
