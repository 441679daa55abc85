//! Diagnosis and search over real HTTP on loopback: the verdict and facts as JSON, a clear 404
//! for an unknown login, and every malformed search or diagnosis request refused with a 400.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::diagnosis::LOS_LOGIN;
use support::{TestServer, error_of};
use vigia_api::{ApiConfig, Scope};

const TEST_DEADLINE: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_DEADLINE, test)
        .await
        .expect("test took too long");
}

#[tokio::test]
async fn a_known_subscriber_gets_its_verdict_and_facts() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let response = server
            .get(&format!("/v1/diagnosis/{LOS_LOGIN}"), Some(&key))
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["login"], LOS_LOGIN);
        assert_eq!(body["live"], false);
        assert_eq!(body["verdict"]["verdict"], "confirm_then_dispatch");
        assert_eq!(body["facts"]["onu"]["status"], "los");
        let reasons = body["verdict"]["reasons"].as_array().unwrap();
        assert!(
            reasons
                .iter()
                .any(|r| r["source"] == "plugin:smartolt@pop-1" && r["age_ms"].as_u64().is_some()),
            "{reasons:?}"
        );
        assert!(body["generated_at"].as_str().unwrap().ends_with('Z'));

        let live: Value = server
            .get(&format!("/v1/diagnosis/{LOS_LOGIN}?live=true"), Some(&key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(live["live"], true);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn unknown_logins_and_bad_options_are_explained() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let (status, code, message) =
            error_of(server.get("/v1/diagnosis/nobody.here", Some(&key)).await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"));
        assert!(
            message.contains("nobody.here") && message.contains("/v1/search"),
            "{message}"
        );

        let (status, code, _) = error_of(
            server
                .get(&format!("/v1/diagnosis/{LOS_LOGIN}?live=maybe"), Some(&key))
                .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (400, "bad_request"));

        let (status, _, _) = error_of(server.get("/v1/diagnosis/%20", Some(&key)).await).await;
        assert_eq!(status, 400);

        let (status, code, _) = error_of(
            server
                .get(&format!("/v1/diagnosis/{LOS_LOGIN}"), None)
                .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (401, "missing_api_key"));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn search_pages_and_refuses_malformed_queries() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let page: Value = server
            .get("/v1/search?q=jo&limit=1", Some(&key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 2);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let cursor = page["next_cursor"].as_str().unwrap().to_owned();
        let next: Value = server
            .get(
                &format!("/v1/search?q=jo&limit=1&cursor={cursor}"),
                Some(&key),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_ne!(next["items"][0]["login"], page["items"][0]["login"]);
        assert!(next["next_cursor"].is_null());

        let long = "a".repeat(101);
        for (query, hint) in [
            ("/v1/search", "q"),
            ("/v1/search?q=j", "2 characters"),
            (&format!("/v1/search?q={long}") as &str, "at most 100"),
            ("/v1/search?q=jo&cursor=abc", "cursor"),
            ("/v1/search?q=jo&cursor=-1", "cursor"),
            ("/v1/search?q=jo&limit=0", "limit"),
            ("/v1/search?q=jo&limit=101", "limit"),
        ] {
            let (status, code, message) = error_of(server.get(query, Some(&key)).await).await;
            assert_eq!((status, code.as_str()), (400, "bad_request"), "{query}");
            assert!(message.contains(hint), "{query}: {message}");
        }
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_describes_diagnosis_and_search() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let doc: Value = server
            .get("/v1/openapi.json", None)
            .await
            .json()
            .await
            .unwrap();
        for path in ["/v1/diagnosis/{login}", "/v1/search"] {
            assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
        }
        for schema in ["Diagnosis", "Verdict", "Facts", "SearchPage", "VerdictKind"] {
            assert!(
                doc["components"]["schemas"][schema].is_object(),
                "{schema} missing"
            );
        }
        server.stop().await;
    })
    .await;
}
