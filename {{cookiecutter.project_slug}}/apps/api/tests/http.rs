//! The HTTP contract, exercised through the router without a socket.

mod support;

use std::sync::Arc;
use std::time::Duration;

use api::config::{CorsOrigins, HttpConfig, Limits};
use api::http::{AppState, VISITOR_ADDRESS, router};
use api::posts::{NewPost, Post, PostId, PostRepository, RepositoryError};
use api::repository::memory::MemoryPostRepository;
use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use support::{Reply, TOKEN, get, post_json, post_with_token, send, writable};

const WEB_ORIGIN: &str = "http://localhost:3000";

fn config() -> HttpConfig {
    HttpConfig {
        cors_allowed_origins: CorsOrigins::List(vec![WEB_ORIGIN.parse().unwrap()]),
        request_body_limit: 1024,
        ..writable()
    }
}

fn app_with(config: &HttpConfig, repository: Arc<dyn PostRepository>) -> Router {
    router(AppState::new(repository, config), config)
}

fn app() -> Router {
    app_with(&config(), Arc::new(MemoryPostRepository::seeded()))
}

#[tokio::test]
async fn health_and_ready_answer_200() {
    let app = app();
    let health = send(&app, get("/health")).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json, json!({ "status": "ok" }));
    let ready = send(&app, get("/ready")).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json, json!({ "status": "ready" }));
}

#[tokio::test]
async fn list_returns_the_seeded_posts_newest_first() {
    let reply = send(&app(), get("/api/posts")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let posts = reply.json.as_array().expect("an array");
    let ids: Vec<_> = posts
        .iter()
        .map(|post| post["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [2, 1]);
    for post in posts {
        assert!(
            post["title"]
                .as_str()
                .is_some_and(|title| !title.is_empty())
        );
        assert!(post["body"].as_str().is_some_and(|body| !body.is_empty()));
    }
}

#[tokio::test]
async fn detail_returns_one_post_or_404_json() {
    let app = app();
    let found = send(&app, get("/api/posts/1")).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.json["id"], 1);

    for uri in ["/api/posts/999", "/api/posts/0", "/api/posts/not-a-number"] {
        let missing = send(&app, get(uri)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(missing.json, json!({ "error": "post not found" }), "{uri}");
    }
}

#[tokio::test]
async fn created_post_is_201_with_location_and_then_listed() {
    let app = app();
    let created = send(&app, post_json(r#"{"title":" New post ","body":"Hello"}"#)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        created.json,
        json!({ "id": 3, "title": "New post", "body": "Hello" })
    );
    assert_eq!(created.headers[header::LOCATION], "/api/posts/3");

    let detail = send(&app, get("/api/posts/3")).await;
    assert_eq!(detail.json, created.json);
    let list = send(&app, get("/api/posts")).await;
    assert_eq!(list.json[0], created.json);
}

#[tokio::test]
async fn invalid_post_is_400_json_naming_each_field() {
    let app = app();
    let reply = send(&app, post_json(r#"{"title":"   "}"#)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json,
        json!({
            "error": "validation failed",
            "fields": { "title": "must not be blank", "body": "is required" },
        })
    );
    let list = send(&app, get("/api/posts")).await;
    assert_eq!(list.json.as_array().unwrap().len(), 2, "nothing was stored");
}

#[tokio::test]
async fn unreadable_bodies_are_json_errors() {
    let app = app();
    let malformed = send(&app, post_json("{not json")).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(malformed.json["error"].is_string());

    let wrong_type = send(&app, post_json(r#"{"title":5,"body":"b"}"#)).await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert!(wrong_type.json["error"].as_str().unwrap().contains("title"));

    let no_content_type = Request::post("/api/posts")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from("{}"))
        .unwrap();
    let reply = send(&app, no_content_type).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(reply.json["error"].is_string());
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_json() {
    let body = format!(r#"{{"title":"t","body":"{}"}}"#, "x".repeat(2048));
    let reply = send(&app(), post_json(body)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.json["error"].is_string());
}

#[tokio::test]
async fn unknown_routes_are_404_json() {
    let reply = send(&app(), get("/nope")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json, json!({ "error": "no such route" }));
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = app();
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/posts")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = send(&app, preflight(WEB_ORIGIN)).await;
    assert_eq!(
        allowed.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        WEB_ORIGIN
    );

    let refused = send(&app, preflight("https://evil.example")).await;
    assert!(
        !refused
            .headers
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}

#[tokio::test]
async fn responses_carry_a_request_id_and_keep_the_callers() {
    let app = app();
    let generated = send(&app, get("/health")).await;
    assert!(!generated.headers["x-request-id"].is_empty());

    let request = Request::get("/health")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    let propagated = send(&app, request).await;
    assert_eq!(propagated.headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn a_create_retried_with_its_idempotency_key_is_stored_once() {
    let app = app();
    let keyed = |key: &str| {
        Request::post("/api/posts")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header("idempotency-key", key)
            .body(Body::from(r#"{"title":"Once","body":"even if retried"}"#))
            .unwrap()
    };
    let first = send(&app, keyed("7b1d0c2e-retry")).await;
    let retry = send(&app, keyed("7b1d0c2e-retry")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.json, first.json);
    let list = send(&app, get("/api/posts")).await;
    assert_eq!(list.json.as_array().unwrap().len(), 3, "stored once");

    let invalid = send(&app, keyed("has spaces")).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid.json["fields"]["Idempotency-Key"].is_string());
}

#[tokio::test]
async fn writes_without_the_right_token_are_401_and_store_nothing() {
    let app = app();
    let body = r#"{"title":"Sneaky","body":"no token"}"#;
    let wrong = format!("{TOKEN}x");
    for token in [None, Some("wrong"), Some(wrong.as_str()), Some("")] {
        let reply = send(&app, post_with_token(token, body)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
    let basic = Request::post("/api/posts")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Basic {TOKEN}"))
        .body(Body::from(body))
        .unwrap();
    assert_eq!(send(&app, basic).await.status, StatusCode::UNAUTHORIZED);
    let list = send(&app, get("/api/posts")).await;
    assert_eq!(list.json.as_array().unwrap().len(), 2, "nothing was stored");
}

#[tokio::test]
async fn without_a_configured_token_every_write_is_refused() {
    let config = HttpConfig {
        write_token: None,
        ..config()
    };
    let app = app_with(&config, Arc::new(MemoryPostRepository::seeded()));
    let reply = send(&app, post_json(r#"{"title":"t","body":"b"}"#)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app, get("/api/posts")).await.status, StatusCode::OK);
}

fn limited(per_second: u32, burst: u32, on_fly: bool) -> HttpConfig {
    HttpConfig {
        limits: Limits {
            per_client_per_second: per_second,
            per_client_burst: burst,
            max_concurrent_requests: 64,
        },
        on_fly,
        ..config()
    }
}

fn get_as(uri: &str, fly_client_ip: &str) -> Request<Body> {
    Request::get(uri)
        .header("fly-client-ip", fly_client_ip)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after_and_health_stays_open() {
    let app = app_with(
        &limited(1, 3, false),
        Arc::new(MemoryPostRepository::seeded()),
    );
    for _ in 0..3 {
        assert_eq!(send(&app, get("/api/posts")).await.status, StatusCode::OK);
    }
    let limited = send(&app, get("/ready")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(limited.json, json!({ "error": "too many requests" }));
    assert_eq!(send(&app, get("/health")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn on_fly_each_fly_client_ip_has_its_own_budget() {
    let app = app_with(
        &limited(1, 1, true),
        Arc::new(MemoryPostRepository::seeded()),
    );
    assert_eq!(
        send(&app, get_as("/api/posts", "203.0.113.1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, get_as("/api/posts", "203.0.113.1")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send(&app, get_as("/api/posts", "203.0.113.2")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn off_fly_a_forged_fly_client_ip_does_not_move_the_bucket() {
    let app = app_with(
        &limited(1, 1, false),
        Arc::new(MemoryPostRepository::seeded()),
    );
    assert_eq!(
        send(&app, get_as("/api/posts", "203.0.113.1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, get_as("/api/posts", "203.0.113.2")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// A repository whose reads take a while, to hold requests in flight.
struct SlowRepository(MemoryPostRepository);

const SLOW: Duration = Duration::from_millis(300);

#[async_trait]
impl PostRepository for SlowRepository {
    async fn list(&self) -> Result<Vec<Post>, RepositoryError> {
        tokio::time::sleep(SLOW).await;
        self.0.list().await
    }
    async fn find(&self, id: PostId) -> Result<Option<Post>, RepositoryError> {
        tokio::time::sleep(SLOW).await;
        self.0.find(id).await
    }
    async fn insert(&self, post: NewPost) -> Result<Post, RepositoryError> {
        self.0.insert(post).await
    }
    async fn check(&self) -> Result<(), RepositoryError> {
        tokio::time::sleep(SLOW).await;
        self.0.check().await
    }
}

#[tokio::test]
async fn requests_over_the_in_flight_cap_are_refused_at_once_with_503() {
    let config = HttpConfig {
        limits: Limits {
            max_concurrent_requests: 2,
            ..HttpConfig::default().limits
        },
        ..config()
    };
    let app = app_with(
        &config,
        Arc::new(SlowRepository(MemoryPostRepository::seeded())),
    );
    let replies = send_at_once(&app, 4).await;
    let statuses: Vec<_> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        2,
        "{statuses:?}"
    );
    let refused: Vec<_> = replies
        .iter()
        .filter(|reply| reply.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(refused.len(), 2, "{statuses:?}");
    assert_eq!(refused[0].headers[header::RETRY_AFTER], "1");
}

#[tokio::test]
async fn the_in_flight_cap_is_one_for_every_route_together() {
    let config = HttpConfig {
        limits: Limits {
            max_concurrent_requests: 2,
            ..HttpConfig::default().limits
        },
        ..config()
    };
    let app = app_with(
        &config,
        Arc::new(SlowRepository(MemoryPostRepository::seeded())),
    );
    let paths = ["/api/posts", "/api/posts/1", "/ready"].repeat(2);
    let replies = send_all_at_once(&app, &paths).await;
    let statuses: Vec<_> = replies.iter().map(|reply| reply.status).collect();
    let refused = statuses
        .iter()
        .filter(|status| **status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert_eq!(refused, 4, "{statuses:?}");
}

#[tokio::test]
async fn preflight_requests_count_against_the_rate_limit() {
    let app = app_with(
        &limited(1, 2, false),
        Arc::new(MemoryPostRepository::seeded()),
    );
    let preflight = || {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/posts")
            .header(header::ORIGIN, WEB_ORIGIN)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&app, preflight()).await.status, StatusCode::OK);
    assert_eq!(send(&app, preflight()).await.status, StatusCode::OK);
    let third = send(&app, preflight()).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        send(&app, get("/api/posts")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

fn from_visitor(visitor: &str, token: Option<&str>) -> Request<Body> {
    let request = Request::get("/api/posts")
        .header("fly-client-ip", "fdaa:0:1:a7b::2")
        .header(VISITOR_ADDRESS, visitor);
    let request = match token {
        Some(token) => request.header(header::AUTHORIZATION, format!("Bearer {token}")),
        None => request,
    };
    request.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn only_the_write_token_makes_the_visitor_address_the_client() {
    let app = app_with(
        &limited(1, 1, true),
        Arc::new(MemoryPostRepository::seeded()),
    );
    for visitor in ["203.0.113.1", "203.0.113.2", "2001:db8:5::1"] {
        let reply = send(&app, from_visitor(visitor, Some(TOKEN))).await;
        assert_eq!(reply.status, StatusCode::OK, "{visitor}");
    }
    let same_64 = send(&app, from_visitor("2001:db8:5::2", Some(TOKEN))).await;
    assert_eq!(same_64.status, StatusCode::TOO_MANY_REQUESTS);

    // Without the token (or with a wrong one) the header is ignored: one client, the connection.
    let untrusted = [
        from_visitor("198.51.100.1", None),
        from_visitor(
            "198.51.100.2",
            Some("wrong-token-0123456789abcdef0123456789"),
        ),
        from_visitor("not an address", Some(TOKEN)),
    ];
    let mut statuses = Vec::new();
    for request in untrusted {
        statuses.push(send(&app, request).await.status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn a_request_id_outside_the_web_apps_rule_is_replaced() {
    let app = app();
    for odd in ["has spaces", &"a".repeat(129), "a\"quote"] {
        let request = Request::get("/health")
            .header("x-request-id", odd)
            .body(Body::empty())
            .unwrap();
        let reply = send(&app, request).await;
        let id = reply.headers["x-request-id"].to_str().unwrap();
        assert_ne!(id, odd);
        assert_eq!(id.len(), 36, "a UUID: {id}");
    }
}

#[tokio::test]
async fn a_key_reused_for_another_post_is_422_and_a_nul_is_400() {
    let app = app();
    let keyed = |title: &str| {
        Request::post("/api/posts")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header("idempotency-key", "reused-key")
            .body(Body::from(json!({"title": title, "body": "b"}).to_string()))
            .unwrap()
    };
    assert_eq!(send(&app, keyed("first")).await.status, StatusCode::CREATED);
    assert_eq!(
        send(&app, keyed("second")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let nul = send(&app, post_json(r#"{"title":"a\u0000b","body":"b"}"#)).await;
    assert_eq!(nul.status, StatusCode::BAD_REQUEST);
    assert!(nul.json["fields"]["title"].is_string());
    let list = send(&app, get("/api/posts")).await;
    assert_eq!(
        list.json.as_array().unwrap().len(),
        3,
        "only the first stored"
    );
}

async fn send_at_once(app: &Router, count: usize) -> Vec<Reply> {
    send_all_at_once(app, &vec!["/api/posts"; count]).await
}

async fn send_all_at_once(app: &Router, paths: &[&'static str]) -> Vec<Reply> {
    let tasks: Vec<_> = paths
        .iter()
        .map(|&path| {
            let app = app.clone();
            tokio::spawn(async move { send(&app, get(path)).await })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}
