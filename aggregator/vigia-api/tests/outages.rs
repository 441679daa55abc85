//! Outage events and maintenance windows over real HTTP on loopback: listing with filters and
//! pages, one event in full, the maintenance CRUD round trip, scopes on writes, body validation.

mod support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::outages::{FIRST_WINDOW, PON_EVENT};
use support::{PON_PORT, T0, TestServer, error_of};
use vigia_api::{ApiConfig, Scope, Timestamp};

/// Every test is bounded: 60 s is far above what any needs.
const TEST_DEADLINE: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_DEADLINE, test)
        .await
        .expect("test took too long");
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn rfc3339(ms: u64) -> String {
    Timestamp::from_unix_ms(ms).to_rfc3339()
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

/// The ids of a page of events.
fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

/// A sound window body: `ap:ap-9` from `starts_ms` for an hour.
fn window_body(starts_ms: u64, reason: &str) -> Value {
    json!({
        "entities": ["ap:ap-9", PON_PORT],
        "starts_at": rfc3339(starts_ms),
        "ends_at": rfc3339(starts_ms + 3_600_000),
        "reason": reason,
    })
}

#[tokio::test]
async fn events_are_listed_newest_first_with_filters() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let list = |query: &'static str| {
            let server = &server;
            let key = key.clone();
            async move {
                let response = server.get(&format!("/v1/events{query}"), Some(&key)).await;
                assert_eq!(response.status(), StatusCode::OK, "{query}");
                json_of(response).await
            }
        };

        let all = list("").await;
        assert_eq!(ids(&all), [3, PON_EVENT, 4, 1], "newest first");
        assert!(all["next_cursor"].is_null());
        let pon = &all["items"][1];
        assert_eq!(pon["kind"], "mass_outage");
        assert_eq!(pon["status"], "active");
        assert_eq!(pon["root"], PON_PORT);
        assert_eq!(pon["root_kind"], "pon_port");
        assert_eq!(pon["cause"], "fibre");
        assert_eq!(pon["started_at"], "2024-05-01T12:00:01Z");
        assert!(pon["resolved_at"].is_null());
        assert_eq!(pon["affected_count"], 2);
        assert!(pon.get("timeline").is_none(), "summaries carry no timeline");
        assert_eq!(all["items"][0]["maintenance"], FIRST_WINDOW);

        assert_eq!(ids(&list("?status=active").await), [3, PON_EVENT]);
        assert_eq!(ids(&list("?status=resolved").await), [4, 1]);
        assert_eq!(ids(&list("?kind=device_down").await), [3]);
        assert_eq!(ids(&list("?kind=mass_outage&status=resolved").await), [1]);
        // Since 11:30: the active ones, and event 4 (started 11:00, resolved 11:59).
        assert_eq!(
            ids(&list("?since=2024-05-01T11:30:00Z").await),
            [3, PON_EVENT, 4]
        );
        assert_eq!(
            ids(&list("?since=2024-05-01T12:30:00%2B01:00&status=resolved").await),
            [4],
            "an offset is the same instant"
        );
        assert_eq!(
            ids(&list("?since=2024-05-01T12:00:00Z&status=resolved").await),
            Vec::<u64>::new()
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn events_page_with_the_cursor() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let path = match &cursor {
                Some(c) => format!("/v1/events?limit=3&cursor={c}"),
                None => "/v1/events?limit=3".to_owned(),
            };
            let page = json_of(server.get(&path, Some(&key)).await).await;
            assert!(ids(&page).len() <= 3, "{page}");
            seen.extend(ids(&page));
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, [3, PON_EVENT, 4, 1], "every event once, in order");

        let filtered = json_of(
            server
                .get("/v1/events?status=active&limit=1", Some(&key))
                .await,
        )
        .await;
        assert_eq!(ids(&filtered), [3]);
        let cursor = filtered["next_cursor"].as_str().unwrap();
        let next = json_of(
            server
                .get(
                    &format!("/v1/events?status=active&limit=1&cursor={cursor}"),
                    Some(&key),
                )
                .await,
        )
        .await;
        assert_eq!(ids(&next), [PON_EVENT]);
        assert!(next["next_cursor"].is_null());
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn bad_event_queries_get_400_naming_the_parameter() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        for (query, reason) in [
            ("status=sideways", "status"),
            ("kind=flood", "kind"),
            ("since=yesterday", "since"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("cursor=garbage", "cursor"),
        ] {
            let response = server.get(&format!("/v1/events?{query}"), Some(&key)).await;
            let (status, code, message) = error_of(response).await;
            assert_eq!((status, code.as_str()), (400, "bad_request"), "{query}");
            assert!(message.contains(reason), "{query}: {message}");
        }
        let body = json_of(server.get("/v1/events?since=yesterday", Some(&key)).await).await;
        assert_eq!(
            body["error"]["details"],
            json!({ "location": "query", "parameter": "since" }),
            "the same shape as the entity history's since"
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn one_event_has_its_timeline_and_notifications() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, key) = server.keys.add(&[Scope::Read], None).await;
        let response = server
            .get(&format!("/v1/events/{PON_EVENT}"), Some(&key))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let event = json_of(response).await;
        assert_eq!(event["id"], PON_EVENT, "summary fields at the top level");
        assert_eq!(event["root"], PON_PORT);
        assert_eq!(event["cause"], "fibre");
        assert_eq!(
            event["affected"],
            json!(["subscriber:1001", "subscriber:1002"])
        );
        assert_eq!(event["entities"], json!([PON_PORT]));
        let kinds: Vec<&str> = event["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["opened", "grew", "cause"]);
        assert_eq!(event["timeline"][1]["at"], "2024-05-01T12:00:31Z");
        assert_eq!(
            event["timeline"][1]["text"],
            "1 more subscriber down (2 of 2)"
        );
        assert_eq!(event["updated_at"], "2024-05-01T12:01:01Z");
        let notifications = event["notifications"].as_array().unwrap();
        assert_eq!(notifications.len(), 2);
        assert_eq!(notifications[0]["channel"], "telegram-noc");
        assert_eq!(notifications[0]["kind"], "opened");
        assert_eq!(notifications[0]["state"], "sent");
        assert_eq!(notifications[0]["sent_at"], "2024-05-01T12:00:01.4Z");
        assert!(notifications[0]["last_error"].is_null());
        assert_eq!(notifications[1]["state"], "failed");
        assert_eq!(notifications[1]["attempts"], 5);
        assert_eq!(
            notifications[1]["last_error"],
            "http 502 from erp.example.net"
        );
        assert!(notifications[1]["sent_at"].is_null());

        let resolved = json_of(server.get("/v1/events/1", Some(&key)).await).await;
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(resolved["resolution"], "all subscribers recovered");
        assert_eq!(resolved["resolved_at"], rfc3339(T0 - 82_800_000));
        assert_eq!(
            resolved["timeline"].as_array().unwrap().last().unwrap()["kind"],
            "resolved"
        );
        assert_eq!(resolved["notifications"][1]["state"], "pending");

        let (status, code, message) =
            error_of(server.get("/v1/events/999", Some(&key)).await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"));
        assert!(message.contains("999"), "{message}");
        for bad in ["abc", "-1", "1.5", "99999999999999999999"] {
            let response = server.get(&format!("/v1/events/{bad}"), Some(&key)).await;
            let (status, code, _) = error_of(response).await;
            assert_eq!((status, code.as_str()), (400, "bad_request"), "{bad}");
        }
        let (status, code, _) = error_of(server.get("/v1/events/2", None).await).await;
        assert_eq!((status, code.as_str()), (401, "missing_api_key"));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn maintenance_windows_round_trip_with_an_operate_key() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (operator, key) = server.keys.add(&[Scope::Operate], None).await;
        let key = Some(key.as_str());
        let now = now_ms();

        // Create: in effect now.
        let body = window_body(now - 60_000, "PON 1/1 splice");
        let created = server
            .send(Method::POST, "/v1/maintenance", key, Some(&body))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let window = json_of(created).await;
        let id = window["id"].as_u64().unwrap();
        assert_ne!(id, FIRST_WINDOW);
        assert_eq!(location, format!("/v1/maintenance/{id}"));
        assert_eq!(window["entities"], body["entities"]);
        assert_eq!(window["starts_at"], body["starts_at"]);
        assert_eq!(window["ends_at"], body["ends_at"]);
        assert_eq!(window["reason"], "PON 1/1 splice");
        assert_eq!(
            window["created_by"],
            operator.as_str(),
            "the calling key's id"
        );
        assert_eq!(window["active"], true);

        // Read it back, alone and in the list.
        let fetched = json_of(server.get(&location, key).await).await;
        assert_eq!(fetched, window);
        let all = json_of(server.get("/v1/maintenance", key).await).await;
        let listed: Vec<u64> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["id"].as_u64().unwrap())
            .collect();
        assert_eq!(listed, [FIRST_WINDOW, id]);

        // Replace: moved to tomorrow, so not in effect; creator and creation time stay.
        let moved = json!({
            "entities": ["olt:olt-1"],
            "starts_at": rfc3339(now + 86_400_000),
            "ends_at": rfc3339(now + 90_000_000),
            "reason": "splice moved to tomorrow",
        });
        let replaced = server.send(Method::PUT, &location, key, Some(&moved)).await;
        assert_eq!(replaced.status(), StatusCode::OK);
        let replaced = json_of(replaced).await;
        assert_eq!(replaced["id"], id);
        assert_eq!(replaced["entities"], json!(["olt:olt-1"]));
        assert_eq!(replaced["reason"], "splice moved to tomorrow");
        assert_eq!(replaced["active"], false);
        assert_eq!(replaced["created_by"], window["created_by"]);
        assert_eq!(replaced["created_at"], window["created_at"]);
        assert_eq!(json_of(server.get(&location, key).await).await, replaced);

        // Delete: 204 without a body, then it is gone.
        let deleted = server.send(Method::DELETE, &location, key, None).await;
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        assert!(deleted.bytes().await.unwrap().is_empty());
        for (method, body) in [
            (Method::GET, None),
            (Method::PUT, Some(&moved)),
            (Method::DELETE, None),
        ] {
            let response = server.send(method.clone(), &location, key, body).await;
            let (status, code, message) = error_of(response).await;
            assert_eq!((status, code.as_str()), (404, "not_found"), "{method}");
            assert!(message.contains(&id.to_string()), "{message}");
        }
        let all = json_of(server.get("/v1/maintenance", key).await).await;
        assert_eq!(all.as_array().unwrap().len(), 1);

        // Admin implies operate.
        let (_, admin) = server.keys.add(&[Scope::Admin], None).await;
        let body = window_body(now, "admin window");
        let created = server
            .send(Method::POST, "/v1/maintenance", Some(&admin), Some(&body))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn writes_need_an_operate_key() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, read) = server.keys.add(&[Scope::Read], None).await;
        let path = format!("/v1/maintenance/{FIRST_WINDOW}");
        let before = json_of(server.get(&path, Some(&read)).await).await;
        assert_eq!(before["id"], FIRST_WINDOW);
        let body = window_body(T0, "not allowed");
        let writes = [
            (Method::POST, "/v1/maintenance", Some(&body)),
            (Method::PUT, path.as_str(), Some(&body)),
            (Method::DELETE, path.as_str(), None),
        ];
        for (method, target, body) in writes.clone() {
            let response = server.send(method.clone(), target, Some(&read), body).await;
            assert_eq!(
                response.headers()["www-authenticate"],
                "Bearer error=\"insufficient_scope\""
            );
            let (status, code, message) = error_of(response).await;
            assert_eq!(
                (status, code.as_str()),
                (403, "insufficient_scope"),
                "{method} {target}"
            );
            assert!(message.contains("operate"), "{message}");
        }
        for (method, target, body) in writes {
            let response = server.send(method.clone(), target, None, body).await;
            let (status, code, _) = error_of(response).await;
            assert_eq!(
                (status, code.as_str()),
                (401, "missing_api_key"),
                "{method} {target}"
            );
        }
        let after = json_of(server.get(&path, Some(&read)).await).await;
        assert_eq!(after, before, "nothing changed");
        let all = json_of(server.get("/v1/maintenance", Some(&read)).await).await;
        assert_eq!(all.as_array().unwrap().len(), 1, "nothing created");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn invalid_windows_get_400_naming_the_field() {
    bounded(async {
        let server = TestServer::start(ApiConfig::default()).await;
        let (_, secret) = server.keys.add(&[Scope::Operate], None).await;
        let key = Some(secret.as_str());
        let sound = window_body(T0, "splice");
        let with = |field: &str, value: Value| {
            let mut body = sound.clone();
            body[field] = value;
            body
        };
        let cases = [
            (with("entities", json!([])), "entities"),
            (with("entities", json!(vec!["olt:x"; 1001])), "entities"),
            (with("entities", json!(["olt"])), "entities"),
            (with("entities", json!([":x"])), "entities"),
            (
                with("entities", json!([format!("olt:{}", "x".repeat(260))])),
                "entities",
            ),
            (with("ends_at", json!(rfc3339(T0 - 1))), "ends_at"),
            (with("ends_at", json!(rfc3339(T0))), "ends_at"),
            (
                with("ends_at", json!(rfc3339(T0 + 32 * 86_400_000))),
                "ends_at",
            ),
            (
                with("starts_at", json!("1969-07-20T20:17:00Z")),
                "starts_at",
            ),
            (with("reason", json!("")), "reason"),
            (with("reason", json!("x".repeat(501))), "reason"),
        ];
        for (body, field) in &cases {
            for (method, path) in [
                (Method::POST, "/v1/maintenance".to_owned()),
                (Method::PUT, format!("/v1/maintenance/{FIRST_WINDOW}")),
            ] {
                let response = server.send(method.clone(), &path, key, Some(body)).await;
                assert_eq!(
                    response.status(),
                    StatusCode::BAD_REQUEST,
                    "{method} {body}"
                );
                let error = json_of(response).await["error"].clone();
                assert_eq!(error["code"], "bad_request");
                assert_eq!(
                    error["details"]["field"], *field,
                    "{method} {body}: {error}"
                );
                assert!(
                    error["message"].as_str().unwrap().contains(field),
                    "{error}"
                );
            }
        }

        // Bodies that do not fit the type: named by serde, through the same error body.
        let mut unknown = sound.clone();
        unknown["silence"] = json!(true);
        let mut missing = sound.clone();
        missing.as_object_mut().unwrap().remove("reason");
        for (body, needle) in [
            (unknown, "silence"),
            (missing, "reason"),
            (with("starts_at", json!("tomorrow")), "starts_at"),
            (with("entities", json!("olt:x")), "entities"),
            (json!([1, 2]), "body"),
        ] {
            let response = server
                .send(Method::POST, "/v1/maintenance", key, Some(&body))
                .await;
            let (status, code, message) = error_of(response).await;
            assert_eq!((status, code.as_str()), (400, "bad_request"), "{body}");
            assert!(message.contains(needle), "{body}: {message}");
        }
        let not_json = server
            .client
            .post(server.url("/v1/maintenance"))
            .bearer_auth(&secret)
            .header("content-type", "application/json")
            .body("{\"entities\": [")
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(not_json).await.0, 400);
        let no_type = server
            .client
            .post(server.url("/v1/maintenance"))
            .bearer_auth(&secret)
            .body(sound.to_string())
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(no_type).await;
        assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));

        let all = json_of(server.get("/v1/maintenance", key).await).await;
        assert_eq!(all.as_array().unwrap().len(), 1, "nothing was created");
        let first = json_of(
            server
                .get(&format!("/v1/maintenance/{FIRST_WINDOW}"), key)
                .await,
        )
        .await;
        assert_eq!(first["reason"], "AP 7 antenna swap", "nothing was replaced");
        server.stop().await;
    })
    .await;
}
