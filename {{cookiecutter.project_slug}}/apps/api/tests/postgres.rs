//! The PostgreSQL repository against a real database: these run when DATABASE_URL is set
//! (e.g. `docker compose up -d postgres`) and print why they are skipped otherwise.
#![cfg(feature = "postgres")]

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use api::config::{DatabaseConfig, HttpConfig, WriteToken};
use api::http::{AppState, router};
use api::posts::{NewPost, PostRepository, RepositoryError};
use api::repository::postgres::{PgPostRepository, connect_lazy, migrate};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn database(url: &str) -> DatabaseConfig {
    DatabaseConfig {
        url: url.to_owned(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(2),
    }
}

/// A migrated repository, or `None` (with a note on stderr) when no database is configured.
async fn repository(test: &str) -> Option<PgPostRepository> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        // Written to the real stderr: the test harness captures `eprintln!` of passing tests.
        let _ = writeln!(std::io::stderr(), "skipped {test}: DATABASE_URL is not set");
        return None;
    };
    let pool = connect_lazy(&database(&url)).expect("DATABASE_URL is a valid URL");
    migrate(&pool).await.expect("migrations apply");
    Some(PgPostRepository::new(pool))
}

#[tokio::test]
async fn migrations_are_idempotent_and_seed_two_posts() {
    let Some(repository) = repository("migrations_are_idempotent_and_seed_two_posts").await else {
        return;
    };
    let url = std::env::var("DATABASE_URL").unwrap();
    let pool = connect_lazy(&database(&url)).unwrap();
    migrate(&pool).await.expect("a second run is a no-op");

    let first = repository.find(1).await.unwrap().expect("seed post 1");
    let second = repository.find(2).await.unwrap().expect("seed post 2");
    assert_eq!(first.title, "Welcome to your Composable app");
    assert_eq!(second.title, "State, actions and reducers");
}

#[tokio::test]
async fn inserted_post_is_found_and_listed_first() {
    let Some(repository) = repository("inserted_post_is_found_and_listed_first").await else {
        return;
    };
    let title = format!("Inserted at {:?}", std::time::SystemTime::now());
    let stored = repository
        .insert(NewPost {
            author_id: None,
            title: title.clone(),
            body: "From the database test".to_owned(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(stored.title, title);
    assert_eq!(
        repository.find(stored.id).await.unwrap(),
        Some(stored.clone())
    );
    assert!(repository.find(i64::MAX).await.unwrap().is_none());

    let listed = repository.list().await.unwrap();
    assert!(listed.iter().any(|post| post == &stored));
    assert!(
        listed.windows(2).all(|pair| pair[0].id > pair[1].id),
        "newest first"
    );
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_stores_one_row() {
    let Some(repository) =
        repository("a_retried_create_with_the_same_idempotency_key_stores_one_row").await
    else {
        return;
    };
    let key = format!("retry-{:?}", std::time::SystemTime::now());
    let create = |title: &str| NewPost {
        author_id: None,
        title: title.to_owned(),
        body: "b".to_owned(),
        idempotency_key: Some(key.clone()),
    };
    let first = repository.insert(create("first attempt")).await.unwrap();
    let retry = repository.insert(create("first attempt")).await.unwrap();
    assert_eq!(retry, first);
    let other = repository.insert(create("another post")).await;
    assert_eq!(other, Err(RepositoryError::KeyReused));
    let unkeyed = repository
        .insert(NewPost {
            author_id: None,
            idempotency_key: None,
            ..create("no key")
        })
        .await
        .unwrap();
    assert_ne!(unkeyed.id, first.id);
}

#[tokio::test]
async fn concurrent_creates_with_one_fresh_key_store_one_row() {
    let Some(repository) = repository("concurrent_creates_with_one_fresh_key_store_one_row").await
    else {
        return;
    };
    let repository = Arc::new(repository);
    let key = format!("race-{:?}", std::time::SystemTime::now());
    let creates = (0..8).map(|_| {
        let (repository, key) = (repository.clone(), key.clone());
        tokio::spawn(async move {
            let post = NewPost {
                author_id: None,
                title: "raced".to_owned(),
                body: "b".to_owned(),
                idempotency_key: Some(key),
            };
            repository.insert(post).await
        })
    });
    let mut ids = Vec::new();
    for create in creates.collect::<Vec<_>>() {
        ids.push(
            create
                .await
                .unwrap()
                .expect("every racer gets the one post")
                .id,
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
}

#[tokio::test]
async fn an_expired_idempotency_key_creates_a_new_post() {
    let Some(repository) = repository("an_expired_idempotency_key_creates_a_new_post").await else {
        return;
    };
    let repository = repository.with_idempotency_key_ttl(Duration::from_millis(300));
    let key = format!("expiring-{:?}", std::time::SystemTime::now());
    let create = || NewPost {
        author_id: None,
        title: "t".to_owned(),
        body: "b".to_owned(),
        idempotency_key: Some(key.clone()),
    };
    let first = repository.insert(create()).await.unwrap();
    assert_eq!(repository.insert(create()).await.unwrap(), first);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let again = repository.insert(create()).await.unwrap();
    assert_ne!(again.id, first.id);
}

#[tokio::test]
async fn router_stores_posts_in_postgres() {
    let Some(repository) = repository("router_stores_posts_in_postgres").await else {
        return;
    };
    let token = "postgres-test-token-0123456789abcdef0123";
    let config = HttpConfig {
        write_token: Some(WriteToken(token.to_owned())),
        ..HttpConfig::default()
    };
    let app = router(
        AppState::new(Arc::new(repository.clone()), &config),
        &config,
    );
    let request = Request::post("/api/posts")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(
            r#"{"title":"Through the router","body":"Stored by PostgreSQL"}"#,
        ))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let created: Value = serde_json::from_slice(&bytes).unwrap();

    let id = created["id"].as_i64().unwrap();
    let stored = repository.find(id).await.unwrap().expect("the row exists");
    assert_eq!(stored.body, "Stored by PostgreSQL");

    let ready = app
        .oneshot(Request::get("/ready").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

// Needs no database: nothing listens on port 1.
#[tokio::test]
async fn ready_is_503_when_postgres_is_unreachable() {
    let pool = connect_lazy(&DatabaseConfig {
        acquire_timeout: Duration::from_millis(500),
        ..database("postgres://app:app@127.0.0.1:1/app")
    })
    .unwrap();
    let repository = Arc::new(PgPostRepository::new(pool));
    assert!(repository.check().await.is_err());

    let config = HttpConfig::default();
    let app = router(AppState::new(repository, &config), &config);
    let response = app
        .oneshot(Request::get("/ready").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}
