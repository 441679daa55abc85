//! Capability tests: the host functions called natively on a real `HostState` (no guest), against
//! local servers. Grant checks, backends, timeouts and caps.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wasmtime::Store;

use crate::bindings::vigia::plugin::http::{Host as _, Method, Request};
use crate::bindings::vigia::plugin::icmp::{EchoRequest, Host as _};
use crate::bindings::vigia::plugin::log::{Host as _, Level};
use crate::bindings::vigia::plugin::snmp::{Credentials, Device, Host as _};
use crate::bindings::vigia::plugin::tcp::{Host as _, HostConnection as _, TlsOptions};
use crate::bindings::vigia::plugin::types::HostError;
use crate::limits::HostCallBudgetExceeded;
use crate::state::HostState;
use crate::{Grants, HostConfig, Limits, PluginHost, SecretMap};

fn host_with(config: HostConfig) -> PluginHost {
    PluginHost::new(HostConfig {
        max_instances: 4,
        ..config
    })
    .expect("host builds")
}

fn store(host: &PluginHost, grants: Grants) -> Store<HostState> {
    host.new_store("tester".into(), grants, Limits::default(), 1)
}

fn denied(result: Result<impl std::fmt::Debug, HostError>) -> String {
    match result {
        Err(HostError::Denied(text)) => text,
        other => panic!("expected denied, got {other:?}"),
    }
}

fn get(url: &str) -> Request {
    Request {
        method: Method::Get,
        url: url.into(),
        headers: vec![],
        body: None,
        timeout_ms: 5000,
    }
}

/// A one-shot HTTP/1.1 server answering every connection with `response`; returns its port.
async fn http_server(response: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn.write_all(&response).await;
            });
        }
    });
    port
}

fn http_response(status: &str, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

#[tokio::test]
async fn http_to_an_ungranted_host_is_denied_with_the_grant_named() {
    let host = host_with(HostConfig::default());
    let mut store = store(
        &host,
        Grants {
            http_hosts: vec!["127.0.0.1:1".into()],
            ..Grants::none()
        },
    );
    let text = denied(
        store
            .data_mut()
            .send(get("https://api.example.com/v1"))
            .await
            .unwrap(),
    );
    assert_eq!(
        text,
        "http to api.example.com is not granted to plugin 'tester': add it to this probe's grants.http_hosts in the agent config"
    );
    let text = denied(
        store
            .data_mut()
            .send(get("http://127.0.0.1:8080/"))
            .await
            .unwrap(),
    );
    assert!(
        text.starts_with("http to 127.0.0.1:8080 is not granted"),
        "{text}"
    );
    let bad = store
        .data_mut()
        .send(get("ftp://127.0.0.1/"))
        .await
        .unwrap();
    assert!(matches!(bad, Err(HostError::InvalidArgument(_))), "{bad:?}");
}

#[tokio::test]
async fn http_to_a_granted_host_returns_status_headers_and_body_without_following_redirects() {
    let host = host_with(HostConfig::default());
    let ok = http_server(http_response(
        "200 OK",
        "x-vendor: olt\r\n",
        b"{\"up\":true}",
    ))
    .await;
    let redirect = http_server(http_response(
        "302 Found",
        "location: http://10.255.255.1/\r\n",
        b"",
    ))
    .await;
    let grants = Grants {
        http_hosts: vec![format!("127.0.0.1:{ok}"), format!("127.0.0.1:{redirect}")],
        ..Grants::none()
    };
    let mut store = store(&host, grants);
    let resp = store
        .data_mut()
        .send(get(&format!("http://127.0.0.1:{ok}/status")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"{\"up\":true}");
    assert!(
        resp.headers
            .iter()
            .any(|(n, v)| n == "x-vendor" && v == "olt")
    );
    let resp = store
        .data_mut()
        .send(get(&format!("http://127.0.0.1:{redirect}/")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resp.status, 302);
}

#[tokio::test]
async fn http_body_over_the_cap_is_refused() {
    let host = host_with(HostConfig {
        http_body_max_bytes: 1000,
        ..HostConfig::default()
    });
    let port = http_server(http_response("200 OK", "", &[b'x'; 5000])).await;
    let mut store = store(
        &host,
        Grants {
            http_hosts: vec![format!("127.0.0.1:{port}")],
            ..Grants::none()
        },
    );
    let result = store
        .data_mut()
        .send(get(&format!("http://127.0.0.1:{port}/big")))
        .await
        .unwrap();
    match result {
        Err(HostError::InvalidArgument(text)) => assert!(text.contains("1000 byte cap"), "{text}"),
        other => panic!("expected invalid-argument, got {other:?}"),
    }
}

#[tokio::test]
async fn http_timeout_is_a_timeout_error() {
    let host = host_with(HostConfig::default());
    // Accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    let mut store = store(
        &host,
        Grants {
            http_hosts: vec![format!("127.0.0.1:{port}")],
            ..Grants::none()
        },
    );
    let mut req = get(&format!("http://127.0.0.1:{port}/"));
    req.timeout_ms = 200;
    let result = store.data_mut().send(req).await.unwrap();
    assert!(matches!(result, Err(HostError::Timeout)), "{result:?}");
}

struct TestCert {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn self_signed() -> TestCert {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    TestCert {
        cert: certified.cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        )),
    }
}

/// A TLS server on 127.0.0.1 (certificate for `localhost`) that answers each connection with
/// `response` after reading a request head; returns its port.
async fn tls_server(cert: &TestCert, response: Vec<u8>) -> u16 {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.clone()], cert.key.clone_key())
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let (acceptor, response) = (acceptor.clone(), response.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(conn).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                if let Ok(n) = tls.read(&mut buf).await
                    && n > 0
                {
                    let _ = tls.write_all(&response).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn https_verifies_certificates_unless_the_probe_skips_verification() {
    let cert = self_signed();
    let port = tls_server(&cert, http_response("200 OK", "", b"secure")).await;
    let url = format!("https://localhost:{port}/");
    let granted = vec![format!("localhost:{port}")];

    let host = host_with(HostConfig::default());
    let mut verifying = store(
        &host,
        Grants {
            http_hosts: granted.clone(),
            ..Grants::none()
        },
    );
    let result = verifying.data_mut().send(get(&url)).await.unwrap();
    assert!(
        matches!(&result, Err(HostError::Protocol(t)) if t.starts_with("tls")),
        "{result:?}"
    );

    let mut skipping = store(
        &host,
        Grants {
            http_hosts: granted.clone(),
            tls_skip_verify: true,
            ..Grants::none()
        },
    );
    let resp = skipping.data_mut().send(get(&url)).await.unwrap().unwrap();
    assert_eq!(resp.body, b"secure");

    // The same certificate trusted as an extra root verifies.
    let trusting = host_with(HostConfig {
        extra_root_certs: vec![cert.cert.clone()],
        ..HostConfig::default()
    });
    let mut store = store(
        &trusting,
        Grants {
            http_hosts: granted,
            ..Grants::none()
        },
    );
    let resp = store.data_mut().send(get(&url)).await.unwrap().unwrap();
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn tcp_connects_only_to_granted_pairs_and_reads_and_writes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let n = conn.read(&mut buf).await.unwrap();
        conn.write_all(&buf[..n].to_ascii_uppercase())
            .await
            .unwrap();
        // Then stay silent until the client goes away.
        let _ = conn.read(&mut buf).await;
    });
    let host = host_with(HostConfig::default());
    let mut store = store(
        &host,
        Grants {
            tcp: vec![format!("127.0.0.1:{port}")],
            ..Grants::none()
        },
    );
    let state = store.data_mut();

    let text = denied(
        state
            .connect("127.0.0.1".into(), port.wrapping_add(1), None, 1000)
            .await
            .unwrap(),
    );
    assert!(text.contains("grants.tcp"), "{text}");

    let conn = state
        .connect("127.0.0.1".into(), port, None, 1000)
        .await
        .unwrap()
        .unwrap();
    let again =
        wasmtime::component::Resource::<crate::capability::tcp::Connection>::new_borrow(conn.rep());
    state
        .write(again, b"login".to_vec(), 1000)
        .await
        .unwrap()
        .unwrap();
    let again =
        wasmtime::component::Resource::<crate::capability::tcp::Connection>::new_borrow(conn.rep());
    let data = state.read(again, 64, 2000).await.unwrap().unwrap();
    assert_eq!(data, b"LOGIN");
    let again =
        wasmtime::component::Resource::<crate::capability::tcp::Connection>::new_borrow(conn.rep());
    let silent = state.read(again, 64, 100).await.unwrap();
    assert!(matches!(silent, Err(HostError::Timeout)), "{silent:?}");
    crate::bindings::vigia::plugin::tcp::HostConnection::drop(state, conn)
        .await
        .unwrap();
    assert_eq!(state.tcp_open, 0);
}

#[tokio::test]
async fn tcp_tls_uses_the_probe_verification_setting() {
    let cert = self_signed();
    let port = tls_server(&cert, b"hello over tls".to_vec()).await;
    let host = host_with(HostConfig::default());
    let tls = || {
        Some(TlsOptions {
            server_name: Some("localhost".into()),
        })
    };
    let grants = Grants {
        tcp: vec![format!("127.0.0.1:{port}")],
        ..Grants::none()
    };

    let mut verifying = store(&host, grants.clone());
    let result = verifying
        .data_mut()
        .connect("127.0.0.1".into(), port, tls(), 2000)
        .await
        .unwrap();
    assert!(
        matches!(&result, Err(HostError::Protocol(t)) if t.contains("tls handshake")),
        "{:?}",
        result.err()
    );

    let mut skipping = store(
        &host,
        Grants {
            tls_skip_verify: true,
            ..grants
        },
    );
    let state = skipping.data_mut();
    let conn = state
        .connect("127.0.0.1".into(), port, tls(), 2000)
        .await
        .unwrap()
        .unwrap();
    let again =
        wasmtime::component::Resource::<crate::capability::tcp::Connection>::new_borrow(conn.rep());
    state
        .write(again, b"hi".to_vec(), 1000)
        .await
        .unwrap()
        .unwrap();
    let again =
        wasmtime::component::Resource::<crate::capability::tcp::Connection>::new_borrow(conn.rep());
    assert_eq!(
        state.read(again, 64, 2000).await.unwrap().unwrap(),
        b"hello over tls"
    );
}

#[tokio::test]
async fn icmp_snmp_kv_and_secrets_are_denied_without_grants() {
    let host = host_with(HostConfig::default());
    let mut store = store(&host, Grants::none());
    let state = store.data_mut();
    let echo = EchoRequest {
        address: "127.0.0.1".into(),
        count: 1,
        interval_ms: 0,
        timeout_ms: 100,
        payload_bytes: 0,
    };
    assert!(
        denied(state.echo(vec![echo]).await.unwrap())
            .contains("`icmp = true` to this probe's grants")
    );
    let device = Device {
        address: "127.0.0.1".into(),
        port: 161,
        credentials: Credentials::V2c("community".into()),
        timeout_ms: 100,
        retries: 0,
    };
    assert!(
        denied(
            state
                .walk(device, "1.3.6.1.2.1.2".into(), 10)
                .await
                .unwrap()
        )
        .contains("`snmp = true`")
    );
    assert!(
        denied(
            crate::bindings::vigia::plugin::kv::Host::get(state, "k".into())
                .await
                .unwrap()
        )
        .contains("`kv = true`")
    );
    let text = denied(
        crate::bindings::vigia::plugin::secrets::Host::get(state, "token".into())
            .await
            .unwrap(),
    );
    assert_eq!(
        text,
        "secret 'token' is not granted to plugin 'tester': add it to this probe's grants.secrets in the agent config"
    );
}

#[tokio::test]
async fn snmp_credentials_need_their_secret_granted_too() {
    let host = host_with(HostConfig::default());
    let mut store = store(
        &host,
        Grants {
            snmp: true,
            ..Grants::none()
        },
    );
    let device = Device {
        address: "127.0.0.1".into(),
        port: 161,
        credentials: Credentials::V2c("community".into()),
        timeout_ms: 100,
        retries: 0,
    };
    let oids = vec!["1.3.6.1.2.1.1.1.0".to_owned()];
    let result = crate::bindings::vigia::plugin::snmp::Host::get(store.data_mut(), device, oids)
        .await
        .unwrap();
    assert!(denied(result).contains("secret 'community' (snmp credentials)"));
}

#[tokio::test]
async fn granted_secrets_and_kv_work() {
    let secrets = SecretMap::new([("token".to_owned(), "s3cr3t".to_owned())].into());
    let host = host_with(HostConfig {
        secrets: Arc::new(secrets),
        ..HostConfig::default()
    });
    let grants = Grants {
        kv: true,
        secrets: vec!["token".into(), "missing".into()],
        ..Grants::none()
    };
    let mut store = store(&host, grants);
    let state = store.data_mut();
    use crate::bindings::vigia::plugin::{kv, secrets as sec};
    assert_eq!(
        sec::Host::get(state, "token".into()).await.unwrap(),
        Ok("s3cr3t".into())
    );
    let missing = sec::Host::get(state, "missing".into()).await.unwrap();
    assert!(matches!(missing, Err(HostError::InvalidArgument(t)) if t.contains("not defined")));
    kv::Host::set(state, "cursor".into(), b"42".to_vec())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kv::Host::get(state, "cursor".into()).await.unwrap(),
        Ok(Some(b"42".to_vec()))
    );
    kv::Host::delete(state, "cursor".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kv::Host::get(state, "cursor".into()).await.unwrap(),
        Ok(None)
    );
    let too_long = kv::Host::set(state, "k".repeat(300), vec![]).await.unwrap();
    assert!(
        matches!(too_long, Err(HostError::InvalidArgument(_))),
        "{too_long:?}"
    );
}

#[tokio::test]
async fn icmp_rejects_bad_requests_as_invalid_arguments() {
    let host = host_with(HostConfig::default());
    let mut store = store(
        &host,
        Grants {
            icmp: true,
            ..Grants::none()
        },
    );
    let req = |address: &str, count| EchoRequest {
        address: address.into(),
        count,
        interval_ms: 0,
        timeout_ms: 100,
        payload_bytes: 0,
    };
    for bad in [
        req("cpe-1.example", 1),
        req("127.0.0.1", 0),
        req("127.0.0.1", 101),
    ] {
        let result = store.data_mut().echo(vec![bad]).await.unwrap();
        assert!(
            matches!(result, Err(HostError::InvalidArgument(_))),
            "{result:?}"
        );
    }
}

#[test]
fn host_call_budget_traps_past_the_limit() {
    let host = host_with(HostConfig::default());
    let limits = Limits {
        max_host_calls: 3,
        ..Limits::default()
    };
    let mut store = host.new_store("tester".into(), Grants::none(), limits, 1);
    let state = store.data_mut();
    for _ in 0..3 {
        state.log(Level::Info, "ok".into()).unwrap();
    }
    let err = state.log(Level::Info, "one too many".into()).unwrap_err();
    assert!(
        err.downcast_ref::<HostCallBudgetExceeded>().is_some(),
        "{err:#}"
    );
    assert_eq!(state.log.lines.len(), 3);
}

#[test]
fn log_lines_are_capped_truncated_and_panics_remembered() {
    let host = host_with(HostConfig::default());
    let limits = Limits {
        max_log_lines: 2,
        ..Limits::default()
    };
    let mut store = host.new_store("tester".into(), Grants::none(), limits, 1);
    let state = store.data_mut();
    state.log(Level::Warn, "x".repeat(10_000)).unwrap();
    state.log(Level::Info, "second".into()).unwrap();
    state.log(Level::Info, "dropped".into()).unwrap();
    state
        .log(Level::Error, "panic: index out of bounds".into())
        .unwrap();
    assert_eq!(state.log.lines.len(), 2);
    assert_eq!(
        state.log.lines[0].message.len(),
        crate::limits::MAX_LOG_LINE_BYTES
    );
    assert_eq!(state.log.dropped, 2);
    assert_eq!(state.log.last_panic.as_deref(), Some("index out of bounds"));
}

#[tokio::test]
async fn io_timeouts_are_capped_by_the_run_deadline() {
    let host = host_with(HostConfig::default());
    let limits = Limits {
        deadline: Duration::from_millis(500),
        ..Limits::default()
    };
    let store = host.new_store("tester".into(), Grants::none(), limits, 1);
    let t = store.data().io_timeout(60_000).unwrap();
    // A tenth of the deadline is kept back for the plugin to return.
    assert!(
        t <= Duration::from_millis(450) && t > Duration::from_millis(300),
        "{t:?}"
    );
    assert_eq!(
        store.data().io_timeout(100).unwrap(),
        Duration::from_millis(100)
    );
}

/// Needs root (raw ICMP) or `net.ipv4.ping_group_range` covering our group: fails loudly without.
#[tokio::test]
async fn icmp_echo_to_loopback_measures_rtts_in_request_order() {
    let host = host_with(HostConfig::default());
    let mut store = store(
        &host,
        Grants {
            icmp: true,
            ..Grants::none()
        },
    );
    let req = |address: &str| EchoRequest {
        address: address.into(),
        count: 3,
        interval_ms: 20,
        timeout_ms: 1000,
        payload_bytes: 56,
    };
    let results = store
        .data_mut()
        .echo(vec![req("127.0.0.1"), req("::1"), req("127.0.0.1")])
        .await
        .unwrap();
    let results = results.unwrap_or_else(|e| {
        panic!("ICMP sockets could not be used ({e:?}): this test needs root or net.ipv4.ping_group_range")
    });
    assert_eq!(results.len(), 3);
    for (result, address) in results.iter().zip(["127.0.0.1", "::1", "127.0.0.1"]) {
        assert_eq!(result.address, address);
        assert_eq!(result.sent, 3, "{result:?}");
        assert_eq!(result.rtts_us.len(), 3, "{result:?}");
        assert_eq!(result.error, None);
        assert!(
            result.rtts_us.iter().all(|&rtt| rtt < 1_000_000),
            "{result:?}"
        );
    }
}
