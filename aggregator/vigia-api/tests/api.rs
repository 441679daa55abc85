//! The API over real HTTP on loopback: auth, scopes, rate limits, CORS, errors, OpenAPI, health,
//! metrics, docs.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::StatusCode;
use support::outages::{FIRST_WINDOW, PON_EVENT};
use support::{ONU, PON_PORT, TestServer, error_of};
use vigia_api::{ApiConfig, Scope};

/// Every test is bounded: 60 s is far above what any needs.
const TEST_DEADLINE: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_DEADLINE, test)
        .await
        .expect("test took too long");
}

/// Percent-encodes an entity id for a path segment (`/` must be `%2F`).
fn encode(id: &str) -> String {
    id.replace('%', "%25").replace('/', "%2F")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Every GET path of the generated document under /v1 (except the document and docs), with
/// path parameters filled in with existing ids.
async fn documented_v1_paths(server: &TestServer) -> Vec<String> {
    let text = server
        .get("/v1/openapi.json", None)
        .await
        .text()
        .await
        .unwrap();
    let spec = oas3::from_json(&text).expect("valid openapi document");
    let mut paths = Vec::new();
    for (template, item) in spec.paths.clone().unwrap_or_default() {
        if !template.starts_with("/v1/")
            || template.contains("openapi")
            || template.contains("docs")
        {
            continue;
        }
        assert!(item.get.is_some(), "{template} has no GET");
        let id = if template.starts_with("/v1/agents") {
            "agent-a".to_owned()
        } else if template.starts_with("/v1/events") {
            PON_EVENT.to_string()
        } else if template.starts_with("/v1/maintenance") {
            FIRST_WINDOW.to_string()
        } else if template.starts_with("/v1/diagnosis") {
            support::diagnosis::LOS_LOGIN.to_owned()
        } else {
            encode(PON_PORT)
        };
        let path = template.replace("{id}", &id).replace("{login}", &id);
        // Search needs its query text.
        paths.push(if path == "/v1/search" {
            "/v1/search?q=joao".to_owned()
        } else {
            path
        });
    }
    assert_eq!(paths.len(), 12, "{paths:?}");
    paths
}

#[tokio::test]
async fn every_v1_route_refuses_missing_wrong_revoked_and_expired_keys() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, good) = server.keys.add(&[Scope::Read], None).await;
        let (revoked_id, revoked) = server.keys.add(&[Scope::Read], None).await;
        vigia_store::ApiKeyStore::revoke_api_key(&*server.keys, &revoked_id, now_ms())
            .await
            .unwrap();
        let (_, expired) = server.keys.add(&[Scope::Admin], Some(now_ms() - 1)).await;
        let (_, unknown) = vigia_api::generate_api_key("never stored", &[Scope::Read], None);

        for path in documented_v1_paths(&server).await {
            let missing = server.get(&path, None).await;
            assert_eq!(missing.headers()["www-authenticate"], "Bearer", "{path}");
            let (status, code, _) = error_of(missing).await;
            assert_eq!((status, code.as_str()), (401, "missing_api_key"), "{path}");

            let mut invalid_bodies = Vec::new();
            for key in [
                unknown.as_str(),
                revoked.as_str(),
                expired.as_str(),
                "nonsense",
                "vgk_",
            ] {
                let response = server.get(&path, Some(key)).await;
                assert!(
                    response.headers().contains_key("www-authenticate"),
                    "{path}"
                );
                let (status, code, message) = error_of(response).await;
                assert_eq!(
                    (status, code.as_str()),
                    (401, "invalid_api_key"),
                    "{path} {key}"
                );
                invalid_bodies.push(message);
            }
            invalid_bodies.dedup();
            assert_eq!(
                invalid_bodies.len(),
                1,
                "unknown, revoked, expired and malformed look the same"
            );

            let basic = server
                .client
                .get(server.url(&path))
                .basic_auth("u", Some("p"))
                .send()
                .await
                .unwrap();
            assert_eq!(error_of(basic).await.1, "invalid_api_key");

            let ok = server.get(&path, Some(&good)).await;
            assert_eq!(ok.status(), StatusCode::OK, "{path}");
            let _: serde_json::Value = ok.json().await.unwrap();
        }
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn scopes_imply_lower_ones_and_unknown_scopes_grant_nothing() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, admin) = server.keys.add(&[Scope::Admin], None).await;
        let (_, operate) = server.keys.add(&[Scope::Operate], None).await;
        let nothing = server.keys.add_raw_scopes(&["superuser"]).await;
        assert_eq!(
            server.get("/v1/agents", Some(&admin)).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            server.get("/v1/agents", Some(&operate)).await.status(),
            StatusCode::OK
        );
        let (status, code, message) =
            error_of(server.get("/v1/agents", Some(&nothing)).await).await;
        assert_eq!((status, code.as_str()), (403, "insufficient_scope"));
        assert!(message.contains("read"), "{message}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn key_lookups_are_cached_and_a_revocation_takes_effect_after_the_ttl() {
    bounded(async {
        let ttl = Duration::from_millis(300);
        let server = TestServer::start(ApiConfig {
            key_cache_ttl: ttl,
            ..ApiConfig::default()
        })
        .await;
        let (id, key) = server.keys.add(&[Scope::Read], None).await;
        for _ in 0..5 {
            assert_eq!(
                server.get("/v1/agents", Some(&key)).await.status(),
                StatusCode::OK
            );
        }
        assert_eq!(
            server.keys.lookups.load(Ordering::SeqCst),
            1,
            "one store lookup for five requests"
        );

        let (_, unknown) = vigia_api::generate_api_key("x", &[Scope::Read], None);
        for _ in 0..3 {
            assert_eq!(
                server.get("/v1/agents", Some(&unknown)).await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            server.keys.lookups.load(Ordering::SeqCst),
            2,
            "unknown keys are cached too"
        );
        assert_eq!(
            server
                .get("/v1/agents", Some("vgk_malformed"))
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            server.keys.lookups.load(Ordering::SeqCst),
            2,
            "malformed keys never reach the store"
        );

        vigia_store::ApiKeyStore::revoke_api_key(&*server.keys, &id, now_ms())
            .await
            .unwrap();
        let revoked_at = tokio::time::Instant::now();
        // Within the TTL the cached row may still answer; after it the revocation must hold.
        let deadline = revoked_at + ttl + Duration::from_secs(5);
        loop {
            let status = server.get("/v1/agents", Some(&key)).await.status();
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert_eq!(status, StatusCode::OK);
            assert!(
                tokio::time::Instant::now() < deadline,
                "revocation never took effect"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn without_cache_every_request_reads_the_store_and_revocation_is_immediate() {
    bounded(async {
        let server = TestServer::start(ApiConfig {
            key_cache_ttl: Duration::ZERO,
            ..ApiConfig::default()
        })
        .await;
        let (id, key) = server.keys.add(&[Scope::Read], None).await;
        assert_eq!(
            server.get("/v1/agents", Some(&key)).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            server.get("/v1/agents", Some(&key)).await.status(),
            StatusCode::OK
        );
        assert_eq!(server.keys.lookups.load(Ordering::SeqCst), 2);
        vigia_store::ApiKeyStore::revoke_api_key(&*server.keys, &id, now_ms())
            .await
            .unwrap();
        assert_eq!(
            error_of(server.get("/v1/agents", Some(&key)).await).await.1,
            "invalid_api_key"
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn rate_limit_gives_429_then_recovers() {
    bounded(async {
        let server = TestServer::start(ApiConfig {
            rate_per_sec: 1,
            burst: 2,
            ..ApiConfig::default()
        })
        .await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let (_, other) = server.keys.add(&[Scope::Read], None).await;
        assert_eq!(
            server.get("/v1/agents", Some(&key)).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            server.get("/v1/agents", Some(&key)).await.status(),
            StatusCode::OK
        );
        let limited = server.get("/v1/agents", Some(&key)).await;
        let retry_after: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry_after), "retry-after {retry_after}");
        assert_eq!(error_of(limited).await.1, "rate_limited");
        assert_eq!(
            server.get("/v1/agents", Some(&other)).await.status(),
            StatusCode::OK,
            "limits are per key"
        );

        // Retry-After is the server's own signal of when to come back.
        tokio::time::sleep(Duration::from_secs(retry_after)).await;
        assert_eq!(
            server.get("/v1/agents", Some(&key)).await.status(),
            StatusCode::OK
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn cors_preflight_allows_listed_origins_only() {
    bounded(async {
        let allowed = "https://noc.example.net";
        let server = TestServer::start(ApiConfig {
            cors_origins: vec![allowed.to_owned()],
            ..ApiConfig::default()
        })
        .await;
        let preflight = |origin: &'static str| {
            server
                .client
                .request(reqwest::Method::OPTIONS, server.url("/v1/entities"))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization")
                .send()
        };
        let ok = preflight(allowed).await.unwrap();
        assert!(ok.status().is_success(), "{}", ok.status());
        assert_eq!(ok.headers()["access-control-allow-origin"], allowed);
        let methods = ok.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .to_owned();
        for method in ["GET", "POST", "PUT", "DELETE"] {
            assert!(methods.contains(method), "{methods}");
        }
        let headers = ok.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(headers.contains("authorization"), "{headers}");

        let refused = preflight("https://evil.example.com").await.unwrap();
        assert!(
            !refused
                .headers()
                .contains_key("access-control-allow-origin")
        );

        // An actual request from the allowed origin: CORS headers even on an error.
        let response = server
            .client
            .get(server.url("/v1/agents"))
            .header("origin", allowed)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["access-control-allow-origin"], allowed);
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        server.stop().await;

        let no_cors = TestServer::start(ApiConfig::default()).await;
        let response = no_cors
            .client
            .get(no_cors.url("/health"))
            .header("origin", allowed)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            !response
                .headers()
                .contains_key("access-control-allow-origin")
        );
        no_cors.stop().await;
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_the_error_body() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        for path in ["/nope", "/v1/nope", "/v2/agents", "/v1/entities/a/b/c/d"] {
            let (status, code, _) = error_of(server.get(path, Some(&key)).await).await;
            assert_eq!((status, code.as_str()), (404, "not_found"), "{path}");
        }
        let response = server
            .client
            .post(server.url("/v1/agents"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("GET"), "{allow}");
        let (status, code, _) = error_of(response).await;
        assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn bad_query_parameters_get_400_with_the_reason() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let onu = encode(ONU);
        let cases = [
            ("/v1/entities?limit=0".to_owned(), "limit"),
            ("/v1/entities?limit=abc".to_owned(), "limit"),
            ("/v1/entities?limit=1001".to_owned(), "limit"),
            ("/v1/entities?limit=-1".to_owned(), "limit"),
            ("/v1/entities?state=sideways".to_owned(), "state"),
            (format!("/v1/entities/{onu}/observations?limit=0"), "limit"),
            (format!("/v1/entities/{onu}/history?limit=abc"), "limit"),
            (
                format!("/v1/entities/{onu}/history?since=yesterday"),
                "since",
            ),
        ];
        for (path, reason) in cases {
            let (status, code, message) = error_of(server.get(&path, Some(&key)).await).await;
            assert_eq!((status, code.as_str()), (400, "bad_request"), "{path}");
            assert!(message.contains(reason), "{path}: {message}");
        }
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn entity_ids_with_slashes_and_colons_work_percent_encoded() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let path = format!("/v1/entities/{}", encode(PON_PORT));
        let entity: serde_json::Value = server.get(&path, Some(&key)).await.json().await.unwrap();
        assert_eq!(entity["id"], PON_PORT);
        assert_eq!(entity["state"]["value"], "degraded");
        assert_eq!(entity["state"]["since"], "2024-05-01T12:00:01Z");
        assert_eq!(entity["parents"][0]["id"], "olt:olt-1");
        assert_eq!(entity["children_total"], 2);
        assert_eq!(entity["attributes"]["port"], 3);
        assert_eq!(entity["attributes"]["rx_power_dbm"], -21.5);

        let observations: serde_json::Value = server
            .get(&format!("{path}/observations?limit=1"), Some(&key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(observations.as_array().map(Vec::len), Some(1));
        assert_eq!(observations[0]["data"]["status"], "los");

        let history: serde_json::Value = server
            .get(
                &format!("{path}/history?since=2024-05-01T11:59:00Z"),
                Some(&key),
            )
            .await
            .json()
            .await
            .unwrap();
        let states: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["degraded", "up"], "changes since 11:59 only");

        // A percent-encoded id that does not exist is a 404 naming the decoded id.
        let (status, code, message) =
            error_of(server.get("/v1/entities/onu:nope%2F1", Some(&key)).await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"));
        assert!(message.contains("onu:nope/1"), "{message}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn entity_listing_filters_and_pages() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let ids = |page: &serde_json::Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let onus: serde_json::Value = server
            .get("/v1/entities?kind=onu", Some(&key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(ids(&onus), [ONU, "onu:ZTEG00000001"]);
        let down: serde_json::Value = server
            .get("/v1/entities?site=pop-a&state=down", Some(&key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(ids(&down), [ONU]);
        assert!(down["next_cursor"].is_null());

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let path = match &cursor {
                Some(c) => format!(
                    "/v1/entities?limit=4&cursor={}",
                    encode(c).replace(':', "%3A")
                ),
                None => "/v1/entities?limit=4".to_owned(),
            };
            let page: serde_json::Value = server.get(&path, Some(&key)).await.json().await.unwrap();
            assert!(ids(&page).len() <= 4);
            seen.extend(ids(&page));
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), 6, "{seen:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 6, "no entity twice: {seen:?}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn agents_are_listed_and_fetched() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let agents: serde_json::Value = server
            .get("/v1/agents", Some(&key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(agents[0]["id"], "agent-a");
        assert_eq!(agents[0]["health"]["spool_records"], 12);
        assert_eq!(agents[0]["health"]["reported_at"], "2024-05-01T12:00:06Z");
        assert!(agents[1]["health"].is_null());
        let agent: serde_json::Value = server
            .get("/v1/agents/agent-b", Some(&key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(agent["connected"], false);
        let (status, code, _) = error_of(server.get("/v1/agents/agent-z", Some(&key)).await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn metrics_text_parses_and_counts_requests_by_route() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        server.get("/v1/agents", Some(&key)).await;
        server.get(&format!("/v1/entities/{}", encode(ONU)), Some(&key)).await;
        server.get("/v1/agents", None).await;
        let response = server.get("/metrics", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = response.text().await.unwrap();
        let mut samples = std::collections::HashMap::new();
        for line in text.lines() {
            if line.starts_with('#') || line.is_empty() {
                assert!(line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE "), "{line}");
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line}"));
            let name_end = series.find('{').unwrap_or(series.len());
            assert!(series[..name_end].chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "{line}");
            if name_end < series.len() {
                assert!(series.ends_with('}'), "{line}");
            }
            samples.insert(series.to_owned(), value);
        }
        assert_eq!(samples.get("vigia_test_entities"), Some(&6.0), "the binary's own metrics");
        let ok = "vigia_api_requests_total{route=\"/v1/agents\",method=\"GET\",status=\"200\"}";
        let unauthorized = "vigia_api_requests_total{route=\"/v1/agents\",method=\"GET\",status=\"401\"}";
        let entity = "vigia_api_requests_total{route=\"/v1/entities/{id}\",method=\"GET\",status=\"200\"}";
        assert_eq!(samples.get(ok), Some(&1.0), "{text}");
        assert_eq!(samples.get(unauthorized), Some(&1.0), "{text}");
        assert_eq!(samples.get(entity), Some(&1.0), "route template, not the id: {text}");
        let count = "vigia_api_request_duration_seconds_count{route=\"/v1/agents\",method=\"GET\",status=\"200\"}";
        assert_eq!(samples.get(count), Some(&1.0));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn health_is_ok_or_degraded_with_503() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let ok = server.get("/health", None).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let body: serde_json::Value = ok.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["checks"]["store"]["status"], "ok");
        server.healthy.store(false, Ordering::SeqCst);
        let degraded = server.get("/health", None).await;
        assert_eq!(degraded.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = degraded.json().await.unwrap();
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["checks"]["store"]["message"], "store unreachable");
        assert_eq!(body["checks"]["ingest"]["status"], "ok");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn docs_page_is_served_from_embedded_assets() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let page = server.get("/v1/docs", None).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.url().path(), "/v1/docs/");
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "{html}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external assets: {html}"
        );
        let init = server
            .get("/v1/docs/swagger-initializer.js", None)
            .await
            .text()
            .await
            .unwrap();
        assert!(init.contains("/v1/openapi.json"), "{init}");
        let bundle = server.get("/v1/docs/swagger-ui-bundle.js", None).await;
        assert_eq!(bundle.status(), StatusCode::OK);
        assert!(bundle.bytes().await.unwrap().len() > 100_000);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn openapi_document_is_valid_and_declares_auth_and_errors() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let response = server.get("/v1/openapi.json", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");
        assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            raw["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(raw["components"]["schemas"]["ErrorBody"].is_object());
        let error_body = "#/components/schemas/ErrorBody";
        let mut operations = 0;
        for (path, item) in raw["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let declared: Vec<&str> = op["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                let success = match method.as_str() {
                    "get" | "put" => "200",
                    "post" => "201",
                    "delete" => "204",
                    other => panic!("{path}: unexpected method {other}"),
                };
                assert!(declared.contains(&success), "{method} {path}: {declared:?}");
                if !path.starts_with("/v1/") {
                    assert!(op.get("security").is_none(), "{path} is public");
                    continue;
                }
                assert_eq!(
                    op["security"],
                    serde_json::json!([{ "bearer": [] }]),
                    "{method} {path}"
                );
                for status in ["400", "401", "403", "429", "500"] {
                    assert!(
                        declared.contains(&status),
                        "{method} {path} lacks {status}: {declared:?}"
                    );
                    let schema = &op["responses"][status]["content"]["application/json"]["schema"];
                    assert_eq!(schema["$ref"], error_body, "{method} {path} {status}");
                }
                assert_eq!(
                    declared.contains(&"404"),
                    path.contains("{id}") || path.contains("{login}"),
                    "{method} {path}: {declared:?}"
                );
                let has_body = method == "post" || method == "put";
                assert_eq!(op.get("requestBody").is_some(), has_body, "{method} {path}");
                if has_body {
                    assert_eq!(
                        op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/NewMaintenance"
                    );
                    for status in ["413", "415"] {
                        assert!(declared.contains(&status), "{method} {path} lacks {status}");
                    }
                }
            }
        }
        assert_eq!(operations, 17, "every route is documented");
        let created = &raw["paths"]["/v1/maintenance"]["post"]["responses"]["201"];
        assert!(created["headers"]["Location"].is_object(), "{created}");
        let new = &raw["components"]["schemas"]["NewMaintenance"];
        assert_eq!(new["additionalProperties"], false, "{new}");
        assert_eq!(new["properties"]["entities"]["minItems"], 1, "{new}");
        assert_eq!(new["properties"]["entities"]["maxItems"], 1000, "{new}");
        assert_eq!(new["properties"]["reason"]["maxLength"], 500, "{new}");
        let kinds = &raw["components"]["schemas"]["EventKind"]["enum"];
        assert_eq!(
            kinds,
            &serde_json::json!(["mass_outage", "device_down", "collector_stale"])
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn slow_requests_time_out_and_large_bodies_are_refused() {
    bounded(async {
        let server = TestServer::start(ApiConfig {
            request_timeout: Duration::from_millis(200),
            max_body_bytes: 1024,
            ..ApiConfig::default()
        })
        .await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let big = server
            .client
            .get(server.url("/v1/agents"))
            .bearer_auth(&key)
            .body(vec![b'x'; 4096])
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(big).await;
        assert_eq!((status, code.as_str()), (413, "payload_too_large"));

        server.model.stall.store(true, Ordering::SeqCst);
        let (status, code, _) = error_of(server.get("/v1/agents", Some(&key)).await).await;
        assert_eq!((status, code.as_str()), (503, "timeout"));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn invalid_configurations_are_refused() {
    use std::sync::Arc;
    let build = |config: ApiConfig| {
        vigia_api::Api::router(
            config,
            Arc::new(support::MemoryModel::default()),
            Arc::new(support::outages::MemoryOutages::default()),
            Arc::new(support::diagnosis::MemoryDiagnosis::default()),
            Arc::new(support::MemoryKeys::default()),
            Arc::new(support::health_check(Arc::new(true.into()))),
            Arc::new(vigia_api::NoMetrics),
        )
        .map(|_| ())
    };
    assert!(build(ApiConfig::default()).is_ok());
    let zero = build(ApiConfig {
        rate_per_sec: 0,
        ..ApiConfig::default()
    })
    .unwrap_err();
    assert!(zero.to_string().contains("rate_per_sec"), "{zero}");
    assert!(
        build(ApiConfig {
            burst: 0,
            ..ApiConfig::default()
        })
        .is_err()
    );
    assert!(
        build(ApiConfig {
            request_timeout: Duration::ZERO,
            ..ApiConfig::default()
        })
        .is_err()
    );
    for origin in [
        "noc.example.net",
        "https://noc.example.net/",
        "https://bad\norigin",
    ] {
        let error = build(ApiConfig {
            cors_origins: vec![origin.to_owned()],
            ..ApiConfig::default()
        })
        .unwrap_err();
        assert!(
            matches!(error, vigia_api::ConfigError::InvalidOrigin { .. }),
            "{origin}"
        );
    }
}
