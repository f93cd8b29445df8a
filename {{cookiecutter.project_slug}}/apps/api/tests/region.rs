//! Several regions (feature `multi-region`), through the router: replays to the primary region
//! and read-your-writes. The slow tier of the template runs the same against real PostgreSQL
//! servers, a primary and a streaming replica.
#![cfg(feature = "multi-region")]

mod support;

use std::sync::Arc;

use api::config::{HttpConfig, Regions};
use api::http::{AppState, READ_PRIMARY_COOKIE, router};
use api::posts::{NewPost, Post, PostId, PostRepository, RepositoryError};
use api::repository::memory::MemoryPostRepository;
use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use support::{get, post_json, send, writable};

const POST: &str = r#"{"title":"From afar","body":"replayed"}"#;

fn in_region(current: &str) -> HttpConfig {
    HttpConfig {
        regions: Regions {
            current: Some(current.to_owned()),
            primary: Some("sjc".to_owned()),
            ..HttpConfig::default().regions
        },
        ..writable()
    }
}

fn app(config: &HttpConfig, repository: Arc<dyn PostRepository>) -> Router {
    router(AppState::new(repository, config), config)
}

#[tokio::test]
async fn a_write_outside_the_primary_region_is_only_a_replay_header() {
    let repository = Arc::new(MemoryPostRepository::seeded());
    let app = app(&in_region("syd"), repository.clone());
    let reply = send(&app, post_json(POST)).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.headers["fly-replay"], "region=sjc");
    assert_eq!(reply.json, serde_json::Value::Null, "no body");
    assert!(!reply.headers.contains_key(header::SET_COOKIE));
    assert_eq!(repository.list().await.unwrap().len(), 2, "nothing stored");

    let read = send(&app, get("/api/posts")).await;
    assert_eq!(
        read.status,
        StatusCode::OK,
        "reads are served where they land"
    );
}

#[tokio::test]
async fn a_write_in_the_primary_region_is_stored_and_marks_the_client() {
    let app = app(&in_region("sjc"), Arc::new(MemoryPostRepository::seeded()));
    let reply = send(&app, post_json(POST)).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("{READ_PRIMARY_COOKIE}=")),
        "{cookie}"
    );
    assert!(
        cookie.contains("Max-Age=5") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_marked_client_reads_from_the_primary_the_others_from_the_replica() {
    let config = in_region("syd");
    let replica = Arc::new(MemoryPostRepository::seeded());
    let primary = Arc::new(MemoryPostRepository::seeded());
    let written = primary
        .insert(new_post("Only on the primary"))
        .await
        .unwrap();
    let state = AppState::new(replica, &config).with_primary_reads(primary);
    let app = router(state, &config);

    let path = format!("/api/posts/{}", written.id);
    assert_eq!(send(&app, get(&path)).await.status, StatusCode::NOT_FOUND);

    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 4_000;
    let marked = Request::get(&path)
        .header(header::COOKIE, format!("{READ_PRIMARY_COOKIE}={until}"))
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, marked).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["title"], "Only on the primary");
}

#[tokio::test]
async fn a_write_refused_as_read_only_is_replayed_once() {
    let app = app(&in_region("sjc"), Arc::new(ReadOnlyRepository));
    let reply = send(&app, post_json(POST)).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.headers["fly-replay"], "region=sjc");

    let replayed = Request::post("/api/posts")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", support::TOKEN))
        .header("fly-replay-src", "instance=abc;region=sjc;t=1")
        .body(Body::from(POST))
        .unwrap();
    let again = send(&app, replayed).await;
    assert_eq!(again.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(again.headers[header::RETRY_AFTER], "1");
    assert!(!again.headers.contains_key("fly-replay"));
}

fn new_post(title: &str) -> NewPost {
    NewPost {
        author_id: None,
        title: title.to_owned(),
        body: "b".to_owned(),
        idempotency_key: None,
    }
}

/// A database that takes reads only, as a hot standby does.
struct ReadOnlyRepository;

#[async_trait]
impl PostRepository for ReadOnlyRepository {
    async fn list(&self) -> Result<Vec<Post>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn find(&self, _id: PostId) -> Result<Option<Post>, RepositoryError> {
        Ok(None)
    }
    async fn insert(&self, _post: NewPost) -> Result<Post, RepositoryError> {
        Err(RepositoryError::ReadOnly(
            "cannot execute INSERT in a read-only transaction".to_owned(),
        ))
    }
    async fn check(&self) -> Result<(), RepositoryError> {
        Ok(())
    }
}
