//! What the integration tests share: the write token, one request through the router, and
//! request builders. Each test crate uses a part of it.
#![allow(dead_code)]

use api::config::{HttpConfig, WriteToken};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const TOKEN: &str = "test-write-token-0123456789abcdef0123456789";

/// The defaults, with writes allowed for `TOKEN`.
pub fn writable() -> HttpConfig {
    HttpConfig {
        write_token: Some(WriteToken(TOKEN.to_owned())),
        ..HttpConfig::default()
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as JSON; `Null` when it is empty.
    pub json: Value,
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {bytes:?}"))
    };
    Reply {
        status,
        headers,
        json,
    }
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

pub fn post_json(body: impl Into<Body>) -> Request<Body> {
    post_with_token(Some(TOKEN), body)
}

pub fn post_with_token(token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let request = Request::post("/api/posts").header(header::CONTENT_TYPE, "application/json");
    let request = match token {
        Some(token) => request.header(header::AUTHORIZATION, format!("Bearer {token}")),
        None => request,
    };
    request.body(body.into()).unwrap()
}
