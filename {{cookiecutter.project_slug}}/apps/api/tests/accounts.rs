//! Accounts through the router against a real PostgreSQL (feature `accounts`): these run when
//! DATABASE_URL is set and print why they are skipped otherwise. Mail is printed
//! (MAIL_DEV_LOG): tokens a test needs are made in the database, as the API stores them.
#![cfg(feature = "accounts")]

mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use api::accounts::Accounts;
use api::config::{AccountsConfig, DatabaseConfig, MailConfig};
use api::http::{AppState, router};
use api::repository::postgres::{PgPostRepository, connect_lazy, migrate};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;

use support::{Reply, TOKEN, send, writable};

const PASSWORD: &str = "a long enough passphrase";

async fn app(test: &str) -> Option<(Router, PgPool)> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        let _ = writeln!(std::io::stderr(), "skipped {test}: DATABASE_URL is not set");
        return None;
    };
    let pool = connect_lazy(&DatabaseConfig {
        url,
        max_connections: 4,
        acquire_timeout: Duration::from_secs(2),
    })
    .expect("DATABASE_URL is a valid URL");
    migrate(&pool).await.expect("migrations apply");
    let settings = AccountsConfig {
        public_url: "http://localhost:3000".to_owned(),
        mail: MailConfig::DevLog,
        session_idle_timeout: Duration::from_secs(3600),
        session_max_age: Duration::from_secs(7200),
        hashing_concurrency: 2,
    };
    let accounts = Accounts::new(pool.clone(), pool.clone(), true, settings).unwrap();
    let config = writable();
    let state = AppState::new(Arc::new(PgPostRepository::new(pool.clone())), &config)
        .with_accounts(accounts);
    Some((router(state, &config), pool))
}

/// An address no other test (or earlier run) uses.
fn address(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{nanos}@Example.com")
}

async fn call(app: &Router, method: &str, uri: &str, body: Value, session: Option<&str>) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    if let Some(session) = session {
        request = request.header("x-session-token", session);
    }
    send(app, request.body(Body::from(body.to_string())).unwrap()).await
}

async fn sign_up(app: &Router, email: &str) -> Reply {
    let body = json!({"email": email, "password": PASSWORD});
    call(app, "POST", "/api/accounts", body, None).await
}

async fn sign_in(app: &Router, email: &str, password: &str) -> Reply {
    let body = json!({"email": email, "password": password});
    call(app, "POST", "/api/sessions", body, None).await
}

async fn current_user(app: &Router, token: &str) -> Reply {
    call(
        app,
        "GET",
        "/api/sessions/current",
        Value::Null,
        Some(token),
    )
    .await
}

/// A new account, its address verified straight in the database (the mail is only printed).
async fn verified_account(app: &Router, pool: &PgPool, test: &str) -> String {
    let email = address(test);
    sign_up(app, &email).await;
    sqlx::query("UPDATE users SET verified_at = now() WHERE email = lower($1)")
        .bind(&email)
        .execute(pool)
        .await
        .unwrap();
    email
}

#[tokio::test]
async fn sign_up_answers_the_same_for_a_new_and_a_taken_address() {
    let Some((app, pool)) = app("sign_up_answers_the_same").await else {
        return;
    };
    let email = address("signup");
    let new = sign_up(&app, &email).await;
    let taken = sign_up(&app, &email.to_uppercase()).await;
    assert_eq!((new.status, &new.json), (StatusCode::ACCEPTED, &json!({})));
    assert_eq!((taken.status, &taken.json), (new.status, &new.json));
    let stored: (i64, String) = sqlx::query_as(
        "SELECT count(*), min(password_hash) FROM users WHERE lower(email) = lower($1)",
    )
    .bind(&email)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored.0, 1);
    assert!(stored.1.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));

    // Right password, address not verified yet: the answer of a wrong password, which tells
    // nothing of whether the address has an account.
    let unverified = sign_in(&app, &email, PASSWORD).await;
    let wrong = sign_in(&app, &address("nobody"), PASSWORD).await;
    assert_eq!(unverified.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (unverified.status, &unverified.json),
        (wrong.status, &wrong.json)
    );

    let bad = call(
        &app,
        "POST",
        "/api/accounts",
        json!({"email": "x", "password": "short"}),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json["error"], "invalid");
    assert!(bad.json["fields"]["email"].is_string() && bad.json["fields"]["password"].is_string());
}

#[tokio::test]
async fn unknown_address_and_wrong_password_get_the_same_answer() {
    let Some((app, pool)) = app("unknown_and_wrong").await else {
        return;
    };
    let email = verified_account(&app, &pool, "wrong").await;
    let wrong = sign_in(&app, &email, "not the passphrase at all").await;
    let unknown = sign_in(&app, &address("nobody"), PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((unknown.status, &unknown.json), (wrong.status, &wrong.json));
    assert_eq!(wrong.json["error"], "invalid_credentials");
}

#[tokio::test]
async fn a_session_resolves_its_user_writes_posts_and_ends_at_sign_out() {
    let Some((app, pool)) = app("session_lifecycle").await else {
        return;
    };
    let email = verified_account(&app, &pool, "session").await;
    let signed_in = sign_in(&app, &email, PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::CREATED,
        "{:?}",
        signed_in.json
    );
    assert_eq!(signed_in.json["user"]["email"], email.to_lowercase());
    let token = signed_in.json["session"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 43);
    assert!(
        signed_in.json["session"]["expires_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    let current = current_user(&app, &token).await;
    assert_eq!(current.status, StatusCode::OK);
    assert_eq!(current.json["user"], signed_in.json["user"]);

    let post = json!({"title": "By a user", "body": "Signed in"});
    let anonymous = call(&app, "POST", "/api/posts", post.clone(), None).await;
    assert_eq!(
        (anonymous.status, &anonymous.json["error"]),
        (StatusCode::UNAUTHORIZED, &json!("no_session"))
    );
    let created = call(&app, "POST", "/api/posts", post, Some(&token)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(
        created.json.get("author_id").is_none(),
        "the author is never shown"
    );
    let author: Option<i64> = sqlx::query_scalar("SELECT author_id FROM posts WHERE id = $1")
        .bind(created.json["id"].as_i64().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(author, signed_in.json["user"]["id"].as_i64());

    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM sessions WHERE user_id = $1")
        .bind(author)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, api::accounts::token::hash(&token));

    for _ in 0..2 {
        let out = call(
            &app,
            "DELETE",
            "/api/sessions/current",
            Value::Null,
            Some(&token),
        )
        .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
    }
    let gone = current_user(&app, &token).await;
    assert_eq!(
        (gone.status, &gone.json["error"]),
        (StatusCode::UNAUTHORIZED, &json!("no_session"))
    );
}

#[tokio::test]
async fn repeated_failures_for_one_address_wait_longer_and_longer() {
    let Some((app, _pool)) = app("throttle").await else {
        return;
    };
    let email = address("throttle");
    let statuses: Vec<StatusCode> = {
        let mut statuses = Vec::new();
        for _ in 0..8 {
            statuses.push(
                sign_in(&app, &email, "guess guess guess guess")
                    .await
                    .status,
            );
        }
        statuses
    };
    assert_eq!(statuses[..6], [StatusCode::UNAUTHORIZED; 6]);
    assert_eq!(statuses[6..], [StatusCode::TOO_MANY_REQUESTS; 2]);
    let refused = sign_in(&app, &email, "guess guess guess guess").await;
    let wait: u64 = refused.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
}

#[tokio::test]
async fn every_accounts_route_needs_the_write_token() {
    let Some((app, _pool)) = app("write_token").await else {
        return;
    };
    for (method, uri) in [
        ("POST", "/api/accounts"),
        ("POST", "/api/accounts/verification"),
        ("POST", "/api/accounts/verification/resend"),
        ("POST", "/api/accounts/password-reset"),
        ("POST", "/api/accounts/password-reset/confirm"),
        ("POST", "/api/sessions"),
        ("GET", "/api/sessions/current"),
        ("DELETE", "/api/sessions/current"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(
            send(&app, request).await.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}"
        );
    }
    let bad = call(
        &app,
        "POST",
        "/api/accounts/verification",
        json!({"token": "nope"}),
        None,
    )
    .await;
    assert_eq!(
        (bad.status, &bad.json["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_token"))
    );
}
