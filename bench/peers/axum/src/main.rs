//! Plain Axum: `GET /api/posts` answers the posts in the JSON file given as the only argument,
//! from memory, with no middleware. `PORT` on 127.0.0.1. The ceiling the generated API is measured against.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
struct Post {
    id: i64,
    title: String,
    body: String,
}

#[tokio::main]
async fn main() {
    let path = std::env::args().nth(1).expect("usage: plain-axum POSTS_JSON");
    let json = std::fs::read_to_string(&path).expect("readable posts file");
    let posts: Arc<Vec<Post>> = Arc::new(serde_json::from_str(&json).expect("a JSON array of posts"));
    let port: u16 = std::env::var("PORT").ok().and_then(|port| port.parse().ok()).unwrap_or(8080);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("free port");
    let app = Router::new().route("/api/posts", get(list)).with_state(posts);
    axum::serve(listener, app).await.expect("serving");
}

/// A copy per request, serialised on the way out: what the memory repository hands the API too.
async fn list(State(posts): State<Arc<Vec<Post>>>) -> Json<Vec<Post>> {
    Json(posts.as_ref().clone())
}
